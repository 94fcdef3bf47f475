#pragma once
// The layouts of the view primitives (shape family), shared by the backends:
// each makes out a view of in's buffer with new strides and offset, without
// touching data.
#include <cstdint>
#include <limits>
#include <vector>

#include "tandem/array.h"

namespace tandem {

// Makes out a view of in's buffer with the given strides (elements) and byte
// offset; flags and data size follow from out's shape and the strides.
void make_view(const array& in, array& out, Strides strides, int64_t offset_bytes);

// Strides that show in's elements, in row-major order, at shape out_shape
// without moving data, if there are any: each group of input dims merged or
// split into a group of output dims must be contiguous with itself (any
// layout: transposed, negative or zero strides). Inserting or removing
// size-1 dims always works.
bool reshape_strides(const Shape& in_shape, const Strides& in_strides, const Shape& out_shape,
                     Strides& out_strides);

// Reshape as a view when strides can express it; false when out needs a
// row-major copy of in.
bool reshape_view(const array& in, array& out);
void transpose_view(const array& in, array& out, const std::vector<int>& axes);
void broadcast_view(const array& in, array& out);
void slice_view(const array& in, array& out, const Shape& start, const Shape& steps);
void as_strided_view(const array& in, array& out, const Strides& strides, int64_t offset);

// How BLAS (OpenBLAS, cuBLASLt) reads an R x C matrix with strides (sr, sc)
// (elements): row-major (trans false) or column-major (trans true) with
// leading dimension ld, when ok (it can, with ld at most max_ld).
struct MatLayout {
  bool ok = false;
  bool trans = false;
  int64_t ld = 0;
};
MatLayout blas_layout(int64_t R, int64_t C, int64_t sr, int64_t sc,
                      int64_t max_ld = std::numeric_limits<int64_t>::max());

// Elementwise output layouts (shared by the backends).

// Whether a holds one value seen at every position (a scalar, or a
// broadcast of one: zero strides on every dim longer than 1).
bool is_broadcast_scalar(const array& a);
// Whether a's elements are exactly its data (contiguous, nothing broadcast).
bool is_dense(const array& a);
// Whether x's data, read in order, lines up with out's data element for
// element: x is dense with out's shape and strides (or holds one element).
bool same_flat_layout(const array& x, const array& out);
// Whether every input that `skip` does not pass over is dense with one
// shared set of strides (and, when shape is given, has that shape), so that
// an elementwise op can run one flat loop over that layout. layout gets the
// first such input (nullptr when all are skipped), or nullptr when false.
template <class Skip>
bool shared_dense_layout(const std::vector<array>& inputs, Skip&& skip, const Shape* shape,
                         const array*& layout) {
  layout = nullptr;
  for (auto& in : inputs) {
    if (skip(in)) continue;
    if (!is_dense(in) || (shape && in.shape() != *shape) ||
        (layout && in.strides() != layout->strides())) {
      layout = nullptr;
      return false;
    }
    if (!layout) layout = &in;
  }
  return true;
}

}  // namespace tandem
