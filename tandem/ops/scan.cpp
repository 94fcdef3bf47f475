#include "tandem/ops/scan.h"

#include "tandem/ops/creation.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/utils.h"
#include "tandem/primitives/scan.h"

namespace tandem {

void Scan::print(std::ostream& os) const {
  static const char* names[] = {"CumSum", "CumProd", "CumMax", "CumMin", "CumLogSumExp"};
  os << names[static_cast<int>(op_)] << "(axis=" << axis_ << (reverse_ ? ", reverse" : "")
     << (inclusive_ ? "" : ", exclusive") << ")";
}

namespace {
void no_complex(const char* op, const array& a) {
  if (is_complex(a.dtype())) {
    invalid(op, "not supported for complex input (shape ", a.shape(), ", dtype ", a.dtype(), ")");
  }
}

array scan_impl(const char* name, const array& a, ScanOp op, int axis, bool reverse, bool inclusive,
                StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), name, a.shape());
  Dtype t = a.dtype();
  if (op == ScanOp::Sum || op == ScanOp::Prod) {
    if (t == bool_) t = int32;
  } else if (op == ScanOp::LogAddExp) {
    no_complex(name, a);
    t = to_inexact(t);
  }
  array x = astype(a, t, s);
  if (a.size() == 0) return x;
  return array(a.shape(), t, make_pooled<Scan>(to_stream(s), op, ax, reverse, inclusive), {x});
}
array flat(const array& a, StreamOrDevice s) {
  return reshape(a, {static_cast<ShapeElem>(a.size())}, s);
}
}  // namespace

array cumsum(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan_impl("cumsum", a, ScanOp::Sum, axis, reverse, inclusive, s);
}
array cumsum(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return cumsum(flat(a, s), 0, reverse, inclusive, s);
}
array cumprod(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan_impl("cumprod", a, ScanOp::Prod, axis, reverse, inclusive, s);
}
array cumprod(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return cumprod(flat(a, s), 0, reverse, inclusive, s);
}
array cummax(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan_impl("cummax", a, ScanOp::Max, axis, reverse, inclusive, s);
}
array cummax(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return cummax(flat(a, s), 0, reverse, inclusive, s);
}
array cummin(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan_impl("cummin", a, ScanOp::Min, axis, reverse, inclusive, s);
}
array cummin(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return cummin(flat(a, s), 0, reverse, inclusive, s);
}
array logcumsumexp(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan_impl("logcumsumexp", a, ScanOp::LogAddExp, axis, reverse, inclusive, s);
}
array logcumsumexp(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return logcumsumexp(flat(a, s), 0, reverse, inclusive, s);
}

}  // namespace tandem
