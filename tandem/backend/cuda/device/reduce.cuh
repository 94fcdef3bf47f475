// Reduce and ArgReduce kernels. The host splits the input into kept dims
// (the outputs, row-major; layout kl or, for columns, ol + a contiguous
// inner dim) and reduced dims (layout rl, ordered by decreasing stride), as
// the CPU backend does. Two kernel shapes:
//  - runs: a group of w threads (1, a warp, or the block) reduces one
//    output, or one chunk of it; contiguous runs use 16-byte loads;
//  - cols: the innermost kept dim is contiguous, so a block reduces a tile
//    of adjacent outputs, threads of a row reading adjacent columns.
// A long reduction is split into nchunks interleaved chunks (chunk c takes
// the groups of w values c, c + nchunks, ...: equal work, so one wave of
// blocks stays busy to the end) whose partial results ([output][chunk], in
// the accumulator type) are reduced again. No thread adds up more than about
// a thousand values (accuracy of float sums). Results depend only on the
// shape and the launch configuration.
#pragma once
#include "reduce_util.cuh"
#include "tandem/kernels/reduce_ops.h"

namespace tandem {
namespace red {

// The op numbers of tandem::ReduceOp as template constants.
constexpr int And = int(ReduceOp::And), Or = int(ReduceOp::Or), Sum = int(ReduceOp::Sum),
              Prod = int(ReduceOp::Prod), Max = int(ReduceOp::Max), Min = int(ReduceOp::Min);

// The op on accumulator type A (bool for And/Or; float for half Sum/Prod/Max/Min).
template <int OP, typename A>
struct ReduceFn {
  __device__ static A init() {
    if constexpr (OP == And)
      return true;
    else if constexpr (OP == Or)
      return false;
    else if constexpr (OP == Sum)
      return A(0);
    else if constexpr (OP == Prod)
      return A(1);
    else
      return extreme_init<OP == Max, A>();
  }
  __device__ static A combine(A a, A b) {
    if constexpr (OP == And)
      return a && b;
    else if constexpr (OP == Or)
      return a || b;
    else if constexpr (OP == Sum)
      return wrap_add(a, b);
    else if constexpr (OP == Prod)
      return wrap_mul(a, b);
    else
      return extreme<OP == Max>(a, b);
  }
  template <typename In>
  __device__ static A load(In v) {
    return cast<A>(v);  // != 0 for And/Or
  }
};

// Combines v over the w threads of a group (1, 32 or kBlock, uniform over
// the block); the group's first thread gets the result. w == kBlock uses
// smem (kWarps values) and syncs the block.
template <class F, typename A>
__device__ inline A group_reduce(A v, int w, A* smem) {
  if (w >= 32) {
#pragma unroll
    for (int d = 16; d > 0; d >>= 1) v = F::combine(v, shfl_down(v, d));
  }
  if (w == kBlock) {
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0) smem[warp] = v;
    __syncthreads();
    if (warp == 0) {
      v = lane < kWarps ? smem[lane] : F::init();
#pragma unroll
      for (int d = kWarps / 2; d > 0; d >>= 1) v = F::combine(v, shfl_down(v, d));
    }
    __syncthreads();  // smem is reused by the next item
  }
  return v;
}

// This thread's share of the n contiguous values at p, in chunk c of
// nchunks: 16-byte vectors lane + c * W, + S, + 2S ... (S = nchunks * W);
// chunk 0 also takes the scalar head (up to 16-byte alignment) and tail.
template <class F, typename In, typename A>
__device__ inline A range_contig(const In* __restrict__ p, int64_t n, int lane, int W, int64_t c,
                                 int64_t nchunks) {
  constexpr int V = 16 / sizeof(In);
  struct alignas(16) Vec {
    In v[V];
  };
  A acc = F::init();
  int64_t mis = static_cast<int64_t>(reinterpret_cast<unsigned long long>(p) & 15) /
                static_cast<int64_t>(sizeof(In));
  int64_t head = mis ? (V - mis < n ? V - mis : n) : 0;
  const Vec* vp = reinterpret_cast<const Vec*>(p + head);
  int64_t nv = (n - head) / V;
  if (c == 0) {
    for (int64_t i = lane; i < head; i += W) acc = F::combine(acc, F::load(p[i]));
    for (int64_t t = head + nv * V + lane; t < n; t += W) acc = F::combine(acc, F::load(p[t]));
  }
  // U independent 16-byte loads in flight per thread (fewer for narrow types:
  // the unrolled body stays small).
  constexpr int U = V >= 16 ? 1 : V >= 8 ? 2 : 4;
  const int64_t S = nchunks * W;
  int64_t i = c * W + lane;
  for (; i + (U - 1) * S < nv; i += U * S) {
    Vec a[U];
#pragma unroll
    for (int u = 0; u < U; ++u) a[u] = vp[i + u * S];
#pragma unroll
    for (int u = 0; u < U; ++u) {
#pragma unroll
      for (int k = 0; k < V; ++k) acc = F::combine(acc, F::load(a[u].v[k]));
    }
  }
  for (; i < nv; i += S) {
    Vec a = vp[i];
#pragma unroll
    for (int k = 0; k < V; ++k) acc = F::combine(acc, F::load(a.v[k]));
  }
  return acc;
}

// Groups of w threads (1, 32 or kBlock) take items g, g + kBlock / w, ...
// of this block, then of the next wave of blocks: body(item, active, lane).
// Every group of a block runs the same number of iterations (the block's
// syncs); groups past the end are idle (active false).
template <class Body>
__device__ inline void for_group_items(int64_t items, int w, Body&& body) {
  const int g = threadIdx.x / w, lane = threadIdx.x % w;
  const int64_t step = static_cast<int64_t>(gridDim.x) * (kBlock / w);
  for (int64_t item = static_cast<int64_t>(blockIdx.x) * (kBlock / w) + g; item - g < items;
       item += step) {
    body(item, item < items, lane);
  }
}

// Groups of w threads reduce items (output o, chunk c) = o * nchunks + c;
// share(o, c, lane) is this thread's part of the item (values c * w + lane,
// + nchunks * w, ...). Writes part[item] (A) when part is set, else out[o].
template <class F, typename A, typename Out, class Share>
__device__ inline void reduce_items(Out* __restrict__ out, A* __restrict__ part, int64_t n_out,
                                    int64_t nchunks, int w, A* smem, Share&& share) {
  for_group_items(n_out * nchunks, w, [&](int64_t item, bool active, int lane) {
    int64_t o = 0;
    A acc = F::init();
    if (active) {
      o = item / nchunks;
      acc = share(o, item - o * nchunks, lane);
    }
    acc = group_reduce<F>(acc, w, smem);
    if (active && lane == 0) {
      if (part) {
        part[item] = acc;
      } else {
        out[o] = cast<Out>(acc);
      }
    }
  });
}

// With `done` (a zeroed counter; one output, one group a block): the block
// that finishes last adds up the nchunks partial results and writes out[0],
// so a full reduction is one kernel, not two (the second launch and the gap
// before it cost about 3 us of a 65 us sum over 256 MiB on the H200). It
// zeroes the counter again for the stream's next reduction.
template <class F, typename A, typename Out>
__device__ inline void finish_last_block(Out* __restrict__ out, const A* part, int64_t nchunks,
                                         unsigned* done, A* smem) {
  __shared__ bool last;
  __threadfence();  // this block's partial results, before its count
  __syncthreads();
  if (threadIdx.x == 0) last = atomicAdd(done, 1u) == gridDim.x - 1;
  __syncthreads();
  if (!last) return;
  __threadfence();
  A acc = F::init();
  for (int64_t r = threadIdx.x; r < nchunks; r += kBlock) acc = F::combine(acc, part[r]);
  acc = group_reduce<F>(acc, kBlock, smem);
  if (threadIdx.x == 0) {
    out[0] = cast<Out>(acc);
    *done = 0;
  }
}

// reduce_items over the input (output o at offset_of(o, kl)); contig: rl is
// one dim of stride 1.
template <int OP, typename In, typename A, typename Out>
__global__ void __launch_bounds__(kBlock)
    reduce_runs(const In* __restrict__ in, Out* __restrict__ out, A* __restrict__ part,
                int64_t n_out, int64_t R, int64_t nchunks, Layout kl, Layout rl, int contig, int w,
                unsigned* done) {
  using F = ReduceFn<OP, A>;
  TANDEM_SHARED(A, smem, kWarps);
  reduce_items<F>(out, part, n_out, nchunks, w, smem, [&](int64_t o, int64_t c, int lane) {
    const In* base = in + offset_of(o, kl);
    if (contig) return range_contig<F, In, A>(base, R, lane, w, c, nchunks);
    A acc = F::init();
    for (int64_t r = c * w + lane; r < R; r += nchunks * w) {
      acc = F::combine(acc, F::load(base[offset_of(r, rl)]));
    }
    return acc;
  });
  if (done) finish_last_block<F>(out, part, nchunks, done, smem);
}

// Second passes: rows of R partial results (type A) per output, contiguous;
// chunked like reduce_runs.
template <int OP, typename A, typename Out>
__global__ void __launch_bounds__(kBlock)
    reduce_partials(const A* __restrict__ in, Out* __restrict__ out, A* __restrict__ part,
                    int64_t n_out, int64_t R, int64_t nchunks, int w) {
  using F = ReduceFn<OP, A>;
  TANDEM_SHARED(A, smem, kWarps);
  reduce_items<F>(out, part, n_out, nchunks, w, smem, [&](int64_t o, int64_t c, int lane) {
    const A* p = in + o * R;
    A acc = F::init();
    for (int64_t r = c * w + lane; r < R; r += nchunks * w) acc = F::combine(acc, p[r]);
    return acc;
  });
}

// Items of the column kernels, one a block iteration: ((outer * ntiles) +
// tile) * nchunks + c over tiles of bx adjacent outputs (of kn; blocks of bx
// columns by kBlock / bx rows). body(c, outer, col): col is this thread's
// output column (may be past kn).
template <class Body>
__device__ inline void for_col_items(int64_t kn, int64_t n_outer, int64_t nchunks, int bx,
                                     Body&& body) {
  const int64_t ntiles = (kn + bx - 1) / bx;
  const int64_t items = n_outer * ntiles * nchunks;
  for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {
    int64_t c = item % nchunks, t = item / nchunks;
    int64_t tile = t % ntiles, outer = t / ntiles;
    body(c, outer, tile * bx + static_cast<int64_t>(threadIdx.x % bx));
  }
}

// Columns: the innermost kept dim (kn outputs) has stride 1. A block of
// bx * by threads (by = kBlock / bx) takes a tile of bx adjacent outputs
// and chunk c of the reduced rows (rows c * by + ty, + nchunks * by, ...);
// the by partial results are combined through smem. Items:
// ((outer * ntiles) + tile) * nchunks + c.
template <int OP, typename In, typename A, typename Out>
__global__ void __launch_bounds__(kBlock)
    reduce_cols(const In* __restrict__ in, Out* __restrict__ out, A* __restrict__ part, int64_t kn,
                int64_t n_outer, int64_t R, int64_t nchunks, Layout ol, Layout rl, int bx) {
  using F = ReduceFn<OP, A>;
  TANDEM_SHARED(A, sm, kBlock);
  const int tx = threadIdx.x % bx, ty = threadIdx.x / bx, by = kBlock / bx;
  for_col_items(kn, n_outer, nchunks, bx, [&](int64_t c, int64_t outer, int64_t col) {
    A acc = F::init();
    if (col < kn) {
      const In* base = in + offset_of(outer, ol) + col;
      const int64_t S = nchunks * by;
      if (rl.ndim <= 1) {
        // Four rows' loads in flight per thread.
        int64_t rs = rl.ndim ? rl.strides[0] : 0;
        int64_t r = c * by + ty;
        for (; r + 3 * S < R; r += 4 * S) {
          In v0 = base[r * rs], v1 = base[(r + S) * rs];
          In v2 = base[(r + 2 * S) * rs], v3 = base[(r + 3 * S) * rs];
          acc = F::combine(acc, F::load(v0));
          acc = F::combine(acc, F::load(v1));
          acc = F::combine(acc, F::load(v2));
          acc = F::combine(acc, F::load(v3));
        }
        for (; r < R; r += S) acc = F::combine(acc, F::load(base[r * rs]));
      } else {
        for (int64_t r = c * by + ty; r < R; r += S) {
          acc = F::combine(acc, F::load(base[offset_of(r, rl)]));
        }
      }
    }
    sm[threadIdx.x] = acc;
    __syncthreads();
    for (int s = by / 2; s > 0; s >>= 1) {
      if (ty < s) sm[ty * bx + tx] = F::combine(sm[ty * bx + tx], sm[(ty + s) * bx + tx]);
      __syncthreads();
    }
    if (ty == 0 && col < kn) {
      int64_t o = outer * kn + col;
      if (part) {
        part[o * nchunks + c] = sm[tx];
      } else {
        out[o] = cast<Out>(sm[tx]);
      }
    }
    __syncthreads();
  });
}

// Reductions over nothing: the op's identity.
template <int OP, typename A, typename Out>
__global__ void reduce_fill(Out* __restrict__ out, int64_t n) {
  int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    out[i] = cast<Out>(ReduceFn<OP, A>::init());
  }
}

