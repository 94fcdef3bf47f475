#include "tandem/ops/binary.h"

#include <cmath>
#include <limits>

#include "tandem/ops/creation.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/ops/utils.h"
#include "tandem/primitives/binary.h"

namespace tandem {

const char* binary_op_name(BinaryOp op) {
  static const char* names[] = {TANDEM_BINARY_OPS(TANDEM_NAME_ENTRY)};
  return names[static_cast<int>(op)];
}

namespace {

// Casts a and b to t and broadcasts them to one shape, then builds the node.
array binary_node(BinaryOp op, const char* name, const array& a, const array& b, Dtype t,
                  StreamOrDevice s) {
  Shape shape = a.shape() == b.shape() ? a.shape() : broadcast_shapes(a.shape(), b.shape(), name);
  array x = a.dtype() == t ? a : astype(a, t, s);
  array y = b.dtype() == t ? b : astype(b, t, s);
  // A one-element operand (a Python scalar, most often) is read as a
  // broadcast scalar by the kernels: no broadcast node for it.
  if (x.shape() != shape && x.size() != 1) x = broadcast_to(x, shape, s);
  if (y.shape() != shape && y.size() != 1) y = broadcast_to(y, shape, s);
  Dtype out = is_comparison(op) ? bool_ : t;
  return array(std::move(shape), out, make_pooled<Binary>(to_stream(s), op),
               input_vector(std::move(x), std::move(y)));
}

array arith(BinaryOp op, const char* name, const array& a, const array& b, StreamOrDevice s) {
  return binary_node(op, name, a, b, promote_types(a.dtype(), b.dtype()), s);
}

array inexact(BinaryOp op, const char* name, const array& a, const array& b, StreamOrDevice s) {
  return binary_node(op, name, a, b, to_inexact(promote_types(a.dtype(), b.dtype())), s);
}

void no_complex(const char* name, const array& a, const array& b) {
  if (is_complex(a.dtype()) || is_complex(b.dtype())) {
    invalid(name, "not supported for complex inputs (dtypes ", a.dtype(), " and ", b.dtype(),
            ", shapes ", a.shape(), " and ", b.shape(), ")");
  }
}

array integer_op(BinaryOp op, const char* name, const array& a, const array& b, bool allow_bool,
                 StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  if (!(is_integral(t) || (allow_bool && t == bool_))) {
    invalid(name, "needs integer", allow_bool ? " or bool" : "", " arrays; got dtypes ", a.dtype(),
            " and ", b.dtype(), " (shapes ", a.shape(), " and ", b.shape(), ")");
  }
  return binary_node(op, name, a, b, t, s);
}

}  // namespace

array add(const array& a, const array& b, StreamOrDevice s) {
  return arith(BinaryOp::Add, "add", a, b, s);
}
array subtract(const array& a, const array& b, StreamOrDevice s) {
  if (a.dtype() == bool_ && b.dtype() == bool_) {
    invalid("subtract", "not supported for two bool arrays (shapes ", a.shape(), " and ", b.shape(),
            "); use logical_xor instead");
  }
  return arith(BinaryOp::Subtract, "subtract", a, b, s);
}
array multiply(const array& a, const array& b, StreamOrDevice s) {
  return arith(BinaryOp::Multiply, "multiply", a, b, s);
}
array divide(const array& a, const array& b, StreamOrDevice s) {
  return inexact(BinaryOp::Divide, "divide", a, b, s);
}
array floor_divide(const array& a, const array& b, StreamOrDevice s) {
  no_complex("floor_divide", a, b);
  Dtype t = promote_types(a.dtype(), b.dtype());
  if (t == bool_) t = int8;  // like NumPy: bool // bool is int8
  return binary_node(BinaryOp::FloorDivide, "floor_divide", a, b, t, s);
}
array remainder(const array& a, const array& b, StreamOrDevice s) {
  no_complex("remainder", a, b);
  Dtype t = promote_types(a.dtype(), b.dtype());
  if (t == bool_) t = int8;
  return binary_node(BinaryOp::Remainder, "remainder", a, b, t, s);
}
std::pair<array, array> divmod(const array& a, const array& b, StreamOrDevice s) {
  return {floor_divide(a, b, s), remainder(a, b, s)};
}
array equal(const array& a, const array& b, StreamOrDevice s) {
  return arith(BinaryOp::Equal, "equal", a, b, s);
}
array not_equal(const array& a, const array& b, StreamOrDevice s) {
  return arith(BinaryOp::NotEqual, "not_equal", a, b, s);
}
array less(const array& a, const array& b, StreamOrDevice s) {
  return arith(BinaryOp::Less, "less", a, b, s);
}
array less_equal(const array& a, const array& b, StreamOrDevice s) {
  return arith(BinaryOp::LessEqual, "less_equal", a, b, s);
}
array greater(const array& a, const array& b, StreamOrDevice s) {
  return arith(BinaryOp::Greater, "greater", a, b, s);
}
array greater_equal(const array& a, const array& b, StreamOrDevice s) {
  return arith(BinaryOp::GreaterEqual, "greater_equal", a, b, s);
}
array logical_and(const array& a, const array& b, StreamOrDevice s) {
  return binary_node(BinaryOp::LogicalAnd, "logical_and", a, b, bool_, s);
}
array logical_or(const array& a, const array& b, StreamOrDevice s) {
  return binary_node(BinaryOp::LogicalOr, "logical_or", a, b, bool_, s);
}
array logical_xor(const array& a, const array& b, StreamOrDevice s) {
  return binary_node(BinaryOp::NotEqual, "logical_xor", astype(a, bool_, s), astype(b, bool_, s),
                     bool_, s);
}
array logaddexp(const array& a, const array& b, StreamOrDevice s) {
  no_complex("logaddexp", a, b);
  return inexact(BinaryOp::LogAddExp, "logaddexp", a, b, s);
}
array arctan2(const array& a, const array& b, StreamOrDevice s) {
  no_complex("arctan2", a, b);
  return inexact(BinaryOp::ArcTan2, "arctan2", a, b, s);
}
array power(const array& a, const array& b, StreamOrDevice s) {
  return arith(BinaryOp::Power, "power", a, b, s);
}
array minimum(const array& a, const array& b, StreamOrDevice s) {
  return arith(BinaryOp::Minimum, "minimum", a, b, s);
}
array maximum(const array& a, const array& b, StreamOrDevice s) {
  return arith(BinaryOp::Maximum, "maximum", a, b, s);
}
array bitwise_and(const array& a, const array& b, StreamOrDevice s) {
  return integer_op(BinaryOp::BitwiseAnd, "bitwise_and", a, b, true, s);
}
array bitwise_or(const array& a, const array& b, StreamOrDevice s) {
  return integer_op(BinaryOp::BitwiseOr, "bitwise_or", a, b, true, s);
}
array bitwise_xor(const array& a, const array& b, StreamOrDevice s) {
  return integer_op(BinaryOp::BitwiseXor, "bitwise_xor", a, b, true, s);
}
array left_shift(const array& a, const array& b, StreamOrDevice s) {
  return integer_op(BinaryOp::LeftShift, "left_shift", a, b, false, s);
}
array right_shift(const array& a, const array& b, StreamOrDevice s) {
  return integer_op(BinaryOp::RightShift, "right_shift", a, b, false, s);
}

array where(const array& condition, const array& x, const array& y, StreamOrDevice s) {
  Dtype t = promote_types(x.dtype(), y.dtype());
  Shape shape = broadcast_shapes({condition.shape(), x.shape(), y.shape()}, "where");
  auto prep = [&](const array& a, Dtype d) {
    array r = a.dtype() == d ? a : astype(a, d, s);
    return r.shape() == shape ? r : broadcast_to(r, shape, s);
  };
  return array(shape, t, make_pooled<Select>(to_stream(s)),
               {prep(condition, bool_), prep(x, t), prep(y, t)});
}

array clip(const array& a, const std::optional<array>& a_min, const std::optional<array>& a_max,
           StreamOrDevice s) {
  if (!a_min && !a_max) invalid("clip", "at least one of a_min and a_max must be given");
  array r = a;
  if (a_min) r = maximum(r, *a_min, s);
  if (a_max) r = minimum(r, *a_max, s);
  return r;
}

array nan_to_num(const array& a, float nan, std::optional<float> posinf,
                 std::optional<float> neginf, StreamOrDevice s) {
  Dtype t = a.dtype();
  if (!is_floating_point(t)) {
    if (is_complex(t))
      invalid("nan_to_num", "not supported for complex input of shape ", a.shape());
    return a;
  }
  double hi = t == float16    ? 65504.0
              : t == float64  ? std::numeric_limits<double>::max()
              : t == bfloat16 ? 3.3895313892515355e38
                              : std::numeric_limits<float>::max();
  array r = where(isnan(a, s), array(nan, t), a, s);
  r = where(isposinf(a, s), array(posinf ? double(*posinf) : hi, t), r, s);
  return where(isneginf(a, s), array(neginf ? double(*neginf) : -hi, t), r, s);
}

array isclose(const array& a, const array& b, double rtol, double atol, bool equal_nan,
              StreamOrDevice s) {
  Dtype t = to_inexact(promote_types(a.dtype(), b.dtype()));
  array x = astype(a, t, s), y = astype(b, t, s);
  Dtype rt = t == complex64 ? float32 : t;
  array lhs = abs(subtract(x, y, s), s);
  array rhs = add(array(atol, rt), multiply(array(rtol, rt), abs(y, s), s), s);
  array close = less_equal(lhs, rhs, s);
  // Infinities are close only to themselves.
  array both_inf = logical_and(equal(x, y, s), logical_or(isinf(x, s), isinf(y, s), s), s);
  close = logical_or(logical_and(close, logical_and(isfinite(x, s), isfinite(y, s), s), s),
                     both_inf, s);
  if (equal_nan) close = logical_or(close, logical_and(isnan(x, s), isnan(y, s), s), s);
  return close;
}

array operator+(const array& a, const array& b) {
  return add(a, b);
}
array operator-(const array& a, const array& b) {
  return subtract(a, b);
}
array operator*(const array& a, const array& b) {
  return multiply(a, b);
}
array operator/(const array& a, const array& b) {
  return divide(a, b);
}
array operator%(const array& a, const array& b) {
  return remainder(a, b);
}
array operator-(const array& a) {
  return negative(a);
}
array operator==(const array& a, const array& b) {
  return equal(a, b);
}
array operator!=(const array& a, const array& b) {
  return not_equal(a, b);
}
array operator<(const array& a, const array& b) {
  return less(a, b);
}
array operator<=(const array& a, const array& b) {
  return less_equal(a, b);
}
array operator>(const array& a, const array& b) {
  return greater(a, b);
}
array operator>=(const array& a, const array& b) {
  return greater_equal(a, b);
}
array operator&&(const array& a, const array& b) {
  return logical_and(a, b);
}
array operator||(const array& a, const array& b) {
  return logical_or(a, b);
}
array operator!(const array& a) {
  return logical_not(a);
}
array operator&(const array& a, const array& b) {
  return bitwise_and(a, b);
}
array operator|(const array& a, const array& b) {
  return bitwise_or(a, b);
}
array operator^(const array& a, const array& b) {
  return bitwise_xor(a, b);
}
array operator~(const array& a) {
  return bitwise_invert(a);
}
array operator<<(const array& a, const array& b) {
  return left_shift(a, b);
}
array operator>>(const array& a, const array& b) {
  return right_shift(a, b);
}

}  // namespace tandem
