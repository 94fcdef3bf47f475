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
  std::atomic<int> running{0};
  auto work = [&] {
    busy::Scope mark;
    running.fetch_add(1, std::memory_order_relaxed);
    // A helper gives its core back as soon as more threads are busy than
    // there are cores (a stream worker took a task); the caller finishes.
    while (busy::threads() <= busy::cores() && loop.run_one()) {
    }
  };
  // Withdrawn on every exit: guests must be gone before `loop` is.
  struct Share {
    sharing::Loop& loop;
    bool open = sharing::open(loop);
    ~Share() {
      if (open) sharing::close(loop);
    }
  } share{loop};
  tbb::task_group helpers;
  int started = 0;
  try {
    while (true) {
      // Helpers take the cores no other busy thread uses (this thread's
      // counts as its own, and so do this loop's running helpers; each
      // helper started so far takes a free one).
      while (started < max_helpers &&
             busy::available() - 1 + running.load(std::memory_order_relaxed) > started) {
        helpers.run(work);
        ++started;
      }
      if (!loop.run_one()) break;
    }
  } catch (...) {
    loop.next.store(chunks, std::memory_order_relaxed);  // helpers stop at their next chunk
    helpers.wait();
    throw;
  }
  helpers.wait();
  if (share.open) {
    sharing::close(loop);
    share.open = false;
    if (loop.failed.load(std::memory_order_acquire)) std::rethrow_exception(loop.error);
  }
}

}  // namespace tandem::cpu
