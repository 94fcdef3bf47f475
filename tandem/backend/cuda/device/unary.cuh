// Elementwise functions of one array: the scalar arithmetic of
// tandem/kernels/unary_ops.h (the CPU's too) on the device's types, and
// complex values through complex.cuh.
#pragma once
#include "complex.cuh"
#include "elementwise.cuh"
#include "tandem/kernels/unary_ops.h"

namespace tandem {
// The op numbers of tandem::UnaryOp as template constants.
namespace unary {
#define TANDEM_UNARY_CONSTANT(NAME) constexpr int NAME = static_cast<int>(UnaryOp::NAME);
TANDEM_UNARY_OPS(TANDEM_UNARY_CONSTANT)
#undef TANDEM_UNARY_CONSTANT
}  // namespace unary

template <int OP>
__device__ inline complex64 complex_fn(complex64 x) {
  const complex64 one(1.f);
  if constexpr (OP == unary::Negative)
    return -x;
  else if constexpr (OP == unary::Square)
    return cmul(x, x);
  else if constexpr (OP == unary::Sqrt)
    return csqrt(x);
  else if constexpr (OP == unary::Rsqrt)
    return one / csqrt(x);
  else if constexpr (OP == unary::Reciprocal)
    return one / x;
  else if constexpr (OP == unary::Exp)
    return cexp(x);
  else if constexpr (OP == unary::Expm1)
    return cexp(x) - one;
  else if constexpr (OP == unary::Log)
    return clog(x);
  else if constexpr (OP == unary::Log2)
    return clog(x) / complex64(0.69314718055994531f);
  else if constexpr (OP == unary::Log10)
    return clog(x) / complex64(2.302585092994046f);
  else if constexpr (OP == unary::Log1p)
    return clog(one + x);
  else if constexpr (OP == unary::Sigmoid)
    return one / (one + cexp(-x));
  else if constexpr (OP == unary::Sin)
    return mul_neg_i(csinh(mul_i(x)));
  else if constexpr (OP == unary::Cos)
    return ccosh(mul_i(x));
  else if constexpr (OP == unary::Tan)
    return mul_neg_i(ctanh(mul_i(x)));
  else if constexpr (OP == unary::Sinh)
    return csinh(x);
  else if constexpr (OP == unary::Cosh)
    return ccosh(x);
  else if constexpr (OP == unary::Tanh)
    return ctanh(x);
  else if constexpr (OP == unary::ArcSinh)
    return casinh(x);
  else if constexpr (OP == unary::ArcCosh)
    return cacosh(x);
  else if constexpr (OP == unary::ArcTanh)
    return catanh(x);
  else if constexpr (OP == unary::ArcSin)
    return mul_neg_i(casinh(mul_i(x)));
  else if constexpr (OP == unary::ArcCos) {
    complex64 a = mul_neg_i(casinh(mul_i(x)));
    return {1.57079632679489662f - a.re, -a.im};
  } else if constexpr (OP == unary::ArcTan)
    return mul_neg_i(catanh(mul_i(x)));
  else if constexpr (OP == unary::Sign) {
    float m = cabs(x);
    return m == 0 ? complex64(0.f) : complex64(x.re / m, x.im / m);
  } else if constexpr (OP == unary::Conj)
    return {x.re, -x.im};
  else if constexpr (OP == unary::Round)
    return {rintf(x.re), rintf(x.im)};
  else
    return x;
}

template <int OP, typename In, typename Out>
struct UnaryFn {
  __device__ Out operator()(In v) const {
    if constexpr (OP == unary::IsNan || OP == unary::IsInf || OP == unary::IsPosInf ||
                  OP == unary::IsNegInf || OP == unary::IsFinite || OP == unary::LogicalNot) {
      return predicate(v);
    } else if constexpr (same<In, bool>::value) {
      return cast<Out>(k::unary_bool(UnaryOp(OP), v));
    } else if constexpr (is_complex<In>::value) {
      return complex_unary(v);
    } else if constexpr (is_integral<In>::value && is_integral<Out>::value) {
      return cast<Out>(k::unary_int(UnaryOp(OP), v));
    } else {
      // Floats, and the float functions of integers (Out is then float32).
      using C = typename conditional<is_float<Out>::value, compute_t<Out>, compute_t<In>>::type;
      return cast<Out>(k::unary_real(UnaryOp(OP), cast<C>(v)));
    }
  }
  __device__ bool predicate(In v) const {
    if constexpr (is_complex<In>::value) {
      return k::unary_predicate_complex(UnaryOp(OP), v.re, v.im);
    } else if constexpr (is_float<In>::value) {
      return k::unary_predicate_real(UnaryOp(OP), static_cast<double>(cast<compute_t<In>>(v)));
    } else {
      return k::unary_predicate_int(UnaryOp(OP), v);
    }
  }
  __device__ Out complex_unary(complex64 x) const {
    if constexpr (OP == unary::Abs && !is_complex<Out>::value)
      return cast<Out>(cabs(x));
    else if constexpr (OP == unary::Real)
      return cast<Out>(x.re);
    else if constexpr (OP == unary::Imag)
      return cast<Out>(x.im);
    else
      return cast<Out>(complex_fn<OP>(x));
  }
};

}  // namespace tandem
