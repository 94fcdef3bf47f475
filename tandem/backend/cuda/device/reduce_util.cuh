// Helpers shared by the reduce, scan and sort kernels: warp shuffles of any
// small type, infinities, NaN tests and the wrapping arithmetic the CPU
// backend uses (tandem/backend/cpu/reduce_common.h).
#pragma once
#include "common.cuh"

namespace tandem {
namespace red {

constexpr int kBlock = 256;  // threads of every block-level reduce/scan kernel
constexpr int kWarps = kBlock / 32;

// Shuffles move raw bits, so any type of at most 8 bytes (bool, int8,
// complex64, __half ...) goes through one or two 32-bit lanes.
enum class Shfl { Down, Up, Idx };
template <Shfl K, typename T>
__device__ inline T shfl_bits(T v, int d) {
  using U = typename conditional<sizeof(T) == 8, unsigned long long, unsigned>::type;
  U u = 0;
  memcpy(&u, &v, sizeof(T));
  if constexpr (K == Shfl::Down) {
    u = __shfl_down_sync(0xffffffffu, u, d);
  } else if constexpr (K == Shfl::Up) {
    u = __shfl_up_sync(0xffffffffu, u, d);
  } else {
    u = __shfl_sync(0xffffffffu, u, d);
  }
  T r;
  memcpy(&r, &u, sizeof(T));
  return r;
}
template <typename T>
__device__ inline T shfl_down(T v, int d) {
  return shfl_bits<Shfl::Down>(v, d);
}
template <typename T>
__device__ inline T shfl_up(T v, int d) {
  return shfl_bits<Shfl::Up>(v, d);
}
template <typename T>
__device__ inline T shfl_idx(T v, int src) {
  return shfl_bits<Shfl::Idx>(v, src);
}

// Shared memory for n values of T (complex64 has a constructor, which
// __shared__ variables may not run).
#define TANDEM_SHARED(T, NAME, N)                                   \
  __shared__ alignas(16) unsigned char NAME##_raw[(N) * sizeof(T)]; \
  T* NAME = reinterpret_cast<T*>(NAME##_raw)

template <typename T>
__device__ inline T pos_inf() {
  if constexpr (same<T, double>::value) {
    return __longlong_as_double(0x7ff0000000000000ll);
  } else {
    return T(__int_as_float(0x7f800000));
  }
}

template <typename T>
__device__ inline bool is_nan(T v) {
  if constexpr (is_complex<T>::value) {
    return v.re != v.re || v.im != v.im;
  } else if constexpr (same<T, float>::value || same<T, double>::value) {
    return v != v;
  } else {
    return false;
  }
}

// Wrapping integer arithmetic (no signed overflow), plain otherwise.
template <typename T>
__device__ inline T wrap_add(T a, T b) {
  if constexpr (is_integral<T>::value) {
    using U = typename conditional_unsigned<T>::type;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}
template <typename T>
__device__ inline T wrap_mul(T a, T b) {
  if constexpr (is_integral<T>::value) {
    using U = typename conditional_unsigned<T>::type;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}

// Max (IsMax) or min of acc and x; NaN is sticky; complex is lexicographic.
template <bool IsMax, typename A>
__device__ inline A extreme(A acc, A x) {
  if constexpr (is_complex<A>::value) {
    if (is_nan(acc)) return acc;
    if (is_nan(x)) return x;
    return (IsMax ? acc < x : x < acc) ? x : acc;
  } else if constexpr (same<A, float>::value || same<A, double>::value) {
    return ((IsMax ? x > acc : x < acc) || x != x) ? x : acc;
  } else {
    return (IsMax ? x > acc : x < acc) ? x : acc;
  }
}

// The value extreme<IsMax> starts from.
template <bool IsMax, typename A>
__device__ inline A extreme_init() {
  if constexpr (is_complex<A>::value) {
    float v = IsMax ? -pos_inf<float>() : pos_inf<float>();
    return A(v, v);
  } else if constexpr (same<A, float>::value || same<A, double>::value) {
    return IsMax ? -pos_inf<A>() : pos_inf<A>();
  } else if constexpr (same<A, bool>::value) {
    return !IsMax;
  } else {
    return IsMax ? limits<A>::lowest() : limits<A>::max();
  }
}

// log(exp(a) + exp(b)), exact at infinities, NaN-propagating (as the CPU).
template <typename F>
__device__ inline F logaddexp(F a, F b) {
  if (a != a || b != b) return a != a ? a : b;
  F hi = a > b ? a : b, lo = a > b ? b : a;
  if (lo == -pos_inf<F>() || hi == pos_inf<F>()) return hi;
  return hi + log1p(exp(lo - hi));
}

}  // namespace red
}  // namespace tandem
