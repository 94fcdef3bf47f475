// CPU kernels of the Reduce and ArgReduce primitives.
//
// A reduction's layout is split into kept dims (the output, row-major) and
// reduced dims (see split_layout). Two loop shapes cover it:
//  - runs: each output reduces runs along the innermost reduced dim (a
//    contiguous, vectorised loop when that dim has stride 1);
//  - rows: when the innermost kept dim is contiguous in the input but the
//    reduced dims are not, whole rows of outputs accumulate at once.
// Float sums are pairwise (blocked runs of 8 accumulators, halves split
// recursively), so error grows with log(n). Work is spread over outputs, or,
// when there are few outputs and much to reduce, over fixed-size chunks of the
// reduction whose partial results are combined in order (deterministic for a
// given shape, whatever the thread count).
#include "tandem/primitives/reduce.h"

#include <stdexcept>
#include <string>

#include "tandem/backend/cpu/encoder.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/parallel.h"
#include "tandem/backend/cpu/reduce_common.h"
#include "tandem/backend/cpu/simd_reduce.h"

namespace tandem {
namespace cpu {
namespace {

using red::load;
using red::Odometer;
using red::Vec;

constexpr int64_t kChunk = int64_t(1) << 15;  // reduced elements per parallel chunk
constexpr int64_t kSmallOut = 64;    // below this many outputs (or row items), chunk the reduction
constexpr int64_t kRowLeaf = 32;     // rows accumulated sequentially before pairwise combining
constexpr int64_t kRunLeaf = 256;    // elements summed with 8 accumulators before halving
constexpr int64_t kSpanLeaf = 2048;  // elements reduced sequentially across runs
constexpr int64_t kCols = 512;       // columns per row item

template <typename T>
constexpr bool is_float_acc_v = std::is_floating_point_v<T> || std::is_same_v<T, complex64_t>;

template <typename O, typename A>
inline O finish(A a) {
  if constexpr (std::is_same_v<O, A>) {
    return a;
  } else {
    return static_cast<O>(a);
  }
}

// ---- the ops: accumulator type, identity, combine, runs and rows ----

template <typename T_, typename O_>
struct SumOp {
  using T = T_;
  using O = O_;
  using A = red::compute_t<O>;  // float for float16/bfloat16 outputs
  static A init() { return A(0); }
  static A combine(A a, A b) { return red::wrap_add(a, b); }
  static A cvt(T v) { return static_cast<A>(load(v)); }
  static A run(const T* p, int64_t n, int64_t s) {
    if constexpr (is_float_acc_v<A>) {
      if (n > kRunLeaf) {
        int64_t h = (n / 2 + 7) & ~int64_t(7);
        return run(p, h, s) + run(p + h * s, n - h, s);
      }
      A a[8] = {A(0), A(0), A(0), A(0), A(0), A(0), A(0), A(0)};
      int64_t i = 0;
      if (s == 1) {
        for (; i + 8 <= n; i += 8) {
          for (int k = 0; k < 8; ++k) a[k] += cvt(p[i + k]);
        }
      } else {
        for (; i + 8 <= n; i += 8) {
          for (int k = 0; k < 8; ++k) a[k] += cvt(p[(i + k) * s]);
        }
      }
      A r = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
      for (; i < n; ++i) r += cvt(p[i * s]);
      return r;
    } else {
      A r = A(0);
      if (s == 1) {
        for (int64_t i = 0; i < n; ++i) r = red::wrap_add(r, cvt(p[i]));
      } else {
        for (int64_t i = 0; i < n; ++i) r = red::wrap_add(r, cvt(p[i * s]));
      }
      return r;
    }
  }
  static void rows(A* acc, const T* p, int64_t n) {
    for (int64_t j = 0; j < n; ++j) acc[j] = red::wrap_add(acc[j], cvt(p[j]));
  }
};

template <typename T_, typename O_>
struct ProdOp {
  using T = T_;
  using O = O_;
  using A = red::compute_t<O>;
  static A init() { return A(1); }
  static A combine(A a, A b) { return red::wrap_mul(a, b); }
  static A cvt(T v) { return static_cast<A>(load(v)); }
  static A run(const T* p, int64_t n, int64_t s) {
    A r = A(1);
    for (int64_t i = 0; i < n; ++i) r = red::wrap_mul(r, cvt(p[i * s]));
    return r;
  }
  static void rows(A* acc, const T* p, int64_t n) {
    for (int64_t j = 0; j < n; ++j) acc[j] = red::wrap_mul(acc[j], cvt(p[j]));
  }
};

// Max (IsMax) or Min; NaN is sticky.
template <typename T_, bool IsMax>
struct ExtremeOp {
  using T = T_;
  using O = T_;
  // uint8_t for bool, so accumulator arrays are plain (not std::vector<bool>).
  using A = std::conditional_t<std::is_same_v<T, bool>, uint8_t, red::compute_t<T>>;
  static A init() {
    if constexpr (std::is_same_v<A, complex64_t>) {
      float v =
          IsMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
      return A(v, v);
    } else if constexpr (std::is_floating_point_v<A>) {
      return IsMax ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::infinity();
    } else {
      return IsMax ? std::numeric_limits<A>::lowest() : std::numeric_limits<A>::max();
    }
  }
  static A combine(A acc, A x) {
    if constexpr (std::is_floating_point_v<A>) {
      // Bitwise |, not ||: branch-free, so the loops vectorise.
      if constexpr (IsMax) {
        return ((x > acc) | (x != x)) ? x : acc;
      } else {
        return ((x < acc) | (x != x)) ? x : acc;
      }
    } else if constexpr (std::is_same_v<A, complex64_t>) {
      if (red::is_nan(acc)) return acc;
      if (red::is_nan(x)) return x;
      return (IsMax ? red::less(acc, x) : red::less(x, acc)) ? x : acc;
    } else {
      if constexpr (IsMax) {
        return x > acc ? x : acc;
      } else {
        return x < acc ? x : acc;
      }
    }
  }
  static A run(const T* p, int64_t n, int64_t s) {
    A a[8];
    for (auto& v : a) v = init();
    int64_t i = 0;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (s == 1 && n >= 16) {
        // The same eight lanes, vectorised (the NaN test defeats the compiler).
        simd::extreme_lanes8(p, static_cast<size_t>(n), IsMax, a);
        i = n & ~int64_t(7);
      }
    } else if constexpr (is_half_v<T>) {
      if (s == 1 && n >= 16) {
        // Converted to float a chunk at a time (a multiple of eight, so each
        // element keeps its lane), then as float32.
        constexpr int64_t kBuf = 512;
        float buf[kBuf];
        for (int64_t end = n & ~int64_t(7); i < end; i += kBuf) {
          int64_t m = std::min(kBuf, end - i);
          if constexpr (std::is_same_v<T, float16_t>) {
            static_assert(sizeof(float16_t) == sizeof(uint16_t));
            simd::half_to_float(reinterpret_cast<const uint16_t*>(p + i), buf,
                                static_cast<size_t>(m));
          } else {
            for (int64_t j = 0; j < m; ++j) buf[j] = load(p[i + j]);
          }
          simd::extreme_lanes8(buf, static_cast<size_t>(m), IsMax, a);
        }
        i = n & ~int64_t(7);
      }
    }
    if (s == 1) {
      for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; ++k) a[k] = combine(a[k], load(p[i + k]));
      }
    } else {
      for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; ++k) a[k] = combine(a[k], load(p[(i + k) * s]));
      }
    }
    A r = a[0];
    for (int k = 1; k < 8; ++k) r = combine(r, a[k]);
    for (; i < n; ++i) r = combine(r, load(p[i * s]));
    return r;
  }
  static void rows(A* acc, const T* p, int64_t n) {
    for (int64_t j = 0; j < n; ++j) acc[j] = combine(acc[j], load(p[j]));
  }
};

