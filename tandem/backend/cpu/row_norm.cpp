// CPU kernels of the RowNorm primitive (softmax, logsumexp, layer norm and
// RMS norm over the last axis). Rows are spread over threads. A row that is
// not already contiguous in the compute type (float for halves) is first
// gathered into a per-thread buffer of that type; the statistics and the
// output then come from a few vectorisable passes over that cache-resident
// copy, so main memory sees the input once and the output once. float32
// sums go through blocks of 8 lanes into a double: a long row sums as
// accurately as a short one.
#include "tandem/primitives/row_norm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tandem/backend/cpu/encoder.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/parallel.h"
#include "tandem/backend/cpu/reduce_common.h"
#include "tandem/backend/cpu/simd_math.h"

namespace tandem {
namespace cpu {
namespace {

using red::load;

constexpr int64_t kSumBlock = 512;  // elements summed in A before joining the double total

// Maximum of x[0, n), NaN-sticky (n > 0). Bitwise |, not ||: branch-free,
// so the loop vectorises.
template <typename A>
A row_max(const A* x, int64_t n) {
  A a[8];
  for (auto& v : a) v = -std::numeric_limits<A>::infinity();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k)
      a[k] = ((x[i + k] > a[k]) | (x[i + k] != x[i + k])) ? x[i + k] : a[k];
  }
  A m = a[0];
  for (int k = 1; k < 8; ++k) m = ((a[k] > m) | (a[k] != a[k])) ? a[k] : m;
  for (; i < n; ++i) m = ((x[i] > m) | (x[i] != x[i])) ? x[i] : m;
  return m;
}

// Sum of f(x[i]) over [0, n): 8 accumulators of A per block, blocks added
// in double.
template <typename A, typename F>
A row_sum(const A* x, int64_t n, F f) {
  double total = 0;
  for (int64_t b = 0; b < n; b += kSumBlock) {
    int64_t e = std::min(n, b + kSumBlock);
    A a[8] = {A(0), A(0), A(0), A(0), A(0), A(0), A(0), A(0)};
    int64_t i = b;
    for (; i + 8 <= e; i += 8) {
      for (int k = 0; k < 8; ++k) a[k] += f(x[i + k]);
    }
    A r = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    for (; i < e; ++i) r += f(x[i]);
    total += static_cast<double>(r);
  }
  return static_cast<A>(total);
}

template <typename A>
void exp_inplace(A* x, int64_t n) {
  if (simd::unary(UnaryOp::Exp, x, x, static_cast<size_t>(n))) return;
  for (int64_t i = 0; i < n; ++i) x[i] = std::exp(x[i]);
}

// The shift of softmax / logsumexp: the max, or 0 when it is not finite (as
// the composites: inf - inf never happens, and nan stays nan).
template <typename A>
A safe_max(const A* x, int64_t n) {
  A m = row_max(x, n);
  return std::isfinite(m) ? m : A(0);
}

// The 1-d input p (n values, any stride) as a contiguous vector of A.
template <typename A>
std::vector<A> gather_1d(const Ref& p, int64_t n) {
  std::vector<A> v(static_cast<size_t>(n));
  const A* src = p.data<A>();
  int64_t st = p.ndim() ? p.strides[0] : 1;
  for (int64_t j = 0; j < n; ++j) v[j] = src[j * st];
  return v;
}

template <typename T>
void row_norm_kernel(RowNormOp op, float eps, const Ref& in, const Ref& out, const Ref* w,
                     const Ref* b, int64_t causal_rows, int64_t causal_offset) {
  using A = red::compute_t<T>;
  const int64_t n = in.shape.back();
  const int64_t sa = in.strides.back();
  red::Vec oshape(in.shape.begin(), in.shape.end() - 1);
  red::Vec ostrides(in.strides.begin(), in.strides.end() - 1);
  const int64_t rows = red::product(oshape);
  std::vector<A> wv, bv;
  if (w) wv = gather_1d<A>(*w, n);
  if (b) bv = gather_1d<A>(*b, n);
  // Read the row in place when it already is n contiguous values of A (a
  // causal softmax writes its -inf into the copy).
  const bool causal = causal_rows > 0;
  const bool direct = std::is_same_v<T, A> && sa == 1 && !causal;
  const bool lse = op == RowNormOp::LogSumExp;
  const A a_eps = static_cast<A>(eps);
  size_t grain =
      static_cast<size_t>(std::max<int64_t>(1, int64_t(kParallelGrain) / std::max<int64_t>(n, 1)));
  parallel_for(static_cast<size_t>(rows), grain, [&](size_t r0, size_t r1) {
    std::vector<A> buf(static_cast<size_t>(n));
    red::Odometer o(oshape, ostrides);
    o.seek(static_cast<int64_t>(r0));
    for (size_t r = r0; r < r1; ++r, o.next()) {
      const T* src = in.data<T>() + o.off;
      const A* x;
      if (direct) {
        x = reinterpret_cast<const A*>(src);
      } else {
        int64_t keep = n;
        if (causal) {
          keep =
              std::clamp<int64_t>(static_cast<int64_t>(r) % causal_rows + causal_offset + 1, 0, n);
        }
        for (int64_t j = 0; j < keep; ++j) buf[j] = load(src[j * sa]);
        for (int64_t j = keep; j < n; ++j) buf[j] = -std::numeric_limits<A>::infinity();
        x = buf.data();
      }
      // Where the output row is built: out itself when it holds A (it may
      // alias x, a donated input: every pass is elementwise), else buf.
      A* y =
          (std::is_same_v<T, A> && !lse) ? reinterpret_cast<A*>(out.data<T>() + r * n) : buf.data();
      switch (op) {
        case RowNormOp::Softmax:
        case RowNormOp::LogSumExp: {
          A m = safe_max(x, n);
          for (int64_t j = 0; j < n; ++j) y[j] = x[j] - m;
          exp_inplace(y, n);
          A s = row_sum(y, n, [](A v) { return v; });
          if (lse) {
            out.data<T>()[r] = static_cast<T>(std::log(s) + m);
            continue;
          }
          for (int64_t j = 0; j < n; ++j) y[j] = y[j] / s;
          break;
        }
        case RowNormOp::LayerNorm: {
          A mean = row_sum(x, n, [](A v) { return v; }) / static_cast<A>(n);
          A var =
              row_sum(x, n, [mean](A v) { return (v - mean) * (v - mean); }) / static_cast<A>(n);
          A rstd = A(1) / std::sqrt(var + a_eps);
          for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mean) * rstd;
          if (w) {
            for (int64_t j = 0; j < n; ++j) y[j] *= wv[j];
          }
          if (b) {
            for (int64_t j = 0; j < n; ++j) y[j] += bv[j];
          }
          break;
        }
        case RowNormOp::RmsNorm: {
          A ms = row_sum(x, n, [](A v) { return v * v; }) / static_cast<A>(n);
          A rs = A(1) / std::sqrt(ms + a_eps);
          for (int64_t j = 0; j < n; ++j) y[j] = x[j] * rs;
          if (w) {
            for (int64_t j = 0; j < n; ++j) y[j] *= wv[j];
          }
          break;
        }
      }
      if constexpr (!std::is_same_v<T, A>) {
        T* d = out.data<T>() + r * n;
        for (int64_t j = 0; j < n; ++j) d[j] = static_cast<T>(y[j]);
      }
    }
  });
}

}  // namespace
}  // namespace cpu

