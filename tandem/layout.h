#pragma once
// The layouts of the view primitives (shape family), shared by the backends:
// each makes out a view of in's buffer with new strides and offset, without
// touching data.
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

}  // namespace tandem