template <typename T>
inline bool nonzero(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v;
  } else if constexpr (std::is_same_v<T, complex64_t>) {
    return v.real() != 0 || v.imag() != 0;
  } else {
    return load(v) != 0;
  }
}

template <typename T_, bool IsAnd>
struct LogicalOp {
  using T = T_;
  using O = bool;
  using A = uint8_t;  // not bool: accumulator arrays must not be std::vector<bool>
  static A init() { return IsAnd ? 1 : 0; }
  static A combine(A a, A b) { return IsAnd ? (a & b) : (a | b); }
  static A run(const T* p, int64_t n, int64_t s) {
    // Counting zeros (or nonzeros) vectorises; no early exit keeps it branch-free.
    uint64_t hits = 0;
    for (int64_t b = 0; b < n; b += (int64_t(1) << 30)) {
      int64_t e = std::min(n, b + (int64_t(1) << 30));
      uint32_t c = 0;
      if (s == 1) {
        for (int64_t i = b; i < e; ++i) c += IsAnd ? !nonzero(p[i]) : nonzero(p[i]);
      } else {
        for (int64_t i = b; i < e; ++i) c += IsAnd ? !nonzero(p[i * s]) : nonzero(p[i * s]);
      }
      hits += c;
    }
    return IsAnd ? hits == 0 : hits != 0;
  }
  static void rows(A* acc, const T* p, int64_t n) {
    if constexpr (IsAnd) {
      for (int64_t j = 0; j < n; ++j) acc[j] = acc[j] & nonzero(p[j]);
    } else {
      for (int64_t j = 0; j < n; ++j) acc[j] = acc[j] | nonzero(p[j]);
    }
  }
};

