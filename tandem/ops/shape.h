#pragma once
// Shape ops: views where the layout allows (no data is copied).
#include <optional>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

// New shape with the same size; one dim may be -1 (inferred).
array reshape(const array& a, Shape shape, StreamOrDevice s = {});
// Merges axes start_axis..end_axis into one.
array flatten(const array& a, int start_axis = 0, int end_axis = -1, StreamOrDevice s = {});
// Splits axis into `shape` (one entry may be -1).
array unflatten(const array& a, int axis, Shape shape, StreamOrDevice s = {});
// Removes the given size-1 axes (all size-1 axes when none given).
array squeeze(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array squeeze(const array& a, int axis, StreamOrDevice s = {});
array squeeze(const array& a, StreamOrDevice s = {});
// Inserts size-1 axes at the given positions of the result.
array expand_dims(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array expand_dims(const array& a, int axis, StreamOrDevice s = {});
// Permutes axes (reverses them when none given).
array transpose(const array& a, std::vector<int> axes, StreamOrDevice s = {});
array transpose(const array& a, StreamOrDevice s = {});
inline array permute_dims(const array& a, std::vector<int> axes, StreamOrDevice s = {}) {
  return transpose(a, std::move(axes), s);
}
array moveaxis(const array& a, int source, int destination, StreamOrDevice s = {});
array swapaxes(const array& a, int axis1, int axis2, StreamOrDevice s = {});
// Swaps the last two axes.
array matrix_transpose(const array& a, StreamOrDevice s = {});
array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s = {});
std::vector<array> broadcast_arrays(const std::vector<array>& inputs, StreamOrDevice s = {});
// a[start:stop:strides] per axis; indices are clamped like Python slices.
array slice(const array& a, Shape start, Shape stop, Shape strides, StreamOrDevice s = {});
array slice(const array& a, Shape start, Shape stop, StreamOrDevice s = {});
// A view of a's row-major elements with the given shape, strides and offset
// (elements). Reading outside a is the caller's fault, as in NumPy.
array as_strided(const array& a, Shape shape, Strides strides, int64_t offset = 0,
                 StreamOrDevice s = {});
// a's bytes (in row-major order) read as dtype, without a copy when a is
// row-contiguous: a larger itemsize divides the last dim by the ratio (its
// byte size must be a multiple), a smaller one multiplies it. A 0-d array
// may only change to a dtype of the same size.
array view(const array& a, Dtype dtype, StreamOrDevice s = {});
// inputs unchanged (views), but evaluating them evaluates dependencies too.
std::vector<array> depends(const std::vector<array>& inputs, const std::vector<array>& dependencies,
                           StreamOrDevice s = {});
array atleast_1d(const array& a, StreamOrDevice s = {});
array atleast_2d(const array& a, StreamOrDevice s = {});
array atleast_3d(const array& a, StreamOrDevice s = {});

}  // namespace tandem
