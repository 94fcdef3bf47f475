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

// The solution r of the linear recurrence r_j = c_j + m_j * r_{j-1} along
// axis (r_{j+1} instead when backward; nothing past the ends), by
// recursive doubling: log2(n) rounds of r_j += m_j * r_{j-d} and
// m_j *= m_{j-d} over the elements that have a j - d. No division, so
// zeros, and prefix products that underflow, need no special case
// (cumprod's rules divided by prefix products: nan once they underflowed).
// Slices rather than shifts with a zero fill: m may hold inf, and inf * 0
// would be nan.
array linear_recurrence(array m, array c, int axis, bool backward, Stream s) {
  int n = c.shape()[axis];
  auto part = [&](const array& a, int from, int to) {
    Shape start(a.ndim(), 0), stop = a.shape();
    start[axis] = from;
    stop[axis] = to;
    return slice(a, start, stop, s);
  };
  // v with f(v's elements that have a j - d, the ones d before them).
  auto step = [&](const array& v, int d, auto f) {
    if (backward) {
      return concatenate({f(part(v, 0, n - d), part(v, d, n)), part(v, n - d, n)}, axis, s);
    }
    return concatenate({part(v, 0, d), f(part(v, d, n), part(v, 0, n - d))}, axis, s);
  };
  for (int d = 1; d < n; d *= 2) {
    array m_now = m;
    c = step(c, d, [&](const array& here, const array& before) {
      array mh = backward ? part(m_now, 0, n - d) : part(m_now, d, n);
      return add(here, multiply(mh, before, s), s);
    });
    if (2 * d < n) {
      m = step(m, d,
               [&](const array& here, const array& before) { return multiply(here, before, s); });
    }
  }
  return c;
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

// vjp of a forward inclusive scan of x (output y) for cotangent g.
array forward_vjp(ScanOp op, const array& x, const array& y, const array& g, int axis, Stream s) {
  switch (op) {
    case ScanOp::Sum:
      return cumsum(g, axis, true, true, s);
    case ScanOp::Prod: {
      // vjp_i = E_i * R_i: E_i = x_0 ... x_{i-1} (y shifted right) and
      // R_i = sum_{j >= i} g_j x_{i+1} ... x_j, so R_i = g_i + x_{i+1} R_{i+1}.
      array e = shift(y, axis, true, scalar_like(1, x), s);
      array m = shift(x, axis, false, scalar_like(0, x), s);
      return multiply(e, linear_recurrence(m, g, axis, true, s), s);
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
      // y_j = x_j y_{j-1}, so dy_j = x_j dy_{j-1} + t_j y_{j-1}.
      array e = shift(y, axis, true, scalar_like(1, x), s);
      return linear_recurrence(x, multiply(t, e, s), axis, false, s);
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