// ---- ArgReduce ----

constexpr uint32_t kNoIndex = 0xffffffffu;

// Whether x replaces best (ties keep the earlier index; the first NaN wins).
template <bool IsMax, typename V>
__device__ inline bool arg_better(V x, V best) {
  if constexpr (is_complex<V>::value || same<V, float>::value || same<V, double>::value) {
    if (is_nan(best)) return false;
    if (is_nan(x)) return true;
  }
  return IsMax ? best < x : x < best;
}

// The better of two (value, index) candidates, the lower index on ties.
template <bool IsMax, typename V>
__device__ inline void arg_merge(V& v, uint32_t& i, V v2, uint32_t i2) {
  if (i2 == kNoIndex) return;
  bool take = i == kNoIndex || arg_better<IsMax>(v2, v) || (!arg_better<IsMax>(v, v2) && i2 < i);
  if (take) {
    v = v2;
    i = i2;
  }
}

// Merges in the candidate of lane + d (a warp shuffle).
template <bool IsMax, typename V>
__device__ inline void arg_merge_down(V& v, uint32_t& i, int d) {
  V v2 = shfl_down(v, d);
  uint32_t i2 = __shfl_down_sync(0xffffffffu, i, d);
  arg_merge<IsMax>(v, i, v2, i2);
}

