// complex64 math for the unary family, from the textbook identities in
// float (the CPU uses std::complex; results agree to a few ulp).
#pragma once
#include "common.cuh"

namespace tandem {

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
