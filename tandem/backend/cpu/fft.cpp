// CPU kernel of FFT through KissFFT's header-only C++ template
// (kissfft<float>, Debian's libkissfft-dev). One axis at a time: each line
// along the axis is gathered (from any input layout) into a contiguous
// buffer, transformed, and scattered into the row-major output; later axes
// run in place on the output (or, for the inverse real transform, on a
// complex scratch before the final complex-to-real pass). Real transforms go
// through the complex one: real-to-complex keeps the first n / 2 + 1 terms,
// complex-to-real extends its input to n terms by Hermitian symmetry and
// keeps the real part. Lines are spread over threads; each chunk has its own
// plan, since kissfft keeps a mutable scratch buffer.
#include "tandem/primitives/fft.h"

#include <algorithm>
#include <complex>
#include <kissfft.hh>
#include <vector>

#include "tandem/backend/cpu/encoder.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/parallel.h"
#include "tandem/backend/cpu/reduce_common.h"

namespace tandem {
namespace cpu {
namespace {

using cfloat = std::complex<float>;
using red::Vec;

enum class Kind { c2c, r2c, c2r };

// Elements of a line source: base pointer, element type, shape and strides.
struct View {
  const char* ptr = nullptr;
  bool real = false;  // float32 elements, else complex64
  Vec shape, strides;
};

Vec row_major(const Vec& shape) {
  Vec st(shape.size(), 1);
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d) st[d] = st[d + 1] * shape[d + 1];
  return st;
}

// Transforms every line of src along axis (fft size n) into dst, row-major
// at dst_shape, multiplying by scale. src and dst may be the same buffer
// (each line is read whole before it is written).
void pass(const View& src, char* dst, const Vec& dst_shape, int axis, int64_t n, Kind kind,
          bool inverse, float scale) {
  int64_t in_len = kind == Kind::c2r ? n / 2 + 1 : n;
  int64_t out_len = kind == Kind::r2c ? n / 2 + 1 : n;
  int64_t sa = src.strides[axis];
  Vec other_shape, other_strides;
  int64_t count = 1, post = 1;
  for (int i = 0; i < static_cast<int>(src.shape.size()); ++i) {
    if (i == axis) continue;
    other_shape.push_back(src.shape[i]);
    other_strides.push_back(src.strides[i]);
    count *= src.shape[i];
  }
  for (size_t i = axis + 1; i < dst_shape.size(); ++i) post *= dst_shape[i];
  if (count == 0) return;
  const kissfft<float> proto(static_cast<size_t>(n), inverse);
  size_t grain = static_cast<size_t>(std::max<int64_t>(1, int64_t(kParallelGrain) / n));
  parallel_for(static_cast<size_t>(count), grain, [&](size_t l0, size_t l1) {
    kissfft<float> plan = proto;
    std::vector<cfloat> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
    red::Odometer od(other_shape, other_strides);
    od.seek(static_cast<int64_t>(l0));
    for (size_t l = l0; l < l1; ++l, od.next()) {
      if (src.real) {
        const float* s = reinterpret_cast<const float*>(src.ptr) + od.off;
        for (int64_t i = 0; i < in_len; ++i) a[i] = cfloat(s[i * sa], 0.f);
      } else {
        const cfloat* s = reinterpret_cast<const cfloat*>(src.ptr) + od.off;
        for (int64_t i = 0; i < in_len; ++i) a[i] = s[i * sa];
      }
      if (kind == Kind::c2r) {
        for (int64_t k = in_len; k < n; ++k) a[k] = std::conj(a[n - k]);
      }
      plan.transform(a.data(), b.data());
      int64_t li = static_cast<int64_t>(l);
      int64_t base = (li / post) * out_len * post + li % post;
      if (kind == Kind::c2r) {
        float* d = reinterpret_cast<float*>(dst) + base;
        for (int64_t i = 0; i < out_len; ++i) d[i * post] = b[i].real() * scale;
      } else {
        cfloat* d = reinterpret_cast<cfloat*>(dst) + base;
        for (int64_t i = 0; i < out_len; ++i) d[i * post] = b[i] * scale;
      }
    }
  });
}

View view_of(const Ref& r) {
  View v;
  v.ptr = r.ptr;
  v.real = r.dtype == float32;
  for (int i = 0; i < r.ndim(); ++i) {
    v.shape.push_back(r.shape[i]);
    v.strides.push_back(r.strides[i]);
  }
  return v;
}

View dense_view(const char* ptr, const Vec& shape) {
  View v;
  v.ptr = ptr;
  v.shape = shape;
  v.strides = row_major(shape);
  return v;
}

void run_fft(const Ref& in, const Ref& out, const std::vector<int>& axes, bool inverse, bool real,
             float scale) {
  size_t k = axes.size();
  View src = view_of(in);
  Vec out_shape = view_of(out).shape;
  if (!real || !inverse) {
    // The first pass reads the input (real-to-complex along the last listed
    // axis for rfft), the others run in place on the output.
    std::vector<int> order = axes;
    if (real) std::rotate(order.begin(), order.end() - 1, order.end());
    for (size_t i = 0; i < k; ++i) {
      int ax = order[i];
      Kind kind = real && i == 0 ? Kind::r2c : Kind::c2c;
      int64_t n = kind == Kind::r2c ? src.shape[ax] : out_shape[ax];
      View s = i == 0 ? src : dense_view(out.ptr, out_shape);
      pass(s, out.ptr, out_shape, ax, n, kind, inverse, i + 1 == k ? scale : 1.f);
    }
    return;
  }
  // Inverse real: the other axes into a complex scratch at the input's shape,
  // then complex-to-real along the last listed axis into the output.
  std::vector<cfloat> scratch;
  if (k > 1) {
    scratch.resize(in.size);
    char* sp = reinterpret_cast<char*>(scratch.data());
    for (size_t i = 0; i + 1 < k; ++i) {
      View s = i == 0 ? src : dense_view(sp, src.shape);
      pass(s, sp, src.shape, axes[i], src.shape[axes[i]], Kind::c2c, true, 1.f);
    }
    src = dense_view(sp, src.shape);
  }
  int ax = axes.back();
  pass(src, out.ptr, out_shape, ax, out_shape[ax], Kind::c2r, true, scale);
}

}  // namespace
}  // namespace cpu

void FFT::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  cpu::allocate_row_contiguous(out);
  if (out.size() == 0) return;
  cpu::dispatch([in = cpu::Ref(inputs[0]), out = cpu::Ref(out), axes = axes_, inverse = inverse_,
                 real = real_, scale = static_cast<float>(scale_)] {
    cpu::run_fft(in, out, axes, inverse, real, scale);
  });
}

}  // namespace tandem
