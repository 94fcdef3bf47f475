#pragma once
// Elementwise functions of two arrays of one shape (ops broadcast first).
#include "tandem/primitive.h"

namespace tandem {

enum class BinaryOp {
  Add,
  Subtract,
  Multiply,
  Divide,
  FloorDivide,
  Remainder,
  Equal,
  NotEqual,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  LogicalAnd,
  LogicalOr,
  LogAddExp,
  ArcTan2,
  Power,
  Minimum,
  Maximum,
  BitwiseAnd,
  BitwiseOr,
  BitwiseXor,
  LeftShift,
  RightShift,
  NaNEqual,  // equal, with NaN == NaN (array_equal(equal_nan=True))
};

const char* binary_op_name(BinaryOp op);
// Whether op yields bool whatever its inputs.
bool is_comparison(BinaryOp op);

// Both inputs have the dtype the op computes in, and the output's shape or
// one element (read as a broadcast scalar); the output is that dtype, or
// bool for comparisons.
class Binary : public Primitive {
 public:
  Binary(Stream s, BinaryOp op) : Primitive(s), op_(op) {}
  BinaryOp op() const { return op_; }
  TANDEM_PRIMITIVE(Binary)
  void print(std::ostream& os) const override { os << binary_op_name(op_); }

 private:
  BinaryOp op_;
};

// where(condition, x, y): the three inputs share the output's shape.
class Select : public Primitive {
 public:
  explicit Select(Stream s) : Primitive(s) {}
  TANDEM_PRIMITIVE(Select)
};

}  // namespace tandem
