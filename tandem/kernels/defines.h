#pragma once
// Basics of the host-and-device layer: every header in tandem/kernels/
// compiles as plain C++ (the core and the CPU backend) and under NVRTC (the
// CUDA backend embeds them beside its device code), so an op's enum, its
// scalar arithmetic and its kernel-argument structs are written once.
#if defined(__CUDACC__)
#define TANDEM_DEVICE_CODE 1
#define TANDEM_HD __host__ __device__ inline
#else
#define TANDEM_HD inline
#endif

// For op lists written as X-macros (TANDEM_UNARY_OPS, ...): an enum entry
// and a name string per op.
#define TANDEM_ENUM_ENTRY(NAME) NAME,
#define TANDEM_NAME_ENTRY(NAME) #NAME,

#ifdef __CUDACC_RTC__
// NVRTC has no C++ standard library headers.
typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
#else
#include <cmath>
#include <cstdint>
#include <cstring>
#endif

namespace tandem::k {

// The math functions, found by unqualified calls inside `using namespace
// k::math`: the C++ library's overloads on the host, CUDA's on the device.
namespace math {
#ifndef TANDEM_DEVICE_CODE
using std::acos;
using std::acosh;
using std::asin;
using std::asinh;
using std::atan;
using std::atan2;
using std::atanh;
using std::ceil;
using std::copysign;
using std::cos;
using std::cosh;
using std::erf;
using std::exp;
using std::expm1;
using std::fabs;
using std::floor;
using std::fmod;
using std::isfinite;
using std::isinf;
using std::isnan;
using std::log;
using std::log10;
using std::log1p;
using std::log2;
using std::nearbyint;
using std::pow;
using std::sin;
using std::sinh;
using std::sqrt;
using std::tan;
using std::tanh;
using std::trunc;
#else
// Rounds half to even in the default rounding mode, like std::nearbyint.
__device__ inline float nearbyint(float x) {
  return rintf(x);
}
__device__ inline double nearbyint(double x) {
  return rint(x);
}
#endif
}  // namespace math

// Bit casts between floats and integers of the same size.
TANDEM_HD float f32_from_bits(uint32_t u) {
#ifdef TANDEM_DEVICE_CODE
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}
TANDEM_HD double f64_from_bits(uint64_t u) {
#ifdef TANDEM_DEVICE_CODE
  return __longlong_as_double(static_cast<long long>(u));
#else
  double d;
  std::memcpy(&d, &u, 8);
  return d;
#endif
}

}  // namespace tandem::k
