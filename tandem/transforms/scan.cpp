// Transform rules of the Scan primitive. Each rule is written for a forward
// inclusive scan; a reverse scan flips its arrays along the axis first and
// an exclusive one shifts them by one element.
#include "tandem/ops/scan.h"

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/reduce.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/pool.h"
#include "tandem/primitives/scan.h"
#include "tandem/transforms/rules.h"

namespace tandem {
namespace {

using rules::scalar_like;

// a shifted one place along axis: right (element j takes j - 1; element 0
// takes fill) or left (j takes j + 1; the last takes fill).
array shift(const array& a, int axis, bool right, const array& fill, Stream s) {
  int n = a.shape()[axis];
  Shape one = a.shape();
  one[axis] = 1;
  array f = broadcast_to(astype(fill, a.dtype(), s), one, s);
  if (n <= 1) return n == 0 ? a : f;
  Shape start(a.ndim(), 0), stop = a.shape();
  if (right) {
    stop[axis] = n - 1;
    return concatenate({f, slice(a, start, stop, s)}, axis, s);
  }
  start[axis] = 1;
  return concatenate({slice(a, start, stop, s), f}, axis, s);
}

// The position, along axis, of every element as int32, broadcast to shape.
array positions(const Shape& shape, int axis, Stream s) {
  Shape b(shape.size(), 1);
  b[axis] = shape[axis];
  return broadcast_to(reshape(arange(0, static_cast<int>(shape[axis]), 1, int32, s), b, s), shape,
                      s);
}

// For cummax/cummin: the index each output took its value from (the
// latest position at or before it holding the running extreme).
array extreme_sources(const array& x, const array& y, int axis, Stream s) {
  array pos = positions(x.shape(), axis, s);
  array src = where(equal(x, y, s), pos, array(-1, int32), s);
  return cummax(src, axis, false, true, s);
}

// Cumulative products without their zeros, and how many zeros each
// inclusive prefix holds: products exact where a zero cuts them.
struct ZeroSplit {
  array q;      // cumprod of x with zeros read as 1
  array zeros;  // inclusive count of zeros (int32)
  array is_zero;
};
ZeroSplit zero_split(const array& x, int axis, Stream s) {
  array z = equal(x, scalar_like(0, x), s);
  array xt = where(z, scalar_like(1, x), x, s);
  return {cumprod(xt, axis, false, true, s), cumsum(astype(z, int32, s), axis, false, true, s), z};
}

// vjp of a forward inclusive scan of x (output y) for cotangent g.
array forward_vjp(ScanOp op, const array& x, const array& y, const array& g, int axis, Stream s) {
  switch (op) {
    case ScanOp::Sum:
      return cumsum(g, axis, true, true, s);
    case ScanOp::Prod: {
      // vjp_i = L_i * sum_{j >= i, same zero count} g_j Q_j / Q_i, with L_i
      // the exclusive product: zero past the first zero.
      auto [q, nz, is_zero] = zero_split(x, axis, s);
      array a = multiply(g, q, s);
      array r = cumsum(a, axis, true, true, s);  // sum over j >= i
      // r at the next zero after i ends i's run of equal zero counts.
      int n = x.shape()[axis];
      array pos = positions(x.shape(), axis, s);
      array zpos = where(is_zero, pos, array(n, int32), s);
      // First zero strictly after i (n: none; the exclusive scan's first
      // value is int32's largest).
      array next = minimum(cummin(zpos, axis, true, false, s), array(n, int32), s);
      Shape one = x.shape();
      one[axis] = 1;
      array r_ext = concatenate({r, zeros(one, r.dtype(), s)}, axis, s);
      array after = take_along_axis(r_ext, next, axis, s);
      array seg = divide(subtract(r, after, s), q, s);
      // L_i: the exclusive product, zero once a zero came before i.
      array zeros_before = subtract(nz, astype(is_zero, int32, s), s);
      array q_excl = divide(q, where(is_zero, scalar_like(1, x), x, s), s);
      array l = where(equal(zeros_before, array(0, int32), s), q_excl, scalar_like(0, x), s);
      return multiply(l, seg, s);
    }
    case ScanOp::Max:
    case ScanOp::Min: {
      array src = extreme_sources(x, y, axis, s);
      return scatter_add_axis(zeros_like(g, s), src, g, axis, s);
    }
    case ScanOp::LogAddExp: {
      // exp(x_i) * sum_{j >= i} g_j exp(-y_j), scaled by the maximum.
      array m = max(x, std::vector<int>{axis}, true, s);
      array w = multiply(g, exp(subtract(m, y, s), s), s);
      return multiply(exp(subtract(x, m, s), s), cumsum(w, axis, true, true, s), s);
    }
  }
  return zeros_like(x, s);
}

// jvp of a forward inclusive scan of x (output y) for tangent t.
array forward_jvp(ScanOp op, const array& x, const array& y, const array& t, int axis, Stream s) {
  switch (op) {
    case ScanOp::Sum:
      return cumsum(t, axis, false, true, s);
    case ScanOp::Prod: {
      // No zero yet: Q_j * sum_{i <= j} t_i / x_i; one zero (at z):
      // t_z * Q_j; more: 0.
      auto [q, nz, is_zero] = zero_split(x, axis, s);
      array xt = where(is_zero, scalar_like(1, x), x, s);
      array none = multiply(
          q, cumsum(divide(where(is_zero, scalar_like(0, t), t, s), xt, s), axis, false, true, s),
          s);
      array first = logical_and(is_zero, equal(nz, array(1, int32), s), s);
      array one =
          multiply(q, cumsum(where(first, t, scalar_like(0, t), s), axis, false, true, s), s);
      return where(equal(nz, array(0, int32), s), none,
                   where(equal(nz, array(1, int32), s), one, scalar_like(0, t), s), s);
    }
    case ScanOp::Max:
    case ScanOp::Min:
      return take_along_axis(t, extreme_sources(x, y, axis, s), axis, s);
    case ScanOp::LogAddExp: {
      array m = max(x, std::vector<int>{axis}, true, s);
      array c = cumsum(multiply(t, exp(subtract(x, m, s), s), s), axis, false, true, s);
      return multiply(exp(subtract(m, y, s), s), c, s);
    }
  }
  return zeros_like(y, s);
}

array inclusive_scan(ScanOp op, const array& x, int axis, Stream s) {
  switch (op) {
    case ScanOp::Sum:
      return cumsum(x, axis, false, true, s);
    case ScanOp::Prod:
      return cumprod(x, axis, false, true, s);
    case ScanOp::Max:
      return cummax(x, axis, false, true, s);
    case ScanOp::Min:
      return cummin(x, axis, false, true, s);
    case ScanOp::LogAddExp:
      return logcumsumexp(x, axis, false, true, s);
  }
  return x;
}

}  // namespace

std::vector<array> Scan::vjp(const std::vector<array>& primals,
                             const std::vector<array>& cotangents, const std::vector<int>&,
                             const std::vector<array>&) {
  Stream s = stream();
  array x = primals[0], g = astype(cotangents[0], primals[0].dtype(), s);
  if (x.size() == 0) return {zeros_like(x, s)};
  if (reverse_) {
    x = flip(x, axis_, s);
    g = flip(g, axis_, s);
  }
  // exclusive y_j = inclusive y_{j-1}: its cotangent moves one place left.
  if (!inclusive_) g = shift(g, axis_, false, array(0), s);
  array y = op_ == ScanOp::Sum ? x : inclusive_scan(op_, x, axis_, s);
  array r = forward_vjp(op_, x, y, g, axis_, s);
  return {reverse_ ? flip(r, axis_, s) : r};
}

std::vector<array> Scan::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  array x = primals[0], t = astype(tangents[0], outputs[0].dtype(), s);
  if (x.size() == 0) return {zeros_like(outputs[0], s)};
  if (reverse_) {
    x = flip(x, axis_, s);
    t = flip(t, axis_, s);
  }
  array y = op_ == ScanOp::Sum ? x : inclusive_scan(op_, x, axis_, s);
  array r = forward_jvp(op_, x, y, t, axis_, s);
  if (!inclusive_) r = shift(r, axis_, true, array(0), s);
  return {reverse_ ? flip(r, axis_, s) : r};
}

std::pair<std::vector<array>, std::vector<int>> Scan::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes,
                                                           const std::vector<array>& outputs) {
  Stream s = stream();
  array x = rules::batch_front(inputs[0], axes[0], 0, s);
  return {{array(x.shape(), outputs[0].dtype(),
                 make_pooled<Scan>(s, op_, axis_ + 1, reverse_, inclusive_), {x})},
          {0}};
}

}  // namespace tandem
