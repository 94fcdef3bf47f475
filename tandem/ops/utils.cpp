#include "tandem/ops/utils.h"

#include <algorithm>

namespace tandem {

int normalize_axis(int axis, int ndim, const char* op, const Shape& shape) {
  int a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim) {
    std::ostringstream os;
    os << "[" << op << "] axis " << axis << " is out of bounds for an array of shape " << shape
       << " (ndim " << ndim << ")";
    throw AxisError(os.str());
  }
  return a;
}

std::vector<int> normalize_axes(const std::vector<int>& axes, int ndim, const char* op,
                                const Shape& shape) {
  std::vector<int> out;
  out.reserve(axes.size());
  for (int ax : axes) out.push_back(normalize_axis(ax, ndim, op, shape));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    std::ostringstream os;
    for (size_t i = 0; i < axes.size(); ++i) os << (i ? ", " : "") << axes[i];
    invalid(op, "repeated axis in (", os.str(), ") for an array of shape ", shape);
  }
  return out;
}

std::vector<int> all_axes(int ndim) {
  std::vector<int> a(ndim);
  for (int i = 0; i < ndim; ++i) a[i] = i;
  return a;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    int ia = static_cast<int>(a.size()) - 1 - static_cast<int>(i);
    int ib = static_cast<int>(b.size()) - 1 - static_cast<int>(i);
    ShapeElem da = ia >= 0 ? a[ia] : 1;
    ShapeElem db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      invalid(op, "shapes ", a, " and ", b, " cannot be broadcast together");
    }
    out[n - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

Shape broadcast_shapes(const std::vector<Shape>& shapes, const char* op) {
  if (shapes.empty()) return Shape{};
  Shape out = shapes[0];
  for (size_t i = 1; i < shapes.size(); ++i) out = broadcast_shapes(out, shapes[i], op);
  return out;
}

std::string shapes_str(const std::vector<array>& arrays) {
  std::ostringstream os;
  for (size_t i = 0; i < arrays.size(); ++i) {
    if (i) os << (i + 1 == arrays.size() ? " and " : ", ");
    os << arrays[i].shape();
  }
  return os.str();
}

std::string ints_str(const std::vector<int>& v) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << ")";
  return os.str();
}

}  // namespace tandem
