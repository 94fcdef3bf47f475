#pragma once
// Intra-op parallelism through oneTBB. All stream workers share TBB's one
// pool, sized to the core count, so concurrent streams do not oversubscribe.
#include <cstddef>
#include <functional>

namespace tandem::cpu {

// Elements below which a loop stays on the calling thread.
inline constexpr size_t kParallelGrain = size_t(1) << 16;

// Calls f(begin, end) over [0, n) in chunks of at least `grain`, on several
// threads when n is large enough.
void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& f);

// Number of threads parallel_for may use.
int num_threads();

}  // namespace tandem::cpu
