#include "tandem/backend/cpu/parallel.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <memory>
#include <mutex>
#include <vector>

#include "tandem/busy.h"

namespace tandem::cpu {
namespace {

// One arena per thread count, made on first use. An arena of n slots runs
// a loop on at most n threads of TBB's shared pool.
tbb::task_arena& arena(int n) {
  static std::mutex mu;
  static auto* arenas = new std::vector<std::unique_ptr<tbb::task_arena>>(busy::cores() + 1);
  std::lock_guard lk(mu);
  auto& a = (*arenas)[n];
  if (!a) a = std::make_unique<tbb::task_arena>(n);
  return *a;
}

}  // namespace

int num_threads() {
  return tbb::this_task_arena::max_concurrency();
}

void parallel_for_impl(size_t n, size_t grain, void (*call)(void*, size_t, size_t), void* f) {
  // Only the cores no other busy thread (another stream's worker, a thread
  // encoding a graph) is using: with every core taken, extra threads would
  // only slow the others down.
  int avail = std::min(busy::available(), num_threads());
  if (avail <= 1) {
    call(f, 0, n);
    return;
  }
  auto body = [&] {
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, n, grain),
        [&](const tbb::blocked_range<size_t>& r) { call(f, r.begin(), r.end()); },
        tbb::static_partitioner());
  };
  if (avail >= num_threads()) {
    body();
  } else {
    arena(avail).execute(body);
  }
}

}  // namespace tandem::cpu
