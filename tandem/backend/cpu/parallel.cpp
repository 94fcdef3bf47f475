#include "tandem/backend/cpu/parallel.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

namespace tandem::cpu {

int num_threads() { return tbb::this_task_arena::max_concurrency(); }

void parallel_for_impl(size_t n, size_t grain, void (*call)(void*, size_t, size_t), void* f) {
  if (num_threads() == 1) {
    call(f, 0, n);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, grain),
                    [&](const tbb::blocked_range<size_t>& r) { call(f, r.begin(), r.end()); },
                    tbb::static_partitioner());
}

}  // namespace tandem::cpu
