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

 private:
  int axis_;
};

// uint32 indices that stably sort along axis (NaN last).
class ArgSort : public Primitive {
 public:
  ArgSort(Stream s, int axis) : Primitive(s), axis_(axis) {}
  int axis() const { return axis_; }
  TANDEM_PRIMITIVE(ArgSort)

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

 private:
  int kth_;
  int axis_;
};

}  // namespace tandem
