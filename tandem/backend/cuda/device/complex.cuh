// complex64 math for the unary family, from the textbook identities in
// float (the CPU uses std::complex; results agree to a few ulp).
#pragma once
#include "common.cuh"

namespace tandem {

__device__ inline float f_inf() {
  return __int_as_float(0x7f800000);
}

// complex64 as the CPU's std::complex<float> computes it: GCC multiplies
// inline and falls back to libgcc's __mulsc3 when both parts come out NaN;
// it divides with __divsc3, which (GCC >= 12 on x86) works in double and
// recovers infinities. The _rn intrinsics keep NVRTC from fusing into FMAs,
// so finite results are bit-identical.
__device__ inline complex64 cmul(complex64 z, complex64 w) {
  float a = z.re, b = z.im, c = w.re, d = w.im;
  float ac = __fmul_rn(a, c), bd = __fmul_rn(b, d), ad = __fmul_rn(a, d), bc = __fmul_rn(b, c);
  float x = __fsub_rn(ac, bd), y = __fadd_rn(ad, bc);
  if (isnan(x) && isnan(y)) {
    bool recalc = false;
    if (isinf(a) || isinf(b)) {
      a = copysignf(isinf(a) ? 1.f : 0.f, a);
      b = copysignf(isinf(b) ? 1.f : 0.f, b);
      if (isnan(c)) c = copysignf(0.f, c);
      if (isnan(d)) d = copysignf(0.f, d);
      recalc = true;
    }
    if (isinf(c) || isinf(d)) {
      c = copysignf(isinf(c) ? 1.f : 0.f, c);
      d = copysignf(isinf(d) ? 1.f : 0.f, d);
      if (isnan(a)) a = copysignf(0.f, a);
      if (isnan(b)) b = copysignf(0.f, b);
      recalc = true;
    }
    if (!recalc && (isinf(ac) || isinf(bd) || isinf(ad) || isinf(bc))) {
      if (isnan(a)) a = copysignf(0.f, a);
      if (isnan(b)) b = copysignf(0.f, b);
      if (isnan(c)) c = copysignf(0.f, c);
      if (isnan(d)) d = copysignf(0.f, d);
      recalc = true;
    }
    if (recalc) {
      x = f_inf() * __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, d));
      y = f_inf() * __fadd_rn(__fmul_rn(a, d), __fmul_rn(b, c));
    }
  }
  return {x, y};
}

__device__ inline complex64 cdiv(complex64 z, complex64 w) {
  float a = z.re, b = z.im, c = w.re, d = w.im;
  double aa = a, bb = b, cc = c, dd = d;
  double denom = __dadd_rn(__dmul_rn(cc, cc), __dmul_rn(dd, dd));
  float x = static_cast<float>(__ddiv_rn(__dadd_rn(__dmul_rn(aa, cc), __dmul_rn(bb, dd)), denom));
  float y = static_cast<float>(__ddiv_rn(__dsub_rn(__dmul_rn(bb, cc), __dmul_rn(aa, dd)), denom));
  if (isnan(x) && isnan(y)) {
    if (c == 0.f && d == 0.f && (!isnan(a) || !isnan(b))) {
      x = copysignf(f_inf(), c) * a;
      y = copysignf(f_inf(), c) * b;
    } else if ((isinf(a) || isinf(b)) && isfinite(c) && isfinite(d)) {
      a = copysignf(isinf(a) ? 1.f : 0.f, a);
      b = copysignf(isinf(b) ? 1.f : 0.f, b);
      x = f_inf() * __fadd_rn(__fmul_rn(a, c), __fmul_rn(b, d));
      y = f_inf() * __fsub_rn(__fmul_rn(b, c), __fmul_rn(a, d));
    } else if ((isinf(c) || isinf(d)) && isfinite(a) && isfinite(b)) {
      c = copysignf(isinf(c) ? 1.f : 0.f, c);
      d = copysignf(isinf(d) ? 1.f : 0.f, d);
      x = 0.f * __fadd_rn(__fmul_rn(a, c), __fmul_rn(b, d));
      y = 0.f * __fsub_rn(__fmul_rn(b, c), __fmul_rn(a, d));
    }
  }
  return {x, y};
}

__device__ inline float cabs(complex64 z) {
  return hypotf(z.re, z.im);
}
__device__ inline complex64 cexp(complex64 z) {
  float e = expf(z.re);
  float s, c;
  sincosf(z.im, &s, &c);
  return {e * c, e * s};
}
__device__ inline complex64 clog(complex64 z) {
  return {logf(cabs(z)), atan2f(z.im, z.re)};
}
__device__ inline complex64 csqrt(complex64 z) {
  if (z.re == 0 && z.im == 0) return {0.f, z.im};
  float m = cabs(z);
  float r = sqrtf(0.5f * (m + fabsf(z.re)));
  float i = 0.5f * z.im / r;
  if (z.re >= 0) return {r, i};
  return {fabsf(i), copysignf(r, z.im)};
}
__device__ inline complex64 mul_i(complex64 z) {
  return {-z.im, z.re};
}
__device__ inline complex64 mul_neg_i(complex64 z) {
  return {z.im, -z.re};
}
__device__ inline complex64 csinh(complex64 z) {
  return {sinhf(z.re) * cosf(z.im), coshf(z.re) * sinf(z.im)};
}
__device__ inline complex64 ccosh(complex64 z) {
  return {coshf(z.re) * cosf(z.im), sinhf(z.re) * sinf(z.im)};
}
__device__ inline complex64 ctanh(complex64 z) {
  // (sinh 2x + i sin 2y) / (cosh 2x + cos 2y), stable for large |x|.
  if (fabsf(z.re) > 20.f) return {copysignf(1.f, z.re), 0.f * sinf(2 * z.im)};
  float d = coshf(2 * z.re) + cosf(2 * z.im);
  return {sinhf(2 * z.re) / d, sinf(2 * z.im) / d};
}
__device__ inline complex64 casinh(complex64 z) {
  // Odd function: evaluate where z + sqrt(z^2 + 1) does not cancel.
  bool neg = z.re < 0;
  complex64 w = neg ? -z : z;
  complex64 r = clog(w + csqrt(w * w + complex64(1.f)));
  return neg ? -r : r;
}
// log(1 + w) without cancellation for small w.
__device__ inline complex64 clog1p(complex64 w) {
  return {0.5f * log1pf(w.re * (2.f + w.re) + w.im * w.im), atan2f(w.im, 1.f + w.re)};
}
__device__ inline complex64 cacosh(complex64 z) {
  return clog(z + csqrt(z + complex64(1.f)) * csqrt(z - complex64(1.f)));
}
__device__ inline complex64 catanh(complex64 z) {
  complex64 a = clog1p(z), b = clog1p(-z);
  return {0.5f * (a.re - b.re), 0.5f * (a.im - b.im)};
}

}  // namespace tandem
