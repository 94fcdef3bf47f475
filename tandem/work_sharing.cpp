#include "tandem/work_sharing.h"

#include "tandem/busy.h"

namespace tandem::sharing {
namespace {

// A guest counts itself in its slot before reading the slot's loop, and the
// owner empties the slot before waiting for that count to reach zero, so a
// loop is never read after close returns (both sides seq_cst: each sees the
// other's write). A slot being closed holds kClosing, so no new loop takes
// it while its old guests finish.
struct alignas(64) Slot {
  std::atomic<Loop*> loop{nullptr};
  std::atomic<int> guests{0};
};
constexpr int kSlots = 16;
Slot g_slots[kSlots];
std::atomic<int> g_open{0};
Loop* const kClosing = reinterpret_cast<Loop*>(alignof(Loop));

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

Slot* slot_of(const Loop& loop) {
  for (auto& s : g_slots) {
    if (s.loop.load(std::memory_order_relaxed) == &loop) return &s;
  }
  return nullptr;
}

}  // namespace

bool open(Loop& loop) {
  for (auto& s : g_slots) {
    Loop* expected = nullptr;
    if (s.loop.load(std::memory_order_relaxed) == nullptr &&
        s.loop.compare_exchange_strong(expected, &loop, std::memory_order_seq_cst)) {
      g_open.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

void close(Loop& loop) noexcept {
  Slot* s = slot_of(loop);
  if (!s) return;
  s->loop.store(kClosing, std::memory_order_seq_cst);
  g_open.fetch_sub(1, std::memory_order_relaxed);
  while (s->guests.load(std::memory_order_seq_cst) != 0) relax();
  s->loop.store(nullptr, std::memory_order_release);
}

bool any_open() {
  return g_open.load(std::memory_order_relaxed) > 0;
}

bool help_impl(bool (*keep_going)(const void*), const void* ctx) {
  bool ran = false;
  for (auto& s : g_slots) {
    Loop* seen = s.loop.load(std::memory_order_relaxed);
    if (!seen || seen == kClosing) continue;
    s.guests.fetch_add(1, std::memory_order_seq_cst);
    Loop* loop = s.loop.load(std::memory_order_seq_cst);
    if (loop && loop != kClosing) {
      busy::Scope working;
      try {
        while (keep_going(ctx) && loop->run_one()) ran = true;
      } catch (...) {
        if (!loop->failed.exchange(true, std::memory_order_acq_rel)) {
          loop->error = std::current_exception();
        }
        // The owner finds no chunk left and closes, rethrowing the error.
        loop->next.store(loop->chunks, std::memory_order_relaxed);
      }
    }
    s.guests.fetch_sub(1, std::memory_order_seq_cst);
    if (!keep_going(ctx)) break;
  }
  return ran;
}

}  // namespace tandem::sharing
