#include "tandem/ops/reduce.h"

#include <cmath>
#include <limits>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/sort.h"
#include "tandem/ops/unary.h"
#include "tandem/ops/utils.h"
#include "tandem/pool.h"
#include "tandem/primitives/reduce.h"
#include "tandem/primitives/row_norm.h"

namespace tandem {

const char* reduce_op_name(ReduceOp op) {
  static const char* names[] = {"And", "Or", "Sum", "Prod", "Max", "Min"};
  return names[static_cast<int>(op)];
}

void Reduce::print(std::ostream& os) const {
  os << "Reduce" << reduce_op_name(op_) << "(axes=";
  for (size_t i = 0; i < axes_.size(); ++i) os << (i ? "," : "") << axes_[i];
  os << ")";
}

void ArgReduce::print(std::ostream& os) const {
  os << (op_ == ArgReduceOp::ArgMin ? "ArgMin" : "ArgMax") << "(axis=" << axis_ << ")";
}

namespace {

// The reduction's layout: sorted axes, the shape with reduced axes kept as 1
// and the shape with them removed, and the number of reduced elements.
struct ReducePlan {
  std::vector<int> axes;
  Shape kept_shape;
  Shape squeezed_shape;
  size_t count = 1;
  size_t out_size = 1;
};

ReducePlan plan_reduce(const array& a, const std::vector<int>& axes, const char* op) {
  ReducePlan p;
  p.axes = normalize_axes(axes, a.ndim(), op, a.shape());
  size_t j = 0;
  for (int i = 0; i < a.ndim(); ++i) {
    if (j < p.axes.size() && p.axes[j] == i) {
      p.kept_shape.push_back(1);
      p.count *= static_cast<size_t>(a.shape()[i]);
      ++j;
    } else {
      p.kept_shape.push_back(a.shape()[i]);
      p.squeezed_shape.push_back(a.shape()[i]);
      p.out_size *= static_cast<size_t>(a.shape()[i]);
    }
  }
  return p;
}

const Shape& out_shape(const ReducePlan& p, bool keepdims) {
  return keepdims ? p.kept_shape : p.squeezed_shape;
}

// The dtype sum and prod produce for input dtype t (MLX's rules).
Dtype accumulate_type(Dtype t) {
  if (t == bool_) return int32;
  if (is_unsigned(t)) return t.size() <= 4 ? uint32 : uint64;
  if (is_integral(t)) return t.size() <= 4 ? int32 : int64;
  return t;
}

bool is_half(Dtype t) {
  return t == float16 || t == bfloat16;
}

// Builds the Reduce node (or a conversion when nothing is reduced) and shapes
// the result.
array reduce_impl(const array& a, ReduceOp op, const ReducePlan& p, Dtype out_type, bool keepdims,
                  StreamOrDevice s) {
  bool noop = true;
  for (int ax : p.axes) noop &= a.shape()[ax] == 1;
  array out =
      noop ? astype(a, out_type, s)
           : array(p.kept_shape, out_type, make_pooled<Reduce>(to_stream(s), op, p.axes), {a});
  return reshape(out, out_shape(p, keepdims), s);
}

void check_nonempty_reduction(const char* op, const array& a, const ReducePlan& p) {
  if (p.count == 0 && p.out_size > 0) {
    invalid(op, "cannot reduce over a zero-size axis of an array of shape ", a.shape(),
            " (the reduction has no identity)");
  }
}

void no_complex(const char* op, const array& a) {
  if (is_complex(a.dtype())) {
    invalid(op, "not supported for complex input (shape ", a.shape(), ", dtype ", a.dtype(), ")");
  }
}

}  // namespace

// ---- all / any ----

array all(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "all");
  return reduce_impl(a, ReduceOp::And, p, bool_, keepdims, s);
}
array all(const array& a, bool keepdims, StreamOrDevice s) {
  return all(a, all_axes(a.ndim()), keepdims, s);
}
array all(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return all(a, std::vector<int>{axis}, keepdims, s);
}

array any(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "any");
  return reduce_impl(a, ReduceOp::Or, p, bool_, keepdims, s);
}
array any(const array& a, bool keepdims, StreamOrDevice s) {
  return any(a, all_axes(a.ndim()), keepdims, s);
}
array any(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return any(a, std::vector<int>{axis}, keepdims, s);
}

