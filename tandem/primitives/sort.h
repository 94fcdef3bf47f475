#pragma once
// Sorting and partitioning along an axis.
#include "tandem/primitive.h"

namespace tandem {

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
