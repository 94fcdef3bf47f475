#pragma once
// Elementwise functions of one array.
#include "tandem/primitive.h"

namespace tandem {

enum class UnaryOp {
  Abs,
  Sign,
  Negative,
  Square,
  Sqrt,
  Rsqrt,
  Reciprocal,
  LogicalNot,
  Exp,
  Expm1,
  Erf,
  ErfInv,
  Sin,
  Cos,
  Tan,
  ArcSin,
  ArcCos,
  ArcTan,
  Sinh,
  Cosh,
  Tanh,
  ArcSinh,
  ArcCosh,
  ArcTanh,
  Log,
  Log2,
  Log10,
  Log1p,
  Sigmoid,
  Floor,
  Ceil,
  Trunc,
  Round,  // half to even, like NumPy
  IsNan,
  IsInf,
  IsPosInf,
  IsNegInf,
  IsFinite,
  Conj,
  Real,
  Imag,
  BitwiseInvert,
};

const char* unary_op_name(UnaryOp op);
// Whether op yields bool whatever its input (IsNan ... IsFinite, LogicalNot).
bool is_predicate(UnaryOp op);

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
