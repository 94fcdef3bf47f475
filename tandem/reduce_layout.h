#pragma once
// How the reduce, scan and sort kernels of both backends see an input's
// dims: kept and reduced ones, each merged where contiguous.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "tandem/small_vector.h"

namespace tandem {

// Sizes or strides of a layout's dims.
using DimVec = SmallVector<int64_t, 8>;

// Splits a layout into kept dims (in order, adjacent ones merged when they
// are contiguous with each other, size-1 dims dropped) and reduced dims
// (ordered by decreasing |stride|, then merged the same way).
struct SplitLayout {
  DimVec kshape, kstrides;
  DimVec rshape, rstrides;
  int64_t kept = 1, reduced = 1;
};

template <typename ShapeT, typename StridesT>
SplitLayout split_layout(const ShapeT& shape, const StridesT& strides,
                         const std::vector<int>& axes) {
  SplitLayout L;
  std::vector<std::pair<int64_t, int64_t>> red;  // (size, stride)
  int nd = static_cast<int>(shape.size());
  for (int i = 0; i < nd; ++i) {
    int64_t n = shape[i], st = strides[i];
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (reduced) {
      L.reduced *= n;
      if (n != 1) red.push_back({n, st});
      continue;
    }
    L.kept *= n;
    if (n == 1) continue;
    if (!L.kshape.empty() && L.kstrides.back() == st * n) {
      L.kshape.back() *= n;
      L.kstrides.back() = st;
    } else {
      L.kshape.push_back(n);
      L.kstrides.push_back(st);
    }
  }
  std::stable_sort(red.begin(), red.end(), [](const auto& a, const auto& b) {
    return std::llabs(a.second) > std::llabs(b.second);
  });
  for (auto [n, st] : red) {
    if (!L.rshape.empty() && L.rstrides.back() == st * n) {
      L.rshape.back() *= n;
      L.rstrides.back() = st;
    } else {
      L.rshape.push_back(n);
      L.rstrides.push_back(st);
    }
  }
  return L;
}

}  // namespace tandem