void RowNorm::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (op_ != RowNormOp::LogSumExp && in.flags().row_contiguous && in.dtype() == out.dtype() &&
      is_donatable(in, out)) {
    out.copy_shared_buffer(in);
  } else {
    cpu::allocate_row_contiguous(out);
  }
  if (out.size() == 0) return;
  std::optional<cpu::Ref> w, b;
  size_t k = 1;
  if (has_weight_) w.emplace(inputs[k++]);
  if (has_bias_) b.emplace(inputs[k++]);
  if (causal_rows_ > 0 && (op_ != RowNormOp::Softmax || in.ndim() < 2)) {
    throw std::invalid_argument(
        "[RowNorm] a causal mask needs a softmax over a 2-d or larger array");
  }
  cpu::dispatch([op = op_, eps = eps_, in = cpu::Ref(in), out = cpu::Ref(out), w = std::move(w),
                 b = std::move(b), cr = causal_rows_, co = causal_offset_] {
    const cpu::Ref* wp = w ? &*w : nullptr;
    const cpu::Ref* bp = b ? &*b : nullptr;
    switch (in.dtype.val) {
      case Dtype::Val::float16:
        return cpu::row_norm_kernel<float16_t>(op, eps, in, out, wp, bp, cr, co);
      case Dtype::Val::bfloat16:
        return cpu::row_norm_kernel<bfloat16_t>(op, eps, in, out, wp, bp, cr, co);
      case Dtype::Val::float32:
        return cpu::row_norm_kernel<float>(op, eps, in, out, wp, bp, cr, co);
      case Dtype::Val::float64:
        return cpu::row_norm_kernel<double>(op, eps, in, out, wp, bp, cr, co);
      default:
        throw std::invalid_argument(std::string("[RowNorm] needs a floating-point array; got ") +
                                    dtype_name(in.dtype));
    }
  });
}

}  // namespace tandem
