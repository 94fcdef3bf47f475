#pragma once
// Elementwise functions of two arrays of one shape (ops broadcast first).
#include "tandem/kernels/binary_ops.h"
#include "tandem/primitive.h"

namespace tandem {

const char* binary_op_name(BinaryOp op);

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