template <typename Op>
typename Op::A combine_all(const typename Op::A* v, int64_t n) {
  if (n == 1) return v[0];
  int64_t h = n / 2;
  return Op::combine(combine_all<Op>(v, h), combine_all<Op>(v + h, n - h));
}

// ---- the engine ----

template <typename Op>
class Reducer {
 public:
  using T = typename Op::T;
  using O = typename Op::O;
  using A = typename Op::A;

  Reducer(const Ref& in, const Ref& out, const std::vector<int>& axes)
      : src_(in.data<T>()), dst_(out.data<O>()) {
    L_ = split_layout(in.shape, in.strides, axes);
    if (L_.kshape.empty()) {
      L_.kshape.push_back(1);
      L_.kstrides.push_back(0);
    }
    if (L_.rshape.empty()) {
      L_.rshape.push_back(1);
      L_.rstrides.push_back(0);
    }
    rn_ = L_.rshape.back();
    rs_ = L_.rstrides.back();
    oshape_.assign(L_.rshape.begin(), L_.rshape.end() - 1);
    ostrides_.assign(L_.rstrides.begin(), L_.rstrides.end() - 1);
  }

  void run() {
    int64_t n_out = L_.kept, R = L_.reduced;
    if (n_out == 0) return;
    if (R == 0) {
      O v = finish<O>(Op::init());
      for (int64_t o = 0; o < n_out; ++o) dst_[o] = v;
      return;
    }
    bool rows_mode = L_.kshape.back() > 1 && L_.kstrides.back() == 1 && rs_ != 1;
    if (rows_mode) {
      run_rows();
    } else {
      run_spans();
    }
  }

 private:
  // Reduces linear reduced indices [r0, r1) of the output whose data starts at base.
  A span(const T* base, int64_t r0, int64_t r1) const {
    if (oshape_.empty()) return Op::run(base + r0 * rs_, r1 - r0, rs_);
    if (r1 - r0 > kSpanLeaf && r0 / rn_ != (r1 - 1) / rn_) {
      int64_t mid = r0 + (r1 - r0) / 2;
      return Op::combine(span(base, r0, mid), span(base, mid, r1));
    }
    A acc = Op::init();
    int64_t pos = r0 % rn_;
    Odometer od(oshape_, ostrides_);
    od.seek(r0 / rn_);
    while (r0 < r1) {
      int64_t len = std::min(rn_ - pos, r1 - r0);
      acc = Op::combine(acc, Op::run(base + od.off + pos * rs_, len, rs_));
      r0 += len;
      pos = 0;
      od.next();
    }
    return acc;
  }

