#pragma once
// Walking strided arrays (collapsed by tandem/collapse.h): an odometer over all but
// the innermost dimension, which kernels run as a tight loop.
#include <cstdint>
#include <vector>

#include "tandem/collapse.h"
#include "tandem/small_vector.h"

namespace tandem::cpu {

// Iterates the offsets (in elements) of K strided operands over a shape in
// row-major order, one innermost row at a time.
template <int K>
class RowIterator {
 public:
  RowIterator(const Shape& shape, const std::vector<Strides>& strides) : shape_(shape) {
    for (int k = 0; k < K; ++k) strides_[k] = strides[k];
    nd_ = static_cast<int>(shape.size());
    idx_.resize(nd_ > 0 ? nd_ - 1 : 0, 0);
    for (int k = 0; k < K; ++k) off_[k] = 0;
  }
  int64_t inner_size() const { return nd_ ? shape_[nd_ - 1] : 1; }
  int64_t inner_stride(int k) const { return nd_ ? strides_[k][nd_ - 1] : 0; }
  int64_t rows() const {
    int64_t r = 1;
    for (int d = 0; d + 1 < nd_; ++d) r *= shape_[d];
    return r;
  }
  const int64_t* offsets() const { return off_; }
  // Positions the iterator at row r (row-major over all dims but the last).
  void seek(int64_t r) {
    for (int k = 0; k < K; ++k) off_[k] = 0;
    for (int d = nd_ - 2; d >= 0; --d) {
      int64_t i = r % shape_[d];
      r /= shape_[d];
      idx_[d] = i;
      for (int k = 0; k < K; ++k) off_[k] += i * strides_[k][d];
    }
  }
  void next() {
    for (int d = nd_ - 2; d >= 0; --d) {
      for (int k = 0; k < K; ++k) off_[k] += strides_[k][d];
      if (++idx_[d] < shape_[d]) return;
      for (int k = 0; k < K; ++k) off_[k] -= strides_[k][d] * shape_[d];
      idx_[d] = 0;
    }
  }

 private:
  Shape shape_;
  Strides strides_[K];
  SmallVector<int64_t> idx_;
  int64_t off_[K];
  int nd_;
};

}  // namespace tandem::cpu
