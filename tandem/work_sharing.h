#pragma once
// Parallel loops open to threads that would otherwise wait. A thread about
// to spin or sleep (an evaluating thread waiting for results, an idle
// stream worker) runs chunks of a loop another thread has open instead:
// on a VM a sleeping thread takes 40 to 50 us to wake, as long as many
// chunks, so a helper that is already awake finishes the loop sooner, and
// the waiter sees its result the moment the loop ends.
#include <atomic>
#include <cstddef>
#include <exception>

#include "tandem/task_scope.h"

namespace tandem::sharing {

// A loop over [0, n) in chunks of `grain`, handed out by `next`.
struct Loop {
  void (*call)(void*, size_t, size_t) = nullptr;
  void* f = nullptr;
  size_t n = 0, grain = 1, chunks = 0;
  std::atomic<size_t> next{0};
  // The first exception a guest's chunk threw; `failed` is set once it is.
  std::atomic<bool> failed{false};
  std::exception_ptr error;

  // Runs one chunk taken from `next`; false when none is left.
  bool run_one() {
    size_t i = next.fetch_add(1, std::memory_order_relaxed);
    if (i >= chunks) return false;
    TaskScope in_task;  // a guest's chunk is part of the owner's task
    call(f, i * grain, i * grain + grain < n ? i * grain + grain : n);
    return true;
  }
};

// Publishes `loop` to waiting threads. Returns false (the loop runs without
// guests) when the board is full.
bool open(Loop& loop);
// Withdraws `loop` and returns once no guest runs one of its chunks. The
// owner then finds a guest's exception in loop.failed / loop.error.
void close(Loop& loop) noexcept;

// Whether some loop is open (a relaxed read: cheap enough to poll).
bool any_open();
// Runs chunks of open loops on the calling thread, marked busy, while
// keep_going() holds and chunks remain. Returns whether it ran any.
bool help_impl(bool (*keep_going)(const void*), const void* ctx);
template <typename F>
bool help(const F& keep_going) {
  if (!any_open()) return false;
  return help_impl([](const void* p) { return (*static_cast<const F*>(p))(); }, &keep_going);
}

}  // namespace tandem::sharing
