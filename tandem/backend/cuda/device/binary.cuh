// Elementwise functions of two arrays (Binary) and where (Select): the
// scalar arithmetic of tandem/kernels/binary_ops.h (the CPU's too) on the
// device's types, with complex arithmetic from DeviceComplex.
#pragma once
#include "complex.cuh"
#include "elementwise.cuh"
#include "tandem/kernels/binary_ops.h"

namespace tandem {
template <int OP>
struct is_comparison_op {
  static constexpr bool value = is_comparison(static_cast<BinaryOp>(OP));
};

namespace bin {

// glibc's cexpf, special values included (pow(0, y) depends on them).
__device__ inline complex64 cexp_c99(complex64 z) {
  float re = z.re, im = z.im;
  if (isfinite(re)) {
    if (!isfinite(im)) return {__int_as_float(0x7fffffff), __int_as_float(0x7fffffff)};
    float s = im, c = 1.f;
    if (fabsf(im) > 1.17549435e-38f) sincosf(im, &s, &c);
    const float t = 88.f;  // (FLT_MAX_EXP - 1) * ln 2, truncated
    if (re > t) {
      float et = expf(t);
      re -= t;
      s *= et;
      c *= et;
      if (re > t) {
        re -= t;
        s *= et;
        c *= et;
      }
    }
    if (re > t) return {3.40282347e38f * c, 3.40282347e38f * s};
    float e = expf(re);
    return {e * c, e * s};
  }
  if (isinf(re)) {
    if (isfinite(im)) {
      float v = signbit(re) ? 0.f : f_inf();
      if (im == 0.f) return {v, im};
      float s, c;
      sincosf(im, &s, &c);
      return {copysignf(v, c), copysignf(v, s)};
    }
    if (!signbit(re)) return {f_inf(), im - im};
    return {0.f, copysignf(0.f, im)};
  }
  if (im == 0.f) return {re, im};  // NaN + 0i
  return {__int_as_float(0x7fffffff), __int_as_float(0x7fffffff)};
}

// log(x) as accurate as glibc's clogf: log|x| from |x|^2 in double (exact
// squares), so that |x| near 1 keeps its tiny logarithm.
__device__ inline complex64 clog_accurate(complex64 x) {
  double r = x.re, i = x.im;
  double m2 = r * r + i * i;
  float lr = isfinite(m2) ? static_cast<float>(0.5 * log(m2)) : logf(hypotf(x.re, x.im));
  return {lr, atan2f(x.im, x.re)};
}

// glibc's cpowf: exp(y * log(x)).
__device__ inline complex64 cpow(complex64 x, complex64 y) {
  return cexp_c99(cmul(y, clog_accurate(x)));
}

// Complex arithmetic for the shared scalar ops (tandem/kernels/binary_ops.h),
// bit for bit what the CPU's std::complex computes on finite values.
struct DeviceComplex {
  using type = complex64;
  __device__ static complex64 add(complex64 a, complex64 b) {
    return {__fadd_rn(a.re, b.re), __fadd_rn(a.im, b.im)};
  }
  __device__ static complex64 sub(complex64 a, complex64 b) {
    return {__fsub_rn(a.re, b.re), __fsub_rn(a.im, b.im)};
  }
  __device__ static complex64 mul(complex64 a, complex64 b) { return cmul(a, b); }
  __device__ static complex64 div(complex64 a, complex64 b) { return cdiv(a, b); }
  __device__ static complex64 pow(complex64 a, complex64 b) { return cpow(a, b); }
  __device__ static bool lt(complex64 a, complex64 b) { return a < b; }
  __device__ static bool isnan(complex64 v) { return ::isnan(v.re) || ::isnan(v.im); }
};

}  // namespace bin

// The functor of one (op, dtype): inputs T, output bool for comparisons and
// T otherwise; half types compute in float.
template <int OP, typename T>
struct BinaryFn {
  using Out = typename conditional<is_comparison_op<OP>::value, bool, T>::type;
  __device__ Out operator()(T a, T b) const {
    using C = compute_t<T>;
    return cast<Out>(
        k::binary_apply<static_cast<BinaryOp>(OP), C, bin::DeviceComplex>(cast<C>(a), cast<C>(b)));
  }
};

// where(c, a, b) over dense data; an input with *_scalar set is read at [0].
template <typename T, typename Idx>
__global__ void select_contig(const bool* __restrict__ c, const T* __restrict__ a,
                              const T* __restrict__ b, T* __restrict__ out, Idx n, int c_scalar,
                              int a_scalar, int b_scalar) {
  Idx cmask = c_scalar ? 0 : ~Idx(0), amask = a_scalar ? 0 : ~Idx(0),
      bmask = b_scalar ? 0 : ~Idx(0);
  bool vc[kDensePerThread];
  T va[kDensePerThread], vb[kDensePerThread];
  dense_loop(
      n,
      [&](int u, Idx i) {
        vc[u] = c[i & cmask];
        va[u] = a[i & amask];
        vb[u] = b[i & bmask];
      },
      [&](int u, Idx i) { out[i] = vc[u] ? va[u] : vb[u]; });
}

}  // namespace tandem