// Positions start, start + step, ... below n of base (stride sa): (v, i)
// becomes the best of them and of itself, the earliest on ties.
template <bool IsMax, typename T, typename V>
__device__ inline void arg_range(const T* base, int64_t sa, int64_t start, int64_t n, int64_t step,
                                 V& v, uint32_t& i) {
  for (int64_t r = start; r < n; r += step) {
    V x = cast<V>(base[r * sa]);
    if (i == kNoIndex || arg_better<IsMax>(x, v)) {
      v = x;
      i = static_cast<uint32_t>(r);
    }
  }
}

template <bool IsMax, typename V>
__device__ inline void arg_group(V& v, uint32_t& i, int w, V* sv, uint32_t* si) {
  if (w >= 32) {
#pragma unroll
    for (int d = 16; d > 0; d >>= 1) arg_merge_down<IsMax>(v, i, d);
  }
  if (w == kBlock) {
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0) {
      sv[warp] = v;
      si[warp] = i;
    }
    __syncthreads();
    if (warp == 0) {
      i = kNoIndex;
      if (lane < kWarps) {
        v = sv[lane];
        i = si[lane];
      }
#pragma unroll
      for (int d = kWarps / 2; d > 0; d >>= 1) arg_merge_down<IsMax>(v, i, d);
    }
    __syncthreads();
  }
}

