// Device-side basics shared by every kernel family: fixed-width integers,
// half types, a complex64 type, and layout descriptions passed by value.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "tandem/kernels/cast.h"
#include "tandem/kernels/layout.h"
#include "tandem/kernels/traits.h"

namespace tandem {

// Same layout as std::complex<float> on the host.
struct alignas(8) complex64 {
  float re, im;
  __device__ complex64() : re(0), im(0) {}
  __device__ complex64(float r, float i = 0) : re(r), im(i) {}  // NOLINT
  __device__ explicit operator float() const { return re; }
  __device__ explicit operator double() const { return re; }
  __device__ explicit operator bool() const { return re != 0 || im != 0; }
};
__device__ inline complex64 operator+(complex64 a, complex64 b) {
  return {a.re + b.re, a.im + b.im};
}
__device__ inline complex64 operator-(complex64 a, complex64 b) {
  return {a.re - b.re, a.im - b.im};
}
__device__ inline complex64 operator-(complex64 a) {
  return {-a.re, -a.im};
}
__device__ inline complex64 operator*(complex64 a, complex64 b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
__device__ inline complex64 operator/(complex64 a, complex64 b) {
  // Smith's algorithm: no overflow for large |b|.
  if (fabsf(b.re) >= fabsf(b.im)) {
    float r = b.im / b.re, d = b.re + b.im * r;
    return {(a.re + a.im * r) / d, (a.im - a.re * r) / d};
  }
  float r = b.re / b.im, d = b.im + b.re * r;
  return {(a.re * r + a.im) / d, (a.im * r - a.re) / d};
}
__device__ inline bool operator==(complex64 a, complex64 b) {
  return a.re == b.re && a.im == b.im;
}
__device__ inline bool operator!=(complex64 a, complex64 b) {
  return !(a == b);
}
// NumPy orders complex numbers lexicographically.
__device__ inline bool operator<(complex64 a, complex64 b) {
  return a.re < b.re || (a.re == b.re && a.im < b.im);
}
__device__ inline bool operator>(complex64 a, complex64 b) {
  return b < a;
}
__device__ inline bool operator<=(complex64 a, complex64 b) {
  return !(b < a);
}
__device__ inline bool operator>=(complex64 a, complex64 b) {
  return !(a < b);
}

// What arithmetic runs in: float for the half types, the type itself otherwise.
template <typename T>
struct compute {
  using type = T;
};
template <>
struct compute<__half> {
  using type = float;
};
template <>
struct compute<__nv_bfloat16> {
  using type = float;
};
template <typename T>
using compute_t = typename compute<T>::type;

template <typename T>
struct is_complex {
  static constexpr bool value = false;
};
template <>
struct is_complex<complex64> {
  static constexpr bool value = true;
};
// k::is_float (float, double) and the device's half types.
template <typename T>
struct is_float {
  static constexpr bool value =
      k::is_float<T>::value || k::same<T, __half>::value || k::same<T, __nv_bfloat16>::value;
};
using k::conditional;
using k::is_integral;
using k::is_signed_int;
using k::is_unsigned_int;
using k::same;
using k::uint_of;
// The unsigned type integer arithmetic on T wraps in (at least 32 bits).
template <typename T>
struct conditional_unsigned {
  using type = k::wrap_t<T>;
};

// Integer limits (the identities of min/max reductions).
template <typename T>
struct limits;
#define TANDEM_LIMITS(T, LO, HI)                          \
  template <>                                             \
  struct limits<T> {                                      \
    __device__ static constexpr T lowest() { return LO; } \
    __device__ static constexpr T max() { return HI; }    \
  };
TANDEM_LIMITS(int8_t, -128, 127)
TANDEM_LIMITS(int16_t, -32768, 32767)
TANDEM_LIMITS(int32_t, -2147483647 - 1, 2147483647)
TANDEM_LIMITS(int64_t, -9223372036854775807ll - 1, 9223372036854775807ll)
TANDEM_LIMITS(uint8_t, 0, 255)
TANDEM_LIMITS(uint16_t, 0, 65535)
TANDEM_LIMITS(uint32_t, 0, 4294967295u)
TANDEM_LIMITS(uint64_t, 0, 18446744073709551615ull)
#undef TANDEM_LIMITS

// Conversion between any two dtypes, as the CPU backend converts: floats to
// integers as tandem/kernels/cast.h says, anything to bool is != 0, complex
// to real takes the real part.
template <typename To, typename From>
__device__ inline To cast(From v) {
  if constexpr (same<To, From>::value) {
    return v;
  } else if constexpr (same<To, bool>::value) {
    if constexpr (is_complex<From>::value) {
      return v.re != 0 || v.im != 0;
    } else {
      return static_cast<compute_t<From>>(v) != compute_t<From>(0);
    }
  } else if constexpr (is_complex<To>::value) {
    if constexpr (same<From, bool>::value) {
      return complex64(v ? 1.f : 0.f);
    } else {
      return complex64(static_cast<float>(static_cast<compute_t<From>>(v)));
    }
  } else if constexpr (is_complex<From>::value) {
    return cast<To>(v.re);
  } else if constexpr (is_integral<To>::value && is_float<From>::value) {
    return k::float_to_int<To>(static_cast<double>(static_cast<compute_t<From>>(v)));
  } else if constexpr (same<To, __half>::value) {
    // double goes through float (two roundings), as the CPU's float16_t(double).
    if constexpr (same<From, __nv_bfloat16>::value)
      return __float2half(__bfloat162float(v));
    else
      return __float2half(static_cast<float>(v));
  } else if constexpr (same<To, __nv_bfloat16>::value) {
    if constexpr (same<From, __half>::value)
      return __float2bfloat16(__half2float(v));
    else
      return __float2bfloat16(static_cast<float>(v));
  } else if constexpr (same<From, __half>::value) {
    return static_cast<To>(__half2float(v));
  } else if constexpr (same<From, __nv_bfloat16>::value) {
    return static_cast<To>(__bfloat162float(v));
  } else {
    return static_cast<To>(v);
  }
}

using k::kMaxDims;
using k::Layout;
using k::offset_of;

}  // namespace tandem
