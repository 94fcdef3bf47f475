#pragma once
// Reductions, scans and sorts along axes.
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
  bool is_equivalent(const Primitive& o) const override {
    auto* r = dynamic_cast<const Reduce*>(&o);
    return r && r->op_ == op_ && r->axes_ == axes_;
  }

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
  bool is_equivalent(const Primitive& o) const override {
    auto* r = dynamic_cast<const ArgReduce*>(&o);
    return r && r->op_ == op_ && r->axis_ == axis_;
  }

 private:
  ArgReduceOp op_;
  int axis_;
};


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
  bool is_equivalent(const Primitive& o) const override {
    auto* r = dynamic_cast<const Scan*>(&o);
    return r && r->op_ == op_ && r->axis_ == axis_ && r->reverse_ == reverse_ &&
           r->inclusive_ == inclusive_;
  }

 private:
  ScanOp op_;
  int axis_;
  bool reverse_;
  bool inclusive_;
};

// Sorted copy along axis (NaN last, like NumPy).
class Sort : public Primitive {
 public:
  Sort(Stream s, int axis) : Primitive(s), axis_(axis) {}
  int axis() const { return axis_; }
  TANDEM_PRIMITIVE(Sort)
  bool is_equivalent(const Primitive& o) const override {
    auto* r = dynamic_cast<const Sort*>(&o);
    return r && r->axis_ == axis_;
  }

 private:
  int axis_;
};

// uint32 indices that stably sort along axis (NaN last).
class ArgSort : public Primitive {
 public:
  ArgSort(Stream s, int axis) : Primitive(s), axis_(axis) {}
  int axis() const { return axis_; }
  TANDEM_PRIMITIVE(ArgSort)
  bool is_equivalent(const Primitive& o) const override {
    auto* r = dynamic_cast<const ArgSort*>(&o);
    return r && r->axis_ == axis_;
  }

 private:
  int axis_;
};

// Copy along axis with the kth element in its sorted place, smaller (or
// equal) ones before it and larger (or equal) ones after. kth is in range.
class Partition : public Primitive {
 public:
  Partition(Stream s, int kth, int axis) : Primitive(s), kth_(kth), axis_(axis) {}
  int kth() const { return kth_; }
  int axis() const { return axis_; }
  TANDEM_PRIMITIVE(Partition)
  bool is_equivalent(const Primitive& o) const override {
    auto* r = dynamic_cast<const Partition*>(&o);
    return r && r->kth_ == kth_ && r->axis_ == axis_;
  }

 private:
  int kth_;
  int axis_;
};

// uint32 indices that partition along axis as Partition does.
class ArgPartition : public Primitive {
 public:
  ArgPartition(Stream s, int kth, int axis) : Primitive(s), kth_(kth), axis_(axis) {}
  int kth() const { return kth_; }
  int axis() const { return axis_; }
  TANDEM_PRIMITIVE(ArgPartition)
  bool is_equivalent(const Primitive& o) const override {
    auto* r = dynamic_cast<const ArgPartition*>(&o);
    return r && r->kth_ == kth_ && r->axis_ == axis_;
  }

 private:
  int kth_;
  int axis_;
};

}  // namespace tandem