// Items (o, c) = o * nchunks + c over the axis positions of output o
// (stride sa) in chunk c (interleaved as in reduce_runs); groups of w
// threads. Writes out[o], or pval/pidx[item] when chunked.
template <bool IsMax, typename T, typename V>
__global__ void __launch_bounds__(kBlock)
    arg_runs(const T* __restrict__ in, uint32_t* __restrict__ out, V* __restrict__ pval,
             uint32_t* __restrict__ pidx, int64_t n_out, int64_t n, int64_t sa, int64_t nchunks,
             Layout kl, int w) {
  TANDEM_SHARED(V, sv, kWarps);
  __shared__ uint32_t si[kWarps];
  for_group_items(n_out * nchunks, w, [&](int64_t item, bool active, int lane) {
    int64_t o = 0;
    V best = V();
    uint32_t bi = kNoIndex;
    if (active) {
      o = item / nchunks;
      int64_t c = item - o * nchunks;
      arg_range<IsMax>(in + offset_of(o, kl), sa, c * w + lane, n, nchunks * w, best, bi);
    }
    arg_group<IsMax>(best, bi, w, sv, si);
    if (active && lane == 0) {
      if (pval) {
        pval[item] = best;
        pidx[item] = bi;
      } else {
        out[o] = bi;
      }
    }
  });
}

