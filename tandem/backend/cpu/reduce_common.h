#pragma once
// Helpers shared by the reduce, scan and sort CPU kernels: compute types,
// NaN-aware comparisons, and walking the kept / reduced dims of a layout
// (split by tandem/reduce_layout.h, which the GPU backend uses too).
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "tandem/dtype.h"
#include "tandem/reduce_layout.h"
#include "tandem/small_vector.h"

namespace tandem::cpu::red {

// The type values of storage type T are computed in: float for 16-bit floats.
template <typename T>
using compute_t = std::conditional_t<is_half_v<T>, float, T>;

// float16 bits to float without a library call, branch-free so loops over
// it vectorise: the exponent is rebiased by a multiply (exact for normal and
// subnormal values), infinities and NaNs are patched.
inline float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t em = h & 0x7fffu;
  uint32_t bits = em << 13;
  float f;
  std::memcpy(&f, &bits, 4);
  f *= 0x1p112f;
  uint32_t out;
  std::memcpy(&out, &f, 4);
  out = em >= 0x7c00u ? (bits | 0x7f800000u) : out;
  out |= sign;
  std::memcpy(&f, &out, 4);
  return f;
}

template <typename T>
inline compute_t<T> load(T v) {
  if constexpr (std::is_same_v<T, float16_t>) {
    return half_to_float(v.bits);
  } else {
    return static_cast<compute_t<T>>(v);
  }
}

template <typename T>
inline bool is_nan(T v) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    return std::isnan(v.real()) || std::isnan(v.imag());
  } else if constexpr (std::is_floating_point_v<T>) {
    return v != v;
  } else {
    return false;
  }
}

// a < b, lexicographic for complex (NumPy's order); false when either is NaN.
template <typename T>
inline bool less(T a, T b) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  } else {
    return a < b;
  }
}

// Strict weak order with NaN after everything (NumPy's sort order).
template <typename T>
inline bool less_nan_last(T a, T b) {
  if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, complex64_t>) {
    bool na = is_nan(a), nb = is_nan(b);
    if (na || nb) return !na && nb;
  }
  return less(a, b);
}

// log(exp(a) + exp(b)), exact at infinities, NaN-propagating.
template <typename F>
inline F logaddexp(F a, F b) {
  if (a != a || b != b) return std::numeric_limits<F>::quiet_NaN();
  F hi = a > b ? a : b, lo = a > b ? b : a;
  if (lo == -std::numeric_limits<F>::infinity() || hi == std::numeric_limits<F>::infinity()) {
    return hi;
  }
  return hi + std::log1p(std::exp(lo - hi));
}

// Wrapping integer arithmetic (no signed-overflow UB).
template <typename T>
inline T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return static_cast<T>(a + b);
  }
}
template <typename T>
inline T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::make_unsigned_t<T>;
    // Promote through unsigned int at least, so uint16 * uint16 cannot overflow int.
    using W = std::conditional_t<(sizeof(U) < sizeof(unsigned)), unsigned, U>;
    return static_cast<T>(static_cast<W>(static_cast<U>(a)) * static_cast<W>(static_cast<U>(b)));
  } else {
    return static_cast<T>(a * b);
  }
}

using Vec = DimVec;

// Offset (elements) of row-major linear index i over shape / strides.
inline int64_t offset_of(int64_t i, const Vec& shape, const Vec& strides) {
  int64_t off = 0;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    off += (i % shape[d]) * strides[d];
    i /= shape[d];
  }
  return off;
}

// Incremental row-major walk over shape / strides (the offset of the current
// position is off).
struct Odometer {
  const Vec* shape;
  const Vec* strides;
  Vec idx;
  int64_t off = 0;
  Odometer(const Vec& sh, const Vec& st) : shape(&sh), strides(&st), idx(sh.size(), 0) {}
  void seek(int64_t i) {
    off = 0;
    for (int d = static_cast<int>(shape->size()) - 1; d >= 0; --d) {
      idx[d] = i % (*shape)[d];
      i /= (*shape)[d];
      off += idx[d] * (*strides)[d];
    }
  }
  void next() {
    for (int d = static_cast<int>(shape->size()) - 1; d >= 0; --d) {
      off += (*strides)[d];
      if (++idx[d] < (*shape)[d]) return;
      off -= (*strides)[d] * (*shape)[d];
      idx[d] = 0;
    }
  }
};

inline int64_t product(const Vec& v) {
  int64_t p = 1;
  for (auto x : v) p *= x;
  return p;
}

}  // namespace tandem::cpu::red
