#include "tandem/backend/cpu/parallel.h"

#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>

#include "tandem/busy.h"
#include "tandem/work_sharing.h"

namespace tandem::cpu {

int num_threads() {
  return tbb::this_task_arena::max_concurrency();
}

namespace {

// A loop's TBB helpers. Each new helper first starts up to two more, so that
// the pool's sleeping threads are woken by several threads at once: woken
// one by one from the loop's own thread they came about 3.5 us apart on the
// 16-core GPU host, the last of 15 some 50 us after the loop began.
struct Helpers {
  sharing::Loop& loop;
  int max;
  std::atomic<int> started{0}, running{0};
  tbb::task_group group;

  Helpers(sharing::Loop& l, int max_helpers) : loop(l), max(max_helpers) {}

  // Starts a helper if a core is free: one that no busy thread (the loop's
  // own thread included) takes and no helper started but not yet running
  // has claimed.
  bool try_start() {
    int s = started.load(std::memory_order_relaxed);
    while (s < max &&
           busy::cores() - busy::threads() + running.load(std::memory_order_relaxed) - s > 0) {
      if (started.compare_exchange_weak(s, s + 1, std::memory_order_relaxed)) {
        group.run([this] { work(); });
        return true;
      }
    }
    return false;
  }

  void work() {
    busy::Scope mark;
    running.fetch_add(1, std::memory_order_relaxed);
    if (try_start()) try_start();
    // A helper gives its core back as soon as more threads are busy than
    // there are cores (a stream worker took a task); the others finish.
    while (busy::threads() <= busy::cores() && loop.run_one()) {
    }
  }
};

}  // namespace

// The calling thread works through chunks of `grain` from a shared counter.
// Helpers from TBB's pool join only while some core is free of busy threads
// (another stream's worker, a thread encoding a graph), checked again at
// every chunk: a loop started beside a busy stream stays on its thread and
// takes the cores that stream gives back when it finishes, instead of
// either fighting it for its core or leaving a core idle to the end. The
// loop is also open to threads about to wait (work_sharing.h), which join
// without the wake-up a pool thread needs.
void parallel_for_impl(size_t n, size_t grain, void (*call)(void*, size_t, size_t), void* f) {
  size_t chunks = (n + grain - 1) / grain;
  int max_helpers = std::min<int>(num_threads(), static_cast<int>(chunks)) - 1;
  if (max_helpers <= 0) {
    call(f, 0, n);
    return;
  }
  sharing::Loop loop;
  loop.call = call;
  loop.f = f;
  loop.n = n;
  loop.grain = grain;
  loop.chunks = chunks;
  // This thread is busy while the loop runs (it usually is already: a
  // stream worker, an evaluating thread), so helpers count its core taken.
  busy::Scope working;
  // Withdrawn on every exit: guests must be gone before `loop` is.
  struct Share {
    sharing::Loop& loop;
    bool open = sharing::open(loop);
    void close() noexcept {
      if (open) sharing::close(loop);
      open = false;
    }
    ~Share() { close(); }
  } share{loop};
  Helpers helpers(loop, max_helpers);
  try {
    do {
      helpers.try_start();
    } while (loop.run_one());
  } catch (...) {
    loop.next.store(chunks, std::memory_order_relaxed);  // helpers stop at their next chunk
    helpers.group.wait();
    throw;
  }
  helpers.group.wait();
  share.close();
  // Only a guest's chunk sets it, and guests are gone now.
  if (loop.failed.load(std::memory_order_acquire)) std::rethrow_exception(loop.error);
}

}  // namespace tandem::cpu
