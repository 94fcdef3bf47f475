#pragma once
// Cumulative ops (scans) along an axis.
#include "tandem/kernels/reduce_ops.h"
#include "tandem/primitive.h"

namespace tandem {

// Cumulative op along `axis`; input and output share shape and dtype (ops
// convert first). Exclusive scans start from the op's identity.
class Scan : public Primitive {
 public:
  Scan(Stream s, ScanOp op, int axis, bool reverse, bool inclusive)
      : Primitive(s), op_(op), axis_(axis), reverse_(reverse), inclusive_(inclusive) {}
  ScanOp op() const { return op_; }
  int axis() const { return axis_; }
  bool reverse() const { return reverse_; }
  bool inclusive() const { return inclusive_; }
  TANDEM_PRIMITIVE(Scan)
  void print(std::ostream& os) const override;

 private:
  ScanOp op_;
  int axis_;
  bool reverse_;
  bool inclusive_;
};

}  // namespace tandem
