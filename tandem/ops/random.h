#pragma once
// Random number generation, functional and key based (MLX's API). Every
// sampler takes an optional key (a uint32 array of shape (2,)); without one it
// draws the next subkey of the calling thread's global key, which seed()
// resets. The bits are Threefry-2x32-20 (see tandem/primitives/random.h for
// the exact layout), so a key gives the same numbers on every device.
//
// Floats: uniform values in [0, 1) are k * 2^-p for the top p bits of the
// random word (p = 24 for float32, 53 for float64, 11 for float16, 8 for
// bfloat16). normal, truncated_normal, gumbel and laplace of float16/bfloat16
// are computed in float32 and rounded.
#include <cstdint>
#include <optional>
#include <utility>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::random {

// A key made from a seed: uint32 (seed >> 32, seed & 0xffffffff).
array key(uint64_t seed);
// Resets the calling thread's global key to key(seed).
void seed(uint64_t seed);
// The calling thread's global key (a fresh evaluated array).
array state();

namespace detail {
// The global key's two words, to save and restore around a trace.
std::pair<uint32_t, uint32_t> global_key_words();
void set_global_key_words(std::pair<uint32_t, uint32_t> words);
// While set on this thread, every subkey drawn from the global key passes
// through hook (compile makes each one an input of the traced graph, drawn
// again at every replay). Returns the previous hook.
using KeyHook = array (*)(array subkey, void* ctx);
std::pair<KeyHook, void*> set_key_hook(KeyHook hook, void* ctx);
// The next subkey of the global key (what a sampler without a key uses).
array next_subkey();
}  // namespace detail

// Random bits of `shape`: width bytes each (1, 2, 4 or 8 -> uint8, uint16,
// uint32, uint64).
array bits(const Shape& shape, int width, const std::optional<array>& key = std::nullopt,
           StreamOrDevice s = {});
inline array bits(const Shape& shape, const std::optional<array>& key = std::nullopt,
                  StreamOrDevice s = {}) {
  return bits(shape, 4, key, s);
}

// Splits key into two new keys.
std::pair<array, array> split(const array& key, StreamOrDevice s = {});
// Splits key into num new keys: shape (num, 2).
array split(const array& key, int num, StreamOrDevice s = {});

// Uniform in [low, high) (low and high broadcast to shape); dtype a real float.
array uniform(const array& low, const array& high, const Shape& shape, Dtype dtype = float32,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
// Uniform in [0, 1).
array uniform(const Shape& shape, Dtype dtype, const std::optional<array>& key = std::nullopt,
              StreamOrDevice s = {});
inline array uniform(const Shape& shape, const std::optional<array>& key = std::nullopt,
                     StreamOrDevice s = {}) {
  return uniform(shape, float32, key, s);
}

// Normal with mean loc and standard deviation scale (either may be omitted:
// 0 and 1), as sqrt(2) * erfinv(uniform in (-1, 1)).
array normal(const Shape& shape, Dtype dtype, const std::optional<array>& loc,
             const std::optional<array>& scale, const std::optional<array>& key,
             StreamOrDevice s = {});
array normal(const Shape& shape, Dtype dtype, const float loc, const float scale,
             const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
inline array normal(const Shape& shape, const float loc, const float scale,
                    const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return normal(shape, float32, loc, scale, key, s);
}
inline array normal(const Shape& shape, const Dtype dtype,
                    const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return normal(shape, dtype, 0.f, 1.f, key, s);
}
inline array normal(const Shape& shape, const std::optional<array>& key = std::nullopt,
                    StreamOrDevice s = {}) {
  return normal(shape, float32, 0.f, 1.f, key, s);
}

// Integers uniform in [low, high) (low and high broadcast to shape), of an
// integer dtype; where high <= low the result is low. Exact for ranges up to 2^53.
array randint(const array& low, const array& high, const Shape& shape, Dtype dtype = int32,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

// True with probability p (a float array broadcast to shape).
array bernoulli(const array& p, const Shape& shape, const std::optional<array>& key = std::nullopt,
                StreamOrDevice s = {});
array bernoulli(const array& p, const std::optional<array>& key = std::nullopt,
                StreamOrDevice s = {});
array bernoulli(const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

// Standard normal truncated to [lower, upper] (broadcast to shape).
array truncated_normal(const array& lower, const array& upper, const Shape& shape,
                       Dtype dtype = float32, const std::optional<array>& key = std::nullopt,
                       StreamOrDevice s = {});
// Shape: the broadcast of lower and upper.
array truncated_normal(const array& lower, const array& upper, Dtype dtype = float32,
                       const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

// Standard Gumbel: -log(-log(uniform in (0, 1))).
array gumbel(const Shape& shape, Dtype dtype = float32,
             const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

// Samples indices along axis from the unnormalised log-probabilities logits.
// shape: the output shape, broadcast-compatible with logits without axis.
array categorical(const array& logits, int axis, const Shape& shape,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
// num_samples draws per distribution, on a new last axis.
array categorical(const array& logits, int axis, int num_samples,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
// One draw per distribution.
array categorical(const array& logits, int axis = -1,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

// Laplace with location loc and scale.
array laplace(const Shape& shape, Dtype dtype, const float loc, const float scale,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
inline array laplace(const Shape& shape, const float loc, const float scale,
                     const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return laplace(shape, float32, loc, scale, key, s);
}
inline array laplace(const Shape& shape, Dtype dtype,
                     const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return laplace(shape, dtype, 0.f, 1.f, key, s);
}
inline array laplace(const Shape& shape, const std::optional<array>& key = std::nullopt,
                     StreamOrDevice s = {}) {
  return laplace(shape, float32, 0.f, 1.f, key, s);
}

// A random permutation of 0..x-1 (uint32), ties of the random keys broken by index.
array permutation(int x, const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
// x with its entries along axis randomly permuted.
array permutation(const array& x, int axis = 0, const std::optional<array>& key = std::nullopt,
                  StreamOrDevice s = {});

// Jointly normal samples with mean (..., n) and positive semi-definite
// covariance (..., n, n): mean + z @ L^T with z standard normal and L = V
// sqrt(w) from cov's eigendecomposition (computed on a CPU stream, as
// linalg's factorizations are; the rest runs on s). shape (empty: the
// broadcast of the batch shapes) gives the samples' batch shape. float32
// only, as in MLX.
array multivariate_normal(const array& mean, const array& cov, const Shape& shape = {},
                          Dtype dtype = float32, const std::optional<array>& key = std::nullopt,
                          StreamOrDevice s = {});

}  // namespace tandem::random
