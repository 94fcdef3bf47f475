#include "tandem/ops/sort.h"

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/scan.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/ops/utils.h"
#include "tandem/primitives/sort.h"

namespace tandem {

namespace {
array flat(const array& a, StreamOrDevice s) {
  return reshape(a, {static_cast<ShapeElem>(a.size())}, s);
}
}  // namespace

array sort(const array& a, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "sort", a.shape());
  if (a.size() == 0 || a.shape()[ax] <= 1) return a;
  return array(a.shape(), a.dtype(), make_pooled<Sort>(to_stream(s), ax), {a});
}
array sort(const array& a, StreamOrDevice s) {
  return sort(flat(a, s), 0, s);
}

array argsort(const array& a, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "argsort", a.shape());
  if (a.size() == 0 || a.shape()[ax] == 1) return zeros(a.shape(), uint32, s);
  return array(a.shape(), uint32, make_pooled<ArgSort>(to_stream(s), ax), {a});
}
array argsort(const array& a, StreamOrDevice s) {
  return argsort(flat(a, s), 0, s);
}

namespace {
int check_kth(const char* name, const array& a, int kth, int ax) {
  int n = a.shape()[ax];
  int k = kth < 0 ? kth + n : kth;
  if (k < 0 || k >= n) {
    invalid(name, "kth ", kth, " is out of range for axis ", ax, " of size ", n, " (array shape ",
            a.shape(), ")");
  }
  return k;
}
}  // namespace

array partition(const array& a, int kth, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "partition", a.shape());
  int k = check_kth("partition", a, kth, ax);
  if (a.size() == 0 || a.shape()[ax] == 1) return a;
  return array(a.shape(), a.dtype(), make_pooled<Partition>(to_stream(s), k, ax), {a});
}
array partition(const array& a, int kth, StreamOrDevice s) {
  return partition(flat(a, s), kth, 0, s);
}

array argpartition(const array& a, int kth, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "argpartition", a.shape());
  int k = check_kth("argpartition", a, kth, ax);
  if (a.size() == 0 || a.shape()[ax] == 1) return zeros(a.shape(), uint32, s);
  return array(a.shape(), uint32, make_pooled<ArgPartition>(to_stream(s), k, ax), {a});
}
array argpartition(const array& a, int kth, StreamOrDevice s) {
  return argpartition(flat(a, s), kth, 0, s);
}

array topk(const array& a, int k, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "topk", a.shape());
  int n = a.shape()[ax];
  if (k < 0 || k > n) {
    invalid("topk", "k = ", k, " is out of range for axis ", axis, " of size ", n, " (array shape ",
            a.shape(), ")");
  }
  if (k == n) return a;
  Shape start(a.ndim(), 0), stop = a.shape();
  start[ax] = n - k;
  if (k == 0) return slice(a, start, stop, s);
  return slice(partition(a, n - k, ax, s), start, stop, s);
}
array topk(const array& a, int k, StreamOrDevice s) {
  return topk(flat(a, s), k, 0, s);
}

// ---- searchsorted / unique ----

namespace {

// x < y in the order sort uses: NaN after every number (nan_last).
array before(const array& x, const array& y, bool nan_last, StreamOrDevice s) {
  array lt = less(x, y, s);
  if (!nan_last) return lt;
  return logical_or(lt, logical_and(isnan(y, s), logical_not(isnan(x, s), s), s), s);
}

}  // namespace

