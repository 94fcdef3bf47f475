#pragma once
// Intra-op parallelism through oneTBB. All stream workers share TBB's one
// pool, sized to the core count, and a loop takes only the cores that other
// busy threads leave free (busy.h), re-checked as it goes, so concurrent
// streams do not oversubscribe: on the 2-core dev machine a matmul started
// beside an exp chain on another stream stays on its own thread until the
// chain's threads finish, then takes the second core.
#include <cstddef>
#include <type_traits>

namespace tandem::cpu {

// Elements below which a loop stays on the calling thread.
inline constexpr size_t kParallelGrain = size_t(1) << 16;

// Number of threads parallel_for may use.
int num_threads();

// Runs f(begin, end) over [0, n) in chunks of grain (the last one shorter)
// on the calling thread and helpers from TBB's pool.
void parallel_for_impl(size_t n, size_t grain, void (*call)(void*, size_t, size_t), void* f);

// Calls f(begin, end) over [0, n) in chunks of `grain` elements (the last one
// may be shorter), on several threads when n is large enough (small loops
// run inline, without allocating).
template <typename F>
void parallel_for(size_t n, size_t grain, F&& f) {
  if (n == 0) return;
  if (n < 2 * grain) {
    f(size_t(0), n);
    return;
  }
  using Fn = std::remove_reference_t<F>;
  parallel_for_impl(
      n, grain, [](void* p, size_t b, size_t e) { (*static_cast<Fn*>(p))(b, e); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace tandem::cpu
