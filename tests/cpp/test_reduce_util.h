#pragma once
// Helpers for the reduce / scan / sort tests: the same values in several
// memory layouts, float64 grouping of values by reduction output, and checks
// with per-element tolerances.
#include <algorithm>
#include <complex>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "tandem/ops/reduce.h"
#include "test_utils.h"

namespace tandem::test::rt {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

inline Shape shape_of(std::initializer_list<int> v) {
  return Shape(v.begin(), v.end());
}

// a with every axis reversed (negative strides).
inline array flip_all(const array& a) {
  int nd = a.ndim();
  Shape start(nd, -1), stop(nd, 0), step(nd, -1);
  for (int i = 0; i < nd; ++i) stop[i] = -(a.shape()[i] + 1);
  return slice(a, start, stop, step, Device::cpu);
}

// The same logical values as a in several layouts: row-major, transposed,
// all-negative strides, and (ndim >= 3) a rotated axis order.
inline std::vector<std::pair<std::string, array>> layouts(const array& a) {
  std::vector<std::pair<std::string, array>> out{{"row-major", a}};
  if (a.ndim() >= 1 && a.size() > 1) {
    out.push_back({"strided", strided_view(a)});
    array r = contiguous(flip_all(a), false, Device::cpu);
    r.eval();
    out.push_back({"reversed", flip_all(r)});
  }
  if (a.ndim() >= 3) {
    int nd = a.ndim();
    std::vector<int> perm(nd), inv(nd);
    for (int i = 0; i < nd; ++i) perm[i] = (i + 1) % nd;
    for (int i = 0; i < nd; ++i) inv[perm[i]] = i;
    array t = contiguous(transpose(a, perm, Device::cpu), false, Device::cpu);
    t.eval();
    out.push_back({"rotated", transpose(t, inv, Device::cpu)});
  }
  return out;
}

// Row-major values as bools (array::to_vector<bool> cannot build: std::vector<bool>).
inline std::vector<bool> bools(array a) {
  auto v = a.to_vector<uint8_t>();
  return std::vector<bool>(v.begin(), v.end());
}

inline std::vector<int> norm_axes(std::vector<int> axes, int nd) {
  for (auto& a : axes) a = a < 0 ? a + nd : a;
  std::sort(axes.begin(), axes.end());
  return axes;
}

inline bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Shape of a reduction's result.
inline Shape reduced_shape(const Shape& shape, const std::vector<int>& axes_in, bool keepdims) {
  auto axes = norm_axes(axes_in, static_cast<int>(shape.size()));
  Shape out;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    if (contains(axes, i)) {
      if (keepdims) out.push_back(1);
    } else {
      out.push_back(shape[i]);
    }
  }
  return out;
}

// Output index (row-major over the kept dims) of each input element.
inline std::vector<size_t> group_of(const Shape& shape, const std::vector<int>& axes_in) {
  int nd = static_cast<int>(shape.size());
  auto axes = norm_axes(axes_in, nd);
  size_t n = shape_size(shape);
  std::vector<size_t> g(n);
  std::vector<int> idx(nd, 0);
  for (size_t i = 0; i < n; ++i) {
    size_t o = 0;
    for (int d = 0; d < nd; ++d) {
      if (!contains(axes, d)) o = o * shape[d] + idx[d];
    }
    g[i] = o;
    for (int d = nd - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return g;
}

// Values grouped by reduction output, each group in row-major order.
template <typename V>
std::vector<std::vector<V>> groups(const std::vector<V>& v, const Shape& shape,
                                   const std::vector<int>& axes) {
  auto g = group_of(shape, axes);
  size_t n_out = shape_size(reduced_shape(shape, axes, false));
  std::vector<std::vector<V>> out(n_out);
  for (size_t i = 0; i < v.size(); ++i) out[g[i]].push_back(v[i]);
  return out;
}

// Elementwise check with a tolerance per element; NaNs and infinities must match.
inline void expect_near_each(const std::vector<double>& got, const std::vector<double>& want,
                             const std::vector<double>& tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int failures = 0;
  for (size_t i = 0; i < got.size() && failures < 5; ++i) {
    double g = got[i], w = want[i];
    bool ok;
    if (std::isnan(w)) {
      ok = std::isnan(g);
    } else if (std::isinf(w)) {
      ok = g == w;
    } else {
      ok = std::fabs(g - w) <= tol[i];
    }
    if (!ok) {
      ++failures;
      ADD_FAILURE() << what << " at " << i << ": got " << g << ", want " << w << " (tol " << tol[i]
                    << ")";
    }
  }
}

inline void expect_exact(const std::vector<double>& got, const std::vector<double>& want,
                         const std::string& what) {
  expect_near_each(got, want, std::vector<double>(want.size(), 0.0), what);
}

// Machine epsilon of the type a float result is rounded to.
inline double eps_of(Dtype t) {
  if (t == float16) return 1.0 / 1024;
  if (t == bfloat16) return 1.0 / 128;
  if (t == float32 || t == complex64) return 1.2e-7;
  if (t == float64) return 2.3e-16;
  return 0;
}

// Spacing of the smallest (subnormal) values of a float type: the absolute
// error of rounding a tiny result.
inline double tiny_of(Dtype t) {
  if (t == float16) return 5.97e-8;
  if (t == bfloat16 || t == float32) return 1.5e-45;
  return 1e-300;
}

// Values that make products small: mostly +-1, some 2 (unsigned: 1 and 2).
inline std::vector<double> product_friendly(size_t n, Dtype t) {
  std::vector<double> v(n);
  for (auto& x : v) {
    auto r = rng()() % 10;
    if (t == bool_) {
      x = r < 8 ? 1 : 0;
    } else if (r == 0) {
      x = 2;
    } else if (is_unsigned(t)) {
      x = 1;
    } else {
      x = (r & 1) ? 1 : -1;
    }
  }
  return v;
}

// Random values where about `zero_frac` of them are exactly zero.
inline std::vector<double> sparse_values(size_t n, Dtype t, double zero_frac) {
  auto v = random_values(n, t);
  for (auto& x : v) {
    if (std::uniform_real_distribution<double>(0, 1)(rng()) < zero_frac) x = 0;
  }
  return v;
}

inline std::string desc(Dtype t, const std::vector<int>& axes, bool keepdims,
                        const std::string& layout) {
  std::string s = std::string(dtype_name(t)) + " axes(";
  for (size_t i = 0; i < axes.size(); ++i) s += (i ? "," : "") + std::to_string(axes[i]);
  return s + ") keepdims=" + (keepdims ? "1" : "0") + " " + layout;
}

inline std::vector<Dtype> real_dtypes() {
  return {bool_, uint8, uint16,  uint32,  uint64,  int8,    int16,
          int32, int64, float16, float32, float64, bfloat16};
}

// Expects building or evaluating op()'s result to throw
// std::invalid_argument starting with "[name]" and containing `needle`.
template <typename F>
void expect_invalid_eval(F&& op, const std::string& name, const std::string& needle = "") {
  std::vector<std::string> parts;
  if (!needle.empty()) parts.push_back(needle);
  test::expect_invalid([&] { op().eval(); }, name, parts);
}

}  // namespace tandem::test::rt
