#pragma once
// Primitives that gather, scatter and join arrays. Data-dependent indices are
// made safe in the kernels: a negative index wraps once (i + n), then any
// index still out of range is clamped into [0, n - slice_size], so no kernel
// ever reads or writes outside its arrays. In the debug mode (check_indices,
// TANDEM_CHECK_INDICES=1) an index out of range fails the kernel instead.
#include <cstdint>

#include "tandem/kernels/reduce_ops.h"
#include "tandem/primitive.h"

namespace tandem {

// See tandem/ops/indexing.h.
bool check_indices();
// The kernels' error in the debug mode: std::out_of_range "[op] index ... is
// out of range for axis ... of size ...". hi: the largest valid index (size -
// 1, or less for the blocks of gather and scatter).
[[noreturn]] void throw_index_out_of_range(const char* op, int64_t index, int axis, int64_t size,
                                           int64_t hi);

// How scatter combines an update with the value already there.

const char* scatter_reduce_name(ScatterReduce r);

// Joins its inputs (same dtype, same shape but along axis) along axis into a
// row-major output.
class Concatenate : public Primitive {
 public:
  Concatenate(Stream s, int axis) : Primitive(s), axis_(axis) {}
  TANDEM_PRIMITIVE(Concatenate)
  int axis() const { return axis_; }

 private:
  int axis_;
};

// Inputs: a, then one index array per entry of axes (one shared integer
// dtype, one shared shape I). Output shape I + slice_sizes: for each index
// position, the block of a of shape slice_sizes starting at the indexed
// positions along axes and at 0 along the other axes.
class Gather : public Primitive {
 public:
  Gather(Stream s, std::vector<int> axes, Shape slice_sizes)
      : Primitive(s), axes_(std::move(axes)), slice_sizes_(std::move(slice_sizes)) {}
  TANDEM_PRIMITIVE(Gather)
  const std::vector<int>& axes() const { return axes_; }
  const Shape& slice_sizes() const { return slice_sizes_; }

 private:
  std::vector<int> axes_;
  Shape slice_sizes_;
};

// Inputs: a, updates (a's dtype, shape I + U with U[d] <= a.shape[d]), then
// one index array per axis (shared integer dtype and shape I). Output: a with
// each update block written (or combined by reduce) at the indexed position.
// Repeated positions: Sum/Prod/Max/Min combine all updates; None keeps one.
class Scatter : public Primitive {
 public:
  Scatter(Stream s, ScatterReduce reduce, std::vector<int> axes)
      : Primitive(s), reduce_(reduce), axes_(std::move(axes)) {}
  TANDEM_PRIMITIVE(Scatter)
  ScatterReduce reduce() const { return reduce_; }
  const std::vector<int>& axes() const { return axes_; }
  void print(std::ostream& os) const override { os << "Scatter" << scatter_reduce_name(reduce_); }

 private:
  ScatterReduce reduce_;
  std::vector<int> axes_;
};

// take_along_axis. Inputs: a, indices (integer, same ndim; a broadcast to the
// indices' shape on every axis but `axis`). out[..i..] = a[..indices[..i..]..].
class GatherAxis : public Primitive {
 public:
  GatherAxis(Stream s, int axis) : Primitive(s), axis_(axis) {}
  TANDEM_PRIMITIVE(GatherAxis)
  int axis() const { return axis_; }

 private:
  int axis_;
};

// put_along_axis / scatter_add_axis. Inputs: a, indices, values (indices and
// values share one shape, equal to a's except along axis). Output: a with
// out[..indices[..i..]..] = (or combined with) values[..i..].
class ScatterAxis : public Primitive {
 public:
  ScatterAxis(Stream s, ScatterReduce reduce, int axis)
      : Primitive(s), reduce_(reduce), axis_(axis) {}
  TANDEM_PRIMITIVE(ScatterAxis)
  ScatterReduce reduce() const { return reduce_; }
  int axis() const { return axis_; }
  void print(std::ostream& os) const override {
    os << "ScatterAxis" << scatter_reduce_name(reduce_);
  }

 private:
  ScatterReduce reduce_;
  int axis_;
};

// Inputs: src, update (src's dtype, shape of the slice). Output: src with the
// slice start[i] + k * strides[i] overwritten by update. Start indices are
// normalised and in bounds (steps may be negative).
class SliceUpdate : public Primitive {
 public:
  SliceUpdate(Stream s, Shape start, Shape strides)
      : Primitive(s), start_(std::move(start)), strides_(std::move(strides)) {}
  TANDEM_PRIMITIVE(SliceUpdate)
  const Shape& start() const { return start_; }
  const Shape& steps() const { return strides_; }

 private:
  Shape start_;
  Shape strides_;
};

}  // namespace tandem
