#include "tandem/ops/unary.h"

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/utils.h"
#include "tandem/primitives/shape.h"
#include "tandem/primitives/unary.h"

namespace tandem {

const char* unary_op_name(UnaryOp op) {
  static const char* names[] = {TANDEM_UNARY_OPS(TANDEM_NAME_ENTRY)};
  return names[static_cast<int>(op)];
}

namespace {

array unary_node(UnaryOp op, const array& a, Dtype out_type, StreamOrDevice s) {
  return array(a.shape(), out_type, make_pooled<Unary>(to_stream(s), op), input_vector(a));
}

// Float functions: integer and bool inputs are computed in float32.
array float_unary(UnaryOp op, const array& a, StreamOrDevice s) {
  Dtype t = to_inexact(a.dtype());
  return unary_node(op, a.dtype() == t ? a : astype(a, t, s), t, s);
}

void no_complex(const char* name, const array& a) {
  if (is_complex(a.dtype())) invalid(name, "not supported for complex input of shape ", a.shape());
}

}  // namespace

array abs(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_ || is_unsigned(a.dtype())) return a;
  return unary_node(UnaryOp::Abs, a, a.dtype() == complex64 ? float32 : a.dtype(), s);
}

array sign(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_) return a;
  return unary_node(UnaryOp::Sign, a, a.dtype(), s);
}

array positive(const array& a, StreamOrDevice) {
  return a;
}

array negative(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_) {
    invalid("negative", "not supported for bool arrays (shape ", a.shape(),
            "); use logical_not instead");
  }
  return unary_node(UnaryOp::Negative, a, a.dtype(), s);
}

array square(const array& a, StreamOrDevice s) {
  return unary_node(UnaryOp::Square, a, a.dtype(), s);
}

array sqrt(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Sqrt, a, s);
}
array rsqrt(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Rsqrt, a, s);
}
array reciprocal(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Reciprocal, a, s);
}

array logical_not(const array& a, StreamOrDevice s) {
  return unary_node(UnaryOp::LogicalNot, a, bool_, s);
}

array exp(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Exp, a, s);
}
array expm1(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Expm1, a, s);
}
array erf(const array& a, StreamOrDevice s) {
  no_complex("erf", a);
  return float_unary(UnaryOp::Erf, a, s);
}
array erfinv(const array& a, StreamOrDevice s) {
  no_complex("erfinv", a);
  return float_unary(UnaryOp::ErfInv, a, s);
}
array sin(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Sin, a, s);
}
array cos(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Cos, a, s);
}
array tan(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Tan, a, s);
}
array arcsin(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::ArcSin, a, s);
}
array arccos(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::ArcCos, a, s);
}
array arctan(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::ArcTan, a, s);
}
array sinh(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Sinh, a, s);
}
array cosh(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Cosh, a, s);
}
array tanh(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Tanh, a, s);
}
array arcsinh(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::ArcSinh, a, s);
}
array arccosh(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::ArcCosh, a, s);
}
array arctanh(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::ArcTanh, a, s);
}
array log(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Log, a, s);
}
array log2(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Log2, a, s);
}
array log10(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Log10, a, s);
}
array log1p(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Log1p, a, s);
}
array sigmoid(const array& a, StreamOrDevice s) {
  return float_unary(UnaryOp::Sigmoid, a, s);
}

array degrees(const array& a, StreamOrDevice s) {
  Dtype t = to_inexact(a.dtype());
  return multiply(astype(a, t, s), array(180.0 / 3.14159265358979323846, t), s);
}

array radians(const array& a, StreamOrDevice s) {
  Dtype t = to_inexact(a.dtype());
  return multiply(astype(a, t, s), array(3.14159265358979323846 / 180.0, t), s);
}

array floor(const array& a, StreamOrDevice s) {
  no_complex("floor", a);
  if (!is_inexact(a.dtype())) return a;
  return unary_node(UnaryOp::Floor, a, a.dtype(), s);
}

array ceil(const array& a, StreamOrDevice s) {
  no_complex("ceil", a);
  if (!is_inexact(a.dtype())) return a;
  return unary_node(UnaryOp::Ceil, a, a.dtype(), s);
}

array trunc(const array& a, StreamOrDevice s) {
  no_complex("trunc", a);
  if (!is_inexact(a.dtype())) return a;
  return unary_node(UnaryOp::Trunc, a, a.dtype(), s);
}

array round(const array& a, int decimals, StreamOrDevice s) {
  if (!is_inexact(a.dtype())) return a;  // MLX leaves integers as they are
  if (decimals == 0) return unary_node(UnaryOp::Round, a, a.dtype(), s);
  Dtype t = a.dtype();
  array scale(std::pow(10.0, decimals), t == complex64 ? float32 : t);
  return divide(unary_node(UnaryOp::Round, multiply(a, scale, s), t, s), scale, s);
}

array isnan(const array& a, StreamOrDevice s) {
  return unary_node(UnaryOp::IsNan, a, bool_, s);
}
array isinf(const array& a, StreamOrDevice s) {
  return unary_node(UnaryOp::IsInf, a, bool_, s);
}
array isposinf(const array& a, StreamOrDevice s) {
  return unary_node(UnaryOp::IsPosInf, a, bool_, s);
}
array isneginf(const array& a, StreamOrDevice s) {
  return unary_node(UnaryOp::IsNegInf, a, bool_, s);
}
array isfinite(const array& a, StreamOrDevice s) {
  return unary_node(UnaryOp::IsFinite, a, bool_, s);
}

array conjugate(const array& a, StreamOrDevice s) {
  if (!is_complex(a.dtype())) return a;
  return unary_node(UnaryOp::Conj, a, a.dtype(), s);
}

array real(const array& a, StreamOrDevice s) {
  if (!is_complex(a.dtype())) return a;
  return unary_node(UnaryOp::Real, a, float32, s);
}

array imag(const array& a, StreamOrDevice s) {
  if (!is_complex(a.dtype())) return zeros_like(a, s);
  return unary_node(UnaryOp::Imag, a, float32, s);
}

array bitwise_invert(const array& a, StreamOrDevice s) {
  if (!is_integral(a.dtype()) && a.dtype() != bool_) {
    invalid("bitwise_invert", "needs an integer or bool array; got dtype ", a.dtype(),
            " with shape ", a.shape());
  }
  return unary_node(UnaryOp::BitwiseInvert, a, a.dtype(), s);
}

array stop_gradient(const array& a, StreamOrDevice s) {
  return array(a.shape(), a.dtype(), make_pooled<StopGradient>(to_stream(s)), {a});
}

}  // namespace tandem
