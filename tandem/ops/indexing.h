#pragma once
// Indexing and joining ops: concatenate/stack/split, take/gather/scatter,
// pad, tile/repeat, flip/roll, triangles and diagonals, slice_update.
//
// Data-dependent indices (take, take_along_axis, put_along_axis, gather,
// scatter*) must be integer arrays. A negative index wraps once (i + n, like
// NumPy); an index still out of range is clamped into range (to [0, n - 1],
// or [0, n - slice_size] for gather/scatter blocks) instead of raising, so
// kernels never touch memory outside the arrays. Scatter with a repeated
// index: scatter_add/prod/max/min combine every update, scatter keeps one.
// Clamping is the default because a GPU kernel cannot raise at the index
// that is wrong; the debug mode below makes both devices raise instead.
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

// Debug mode: an index out of range (after the one wrap of negatives) fails
// the kernel with IndexOutOfRange (a std::out_of_range naming the index, the
// axis and its size), rethrown by eval / synchronize, instead of being clamped.
// Off unless the environment variable TANDEM_CHECK_INDICES=1 was set when it
// was first read; set_check_indices changes it for kernels launched afterwards.
bool check_indices();
void set_check_indices(bool on);

// Joins arrays along axis (same ndim, same shape off axis); dtypes promote.
array concatenate(const std::vector<array>& arrays, int axis, StreamOrDevice s = {});
// Joins the flattened arrays.
array concatenate(const std::vector<array>& arrays, StreamOrDevice s = {});
// Alias of concatenate.
array concat(const std::vector<array>& arrays, int axis, StreamOrDevice s = {});
array concat(const std::vector<array>& arrays, StreamOrDevice s = {});
// Joins equally shaped arrays along a new axis.
array stack(const std::vector<array>& arrays, int axis, StreamOrDevice s = {});
array stack(const std::vector<array>& arrays, StreamOrDevice s = {});
// num_splits equal parts along axis (num_splits must divide the axis size).
std::vector<array> split(const array& a, int num_splits, int axis, StreamOrDevice s = {});
std::vector<array> split(const array& a, int num_splits, StreamOrDevice s = {});
// Parts a[:i0], a[i0:i1], ..., a[ik:] along axis (indices clamped like slices).
std::vector<array> split(const array& a, const Shape& indices, int axis, StreamOrDevice s = {});
std::vector<array> split(const array& a, const Shape& indices, StreamOrDevice s = {});
// The slices of a along axis, with that axis removed.
std::vector<array> unstack(const array& a, int axis = 0, StreamOrDevice s = {});

// Elements of a at indices along axis: shape a[:axis] + indices + a[axis+1:].
array take(const array& a, const array& indices, int axis, StreamOrDevice s = {});
// Elements of flattened a at indices: shape of indices.
array take(const array& a, const array& indices, StreamOrDevice s = {});
// The slice a[..., index, ...] along axis (index may be negative; must be in range).
array take(const array& a, int index, int axis, StreamOrDevice s = {});
array take(const array& a, int index, StreamOrDevice s = {});
// out[..i..] = a[.., indices[..i..], ..] along axis (a and indices broadcast off axis).
array take_along_axis(const array& a, const array& indices, int axis, StreamOrDevice s = {});
// a with a[.., indices[..i..], ..] = values[..i..] along axis.
array put_along_axis(const array& a, const array& indices, const array& values, int axis,
                     StreamOrDevice s = {});
// a with values added at a[.., indices[..i..], ..] along axis (repeats accumulate).
array scatter_add_axis(const array& a, const array& indices, const array& values, int axis,
                       StreamOrDevice s = {});

// MLX gather: indices (broadcast together to shape I) select start positions
// along axes; returns shape I + slice_sizes (slice_sizes has a.ndim entries).
array gather(const array& a, const std::vector<array>& indices, const std::vector<int>& axes,
             const Shape& slice_sizes, StreamOrDevice s = {});
array gather(const array& a, const array& indices, int axis, const Shape& slice_sizes,
             StreamOrDevice s = {});