// ---- sum / prod ----

array sum(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "sum");
  return reduce_impl(a, ReduceOp::Sum, p, accumulate_type(a.dtype()), keepdims, s);
}
array sum(const array& a, bool keepdims, StreamOrDevice s) {
  return sum(a, all_axes(a.ndim()), keepdims, s);
}
array sum(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return sum(a, std::vector<int>{axis}, keepdims, s);
}

array prod(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "prod");
  return reduce_impl(a, ReduceOp::Prod, p, accumulate_type(a.dtype()), keepdims, s);
}
array prod(const array& a, bool keepdims, StreamOrDevice s) {
  return prod(a, all_axes(a.ndim()), keepdims, s);
}
array prod(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return prod(a, std::vector<int>{axis}, keepdims, s);
}

// ---- max / min ----

array max(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "max");
  check_nonempty_reduction("max", a, p);
  return reduce_impl(a, a.dtype() == bool_ ? ReduceOp::Or : ReduceOp::Max, p, a.dtype(), keepdims,
                     s);
}
array max(const array& a, bool keepdims, StreamOrDevice s) {
  return max(a, all_axes(a.ndim()), keepdims, s);
}
array max(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return max(a, std::vector<int>{axis}, keepdims, s);
}

array min(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "min");
  check_nonempty_reduction("min", a, p);
  return reduce_impl(a, a.dtype() == bool_ ? ReduceOp::And : ReduceOp::Min, p, a.dtype(), keepdims,
                     s);
}
array min(const array& a, bool keepdims, StreamOrDevice s) {
  return min(a, all_axes(a.ndim()), keepdims, s);
}
array min(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return min(a, std::vector<int>{axis}, keepdims, s);
}

std::pair<array, array> minmax(const array& a, const std::vector<int>& axes, bool keepdims,
                               StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "minmax");
  check_nonempty_reduction("minmax", a, p);
  return {min(a, axes, keepdims, s), max(a, axes, keepdims, s)};
}
std::pair<array, array> minmax(const array& a, bool keepdims, StreamOrDevice s) {
  return minmax(a, all_axes(a.ndim()), keepdims, s);
}

// ---- mean / var / std ----

namespace {

// sum(a) / count in dtype t (a already of a float or complex type); float16
// and bfloat16 sums stay in float32 until the division, so they cannot
// overflow.
array mean_of(const array& a, const ReducePlan& p, Dtype t, bool keepdims, StreamOrDevice s) {
  if (p.count == 0) {
    double nan = std::numeric_limits<double>::quiet_NaN();
    return full(out_shape(p, keepdims), array(nan, t == complex64 ? float32 : t), t, s);
  }
  if (is_half(t)) {
    array total = reduce_impl(a, ReduceOp::Sum, p, float32, keepdims, s);
    return astype(divide(total, array(static_cast<double>(p.count), float32), s), t, s);
  }
  array total = reduce_impl(a, ReduceOp::Sum, p, t, keepdims, s);
  Dtype scalar_t = t == complex64 ? float32 : t;
  return divide(total, array(static_cast<double>(p.count), scalar_t), s);
}

}  // namespace

array mean(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "mean");
  Dtype t = to_inexact(a.dtype());
  return mean_of(astype(a, t, s), p, t, keepdims, s);
}
array mean(const array& a, bool keepdims, StreamOrDevice s) {
  return mean(a, all_axes(a.ndim()), keepdims, s);
}
array mean(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return mean(a, std::vector<int>{axis}, keepdims, s);
}

namespace {
array var_impl(const array& a, const std::vector<int>& axes, bool keepdims, int ddof,
               const char* name, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, name);
  Dtype t = to_inexact(a.dtype());
  // Halves are computed in float32: squared deviations overflow float16 fast.
  Dtype work = is_half(t) ? float32 : t;
  array x = astype(a, work, s);
  array mu = mean_of(x, p, work, /*keepdims=*/true, s);
  array d = subtract(x, mu, s);
  array sq = is_complex(work) ? add(square(real(d, s), s), square(imag(d, s), s), s) : square(d, s);
  Dtype real_t = is_complex(work) ? float32 : work;
  array total = reduce_impl(sq, ReduceOp::Sum, p, real_t, keepdims, s);
  double denom = std::max(static_cast<double>(p.count) - ddof, 0.0);
  array v = divide(total, array(denom, real_t), s);
  Dtype out_t = is_complex(t) ? float32 : t;
  return astype(v, out_t, s);
}
}  // namespace

