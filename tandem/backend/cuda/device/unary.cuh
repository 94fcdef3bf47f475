// Elementwise functions of one array. OP numbers follow tandem::UnaryOp
// (tandem/primitives/unary.h); the host checks the two agree.
#pragma once
#include "complex.cuh"
#include "elementwise.cuh"

namespace tandem {
namespace unary {
enum : int {
  Abs, Sign, Negative, Square, Sqrt, Rsqrt, Reciprocal, LogicalNot, Exp, Expm1, Erf, ErfInv,
  Sin, Cos, Tan, ArcSin, ArcCos, ArcTan, Sinh, Cosh, Tanh, ArcSinh, ArcCosh, ArcTanh, Log, Log2,
  Log10, Log1p, Sigmoid, Floor, Ceil, Trunc, Round, IsNan, IsInf, IsPosInf, IsNegInf, IsFinite,
  Conj, Real, Imag, BitwiseInvert, Count
};
}  // namespace unary

// erfinv by Giles' approximation (as the CPU backend), refined for double
// by two Newton steps on erf.
template <typename F>
__device__ inline F erfinv_fn(F y) {
  double yd = static_cast<double>(y);
  if (yd != yd || yd < -1 || yd > 1) return F(__longlong_as_double(0x7ff8000000000000ll));
  if (yd == 1) return F(__longlong_as_double(0x7ff0000000000000ll));
  if (yd == -1) return F(-__longlong_as_double(0x7ff0000000000000ll));
  double w = -log((1.0 - yd) * (1.0 + yd));
  double x;
  if (w < 5.0) {
    w -= 2.5;
    double p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
    x = p * yd;
  } else {
    w = sqrt(w) - 3.0;
    double p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
    x = p * yd;
  }
  if (sizeof(F) == 8) {
    for (int i = 0; i < 2; ++i) x -= (erf(x) - yd) / (1.1283791670955126 * exp(-x * x));
  }
  return F(x);
}

// One op on a real value of compute type C (float, double).
template <int OP, typename C>
__device__ inline C real_unary(C x) {
  if constexpr (OP == unary::Abs) return fabs(x);
  else if constexpr (OP == unary::Sign) return x != x ? x : C((x > 0) - (x < 0));
  else if constexpr (OP == unary::Negative) return -x;
  else if constexpr (OP == unary::Square) return x * x;
  else if constexpr (OP == unary::Sqrt) return sqrt(x);
  else if constexpr (OP == unary::Rsqrt) return C(1) / sqrt(x);
  else if constexpr (OP == unary::Reciprocal) return C(1) / x;
  else if constexpr (OP == unary::Exp) return exp(x);
  else if constexpr (OP == unary::Expm1) return expm1(x);
  else if constexpr (OP == unary::Erf) return erf(x);
  else if constexpr (OP == unary::ErfInv) return erfinv_fn(x);
  else if constexpr (OP == unary::Sin) return sin(x);
  else if constexpr (OP == unary::Cos) return cos(x);
  else if constexpr (OP == unary::Tan) return tan(x);
  else if constexpr (OP == unary::ArcSin) return asin(x);
  else if constexpr (OP == unary::ArcCos) return acos(x);
  else if constexpr (OP == unary::ArcTan) return atan(x);
  else if constexpr (OP == unary::Sinh) return sinh(x);
  else if constexpr (OP == unary::Cosh) return cosh(x);
  else if constexpr (OP == unary::Tanh) return tanh(x);
  else if constexpr (OP == unary::ArcSinh) return asinh(x);
  else if constexpr (OP == unary::ArcCosh) return acosh(x);
  else if constexpr (OP == unary::ArcTanh) return atanh(x);
  else if constexpr (OP == unary::Log) return log(x);
  else if constexpr (OP == unary::Log2) return log2(x);
  else if constexpr (OP == unary::Log10) return log10(x);
  else if constexpr (OP == unary::Log1p) return log1p(x);
  else if constexpr (OP == unary::Sigmoid) return C(1) / (C(1) + exp(-x));
  else if constexpr (OP == unary::Floor) return floor(x);
  else if constexpr (OP == unary::Ceil) return ceil(x);
  else if constexpr (OP == unary::Trunc) return trunc(x);
  else if constexpr (OP == unary::Round) return rint(x);  // half to even
  else if constexpr (OP == unary::Imag) return C(0);
  else return x;  // Conj, Real
}

// One op on an integer (wrapping like NumPy: abs(INT_MIN) == INT_MIN).
template <int OP, typename T>
__device__ inline T int_unary(T x) {
  using W = typename conditional_unsigned<T>::type;
  if constexpr (OP == unary::Abs) {
    if constexpr (is_signed_int<T>::value) return x < 0 ? T(W(0) - W(x)) : x;
    else return x;
  } else if constexpr (OP == unary::Sign) {
    if constexpr (is_signed_int<T>::value) return T((x > 0) - (x < 0));
    else return T(x > 0);
  } else if constexpr (OP == unary::Negative) {
    return T(W(0) - W(x));
  } else if constexpr (OP == unary::Square) {
    return T(W(x) * W(x));
  } else if constexpr (OP == unary::BitwiseInvert) {
    return T(~x);
  } else if constexpr (OP == unary::Imag) {
    return T(0);
  } else {
    return x;
  }
}

template <int OP>
__device__ inline bool is_predicate() {
  return OP == unary::IsNan || OP == unary::IsInf || OP == unary::IsPosInf ||
         OP == unary::IsNegInf || OP == unary::IsFinite || OP == unary::LogicalNot;
}

template <int OP>
__device__ inline complex64 complex_fn(complex64 x) {
  const complex64 one(1.f);
  if constexpr (OP == unary::Negative) return -x;
  else if constexpr (OP == unary::Square) return x * x;
  else if constexpr (OP == unary::Sqrt) return csqrt(x);
  else if constexpr (OP == unary::Rsqrt) return one / csqrt(x);
  else if constexpr (OP == unary::Reciprocal) return one / x;
  else if constexpr (OP == unary::Exp) return cexp(x);
  else if constexpr (OP == unary::Expm1) return cexp(x) - one;
  else if constexpr (OP == unary::Log) return clog(x);
  else if constexpr (OP == unary::Log2) return clog(x) / complex64(0.69314718055994531f);
  else if constexpr (OP == unary::Log10) return clog(x) / complex64(2.302585092994046f);
  else if constexpr (OP == unary::Log1p) return clog(one + x);
  else if constexpr (OP == unary::Sigmoid) return one / (one + cexp(-x));
  else if constexpr (OP == unary::Sin) return mul_neg_i(csinh(mul_i(x)));
  else if constexpr (OP == unary::Cos) return ccosh(mul_i(x));
  else if constexpr (OP == unary::Tan) return mul_neg_i(ctanh(mul_i(x)));
  else if constexpr (OP == unary::Sinh) return csinh(x);
  else if constexpr (OP == unary::Cosh) return ccosh(x);
  else if constexpr (OP == unary::Tanh) return ctanh(x);
  else if constexpr (OP == unary::ArcSinh) return casinh(x);
  else if constexpr (OP == unary::ArcCosh) return cacosh(x);
  else if constexpr (OP == unary::ArcTanh) return catanh(x);
  else if constexpr (OP == unary::ArcSin) return mul_neg_i(casinh(mul_i(x)));
  else if constexpr (OP == unary::ArcCos) {
    complex64 a = mul_neg_i(casinh(mul_i(x)));
    return {1.57079632679489662f - a.re, -a.im};
  } else if constexpr (OP == unary::ArcTan) return mul_neg_i(catanh(mul_i(x)));
  else if constexpr (OP == unary::Sign) {
    float m = cabs(x);
    return m == 0 ? complex64(0.f) : complex64(x.re / m, x.im / m);
  } else if constexpr (OP == unary::Conj) return {x.re, -x.im};
  else if constexpr (OP == unary::Round) return {rintf(x.re), rintf(x.im)};
  else return x;
}

template <int OP, typename In, typename Out>
struct UnaryFn {
  __device__ Out operator()(In v) const {
    if constexpr (OP == unary::IsNan || OP == unary::IsInf || OP == unary::IsPosInf ||
                  OP == unary::IsNegInf || OP == unary::IsFinite || OP == unary::LogicalNot) {
      return predicate(v);
    } else if constexpr (same<In, bool>::value) {
      if constexpr (OP == unary::BitwiseInvert) return cast<Out>(!v);
      else if constexpr (OP == unary::Imag) return cast<Out>(false);
      else return cast<Out>(v);
    } else if constexpr (is_complex<In>::value) {
      return complex_unary(v);
    } else if constexpr (is_integral<In>::value && is_integral<Out>::value) {
      return cast<Out>(int_unary<OP>(v));
    } else {
      // Floats, and the float functions of integers (Out is then float32).
      using C = typename conditional<is_float<Out>::value, compute_t<Out>, compute_t<In>>::type;
      return cast<Out>(real_unary<OP, C>(cast<C>(v)));
    }
  }
  __device__ bool predicate(In v) const {
    if constexpr (is_complex<In>::value) {
      float re = v.re, im = v.im;
      if constexpr (OP == unary::IsNan) return isnan(re) || isnan(im);
      else if constexpr (OP == unary::IsInf) return isinf(re) || isinf(im);
      else if constexpr (OP == unary::IsFinite) return isfinite(re) && isfinite(im);
      else if constexpr (OP == unary::IsPosInf) return isinf(re) && re > 0;
      else if constexpr (OP == unary::IsNegInf) return isinf(re) && re < 0;
      else return re == 0 && im == 0;
    } else if constexpr (is_float<In>::value) {
      double x = static_cast<double>(cast<compute_t<In>>(v));
      if constexpr (OP == unary::IsNan) return isnan(x);
      else if constexpr (OP == unary::IsInf) return isinf(x);
      else if constexpr (OP == unary::IsFinite) return isfinite(x);
      else if constexpr (OP == unary::IsPosInf) return isinf(x) && x > 0;
      else if constexpr (OP == unary::IsNegInf) return isinf(x) && x < 0;
      else return x == 0;
    } else {
      if constexpr (OP == unary::IsFinite) return true;
      else if constexpr (OP == unary::LogicalNot) return !cast<bool>(v);
      else return false;
    }
  }
  __device__ Out complex_unary(complex64 x) const {
    if constexpr (OP == unary::Abs && !is_complex<Out>::value) return cast<Out>(cabs(x));
    else if constexpr (OP == unary::Real) return cast<Out>(x.re);
    else if constexpr (OP == unary::Imag) return cast<Out>(x.im);
    else return cast<Out>(complex_fn<OP>(x));
  }
};

}  // namespace tandem