// MLX scatter: updates of shape I + U (U has a.ndim entries, U[d] <= a.shape[d])
// are written into a at the start positions given by indices along axes.
array scatter(const array& a, const std::vector<array>& indices, const array& updates,
              const std::vector<int>& axes, StreamOrDevice s = {});
array scatter(const array& a, const array& indices, const array& updates, int axis,
              StreamOrDevice s = {});
// As scatter, adding the updates (repeated indices accumulate).
array scatter_add(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_add(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s = {});
// As scatter, multiplying by the updates.
array scatter_prod(const array& a, const std::vector<array>& indices, const array& updates,
                   const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_prod(const array& a, const array& indices, const array& updates, int axis,
                   StreamOrDevice s = {});
// As scatter, keeping the maximum (NaN propagates).
array scatter_max(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_max(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s = {});
// As scatter, keeping the minimum (NaN propagates).
array scatter_min(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_min(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s = {});

// src with src[start:stop:strides] = update (update broadcast to the slice,
// cast to src's dtype); start/stop are clamped like Python slices.
array slice_update(const array& src, const array& update, Shape start, Shape stop, Shape strides,
                   StreamOrDevice s = {});
array slice_update(const array& src, const array& update, Shape start, Shape stop,
                   StreamOrDevice s = {});

// Pads the given axes by low/high amounts. mode: "constant" (pad_value, a
// scalar) or "edge" (repeat the border values).
array pad(const array& a, const std::vector<int>& axes, const Shape& low_pad_size,
          const Shape& high_pad_size, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});
// One (low, high) pair per axis.
array pad(const array& a, const std::vector<std::pair<int, int>>& pad_width,
          const array& pad_value = array(0), const std::string& mode = "constant",
          StreamOrDevice s = {});
// The same (low, high) pair on every axis.
array pad(const array& a, const std::pair<int, int>& pad_width, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});
// The same width on both sides of every axis.
array pad(const array& a, int pad_width, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});

// a repeated reps[i] times along each axis (NumPy's tile).
array tile(const array& a, std::vector<int> reps, StreamOrDevice s = {});
// Each element repeated `repeats` times along axis.
array repeat(const array& a, int repeats, int axis, StreamOrDevice s = {});
// Each element of flattened a repeated `repeats` times.
array repeat(const array& a, int repeats, StreamOrDevice s = {});

// Reverses the order of elements along the given axes (a view).
array flip(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array flip(const array& a, int axis, StreamOrDevice s = {});
// Reverses along every axis.
array flip(const array& a, StreamOrDevice s = {});
// Shifts elements cyclically along axes (flattened when no axes are given).
array roll(const array& a, int shift, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, StreamOrDevice s = {});
array roll(const array& a, int shift, int axis, StreamOrDevice s = {});
array roll(const array& a, int shift, const std::vector<int>& axes, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, int axis, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, const std::vector<int>& axes, StreamOrDevice s = {});

// Zeroes the elements above diagonal k of the last two axes.
array tril(const array& x, int k = 0, StreamOrDevice s = {});
// Zeroes the elements below diagonal k of the last two axes.
array triu(const array& x, int k = 0, StreamOrDevice s = {});
// The diagonal `offset` of the (axis1, axis2) planes, as the last axis (a view).
array diagonal(const array& a, int offset = 0, int axis1 = 0, int axis2 = 1, StreamOrDevice s = {});
// 1-d a: a square matrix with a on diagonal k. 2-d a: its diagonal k.
array diag(const array& a, int k = 0, StreamOrDevice s = {});
// Coordinate grids from 1-d coordinate arrays (inputs are flattened).
// indexing "xy" (Cartesian: first two output axes swapped) or "ij" (matrix);
// sparse gives broadcastable shapes instead of full grids.
std::vector<array> meshgrid(const std::vector<array>& arrays, bool sparse = false,
                            const std::string& indexing = "xy", StreamOrDevice s = {});

}  // namespace tandem
