// Printing arrays the way MLX does:
//   array([[1, 2],
//          [3, 4]], dtype=int32)
// Nested rows go on new lines indented under the first '['; an axis longer
// than 6 shows its first 3 and last 3 entries around "...". Floats print as
// C++ streams do by default (6 significant digits), bools as True/False,
// complex numbers as 1+2j (empty axes print as []).
#include <atomic>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <string>

#include "tandem/array.h"
#include "tandem/ops/creation.h"

namespace tandem {
namespace {

constexpr int kEdgeItems = 3;  // entries shown at each end of a summarised axis

std::atomic<int> g_precision{-1};
constexpr int kMaxPrecision = 100;

// v in the default stream format (%g, 6 significant digits), or with
// set_print_precision's decimal places in fixed notation.
template <typename F>
std::string format_float(F v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream os;
  int p = g_precision.load(std::memory_order_relaxed);
  if (p >= 0) os << std::fixed << std::setprecision(p);
  os << v;
  return os.str();
}

template <typename T>
std::string format_value(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "True" : "False";
  } else if constexpr (std::is_same_v<T, complex64_t>) {
    float im = v.imag();
    bool neg = std::signbit(im) && !std::isnan(im);  // 1-0j for a -0 imaginary part
    return format_float(v.real()) + (neg ? "-" : "+") + format_float(neg ? -im : im) + "j";
  } else if constexpr (std::is_same_v<T, double>) {
    return format_float(v);
  } else if constexpr (is_half_v<T> || std::is_floating_point_v<T>) {
    // Through float, so a float32 prints its float digits (1.1f -> 1.1).
    return format_float(static_cast<float>(v));
  } else if constexpr (std::is_signed_v<T>) {
    return std::to_string(static_cast<int64_t>(v));
  } else {
    return std::to_string(static_cast<uint64_t>(v));
  }
}

template <typename T>
void print_axis(std::ostream& os, const T* data, const Shape& shape, const Strides& strides,
                int dim, size_t offset) {
  int nd = static_cast<int>(shape.size());
  int n = shape[dim];
  bool last = dim == nd - 1;
  std::string sep = last ? ", " : ",\n" + std::string(7 + dim, ' ');
  os << "[";
  for (int i = 0; i < n; ++i) {
    if (i > 0) os << sep;
    if (i == kEdgeItems && n > 2 * kEdgeItems) {
      os << "...";
      i = n - kEdgeItems - 1;
      continue;
    }
    size_t off = offset + static_cast<size_t>(i) * static_cast<size_t>(strides[dim]);
    if (last) {
      os << format_value(data[off]);
    } else {
      print_axis(os, data, shape, strides, dim + 1, off);
    }
  }
  os << "]";
}

}  // namespace

std::ostream& operator<<(std::ostream& os, array a) {
  a.eval();
  array c = contiguous(a);
  c.sync_host();
  os << "array(";
  dispatch_dtype(c.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = c.size() ? c.data<T>() : nullptr;
    if (c.ndim() == 0) {
      os << format_value(p[0]);
    } else {
      print_axis(os, p, c.shape(), row_major_strides(c.shape()), 0, 0);
    }
  });
  return os << ", dtype=" << a.dtype() << ")";
}

void set_print_precision(int precision) {
  // A huge precision would make every printed value a huge string.
  if (precision > kMaxPrecision) {
    throw std::invalid_argument("[set_printoptions] precision must be -1 (the default) or 0 to " +
                                std::to_string(kMaxPrecision) + "; got " +
                                std::to_string(precision));
  }
  g_precision.store(precision < 0 ? -1 : precision, std::memory_order_relaxed);
}
int get_print_precision() {
  return g_precision.load(std::memory_order_relaxed);
}

}  // namespace tandem