array var(const array& a, const std::vector<int>& axes, bool keepdims, int ddof, StreamOrDevice s) {
  return var_impl(a, axes, keepdims, ddof, "var", s);
}
array var(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, all_axes(a.ndim()), keepdims, ddof, s);
}
array var(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, std::vector<int>{axis}, keepdims, ddof, s);
}

array std(const array& a, const std::vector<int>& axes, bool keepdims, int ddof, StreamOrDevice s) {
  // Square root in float32 for halves, then back.
  array v = var_impl(a, axes, keepdims, ddof, "std", s);
  if (is_half(v.dtype())) return astype(sqrt(astype(v, float32, s), s), v.dtype(), s);
  return sqrt(v, s);
}
array std(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, all_axes(a.ndim()), keepdims, ddof, s);
}
array std(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, std::vector<int>{axis}, keepdims, ddof, s);
}

// ---- median ----

array median(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "median");
  Dtype t = to_inexact(a.dtype());
  if (p.count == 0) {
    double nan = std::numeric_limits<double>::quiet_NaN();
    return full(out_shape(p, keepdims), array(nan, t == complex64 ? float32 : t), t, s);
  }
  // Move the reduced axes last, flatten them, sort.
  std::vector<int> perm;
  size_t j = 0;
  for (int i = 0; i < a.ndim(); ++i) {
    if (j < p.axes.size() && p.axes[j] == i) {
      ++j;
    } else {
      perm.push_back(i);
    }
  }
  for (int ax : p.axes) perm.push_back(ax);
  Shape flat_shape = p.squeezed_shape;
  flat_shape.push_back(static_cast<ShapeElem>(p.count));
  array flat = reshape(transpose(a, perm, s), flat_shape, s);
  array sorted = sort(flat, -1, s);
  int nd = static_cast<int>(flat_shape.size());
  auto take = [&](size_t i) {
    Shape start(nd, 0), stop = flat_shape;
    start[nd - 1] = static_cast<ShapeElem>(i);
    stop[nd - 1] = static_cast<ShapeElem>(i + 1);
    return astype(slice(sorted, start, stop, s), t, s);
  };
  size_t n = p.count;
  array med = take(n / 2);
  if (n % 2 == 0) {
    Dtype half_t = t == complex64 ? float32 : t;
    med = multiply(add(med, take(n / 2 - 1), s), array(0.5, half_t), s);
  }
  if (is_floating_point(a.dtype()) || is_complex(a.dtype())) {
    // NaNs sort last: the row holds one exactly when its last value is NaN.
    array last = take(n - 1);
    double nan = std::numeric_limits<double>::quiet_NaN();
    med = where(isnan(last, s), array(nan, t == complex64 ? float32 : t), med, s);
  }
  return reshape(med, out_shape(p, keepdims), s);
}
array median(const array& a, bool keepdims, StreamOrDevice s) {
  return median(a, all_axes(a.ndim()), keepdims, s);
}
array median(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return median(a, std::vector<int>{axis}, keepdims, s);
}

// ---- logsumexp / softmax ----

namespace {
// max over the plan's axes (keepdims), with non-finite maxima replaced by 0 so
// that shifting by it never makes inf - inf.
array safe_shift(const array& x, const ReducePlan& p, StreamOrDevice s) {
  array m = reduce_impl(x, ReduceOp::Max, p, x.dtype(), /*keepdims=*/true, s);
  return where(isfinite(m, s), m, array(0.0, x.dtype()), s);
}

// Whether the plan reduces the trailing axes (one or more) and nothing else:
// then the fused row primitive applies, after merging them into one.
bool trailing_axes(const ReducePlan& p, int ndim) {
  int k = static_cast<int>(p.axes.size());
  for (int i = 0; i < k; ++i) {
    if (p.axes[i] != ndim - k + i) return false;
  }
  return k > 0;
}

// The RowNorm node of op over the trailing axes of x (of dtype t), on x
// reshaped so that they form one last axis; returned in that shape.
array row_norm_trailing(RowNormOp op, const array& x, const ReducePlan& p, StreamOrDevice s) {
  int k = static_cast<int>(p.axes.size());
  Shape rows(x.shape().begin(), x.shape().end() - k);
  rows.push_back(static_cast<ShapeElem>(p.count));
  array xr = k == 1 ? x : reshape(x, rows, s);
  Shape out = rows;
  if (op == RowNormOp::LogSumExp) out.back() = 1;
  return array(out, x.dtype(), make_pooled<RowNorm>(to_stream(s), op), {xr});
}
}  // namespace

