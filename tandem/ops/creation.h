#pragma once
// Array creation and conversion.
#include <optional>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

// An array of `shape` filled with vals (broadcast), in dtype (default: vals').
array full(Shape shape, const array& vals, Dtype dtype, StreamOrDevice s = {});
array full(Shape shape, const array& vals, StreamOrDevice s = {});
array zeros(const Shape& shape, Dtype dtype = float32, StreamOrDevice s = {});
array ones(const Shape& shape, Dtype dtype = float32, StreamOrDevice s = {});
array zeros_like(const array& a, StreamOrDevice s = {});
array ones_like(const array& a, StreamOrDevice s = {});
array full_like(const array& a, const array& vals, StreamOrDevice s = {});
// Values start, start+step, ... below stop. Default dtype: int32 when all of
// start, stop, step are integers (the int overload), else float32. An integer
// dtype wraps around like NumPy (arange(250, 260, uint8) ends 255, 0, 1, ...);
// from double arguments it takes NumPy's values trunc(start) + i * (trunc(start
// + step) - trunc(start)).
array arange(double start, double stop, double step, Dtype dtype, StreamOrDevice s = {});
// Exact for all int64 arguments (the length and the values).
array arange(int64_t start, int64_t stop, int64_t step, Dtype dtype, StreamOrDevice s = {});
array arange(int start, int stop, int step, Dtype dtype, StreamOrDevice s = {});
array arange(double start, double stop, double step = 1.0, StreamOrDevice s = {});
array arange(double stop, StreamOrDevice s = {});
array arange(int start, int stop, int step = 1, StreamOrDevice s = {});
array arange(int stop, StreamOrDevice s = {});
// num evenly spaced values from start to stop inclusive.
array linspace(double start, double stop, int num = 50, Dtype dtype = float32,
               StreamOrDevice s = {});
// n x m (m defaults to n) with ones on diagonal k.
array eye(int n, std::optional<int> m = std::nullopt, int k = 0, Dtype dtype = float32,
          StreamOrDevice s = {});
array identity(int n, Dtype dtype = float32, StreamOrDevice s = {});
// n x m lower triangle of ones (at and below diagonal k).
array tri(int n, std::optional<int> m = std::nullopt, int k = 0, Dtype dtype = float32,
          StreamOrDevice s = {});
// A copy converted to dtype; a itself when it already has that dtype.
array astype(const array& a, Dtype dtype, StreamOrDevice s = {});
// a as a row-major dense array (a itself when it already is one).
array contiguous(const array& a, bool allow_col_major = false, StreamOrDevice s = {});
// A fresh copy of a with the same values.
array copy(const array& a, StreamOrDevice s = {});

}  // namespace tandem