  void run_spans() {
    int64_t n_out = L_.kept, R = L_.reduced;
    if (n_out >= kSmallOut || R <= kChunk) {
      size_t grain = static_cast<size_t>(std::max<int64_t>(1, int64_t(kParallelGrain) / R));
      parallel_for(static_cast<size_t>(n_out), grain, [&](size_t o0, size_t o1) {
        Odometer ko(L_.kshape, L_.kstrides);
        ko.seek(static_cast<int64_t>(o0));
        for (size_t o = o0; o < o1; ++o, ko.next()) {
          dst_[o] = finish<O>(span(src_ + ko.off, 0, R));
        }
      });
      return;
    }
    int64_t nchunks = (R + kChunk - 1) / kChunk;
    std::vector<A> part(static_cast<size_t>(n_out * nchunks));
    parallel_for(static_cast<size_t>(n_out * nchunks), 1, [&](size_t i0, size_t i1) {
      for (size_t i = i0; i < i1; ++i) {
        int64_t o = static_cast<int64_t>(i) / nchunks, c = static_cast<int64_t>(i) % nchunks;
        const T* base = src_ + red::offset_of(o, L_.kshape, L_.kstrides);
        part[i] = span(base, c * kChunk, std::min(R, (c + 1) * kChunk));
      }
    });
    for (int64_t o = 0; o < n_out; ++o) {
      dst_[o] = finish<O>(combine_all<Op>(part.data() + o * nchunks, nchunks));
    }
  }

  // Accumulates rows [r0, r1) of columns base[0, cn) into acc; pairwise over rows.
  void rows(A* acc, const T* base, int64_t cn, int64_t r0, int64_t r1,
            std::vector<std::vector<A>>& bufs, size_t level) const {
    if (r1 - r0 > kRowLeaf) {
      int64_t mid = r0 + (r1 - r0) / 2;
      rows(acc, base, cn, r0, mid, bufs, level + 1);
      auto& tmp = bufs[level];  // bufs is sized up front: references stay valid
      tmp.assign(static_cast<size_t>(cn), Op::init());
      rows(tmp.data(), base, cn, mid, r1, bufs, level + 1);
      for (int64_t j = 0; j < cn; ++j) acc[j] = Op::combine(acc[j], tmp[j]);
      return;
    }
    Odometer ro(L_.rshape, L_.rstrides);
    ro.seek(r0);
    for (int64_t r = r0; r < r1; ++r, ro.next()) Op::rows(acc, base + ro.off, cn);
  }

  void run_rows() {
    int64_t kn = L_.kshape.back(), R = L_.reduced;
    Vec okshape(L_.kshape.begin(), L_.kshape.end() - 1);
    Vec okstrides(L_.kstrides.begin(), L_.kstrides.end() - 1);
    int64_t n_outer = red::product(okshape);
    int64_t ncol = (kn + kCols - 1) / kCols;
    int64_t items = n_outer * ncol;
    int64_t width = std::min(kn, kCols);
    int64_t rows_per_chunk = std::max(kRowLeaf, kChunk / width);
    auto item_base = [&](int64_t item, int64_t& c0, int64_t& cn) {
      int64_t ko = item / ncol, c = item % ncol;
      c0 = c * kCols;
      cn = std::min(kCols, kn - c0);
      return src_ + red::offset_of(ko, okshape, okstrides) + c0;
    };
    if (items >= kSmallOut || R <= rows_per_chunk) {
      size_t grain =
          static_cast<size_t>(std::max<int64_t>(1, int64_t(kParallelGrain) / (R * width)));
      parallel_for(static_cast<size_t>(items), grain, [&](size_t i0, size_t i1) {
        std::vector<A> acc(static_cast<size_t>(width));
        std::vector<std::vector<A>> bufs(64);
        for (size_t i = i0; i < i1; ++i) {
          int64_t c0, cn;
          const T* base = item_base(static_cast<int64_t>(i), c0, cn);
          std::fill(acc.begin(), acc.begin() + cn, Op::init());
          rows(acc.data(), base, cn, 0, R, bufs, 0);
          O* d = dst_ + (static_cast<int64_t>(i) / ncol) * kn + c0;
          for (int64_t j = 0; j < cn; ++j) d[j] = finish<O>(acc[j]);
        }
      });
      return;
    }
    int64_t nchunks = (R + rows_per_chunk - 1) / rows_per_chunk;
    std::vector<A> part(static_cast<size_t>(items * nchunks * width));
    parallel_for(static_cast<size_t>(items * nchunks), 1, [&](size_t t0, size_t t1) {
      std::vector<std::vector<A>> bufs(64);
      for (size_t t = t0; t < t1; ++t) {
        int64_t item = static_cast<int64_t>(t) / nchunks, c = static_cast<int64_t>(t) % nchunks;
        int64_t c0, cn;
        const T* base = item_base(item, c0, cn);
        A* acc = part.data() + t * width;
        std::fill(acc, acc + cn, Op::init());
        rows(acc, base, cn, c * rows_per_chunk, std::min(R, (c + 1) * rows_per_chunk), bufs, 0);
      }
    });
    std::vector<A> col(static_cast<size_t>(nchunks));
    for (int64_t item = 0; item < items; ++item) {
      int64_t c0, cn;
      item_base(item, c0, cn);
      O* d = dst_ + (item / ncol) * kn + c0;
      for (int64_t j = 0; j < cn; ++j) {
        for (int64_t c = 0; c < nchunks; ++c) col[c] = part[(item * nchunks + c) * width + j];
        d[j] = finish<O>(combine_all<Op>(col.data(), nchunks));
      }
    }
  }

