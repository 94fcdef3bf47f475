#include "tandem/ops/sort.h"

#include "tandem/ops/creation.h"
#include "tandem/ops/shape.h"
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

}  // namespace tandem
