#pragma once
// Host side of the elementwise kernels (device/elementwise.cuh): output
// allocation, dimension collapsing, and the choice between the dense and the
// strided kernel shapes.
#include <functional>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/backend/cuda/encoder.h"
#include "tandem/kernels/layout.h"

namespace tandem::gpu {

// The layout kernels take by value (tandem/kernels/layout.h).
using k::kMaxDims;
using k::Layout;

// How an elementwise op over `inputs` writing `out` runs.
struct ElementwisePlan {
  bool dense = false;           // one flat loop over n slots (scalars read at [0])
  size_t n = 0;                 // elements (dense: data slots) to compute
  bool wide = false;            // needs 64-bit indexing
  std::vector<bool> scalar;     // dense: input i is one value
  std::vector<Layout> layouts;  // strided: each input's layout at out's (row-major) shape
  void* out = nullptr;          // out's element 0 on the device
};

// Allocates out (donating an input when allowed; a dense shared layout is
// kept, otherwise out is row-contiguous) and plans the loop. Throws if a
// strided layout has more than kMaxDims dims after collapsing.
ElementwisePlan plan_elementwise(Encoder& enc, const std::vector<array>& inputs, array& out,
                                 bool allow_donation = true);

// Which of a program's four kernels plan runs, in the order contig/32-bit,
// contig/64-bit, strided/32-bit, strided/64-bit.
inline size_t planned_kernel(const ElementwisePlan& plan) {
  return (plan.dense ? 0 : 2) + (plan.wide ? 1 : 0);
}

class KernelCache;
// Runs a functor (functor() gives its device type name, e.g.
// "tandem::UnaryFn<8, float, float>"; called only when the kernels are not
// cached yet) from `header` over in into out with the map1 kernels; key
// identifies the functor and dtypes in `cache`.
void launch_map1(Encoder& enc, const std::string& header,
                 const std::function<std::string()>& functor, uint64_t key, KernelCache& cache,
                 const array& in, array& out, bool allow_donation);

// Collapsed layouts of arrays of one shape: dims merged where every array
// is contiguous across them, size-1 dims dropped.
std::vector<Layout> collapse_layouts(const Shape& shape, const std::vector<Strides>& strides);

}  // namespace tandem::gpu
