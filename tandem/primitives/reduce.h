#pragma once
// Reductions along axes (scans: primitives/scan.h; sorts: primitives/sort.h).
#include <vector>

#include "tandem/kernels/reduce_ops.h"
#include "tandem/primitive.h"

namespace tandem {

const char* reduce_op_name(ReduceOp op);

// Reduces the input over `axes` (sorted, distinct, in range). The output has
// the input's shape with the reduced axes set to 1 (ops squeeze them) and the
// dtype the op chose: bool for And/Or; for Sum/Prod the MLX accumulation type
// (int32/int64/uint32/uint64 for integers and bool, else the input's), or
// float32 for a float16/bfloat16 Sum (used by mean); the input's for Max/Min.
class Reduce : public Primitive {
 public:
  Reduce(Stream s, ReduceOp op, std::vector<int> axes)
      : Primitive(s), op_(op), axes_(std::move(axes)) {}
  ReduceOp op() const { return op_; }
  const std::vector<int>& axes() const { return axes_; }
  TANDEM_PRIMITIVE(Reduce)
  void print(std::ostream& os) const override;

 private:
  ReduceOp op_;
  std::vector<int> axes_;
};

// Index (uint32) of the first minimum / maximum along `axis`; NaN counts as
// the extreme (the first NaN wins). Output shape: the input's with axis = 1.
class ArgReduce : public Primitive {
 public:
  ArgReduce(Stream s, ArgReduceOp op, int axis) : Primitive(s), op_(op), axis_(axis) {}
  ArgReduceOp op() const { return op_; }
  int axis() const { return axis_; }
  TANDEM_PRIMITIVE(ArgReduce)
  void print(std::ostream& os) const override;

 private:
  ArgReduceOp op_;
  int axis_;
};

}  // namespace tandem
