#include "tandem/backend/cpu/parallel.h"

#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>

#include "tandem/busy.h"

namespace tandem::cpu {

int num_threads() {
  return tbb::this_task_arena::max_concurrency();
}

// The calling thread works through chunks of `grain` from a shared counter.
// Helpers from TBB's pool join only while some core is free of busy threads
// (another stream's worker, a thread encoding a graph), checked again at
// every chunk: a loop started beside a busy stream stays on its thread and
// takes the cores that stream gives back when it finishes, instead of
// either fighting it for its core or leaving a core idle to the end.
void parallel_for_impl(size_t n, size_t grain, void (*call)(void*, size_t, size_t), void* f) {
  size_t chunks = (n + grain - 1) / grain;
  int max_helpers = std::min<int>(num_threads(), static_cast<int>(chunks)) - 1;
  if (max_helpers <= 0) {
    call(f, 0, n);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    size_t i;
    while ((i = next.fetch_add(1, std::memory_order_relaxed)) < chunks) {
      call(f, i * grain, std::min(n, (i + 1) * grain));
    }
  };
  tbb::task_group helpers;
  int started = 0;
  try {
    size_t i;
    while ((i = next.fetch_add(1, std::memory_order_relaxed)) < chunks) {
      // Helpers take the cores no other busy thread uses (this thread's
      // counts as its own; each helper started so far takes a free one).
      while (started < max_helpers && busy::available() - 1 > started) {
        helpers.run(work);
        ++started;
      }
      call(f, i * grain, std::min(n, (i + 1) * grain));
    }
  } catch (...) {
    next.store(chunks, std::memory_order_relaxed);  // helpers stop at their next chunk
    helpers.wait();
    throw;
  }
  helpers.wait();
}

}  // namespace tandem::cpu
