#pragma once
// Elementwise functions of one array.
#include "tandem/kernels/unary_ops.h"
#include "tandem/primitive.h"

namespace tandem {

const char* unary_op_name(UnaryOp op);

// Output dtype = input dtype, except the predicates (bool), Real/Imag of
// complex (float32) and the float functions of integers (float32), which ops
// resolve before building the node: the kernel reads input dtype and writes
// output dtype.
class Unary : public Primitive {
 public:
  Unary(Stream s, UnaryOp op) : Primitive(s), op_(op) {}
  UnaryOp op() const { return op_; }
  TANDEM_PRIMITIVE(Unary)
  void print(std::ostream& os) const override { os << unary_op_name(op_); }

 private:
  UnaryOp op_;
};

}  // namespace tandem
