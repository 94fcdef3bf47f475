// CPU kernels of the Scan primitive (cumsum, cumprod, cummax, cummin,
// logcumsumexp). The output is row-major (or the donated input's row-major
// buffer); a non-row-major input is first copied into the output and scanned
// in place. With the axis innermost each line is a sequential loop; otherwise
// whole rows of the trailing dims are combined at once (a contiguous,
// vectorisable loop). Lines / column blocks are spread over threads.
#include "tandem/primitives/scan.h"

#include "tandem/backend/cpu/copy.h"
#include "tandem/backend/cpu/encoder.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/parallel.h"
#include "tandem/backend/cpu/reduce_common.h"

namespace tandem {
namespace cpu {
namespace {

using red::load;

constexpr int64_t kCols = 1024;  // trailing elements per row block

// Accumulator type: float for halves; float32 sums and products carry a
// double; bool max/min use uint8_t (so buffers are not std::vector<bool>).
template <ScanOp OP, typename T>
using scan_acc_t = std::conditional_t<
    std::is_same_v<T, bool>, uint8_t,
    std::conditional_t<std::is_same_v<T, float> && (OP == ScanOp::Sum || OP == ScanOp::Prod),
                       double, red::compute_t<T>>>;

template <ScanOp OP, typename T>
struct ScanF {
  using A = scan_acc_t<OP, T>;
  static A init() {
    if constexpr (OP == ScanOp::Sum) {
      return A(0);
    } else if constexpr (OP == ScanOp::Prod) {
      return A(1);
    } else if constexpr (std::is_same_v<A, complex64_t>) {
      float v = (OP == ScanOp::Min) ? std::numeric_limits<float>::infinity()
                                    : -std::numeric_limits<float>::infinity();
      return A(v, v);
    } else if constexpr (std::is_floating_point_v<A>) {
      return OP == ScanOp::Min ? std::numeric_limits<A>::infinity()
                               : -std::numeric_limits<A>::infinity();
    } else {
      return OP == ScanOp::Min ? std::numeric_limits<A>::max() : std::numeric_limits<A>::lowest();
    }
  }
  static A apply(A acc, A x) {
    if constexpr (OP == ScanOp::Sum) {
      return red::wrap_add(acc, x);
    } else if constexpr (OP == ScanOp::Prod) {
      return red::wrap_mul(acc, x);
    } else if constexpr (OP == ScanOp::LogAddExp) {
      if constexpr (std::is_floating_point_v<A>) {
        return red::logaddexp(acc, x);
      } else {
        return x;  // ops only build float logcumsumexp
      }
    } else {
      constexpr bool is_max = OP == ScanOp::Max;
      if constexpr (std::is_floating_point_v<A>) {
        if constexpr (is_max) {
          return (x > acc || x != x) ? x : acc;
        } else {
          return (x < acc || x != x) ? x : acc;
        }
      } else if constexpr (std::is_same_v<A, complex64_t>) {
        if (red::is_nan(acc)) return acc;
        if (red::is_nan(x)) return x;
        return (is_max ? red::less(acc, x) : red::less(x, acc)) ? x : acc;
      } else {
        if constexpr (is_max) {
          return x > acc ? x : acc;
        } else {
          return x < acc ? x : acc;
        }
      }
    }
  }
};

template <ScanOp OP, typename T>
void scan_kernel(const T* src, T* dst, const Shape& shape, int axis, bool reverse, bool inclusive) {
  using F = ScanF<OP, T>;
  using A = typename F::A;
  int64_t pre = 1, post = 1, n = shape[axis];
  for (int i = 0; i < axis; ++i) pre *= shape[i];
  for (int i = axis + 1; i < static_cast<int>(shape.size()); ++i) post *= shape[i];
  if (pre * n * post == 0) return;
  if (post == 1) {
    size_t grain = static_cast<size_t>(std::max<int64_t>(1, int64_t(kParallelGrain) / n));
    parallel_for(static_cast<size_t>(pre), grain, [&](size_t l0, size_t l1) {
      for (size_t l = l0; l < l1; ++l) {
        const T* s = src + static_cast<int64_t>(l) * n;
        T* d = dst + static_cast<int64_t>(l) * n;
        A acc = F::init();
        if (!reverse) {
          for (int64_t i = 0; i < n; ++i) {
            A nxt = F::apply(acc, static_cast<A>(load(s[i])));
            d[i] = static_cast<T>(inclusive ? nxt : acc);
            acc = nxt;
          }
        } else {
          for (int64_t i = n - 1; i >= 0; --i) {
            A nxt = F::apply(acc, static_cast<A>(load(s[i])));
            d[i] = static_cast<T>(inclusive ? nxt : acc);
            acc = nxt;
          }
        }
      }
    });
    return;
  }
  int64_t ncol = (post + kCols - 1) / kCols;
  int64_t width = std::min(post, kCols);
  size_t grain = static_cast<size_t>(std::max<int64_t>(1, int64_t(kParallelGrain) / (n * width)));
  parallel_for(static_cast<size_t>(pre * ncol), grain, [&](size_t t0, size_t t1) {
    std::vector<A> acc(static_cast<size_t>(width));
    for (size_t t = t0; t < t1; ++t) {
      int64_t p = static_cast<int64_t>(t) / ncol, c0 = (static_cast<int64_t>(t) % ncol) * kCols;
      int64_t cn = std::min(kCols, post - c0);
      std::fill(acc.begin(), acc.begin() + cn, F::init());
      for (int64_t k = 0; k < n; ++k) {
        int64_t i = reverse ? n - 1 - k : k;
        const T* s = src + (p * n + i) * post + c0;
        T* d = dst + (p * n + i) * post + c0;
        for (int64_t j = 0; j < cn; ++j) {
          A nxt = F::apply(acc[j], static_cast<A>(load(s[j])));
          d[j] = static_cast<T>(inclusive ? nxt : acc[j]);
          acc[j] = nxt;
        }
      }
    }
  });
}

template <typename T>
void scan_dispatch(ScanOp op, const T* src, T* dst, const Shape& shape, int axis, bool reverse,
                   bool inclusive) {
  switch (op) {
    case ScanOp::Sum:
      return scan_kernel<ScanOp::Sum, T>(src, dst, shape, axis, reverse, inclusive);
    case ScanOp::Prod:
      return scan_kernel<ScanOp::Prod, T>(src, dst, shape, axis, reverse, inclusive);
    case ScanOp::Max:
      return scan_kernel<ScanOp::Max, T>(src, dst, shape, axis, reverse, inclusive);
    case ScanOp::Min:
      return scan_kernel<ScanOp::Min, T>(src, dst, shape, axis, reverse, inclusive);
    case ScanOp::LogAddExp:
      if constexpr (std::is_floating_point_v<red::compute_t<T>>) {
        return scan_kernel<ScanOp::LogAddExp, T>(src, dst, shape, axis, reverse, inclusive);
      } else {
        throw std::logic_error("[Scan] logaddexp scan of a non-float dtype");
      }
  }
}

}  // namespace
}  // namespace cpu

void Scan::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (in.flags().row_contiguous && in.dtype() == out.dtype() && is_donatable(in, out)) {
    out.copy_shared_buffer(in);
  } else {
    cpu::allocate_row_contiguous(out);
  }
  if (out.size() == 0) return;
  cpu::dispatch([op = op_, axis = axis_, reverse = reverse_, inclusive = inclusive_,
                 in = cpu::Ref(in), out = cpu::Ref(out)] {
    dispatch_dtype(out.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src;
      if (in.ptr == out.ptr) {
        src = out.data<T>();
      } else if (in.flags.row_contiguous && in.dtype == out.dtype) {
        src = in.data<T>();
      } else {
        cpu::copy_to_row_major(in, out);
        src = out.data<T>();
      }
      cpu::scan_dispatch<T>(op, src, out.data<T>(), out.shape, axis, reverse, inclusive);
    });
  });
}

}  // namespace tandem
