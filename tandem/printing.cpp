// Printing arrays the way MLX does: array([[1, 2], [3, 4]], dtype=int32).
#include <cmath>
#include <iomanip>
#include <sstream>

#include "tandem/array.h"
#include "tandem/ops/creation.h"

namespace tandem {
namespace {

std::string format_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream os;
  os << std::setprecision(6) << v;
  return os.str();
}

template <typename T>
std::string format_value(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "True" : "False";
  } else if constexpr (std::is_same_v<T, complex64_t>) {
    std::string im = format_float(std::fabs(v.imag()));
    return format_float(v.real()) + (v.imag() < 0 ? "-" : "+") + im + "j";
  } else if constexpr (is_half_v<T> || std::is_floating_point_v<T>) {
    return format_float(static_cast<double>(static_cast<float>(v)));
  } else {
    return std::to_string(v);
  }
}

}  // namespace

std::ostream& operator<<(std::ostream& os, array a) {
  a.eval();
  array c = contiguous(a);
  c.eval();
  std::vector<std::string> items(c.size());
  dispatch_dtype(c.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = c.data<T>();
    if constexpr (std::is_same_v<T, double>) {
      for (size_t i = 0; i < c.size(); ++i) items[i] = format_float(p[i]);
    } else {
      for (size_t i = 0; i < c.size(); ++i) items[i] = format_value(p[i]);
    }
  });
  os << "array(";
  if (a.ndim() == 0) {
    os << items[0];
  } else {
    // Nested brackets; rows after the first are indented under the first '['.
    const auto& shape = a.shape();
    int nd = a.ndim();
    std::vector<size_t> block(nd + 1, 1);
    for (int d = nd - 1; d >= 0; --d) block[d] = block[d + 1] * shape[d];
    size_t n = c.size();
    if (n == 0) {
      for (int d = 0; d < nd; ++d) os << "[";
      for (int d = 0; d < nd; ++d) os << "]";
    }
    for (size_t i = 0; i < n; ++i) {
      int opens = 0;
      for (int d = 0; d < nd; ++d) {
        if (i % block[d] == 0) ++opens;
      }
      if (i > 0) {
        os << (opens > 0 ? "," : ", ");
        for (int k = 0; k < opens; ++k) os << "\n";
        if (opens > 0) os << std::string(6 + nd - opens, ' ');
      }
      for (int k = 0; k < opens; ++k) os << "[";
      os << items[i];
      int closes = 0;
      for (int d = 0; d < nd; ++d) {
        if ((i + 1) % block[d] == 0) ++closes;
      }
      for (int k = 0; k < closes; ++k) os << "]";
    }
  }
  return os << ", dtype=" << a.dtype() << ")";
}

}  // namespace tandem