  const T* src_;
  O* dst_;
  SplitLayout L_;
  int64_t rn_ = 1, rs_ = 0;
  Vec oshape_, ostrides_;  // reduced dims other than the innermost
};

template <typename Op>
void reduce_with(const Ref& in, const Ref& out, const std::vector<int>& axes) {
  if (out.dtype != dtype_of<typename Op::O>::value) {
    throw std::logic_error(std::string("[Reduce] unexpected output dtype ") +
                           dtype_name(out.dtype) + " for input dtype " + dtype_name(in.dtype));
  }
  Reducer<Op>(in, out, axes).run();
}

// MLX's sum/prod accumulation type for input T.
template <typename T>
using sum_out_t = std::conditional_t<
    std::is_same_v<T, bool>, int32_t,
    std::conditional_t<std::is_integral_v<T>,
                       std::conditional_t<std::is_signed_v<T>,
                                          std::conditional_t<(sizeof(T) <= 4), int32_t, int64_t>,
                                          std::conditional_t<(sizeof(T) <= 4), uint32_t, uint64_t>>,
                       T>>;

void reduce_dispatch(ReduceOp op, const Ref& in, const Ref& out, const std::vector<int>& axes) {
  dispatch_dtype(in.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (op) {
      case ReduceOp::Sum:
        if constexpr (is_half_v<T>) {
          if (out.dtype == float32) return reduce_with<SumOp<T, float>>(in, out, axes);
        }
        return reduce_with<SumOp<T, sum_out_t<T>>>(in, out, axes);
      case ReduceOp::Prod:
        return reduce_with<ProdOp<T, sum_out_t<T>>>(in, out, axes);
      case ReduceOp::Max:
        return reduce_with<ExtremeOp<T, true>>(in, out, axes);
      case ReduceOp::Min:
        return reduce_with<ExtremeOp<T, false>>(in, out, axes);
      case ReduceOp::And:
        return reduce_with<LogicalOp<T, true>>(in, out, axes);
      case ReduceOp::Or:
        return reduce_with<LogicalOp<T, false>>(in, out, axes);
    }
  });
}

// ---- ArgReduce ----

template <typename T, bool IsMax>
struct ArgBest {
  using C = red::compute_t<T>;
  // Whether x replaces the current best (ties keep the earlier index; the
  // first NaN wins and stays).
  static bool better(C x, C best) {
    if constexpr (std::is_floating_point_v<C>) {
      bool xn = x != x, bn = best != best;
      return (!bn) & (xn | (IsMax ? (x > best) : (x < best)));
    } else if constexpr (std::is_same_v<C, complex64_t>) {
      if (red::is_nan(best)) return false;
      if (red::is_nan(x)) return true;
    }
    return IsMax ? red::less(best, x) : red::less(x, best);
  }
};

