#include "tandem/ops/fft.h"

#include <cmath>
#include <sstream>

#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/ops/utils.h"
#include "tandem/pool.h"
#include "tandem/primitives/fft.h"

namespace tandem::fft {

namespace {

template <typename V>
std::string join(const V& v) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << (v.size() == 1 ? ",)" : ")");
  return os.str();
}

// Output scale of an unnormalized transform of `total` points.
double norm_scale(const char* op, const std::string& norm, bool inverse, double total) {
  if (norm == "backward") return inverse ? 1.0 / total : 1.0;
  if (norm == "forward") return inverse ? 1.0 : 1.0 / total;
  if (norm == "ortho") return 1.0 / std::sqrt(total);
  invalid(op, "Invalid norm '", norm, "'. Expected one of {'backward', 'ortho', 'forward'}.");
}

// a cropped or zero-padded along axis to size n.
array fit(const array& a, int axis, int n, StreamOrDevice s) {
  int have = a.shape()[axis];
  if (have == n) return a;
  if (have > n) {
    Shape start(a.ndim(), 0), stop = a.shape();
    stop[axis] = n;
    return slice(a, start, stop, s);
  }
  return pad(a, {axis}, {0}, {n - have}, zeros({}, a.dtype(), s), "constant", s);
}

// The shared path of every transform (see fft.h).
array transform(const char* op, const array& a, const OptShape& n, const OptAxes& axes,
                bool inverse, bool real, const std::string& norm, StreamOrDevice s) {
  if (n && !axes) invalid(op, "`axes` should not be `None` if `s` is not `None`.");
  std::vector<int> ax = axes ? *axes : all_axes(a.ndim());
  if (n && n->size() != ax.size()) {
    invalid(op, "Shape and axes have different sizes: s ", join(*n), " and axes ", join(ax), ".");
  }
  // Checked before the early return, so a bad norm always raises.
  (void)norm_scale(op, norm, inverse, 1.0);
  if (ax.empty()) return a;
  std::vector<int> given = ax;
  for (auto& d : ax) d = normalize_axis(d, a.ndim(), op, a.shape());
  for (size_t i = 0; i < ax.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (ax[i] == ax[j]) invalid(op, "Duplicated axis received ", join(given), ".");
    }
  }
  size_t last = ax.size() - 1;
  std::vector<int> sizes(ax.size());
  for (size_t i = 0; i < ax.size(); ++i) {
    int have = a.shape()[ax[i]];
    sizes[i] = n ? (*n)[i] : (real && inverse && i == last ? 2 * (have - 1) : have);
  }
  for (int v : sizes) {
    if (v <= 0) {
      invalid(op, "Invalid FFT output size requested ", join(sizes), " for axes ", join(given),
              " of an array of shape ", a.shape(), ".");
    }
  }
  array x = a;
  if (real && !inverse) {
    if (is_complex(x.dtype())) x = tandem::real(x, s);
    if (x.dtype() != float32) x = astype(x, float32, s);
  } else if (x.dtype() != complex64) {
    x = astype(x, complex64, s);
  }
  double total = 1.0;
  for (size_t i = 0; i < ax.size(); ++i) {
    total *= sizes[i];
    int in_size = real && inverse && i == last ? sizes[i] / 2 + 1 : sizes[i];
    x = fit(x, ax[i], in_size, s);
  }
  Shape out_shape = x.shape();
  Dtype out_dtype = complex64;
  if (real && !inverse) {
    out_shape[ax[last]] = sizes[last] / 2 + 1;
  } else if (real) {
    out_shape[ax[last]] = sizes[last];
    out_dtype = float32;
  }
  if (x.size() == 0) return zeros(out_shape, out_dtype, s);
  double scale = norm_scale(op, norm, inverse, total);
  return array(out_shape, out_dtype,
               make_pooled<FFT>(to_stream(s), std::move(ax), inverse, real, scale), {x});
}

OptShape one_size(std::optional<int> n) {
  if (!n) return std::nullopt;
  return Shape{static_cast<ShapeElem>(*n)};
}