array searchsorted(const array& sorted_sequence, const array& values, const std::string& side,
                   StreamOrDevice s) {
  if (sorted_sequence.ndim() != 1) {
    invalid("searchsorted", "the sorted sequence must be 1-d; got shape ", sorted_sequence.shape());
  }
  if (side != "left" && side != "right") {
    invalid("searchsorted", "side must be 'left' or 'right'; got '", side, "'");
  }
  int64_t n = static_cast<int64_t>(sorted_sequence.size());
  if (n > static_cast<int64_t>(UINT32_MAX) - 1) {
    invalid("searchsorted", "the sorted sequence has ", n,
            " elements; at most 2^32 - 2 fit the "
            "uint32 result");
  }
  Dtype t = promote_types(sorted_sequence.dtype(), values.dtype());
  array seq = astype(sorted_sequence, t, s);
  array v = astype(values, t, s);
  bool nan_last = is_floating_point(t);
  bool right = side == "right";
  // Binary search on [lo, hi) per value: the answer is the first position
  // whose element is not before the value (left) / is after it (right).
  array one(1u, uint32);
  array lo = zeros(values.shape(), uint32, s);
  array hi = full(values.shape(), array(static_cast<uint32_t>(n), uint32), uint32, s);
  array last(static_cast<uint32_t>(n > 0 ? n - 1 : 0), uint32);
  for (int64_t len = n; len > 0; len >>= 1) {
    array mid = add(lo, right_shift(subtract(hi, lo, s), one, s), s);
    array p = take(seq, minimum(mid, last, s), s);
    array go = right ? logical_not(before(v, p, nan_last, s), s) : before(p, v, nan_last, s);
    go = logical_and(less(lo, hi, s), go, s);
    lo = where(go, add(mid, one, s), lo, s);
    hi = where(go, hi, mid, s);
  }
  return lo;
}

UniqueResult unique(const array& a, int size, const std::optional<array>& fill_value,
                    StreamOrDevice s) {
  if (size < 0) invalid("unique", "size must not be negative; got ", size);
  if (fill_value && fill_value->size() != 1) {
    invalid("unique", "fill_value must have one element; got shape ", fill_value->shape());
  }
  auto n = static_cast<int64_t>(a.size());
  Shape out{static_cast<ShapeElem>(size)};
  std::optional<array> fill;
  if (fill_value) fill = astype(reshape(*fill_value, {}, s), a.dtype(), s);
  if (n == 0) {
    if (!fill && size > 0) {
      invalid("unique", "an empty input needs a fill_value for a size above 0; got size ", size);
    }
    array f = fill ? *fill : zeros({}, a.dtype(), s);
    return {full(out, f, a.dtype(), s), zeros(out, uint32, s), zeros(a.shape(), uint32, s),
            zeros(out, int32, s)};
  }
  array x = flat(a, s);
  array perm = argsort(x, 0, s);  // stable: a group's first entry is its first occurrence
  array sorted = take(x, perm, s);
  auto m = static_cast<ShapeElem>(n);
  // Group (unique value) number of each sorted element; NaN != NaN, so every
  // NaN is its own group, as in MLX.
  array starts = ones({1}, bool_, s);
  if (n > 1) {
    starts = concatenate(
        {starts, not_equal(slice(sorted, {1}, {m}, s), slice(sorted, {0}, {m - 1}, s), s)}, 0, s);
  }
  array group = subtract(cumsum(astype(starts, int32, s), 0, false, true, s), array(1), s);
  array k = arange(0, size, 1, int32, s);
  array begin = searchsorted(group, k, "left", s);
  array end = searchsorted(group, k, "right", s);
  array counts = astype(subtract(end, begin, s), int32, s);
  array valid = less(k, add(take(group, static_cast<int>(n - 1), s), array(1), s), s);
  array pos = minimum(begin, array(static_cast<uint32_t>(n - 1), uint32), s);
  array values = where(valid, take(sorted, pos, s), fill ? *fill : take(sorted, 0, s), s);
  array index = where(valid, take(perm, pos, s), take(perm, 0, s), s);
  // Slots of the dropped groups (size too small) clamp to the last slot.
  array slot = astype(clip(group, array(0), array(std::max(size - 1, 0)), s), uint32, s);
  array inverse = put_along_axis(zeros({m}, uint32, s), perm, slot, 0, s);
  return {values, index, reshape(inverse, a.shape(), s), counts};
}

}  // namespace tandem
