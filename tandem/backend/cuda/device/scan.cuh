// Scan kernels (cumsum, cumprod, cummax, cummin, logcumsumexp). The output
// is row-major; the input is read through layouts (any strides). Values are
// combined in the CPU's accumulator type A (double for float32 sums and
// products, float for halves, uint8_t for bool).
//  - rows (the axis is innermost in the output and long): a block scans a
//    tile of kTile values of one line through smem; a long line is cut into
//    tiles whose totals are scanned (exclusively) first and fed back as
//    carries (reduce, then scan).
//  - cols (the axis is not innermost, or lines are short): a thread walks
//    one column (pre p, post j) sequentially over a chunk of the axis;
//    chunks again get their carries from a scan of the chunk totals.
// A kernel with `totals` set only writes each item's total.
#pragma once
#include "reduce_util.cuh"
#include "tandem/kernels/reduce_ops.h"

namespace tandem {
namespace scan {

using namespace red;

// The op numbers of tandem::ScanOp as template constants.
constexpr int Sum = int(ScanOp::Sum), Prod = int(ScanOp::Prod), Max = int(ScanOp::Max),
              Min = int(ScanOp::Min), LogAddExp = int(ScanOp::LogAddExp);

constexpr int kItems = 8;
constexpr int kTile = kBlock * kItems;

template <int OP, typename A>
struct ScanFn {
  __device__ static A init() {
    if constexpr (OP == Sum)
      return A(0);
    else if constexpr (OP == Prod)
      return A(1);
    else if constexpr (OP == LogAddExp)
      return -pos_inf<A>();
    else
      return extreme_init<OP == Max, A>();
  }
  __device__ static A apply(A acc, A x) {
    if constexpr (OP == Sum)
      return wrap_add(acc, x);
    else if constexpr (OP == Prod)
      return wrap_mul(acc, x);
    else if constexpr (OP == LogAddExp)
      return logaddexp(acc, x);
    else
      return extreme<OP == Max>(acc, x);
  }
};

// smem index of tile position p, padded so that both the coalesced pass
// (consecutive p) and the per-thread pass (kItems consecutive) avoid bank
// conflicts.
__device__ inline int pad(int p) {
  return p + p / 32;
}

// Exclusive scan of one value per thread over the block; total gets the
// combination of all of them.
template <class F, typename A>
__device__ inline A block_exclusive(A v, A* ws, A& total) {
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  A incl = v;
#pragma unroll
  for (int d = 1; d < 32; d <<= 1) {
    A y = shfl_up(incl, d);
    if (lane >= d) incl = F::apply(y, incl);
  }
  if (lane == 31) ws[warp] = incl;
  __syncthreads();
  A before = F::init();
  for (int w = 0; w < warp; ++w) before = F::apply(before, ws[w]);
  total = before;
  for (int w = warp; w < kWarps; ++w) total = F::apply(total, ws[w]);
  A ex = shfl_up(incl, 1);
  if (lane == 0) ex = F::init();
  __syncthreads();  // ws is reused
  return F::apply(before, ex);
}

// Items (line l, tile c) = l * nchunks + c. Line l starts at
// in + offset_of(l, ll) with stride sa and goes to out + l * n. Scan
// position k reads index k (or n - 1 - k when reverse).
template <int OP, typename In, typename A, typename Out>
__global__ void __launch_bounds__(kBlock)
    scan_rows(const In* __restrict__ in, Out* __restrict__ out, A* __restrict__ totals,
              const A* __restrict__ carries, Layout ll, int64_t sa, int64_t n, int64_t lines,
              int64_t nchunks, int reverse, int inclusive) {
  using F = ScanFn<OP, A>;
  TANDEM_SHARED(A, buf, kTile + kTile / 32);
  TANDEM_SHARED(A, ws, kWarps);
  const int64_t items = lines * nchunks;
  for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {
    int64_t l = item / nchunks, c = item - l * nchunks;
    const In* src = in + offset_of(l, ll);
    int64_t k0 = c * kTile;
    int cnt = static_cast<int>(n - k0 < kTile ? n - k0 : kTile);
    for (int t = threadIdx.x; t < kTile; t += kBlock) {
      A v = F::init();
      if (t < cnt) {
        int64_t k = k0 + t;
        v = cast<A>(src[(reverse ? n - 1 - k : k) * sa]);
      }
      buf[pad(t)] = v;
    }
    __syncthreads();
    A x[kItems];
    A tot = F::init();
#pragma unroll
    for (int j = 0; j < kItems; ++j) {
      x[j] = buf[pad(threadIdx.x * kItems + j)];
      tot = F::apply(tot, x[j]);
    }
    A block_total;
    A run = block_exclusive<F>(tot, ws, block_total);
    if (totals) {
      if (threadIdx.x == 0) totals[item] = block_total;
      continue;  // buf was last read before block_exclusive's syncs
    }
    if (carries) run = F::apply(carries[item], run);
#pragma unroll
    for (int j = 0; j < kItems; ++j) {
      A before = run;
      run = F::apply(run, x[j]);
      buf[pad(threadIdx.x * kItems + j)] = inclusive ? run : before;
    }
    __syncthreads();
    Out* dst = out + l * n;
    for (int t = threadIdx.x; t < cnt; t += kBlock) {
      int64_t k = k0 + t;
      dst[reverse ? n - 1 - k : k] = cast<Out>(buf[pad(t)]);
    }
    __syncthreads();
  }
}

// Thread g = (p * nchunks + c) * post + j scans positions [c * chunk, ...)
// of column (p, j): input in + offset_of(p, pl) + offset_of(j, ql) + i * sa,
// output out[(p * n + i) * post + j].
template <int OP, typename In, typename A, typename Out>
__global__ void __launch_bounds__(kBlock)
    scan_cols(const In* __restrict__ in, Out* __restrict__ out, A* __restrict__ totals,
              const A* __restrict__ carries, Layout pl, int64_t sa, Layout ql, int64_t n,
              int64_t pre, int64_t post, int64_t chunk, int64_t nchunks, int reverse,
              int inclusive) {
  using F = ScanFn<OP, A>;
  const int64_t total = pre * nchunks * post;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t g = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; g < total;
       g += step) {
    int64_t j = g % post, t = g / post;
    int64_t c = t % nchunks, p = t / nchunks;
    const In* src = in + offset_of(p, pl) + offset_of(j, ql);
    int64_t k0 = c * chunk, k1 = k0 + chunk < n ? k0 + chunk : n;
    A run = carries ? carries[g] : F::init();
    if (totals) {
      for (int64_t k = k0; k < k1; ++k) {
        run = F::apply(run, cast<A>(src[(reverse ? n - 1 - k : k) * sa]));
      }
      totals[g] = run;
      continue;
    }
    Out* dst = out + p * n * post + j;
    for (int64_t k = k0; k < k1; ++k) {
      int64_t i = reverse ? n - 1 - k : k;
      A before = run;
      run = F::apply(run, cast<A>(src[i * sa]));
      dst[i * post] = cast<Out>(inclusive ? run : before);
    }
  }
}

}  // namespace scan
}  // namespace tandem