array shift(const char* op, const array& a, const OptAxes& axes, bool inverse, StreamOrDevice s) {
  std::vector<int> ax = axes ? *axes : all_axes(a.ndim());
  if (ax.empty()) return a;
  Shape shifts;
  for (auto& d : ax) {
    d = normalize_axis(d, a.ndim(), op, a.shape());
    int half = a.shape()[d] / 2;
    shifts.push_back(static_cast<ShapeElem>(inverse ? -half : half));
  }
  return roll(a, shifts, ax, s);
}

}  // namespace

array fftn(const array& a, const OptShape& n, const OptAxes& axes, const std::string& norm,
           StreamOrDevice s) {
  return transform("fftn", a, n, axes, false, false, norm, s);
}
array ifftn(const array& a, const OptShape& n, const OptAxes& axes, const std::string& norm,
            StreamOrDevice s) {
  return transform("ifftn", a, n, axes, true, false, norm, s);
}
array rfftn(const array& a, const OptShape& n, const OptAxes& axes, const std::string& norm,
            StreamOrDevice s) {
  return transform("rfftn", a, n, axes, false, true, norm, s);
}
array irfftn(const array& a, const OptShape& n, const OptAxes& axes, const std::string& norm,
             StreamOrDevice s) {
  return transform("irfftn", a, n, axes, true, true, norm, s);
}

array fft2(const array& a, const OptShape& n, const OptAxes& axes, const std::string& norm,
           StreamOrDevice s) {
  return transform("fft2", a, n, axes, false, false, norm, s);
}
array ifft2(const array& a, const OptShape& n, const OptAxes& axes, const std::string& norm,
            StreamOrDevice s) {
  return transform("ifft2", a, n, axes, true, false, norm, s);
}
array rfft2(const array& a, const OptShape& n, const OptAxes& axes, const std::string& norm,
            StreamOrDevice s) {
  return transform("rfft2", a, n, axes, false, true, norm, s);
}
array irfft2(const array& a, const OptShape& n, const OptAxes& axes, const std::string& norm,
             StreamOrDevice s) {
  return transform("irfft2", a, n, axes, true, true, norm, s);
}

array fft(const array& a, std::optional<int> n, int axis, const std::string& norm,
          StreamOrDevice s) {
  return transform("fft", a, one_size(n), std::vector<int>{axis}, false, false, norm, s);
}
array ifft(const array& a, std::optional<int> n, int axis, const std::string& norm,
           StreamOrDevice s) {
  return transform("ifft", a, one_size(n), std::vector<int>{axis}, true, false, norm, s);
}
array rfft(const array& a, std::optional<int> n, int axis, const std::string& norm,
           StreamOrDevice s) {
  return transform("rfft", a, one_size(n), std::vector<int>{axis}, false, true, norm, s);
}
array irfft(const array& a, std::optional<int> n, int axis, const std::string& norm,
            StreamOrDevice s) {
  return transform("irfft", a, one_size(n), std::vector<int>{axis}, true, true, norm, s);
}

namespace {
array freqs(const char* op, int n, double d, bool half, StreamOrDevice s) {
  if (n <= 0) invalid(op, "`n` must be greater than 0; got ", n, ".");
  if (d == 0.0) invalid(op, "`d` must be non-zero.");
  int count = half ? n / 2 + 1 : n;
  std::vector<float> v(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    int k = (half || i < (n + 1) / 2) ? i : i - n;
    v[static_cast<size_t>(i)] = static_cast<float>(k / (d * n));
  }
  (void)s;  // host data: usable on any stream
  return array(v, Shape{static_cast<ShapeElem>(count)}, float32);
}
}  // namespace

array fftfreq(int n, double d, StreamOrDevice s) {
  return freqs("fftfreq", n, d, false, s);
}
array rfftfreq(int n, double d, StreamOrDevice s) {
  return freqs("rfftfreq", n, d, true, s);
}

array fftshift(const array& a, const OptAxes& axes, StreamOrDevice s) {
  return shift("fftshift", a, axes, false, s);
}
array ifftshift(const array& a, const OptAxes& axes, StreamOrDevice s) {
  return shift("ifftshift", a, axes, true, s);
}

}  // namespace tandem::fft