array logsumexp(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "logsumexp");
  no_complex("logsumexp", a);
  Dtype t = to_inexact(a.dtype());
  if (p.count == 0) {
    return full(out_shape(p, keepdims), array(-std::numeric_limits<double>::infinity(), t), t, s);
  }
  if (trailing_axes(p, a.ndim()) && p.out_size > 0) {
    array r = row_norm_trailing(RowNormOp::LogSumExp, astype(a, t, s), p, s);
    return reshape(r, out_shape(p, keepdims), s);
  }
  Dtype work = is_half(t) ? float32 : t;
  array x = astype(a, work, s);
  // With m the (finite) max: log(sum(exp(x - m))) + m. An infinite or NaN max
  // leaves m = 0, which gives +inf, -inf or NaN as the sum dictates.
  array m = safe_shift(x, p, s);
  array total = reduce_impl(exp(subtract(x, m, s), s), ReduceOp::Sum, p, work, true, s);
  array out = add(log(total, s), m, s);
  return astype(reshape(out, out_shape(p, keepdims), s), t, s);
}
array logsumexp(const array& a, bool keepdims, StreamOrDevice s) {
  return logsumexp(a, all_axes(a.ndim()), keepdims, s);
}
array logsumexp(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return logsumexp(a, std::vector<int>{axis}, keepdims, s);
}

array softmax(const array& a, const std::vector<int>& axes, bool /*precise*/, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "softmax");
  no_complex("softmax", a);
  Dtype t = to_inexact(a.dtype());
  if (a.size() == 0) return astype(a, t, s);
  if (trailing_axes(p, a.ndim())) {
    return reshape(row_norm_trailing(RowNormOp::Softmax, astype(a, t, s), p, s), a.shape(), s);
  }
  Dtype work = is_half(t) ? float32 : t;
  array x = astype(a, work, s);
  array e = exp(subtract(x, safe_shift(x, p, s), s), s);
  array total = reduce_impl(e, ReduceOp::Sum, p, work, true, s);
  return astype(divide(e, total, s), t, s);
}
array softmax(const array& a, bool precise, StreamOrDevice s) {
  return softmax(a, all_axes(a.ndim()), precise, s);
}

// ---- count_nonzero ----

array count_nonzero(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto p = plan_reduce(a, axes, "count_nonzero");
  return reduce_impl(astype(a, bool_, s), ReduceOp::Sum, p, int32, keepdims, s);
}
array count_nonzero(const array& a, bool keepdims, StreamOrDevice s) {
  return count_nonzero(a, all_axes(a.ndim()), keepdims, s);
}
array count_nonzero(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return count_nonzero(a, std::vector<int>{axis}, keepdims, s);
}

// ---- argmin / argmax ----

namespace {
array arg_reduce(const array& a, ArgReduceOp op, int axis, bool keepdims, StreamOrDevice s) {
  const char* name = op == ArgReduceOp::ArgMin ? "argmin" : "argmax";
  int ax = normalize_axis(axis, a.ndim(), name, a.shape());
  Shape kept = a.shape(), squeezed;
  kept[ax] = 1;
  for (int i = 0; i < a.ndim(); ++i) {
    if (i != ax) squeezed.push_back(a.shape()[i]);
  }
  if (a.shape()[ax] == 0 && shape_size(kept) > 0) {
    invalid(name, "cannot reduce over the zero-size axis ", axis, " of an array of shape ",
            a.shape());
  }
  array out = a.shape()[ax] == 1
                  ? zeros(kept, uint32, s)
                  : array(kept, uint32, make_pooled<ArgReduce>(to_stream(s), op, ax), {a});
  return reshape(out, keepdims ? kept : squeezed, s);
}

array arg_reduce_all(const array& a, ArgReduceOp op, bool keepdims, StreamOrDevice s) {
  const char* name = op == ArgReduceOp::ArgMin ? "argmin" : "argmax";
  if (a.size() == 0) invalid(name, "cannot reduce an empty array of shape ", a.shape());
  array r = arg_reduce(reshape(a, {static_cast<ShapeElem>(a.size())}, s), op, 0, false, s);
  return keepdims ? reshape(r, Shape(a.ndim(), 1), s) : r;
}
}  // namespace