// Columns (the innermost kept dim contiguous), as reduce_cols.
template <bool IsMax, typename T, typename V>
__global__ void __launch_bounds__(kBlock)
    arg_cols(const T* __restrict__ in, uint32_t* __restrict__ out, V* __restrict__ pval,
             uint32_t* __restrict__ pidx, int64_t kn, int64_t n_outer, int64_t n, int64_t sa,
             int64_t nchunks, Layout ol, int bx) {
  TANDEM_SHARED(V, sv, kBlock);
  __shared__ uint32_t si[kBlock];
  const int tx = threadIdx.x % bx, ty = threadIdx.x / bx, by = kBlock / bx;
  for_col_items(kn, n_outer, nchunks, bx, [&](int64_t c, int64_t outer, int64_t col) {
    V best = V();
    uint32_t bi = kNoIndex;
    if (col < kn) {
      arg_range<IsMax>(in + offset_of(outer, ol) + col, sa, c * by + ty, n, nchunks * by, best, bi);
    }
    sv[threadIdx.x] = best;
    si[threadIdx.x] = bi;
    __syncthreads();
    for (int s = by / 2; s > 0; s >>= 1) {
      if (ty < s) {
        int a = ty * bx + tx, b = (ty + s) * bx + tx;
        V v = sv[a];
        uint32_t i = si[a];
        arg_merge<IsMax>(v, i, sv[b], si[b]);
        sv[a] = v;
        si[a] = i;
      }
      __syncthreads();
    }
    if (ty == 0 && col < kn) {
      int64_t o = outer * kn + col;
      if (pval) {
        pval[o * nchunks + c] = sv[tx];
        pidx[o * nchunks + c] = si[tx];
      } else {
        out[o] = si[tx];
      }
    }
    __syncthreads();
  });
}

// The best of each output's nchunks partial candidates (groups of w).
template <bool IsMax, typename V>
__global__ void __launch_bounds__(kBlock)
    arg_partials(const V* __restrict__ pval, const uint32_t* __restrict__ pidx,
                 uint32_t* __restrict__ out, int64_t n_out, int64_t nchunks, int w) {
  TANDEM_SHARED(V, sv, kWarps);
  __shared__ uint32_t si[kWarps];
  for_group_items(n_out, w, [&](int64_t o, bool active, int lane) {
    V best = V();
    uint32_t bi = kNoIndex;
    if (active) {
      for (int64_t j = lane; j < nchunks; j += w) {
        arg_merge<IsMax>(best, bi, pval[o * nchunks + j], pidx[o * nchunks + j]);
      }
    }
    arg_group<IsMax>(best, bi, w, sv, si);
    if (active && lane == 0) out[o] = bi;
  });
}

}  // namespace red
}  // namespace tandem
