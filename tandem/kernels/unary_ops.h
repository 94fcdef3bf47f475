#pragma once
// The Unary primitive's ops and their scalar arithmetic on real and integer
// values, shared by the CPU kernels and the CUDA device code. Each function
// takes the op at run time; the CUDA functors pass a template constant, so
// the switch folds away there. Complex values are each backend's own (the
// CPU calls the C++ library's complex functions, the GPU reimplements them).
#include "tandem/kernels/traits.h"

namespace tandem {

// Every unary op, in enum order: X(Name) each. The enum, the names and the
// per-op switches are generated from this one list.
// clang-format off
#define TANDEM_UNARY_OPS(X) \
  X(Abs) X(Sign) X(Negative) X(Square) X(Sqrt) X(Rsqrt) X(Reciprocal) X(LogicalNot) X(Exp) \
  X(Expm1) X(Erf) X(ErfInv) X(Sin) X(Cos) X(Tan) X(ArcSin) X(ArcCos) X(ArcTan) X(Sinh) X(Cosh) \
  X(Tanh) X(ArcSinh) X(ArcCosh) X(ArcTanh) X(Log) X(Log2) X(Log10) X(Log1p) X(Sigmoid) \
  X(Floor) X(Ceil) X(Trunc) X(Round) X(IsNan) X(IsInf) X(IsPosInf) X(IsNegInf) X(IsFinite) \
  X(Conj) X(Real) X(Imag) X(BitwiseInvert)
// clang-format on

// Round is half to even, like NumPy.
enum class UnaryOp : int { TANDEM_UNARY_OPS(TANDEM_ENUM_ENTRY) };

// Whether op yields bool whatever its input (IsNan ... IsFinite, LogicalNot).
TANDEM_HD constexpr bool is_predicate(UnaryOp op) {
  return op == UnaryOp::IsNan || op == UnaryOp::IsInf || op == UnaryOp::IsPosInf ||
         op == UnaryOp::IsNegInf || op == UnaryOp::IsFinite || op == UnaryOp::LogicalNot;
}

namespace k {

// erfinv by Giles' approximation, evaluated in double: within 2e-7 relative
// (about 1.5 float32 ULP) as is, so float types stop there; float64 refines
// it with two Newton steps on erf to double precision.
TANDEM_HD double erfinv(double y, int newton_steps) {
  using namespace math;
  if (isnan(y) || y < -1 || y > 1) return f64_from_bits(0x7ff8000000000000ull);
  if (y == 1) return f64_from_bits(0x7ff0000000000000ull);
  if (y == -1) return -f64_from_bits(0x7ff0000000000000ull);
  double w = -log((1.0 - y) * (1.0 + y));
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
    x = p * y;
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
    x = p * y;
  }
  const double two_over_sqrt_pi = 1.1283791670955126;
  for (int i = 0; i < newton_steps; ++i) x -= (erf(x) - y) / (two_over_sqrt_pi * exp(-x * x));
  return x;
}

// op on a float or double (the compute type of every float dtype).
template <typename F>
TANDEM_HD F unary_real(UnaryOp op, F x) {
  using namespace math;
  switch (op) {
    case UnaryOp::Abs:
      return fabs(x);
    case UnaryOp::Sign:
      return isnan(x) ? x : F((x > 0) - (x < 0));
    case UnaryOp::Negative:
      return -x;
    case UnaryOp::Square:
      return x * x;
    case UnaryOp::Sqrt:
      return sqrt(x);
    case UnaryOp::Rsqrt:
      return F(1) / sqrt(x);
    case UnaryOp::Reciprocal:
      return F(1) / x;
    case UnaryOp::Exp:
      return exp(x);
    case UnaryOp::Expm1:
      return expm1(x);
    case UnaryOp::Erf:
      return erf(x);
    case UnaryOp::ErfInv:
      return F(erfinv(double(x), sizeof(F) == 8 ? 2 : 0));
    case UnaryOp::Sin:
      return sin(x);
    case UnaryOp::Cos:
      return cos(x);
    case UnaryOp::Tan:
      return tan(x);
    case UnaryOp::ArcSin:
      return asin(x);
    case UnaryOp::ArcCos:
      return acos(x);
    case UnaryOp::ArcTan:
      return atan(x);
    case UnaryOp::Sinh:
      return sinh(x);
    case UnaryOp::Cosh:
      return cosh(x);
    case UnaryOp::Tanh:
      return tanh(x);
    case UnaryOp::ArcSinh:
      return asinh(x);
    case UnaryOp::ArcCosh:
      return acosh(x);
    case UnaryOp::ArcTanh:
      return atanh(x);
    case UnaryOp::Log:
      return log(x);
    case UnaryOp::Log2:
      return log2(x);
    case UnaryOp::Log10:
      return log10(x);
    case UnaryOp::Log1p:
      return log1p(x);
    case UnaryOp::Sigmoid:
      return F(1) / (F(1) + exp(-x));
    case UnaryOp::Floor:
      return floor(x);
    case UnaryOp::Ceil:
      return ceil(x);
    case UnaryOp::Trunc:
      return trunc(x);
    case UnaryOp::Round:
      return nearbyint(x);  // default rounding mode: half to even
    case UnaryOp::Imag:
      return F(0);
    default:
      return x;  // Conj, Real
  }
}

// op on an integer: negation and squares wrap modulo 2^bits (abs(INT_MIN) ==
// INT_MIN, as in NumPy and MLX), computed unsigned to avoid overflow.
template <typename T>
TANDEM_HD T unary_int(UnaryOp op, T x) {
  using W = wrap_t<T>;
  switch (op) {
    case UnaryOp::Abs:
      if constexpr (is_signed_int<T>::value) return x < 0 ? T(W(0) - W(x)) : x;
      return x;
    case UnaryOp::Sign:
      if constexpr (is_signed_int<T>::value) return T((x > 0) - (x < 0));
      return T(x > 0);
    case UnaryOp::Negative:
      return T(W(0) - W(x));
    case UnaryOp::Square:
      return T(W(x) * W(x));
    case UnaryOp::BitwiseInvert:
      return T(~x);
    case UnaryOp::Imag:
      return T(0);
    default:
      return x;  // floor/ceil/trunc/round/conj/real are the identity
  }
}

// op on a bool that stays bool.
TANDEM_HD bool unary_bool(UnaryOp op, bool x) {
  switch (op) {
    case UnaryOp::LogicalNot:
    case UnaryOp::BitwiseInvert:
      return !x;
    case UnaryOp::Imag:
      return false;
    default:
      return x;
  }
}

// A predicate on a real value (floats read as double: exact).
TANDEM_HD bool unary_predicate_real(UnaryOp op, double v) {
  using namespace math;
  switch (op) {
    case UnaryOp::IsNan:
      return isnan(v);
    case UnaryOp::IsInf:
      return isinf(v);
    case UnaryOp::IsFinite:
      return isfinite(v);
    case UnaryOp::IsPosInf:
      return isinf(v) && v > 0;
    case UnaryOp::IsNegInf:
      return isinf(v) && v < 0;
    case UnaryOp::LogicalNot:
      return v == 0;
    default:
      return false;
  }
}

// A predicate on an integer or bool: never NaN or infinite.
template <typename T>
TANDEM_HD bool unary_predicate_int(UnaryOp op, T x) {
  switch (op) {
    case UnaryOp::IsFinite:
      return true;
    case UnaryOp::LogicalNot:
      return x == T(0);
    default:
      return false;
  }
}

// A predicate on a complex value given by its parts.
TANDEM_HD bool unary_predicate_complex(UnaryOp op, float re, float im) {
  using namespace math;
  switch (op) {
    case UnaryOp::IsNan:
      return isnan(re) || isnan(im);
    case UnaryOp::IsInf:
      return isinf(re) || isinf(im);
    case UnaryOp::IsFinite:
      return isfinite(re) && isfinite(im);
    case UnaryOp::IsPosInf:
      return isinf(re) && re > 0;
    case UnaryOp::IsNegInf:
      return isinf(re) && re < 0;
    case UnaryOp::LogicalNot:
      return re == 0 && im == 0;
    default:
      return false;
  }
}

}  // namespace k
}  // namespace tandem