template <typename T, bool IsMax>
void arg_reduce_kernel(const Ref& in, const Ref& out, int axis) {
  using C = red::compute_t<T>;
  using CS = std::conditional_t<std::is_same_v<C, bool>, uint8_t, C>;  // storage, not vector<bool>
  using B = ArgBest<T, IsMax>;
  const T* src = in.data<T>();
  uint32_t* dst = out.data<uint32_t>();
  auto L = split_layout(in.shape, in.strides, std::vector<int>{axis});
  int64_t n_out = L.kept;
  int64_t n = in.shape[axis];
  int64_t sa = in.strides[axis];
  if (n_out == 0) return;
  if (L.kshape.empty()) {
    L.kshape.push_back(1);
    L.kstrides.push_back(0);
  }
  // Best (value, index) of positions [i0, i1) of the run at p.
  auto scan_run = [&](const T* p, int64_t i0, int64_t i1, CS& best_out, int64_t& bi) {
    C best;
    best = load(p[i0 * sa]);
    bi = i0;
    auto scalar = [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        C x = load(p[i * sa]);
        if (B::better(x, best)) {
          best = x;
          bi = i;
        }
      }
    };
    constexpr bool blocked =
        (std::is_floating_point_v<C> || std::is_integral_v<C>)&&!std::is_same_v<C, bool>;
    if constexpr (blocked) {
      // Vectorised extreme of each block; rescan a block (in cache) only when
      // it improves on the best so far.
      constexpr int64_t kBlock = 512;
      for (int64_t b = i0 + 1; b < i1; b += kBlock) {
        int64_t e = std::min(i1, b + kBlock);
        C m = static_cast<C>(ExtremeOp<T, IsMax>::run(p + b * sa, e - b, sa));
        if (B::better(m, best)) scalar(b, e);
      }
    } else {
      scalar(i0 + 1, i1);
    }
    best_out = best;
  };
  bool rows_mode = L.kshape.back() > 1 && L.kstrides.back() == 1 && sa != 1;
  if (!rows_mode) {
    if (n_out >= kSmallOut || n <= kChunk) {
      size_t grain = static_cast<size_t>(
          std::max<int64_t>(1, int64_t(kParallelGrain) / std::max<int64_t>(n, 1)));
      parallel_for(static_cast<size_t>(n_out), grain, [&](size_t o0, size_t o1) {
        Odometer ko(L.kshape, L.kstrides);
        ko.seek(static_cast<int64_t>(o0));
        for (size_t o = o0; o < o1; ++o, ko.next()) {
          CS best;
          int64_t bi;
          scan_run(src + ko.off, 0, n, best, bi);
          dst[o] = static_cast<uint32_t>(bi);
        }
      });
      return;
    }
    int64_t nchunks = (n + kChunk - 1) / kChunk;
    std::vector<CS> pv(static_cast<size_t>(n_out * nchunks));
    std::vector<int64_t> pi(pv.size());
    parallel_for(pv.size(), 1, [&](size_t t0, size_t t1) {
      for (size_t t = t0; t < t1; ++t) {
        int64_t o = static_cast<int64_t>(t) / nchunks, c = static_cast<int64_t>(t) % nchunks;
        const T* p = src + red::offset_of(o, L.kshape, L.kstrides);
        scan_run(p, c * kChunk, std::min(n, (c + 1) * kChunk), pv[t], pi[t]);
      }
    });
    for (int64_t o = 0; o < n_out; ++o) {
      C best = pv[o * nchunks];
      int64_t bi = pi[o * nchunks];
      for (int64_t c = 1; c < nchunks; ++c) {
        if (B::better(pv[o * nchunks + c], best)) {
          best = pv[o * nchunks + c];
          bi = pi[o * nchunks + c];
        }
      }
      dst[o] = static_cast<uint32_t>(bi);
    }
    return;
  }
  // Rows: the innermost kept dim is contiguous; walk the axis row by row.
  constexpr uint32_t kNone = 0xffffffffu;  // an empty chunk
  int64_t kn = L.kshape.back();
  Vec okshape(L.kshape.begin(), L.kshape.end() - 1);
  Vec okstrides(L.kstrides.begin(), L.kstrides.end() - 1);
  int64_t n_outer = red::product(okshape);
  int64_t ncol = (kn + kCols - 1) / kCols;
  int64_t items = n_outer * ncol;
  int64_t width = std::min(kn, kCols);
  int64_t rows_per_chunk = std::max(kRowLeaf, kChunk / width);
  int64_t nchunks = (items >= kSmallOut) ? 1 : (n + rows_per_chunk - 1) / rows_per_chunk;
  int64_t chunk_rows = (n + nchunks - 1) / nchunks;
  std::vector<CS> pv(static_cast<size_t>(items * nchunks * width));
  std::vector<uint32_t> pi(pv.size());  // 32-bit, like the values: vectorises
  size_t grain =
      static_cast<size_t>(std::max<int64_t>(1, int64_t(kParallelGrain) / (chunk_rows * width)));
  parallel_for(static_cast<size_t>(items * nchunks), grain, [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t) {
      int64_t item = static_cast<int64_t>(t) / nchunks, c = static_cast<int64_t>(t) % nchunks;
      int64_t ko = item / ncol, c0 = (item % ncol) * kCols;
      int64_t cn = std::min(kCols, kn - c0);
      const T* base = src + red::offset_of(ko, okshape, okstrides) + c0;
      int64_t r0 = c * chunk_rows, r1 = std::min(n, r0 + chunk_rows);
      CS* v = pv.data() + t * width;
      uint32_t* ix = pi.data() + t * width;
      if (r0 >= r1) {
        for (int64_t j = 0; j < cn; ++j) ix[j] = kNone;
        continue;
      }
      const T* row = base + r0 * sa;
      for (int64_t j = 0; j < cn; ++j) {
        v[j] = load(row[j]);
        ix[j] = static_cast<uint32_t>(r0);
      }
      for (int64_t r = r0 + 1; r < r1; ++r) {
        row = base + r * sa;
        for (int64_t j = 0; j < cn; ++j) {
          C x = load(row[j]);
          bool take = B::better(x, v[j]);
          v[j] = take ? x : C(v[j]);
          ix[j] = take ? static_cast<uint32_t>(r) : ix[j];
        }
      }
    }
  });
  for (int64_t item = 0; item < items; ++item) {
    int64_t ko = item / ncol, c0 = (item % ncol) * kCols;
    int64_t cn = std::min(kCols, kn - c0);
    uint32_t* d = dst + ko * kn + c0;
    for (int64_t j = 0; j < cn; ++j) {
      size_t t = static_cast<size_t>(item * nchunks) * width + j;
      C best = pv[t];
      uint32_t bi = pi[t];
      for (int64_t c = 1; c < nchunks; ++c) {
        size_t u = static_cast<size_t>(item * nchunks + c) * width + j;
        if (pi[u] != kNone && B::better(pv[u], best)) {
          best = pv[u];
          bi = pi[u];
        }
      }
      d[j] = static_cast<uint32_t>(bi);
    }
  }
}

}  // namespace
}  // namespace cpu

void Reduce::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  cpu::allocate_row_contiguous(out);
  if (out.size() == 0) return;
  cpu::dispatch([op = op_, axes = axes_, in = cpu::Ref(inputs[0]), out = cpu::Ref(out)] {
    cpu::reduce_dispatch(op, in, out, axes);
  });
}

void ArgReduce::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  cpu::allocate_row_contiguous(out);
  if (out.size() == 0) return;
  cpu::dispatch([op = op_, axis = axis_, in = cpu::Ref(inputs[0]), out = cpu::Ref(out)] {
    dispatch_dtype(in.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (op == ArgReduceOp::ArgMax) {
        cpu::arg_reduce_kernel<T, true>(in, out, axis);
      } else {
        cpu::arg_reduce_kernel<T, false>(in, out, axis);
      }
    });
  });
}

}  // namespace tandem