array argmin(const array& a, bool keepdims, StreamOrDevice s) {
  return arg_reduce_all(a, ArgReduceOp::ArgMin, keepdims, s);
}
array argmin(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce(a, ArgReduceOp::ArgMin, axis, keepdims, s);
}
array argmax(const array& a, bool keepdims, StreamOrDevice s) {
  return arg_reduce_all(a, ArgReduceOp::ArgMax, keepdims, s);
}
array argmax(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce(a, ArgReduceOp::ArgMax, axis, keepdims, s);
}

// ---- comparisons of whole arrays ----

array allclose(const array& a, const array& b, double rtol, double atol, bool equal_nan,
               StreamOrDevice s) {
  return all(isclose(a, b, rtol, atol, equal_nan, s), false, s);
}

array array_equal(const array& a, const array& b, bool equal_nan, StreamOrDevice s) {
  if (a.shape() != b.shape()) return array(false);
  if (a.size() == 0) return array(true);
  array eq = equal(a, b, s);
  if (equal_nan && (is_inexact(a.dtype()) || is_inexact(b.dtype()))) {
    eq = logical_or(eq, logical_and(isnan(a, s), isnan(b, s), s), s);
  }
  return all(eq, false, s);
}

// ---- diff / trace ----

array diff(const array& a, int n, int axis, StreamOrDevice s) {
  if (a.ndim() == 0) invalid("diff", "needs an array of at least one dimension; got a scalar");
  if (n < 0) invalid("diff", "order n must be non-negative; got ", n);
  int ax = normalize_axis(axis, a.ndim(), "diff", a.shape());
  array x = a;
  for (int i = 0; i < n; ++i) {
    int len = x.shape()[ax];
    if (len == 0) break;
    Shape start(x.ndim(), 0), stop = x.shape();
    start[ax] = 1;
    array hi = slice(x, start, stop, s);
    start[ax] = 0;
    stop[ax] = len - 1;
    array lo = slice(x, start, stop, s);
    x = x.dtype() == bool_ ? not_equal(hi, lo, s) : subtract(hi, lo, s);
  }
  return x;
}

namespace {
array diagonal_view(const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  if (a.ndim() < 2) {
    invalid("trace", "needs an array of at least two dimensions; got shape ", a.shape());
  }
  int a1 = normalize_axis(axis1, a.ndim(), "trace", a.shape());
  int a2 = normalize_axis(axis2, a.ndim(), "trace", a.shape());
  if (a1 == a2) {
    invalid("trace", "axis1 and axis2 must differ; both are ", a1, " for shape ", a.shape());
  }
  Strides rs = row_major_strides(a.shape());
  Shape shape;
  Strides strides;
  for (int i = 0; i < a.ndim(); ++i) {
    if (i == a1 || i == a2) continue;
    shape.push_back(a.shape()[i]);
    strides.push_back(rs[i]);
  }
  int64_t n1 = a.shape()[a1], n2 = a.shape()[a2];
  int64_t len = offset >= 0 ? std::min(n1, n2 - offset) : std::min(n1 + offset, n2);
  len = std::max<int64_t>(len, 0);
  int64_t start = 0;
  if (len > 0) start = offset >= 0 ? offset * rs[a2] : -static_cast<int64_t>(offset) * rs[a1];
  shape.push_back(static_cast<ShapeElem>(len));
  strides.push_back(rs[a1] + rs[a2]);
  if (shape_size(shape) == 0) start = 0;
  return as_strided(a, shape, strides, start, s);
}
}  // namespace

array trace(const array& a, int offset, int axis1, int axis2, Dtype dtype, StreamOrDevice s) {
  array d = diagonal_view(a, offset, axis1, axis2, s);
  return astype(sum(astype(d, dtype, s), -1, false, s), dtype, s);
}
array trace(const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  return sum(diagonal_view(a, offset, axis1, axis2, s), -1, false, s);
}
array trace(const array& a, StreamOrDevice s) {
  return trace(a, 0, 0, 1, s);
}

}  // namespace tandem
