#include "tandem/ops/creation.h"

#include <cmath>

#include "tandem/ops/binary.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/utils.h"
#include "tandem/primitives/creation.h"

namespace tandem {

array full(Shape shape, const array& vals, Dtype dtype, StreamOrDevice s) {
  checked_shape_size(shape, dtype, "full");
  array v = broadcast_to(vals, shape, s);
  return array(std::move(shape), dtype, make_pooled<AsType>(to_stream(s), true), {v});
}

array full(Shape shape, const array& vals, StreamOrDevice s) {
  return full(std::move(shape), vals, vals.dtype(), s);
}

array zeros(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(0, dtype), dtype, s);
}
array ones(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(1, dtype), dtype, s);
}
array zeros_like(const array& a, StreamOrDevice s) {
  return zeros(a.shape(), a.dtype(), s);
}
array ones_like(const array& a, StreamOrDevice s) {
  return ones(a.shape(), a.dtype(), s);
}
array full_like(const array& a, const array& vals, StreamOrDevice s) {
  return full(a.shape(), vals, a.dtype(), s);
}

namespace {
void check_arange_dtype(Dtype dtype) {
  if (dtype == bool_) invalid("arange", "cannot make a bool range");
  if (is_complex(dtype)) invalid("arange", "cannot make a complex range");
}

// Shapes are int32: a longer range cannot be made.
int arange_size(double n, const char* what) {
  if (n > 2147483647.0) {
    invalid("arange", "the range has too many elements (", what, " ", n,
            "; at most 2147483647, dimensions are 32-bit)");
  }
  return n > 0 ? static_cast<int>(n) : 0;
}
}  // namespace

array arange(double start, double stop, double step, Dtype dtype, StreamOrDevice s) {
  check_arange_dtype(dtype);
  if (std::isnan(start) || std::isnan(stop) || std::isnan(step)) {
    invalid("arange", "start, stop and step must not be NaN (got ", start, ", ", stop, ", ", step,
            ")");
  }
  if (std::isinf(start) || std::isinf(stop)) {
    invalid("arange", "start and stop must be finite (got ", start, ", ", stop, ")");
  }
  if (step == 0) invalid("arange", "step must not be 0");
  int size = arange_size(std::ceil((stop - start) / step), "ceil((stop - start) / step) =");
  int64_t istart = 0, istep = 0;
  if (is_integral(dtype) && size > 0) {
    // NumPy's integer values from float arguments: the first two values
    // truncated, then their difference as the step.
    double second = start + step;
    if (!(std::abs(start) < 9.2e18) || !(std::abs(second) < 9.2e18)) {
      invalid("arange", "start ", start, " and start + step ", second,
              " must fit in int64 for an integer range of dtype ", dtype);
    }
    istart = static_cast<int64_t>(std::trunc(start));
    istep = static_cast<int64_t>(std::trunc(second)) - istart;
  }
  return array(Shape{size}, dtype, make_pooled<Arange>(to_stream(s), start, step, istart, istep),
               {});
}

array arange(int64_t start, int64_t stop, int64_t step, Dtype dtype, StreamOrDevice s) {
  check_arange_dtype(dtype);
  if (step == 0) invalid("arange", "step must not be 0");
  // ceil((stop - start) / step), exactly (the difference needs 65 bits).
  __int128 span = static_cast<__int128>(stop) - start;
  __int128 n = span / step;
  if (n * step != span && (span > 0) == (step > 0)) n += 1;
  if (n > 2147483647) {
    invalid("arange", "the range from ", start, " to ", stop, " by ", step,
            " has too many elements (", static_cast<int64_t>(n),
            "; at most 2147483647, dimensions are 32-bit)");
  }
  int size = n > 0 ? static_cast<int>(n) : 0;
  return array(Shape{size}, dtype,
               make_pooled<Arange>(to_stream(s), static_cast<double>(start),
                                   static_cast<double>(step), start, step),
               {});
}

array arange(int start, int stop, int step, Dtype dtype, StreamOrDevice s) {
  return arange(int64_t{start}, int64_t{stop}, int64_t{step}, dtype, s);
}

array arange(double start, double stop, double step, StreamOrDevice s) {
  return arange(start, stop, step, float32, s);
}
array arange(double stop, StreamOrDevice s) {
  return arange(0.0, stop, 1.0, float32, s);
}
array arange(int start, int stop, int step, StreamOrDevice s) {
  return arange(int64_t{start}, int64_t{stop}, int64_t{step}, int32, s);
}
array arange(int stop, StreamOrDevice s) {
  return arange(0, stop, 1, s);
}

array linspace(double start, double stop, int num, Dtype dtype, StreamOrDevice s) {
  if (num < 0) invalid("linspace", "num must be non-negative; got ", num);
  if (num == 1) return astype(array({start}, float64), dtype, s);
  double step = num > 1 ? (stop - start) / (num - 1) : 0.0;
  // Computed in float32 like MLX unless float64 is asked for, then the last
  // value is pinned to stop exactly.
  Dtype ct = dtype == float64 ? float64 : float32;
  array r =
      add(multiply(arange(0.0, double(num), 1.0, ct, s), array(step, ct), s), array(start, ct), s);
  if (num > 1) {
    r = where(equal(arange(0, num, 1, s), array(num - 1), s), array(stop, ct), r, s);
  }
  return astype(r, dtype, s);
}

array eye(int n, std::optional<int> m_opt, int k, Dtype dtype, StreamOrDevice s) {
  int m = m_opt.value_or(n);
  if (n < 0 || m < 0) invalid("eye", "n and m must be non-negative; got ", n, " and ", m);
  array rows = reshape(arange(0, n, 1, s), {n, 1}, s);
  array cols = reshape(arange(0, m, 1, s), {1, m}, s);
  return astype(equal(subtract(cols, rows, s), array(k), s), dtype, s);
}

array identity(int n, Dtype dtype, StreamOrDevice s) {
  return eye(n, n, 0, dtype, s);
}

array tri(int n, std::optional<int> m_opt, int k, Dtype dtype, StreamOrDevice s) {
  int m = m_opt.value_or(n);
  if (n < 0 || m < 0) invalid("tri", "n and m must be non-negative; got ", n, " and ", m);
  array rows = reshape(arange(0, n, 1, s), {n, 1}, s);
  array cols = reshape(arange(0, m, 1, s), {1, m}, s);
  return astype(less_equal(subtract(cols, rows, s), array(k), s), dtype, s);
}

array astype(const array& a, Dtype dtype, StreamOrDevice s) {
  if (a.dtype() == dtype) return a;
  return array(a.shape(), dtype, make_pooled<AsType>(to_stream(s), false), {a});
}

array contiguous(const array& a, bool allow_col_major, StreamOrDevice s) {
  if (a.is_available() && a.buffer()) {
    if (a.flags().row_contiguous || (allow_col_major && a.flags().col_contiguous)) return a;
  }
  return array(a.shape(), a.dtype(), make_pooled<AsType>(to_stream(s), true), {a});
}

array copy(const array& a, StreamOrDevice s) {
  return array(a.shape(), a.dtype(), make_pooled<AsType>(to_stream(s), false), {a});
}

}  // namespace tandem
