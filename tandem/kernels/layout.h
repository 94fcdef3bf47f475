#pragma once
// Shapes and strides passed to kernels by value. After dimension collapsing
// few dims remain; a layout that still has more than kMaxDims takes another
// path on the host.
#include "tandem/kernels/defines.h"

namespace tandem::k {

constexpr int kMaxDims = 10;

struct Layout {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};  // elements
};

// Offset (elements) of row-major element i in layout l.
template <typename Idx>
TANDEM_HD int64_t offset_of(Idx i, const Layout& l) {
  int64_t off = 0;
  for (int d = l.ndim - 1; d >= 0; --d) {
    Idx n = static_cast<Idx>(l.shape[d]);
    off += static_cast<int64_t>(i % n) * l.strides[d];
    i /= n;
  }
  return off;
}

// K stride sets over one (collapsed) shape.
template <int K>
struct Strided {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[K][kMaxDims] = {};
};

// Offsets (elements) of row-major element i under each stride set.
template <int K, typename Idx>
TANDEM_HD void offsets_of(Idx i, const Strided<K>& l, int64_t (&off)[K]) {
  for (int k = 0; k < K; ++k) off[k] = 0;
  for (int d = l.ndim - 1; d >= 0; --d) {
    Idx n = static_cast<Idx>(l.shape[d]);
    int64_t c = static_cast<int64_t>(i % n);
    i /= n;
    for (int k = 0; k < K; ++k) off[k] += c * l.strides[k][d];
  }
}

}  // namespace tandem::k
