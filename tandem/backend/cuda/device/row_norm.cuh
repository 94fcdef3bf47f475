// Row kernels of the RowNorm primitive: softmax, logsumexp, layer norm and
// RMS norm over the last axis, in the compute type A (float for halves).
// Row r starts at in + offset_of(r, rows) with stride sa along the row; the
// output is row-major (out + r * n; logsumexp: out[r]). With `vec` set the
// host has checked that rows, weight and bias are contiguous and aligned
// for 16-byte packs and n is a multiple of the pack; otherwise elements are
// read one by one (still coalesced: consecutive threads, consecutive j).
//  - row_regs<OP, T, THREADS, ITEMS, VEC>: THREADS threads per row (32: a
//    warp, eight rows per block; 256 or 1024: a block), each holding ITEMS
//    packs' worth of the row in registers, so the row is read from memory
//    once; the statistics are warp-shuffle + shared-memory reductions. VEC
//    is `vec` at compile time (both paths in one kernel cost registers).
//  - row_looped<OP, T>: rows too long for registers; a block per row makes
//    a pass for the statistics (softmax: online max and rescaled sum) and
//    one to write, the second read mostly hitting L2.
#pragma once
#include "reduce_util.cuh"

namespace tandem {
namespace rownorm {

constexpr int Softmax = 0, LogSumExp = 1, LayerNorm = 2, RmsNorm = 3;
constexpr int kLoopThreads = 1024;

template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

// Elements of T in a 16-byte pack.
template <typename T>
constexpr int kPack = 16 / static_cast<int>(sizeof(T));

__device__ inline float exp_(float x) {
  return expf(x);
}
__device__ inline double exp_(double x) {
  return ::exp(x);
}
__device__ inline float log_(float x) {
  return logf(x);
}
__device__ inline double log_(double x) {
  return ::log(x);
}
__device__ inline float sqrt_(float x) {
  return sqrtf(x);
}
__device__ inline double sqrt_(double x) {
  return ::sqrt(x);
}
template <typename A>
__device__ inline bool finite(A v) {
  return v - v == A(0);  // inf - inf and nan - nan are nan
}

template <bool MAX, typename A>
__device__ inline A combine(A a, A b) {
  if constexpr (MAX)
    return red::extreme<true>(a, b);  // nan-sticky
  else
    return a + b;
}

// The MAX (else sum) of v over the THREADS threads that share a row, given
// to each of them. THREADS == 32: a warp; else the whole block (every
// thread calls it), with ws holding THREADS / 32 values.
template <int THREADS, bool MAX, typename A>
__device__ inline A row_reduce(A v, A* ws) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v = combine<MAX>(v, __shfl_xor_sync(0xffffffffu, v, d));
  if constexpr (THREADS > 32) {
    constexpr int kW = THREADS / 32;
    __syncthreads();  // the previous call's readers are done with ws
    if (threadIdx.x % 32 == 0) ws[threadIdx.x / 32] = v;
    __syncthreads();
    v = ws[0];
#pragma unroll
    for (int i = 1; i < kW; ++i) v = combine<MAX>(v, ws[i]);
  }
  return v;
}

// At most 64 registers a thread (blocks of 256: four an SM), or the
// compiler hoists the weight and bias loads of every element above the
// reductions and occupancy drops to a block an SM.
template <int OP, typename T, int THREADS, int ITEMS, bool VEC>
__global__ void __launch_bounds__(THREADS < 256 ? 256 : THREADS, THREADS < 256 ? 4 : 1024 / THREADS)
    row_regs(const T* __restrict__ in, T* __restrict__ out, const compute_t<T>* __restrict__ w,
             const compute_t<T>* __restrict__ b, Layout rows, int64_t sa, int64_t n, int64_t nrows,
             int64_t ws, int64_t bs, float eps, int vec, int64_t causal_rows, int64_t causal_off) {
  using A = compute_t<T>;
  constexpr int V = kPack<T>;
  constexpr int kBlockThreads = THREADS < 256 ? 256 : THREADS;
  constexpr int kRowsPerBlock = kBlockThreads / THREADS;
  constexpr int kN = ITEMS * V;
  __shared__ A red_ws[THREADS / 32];
  const int t = threadIdx.x % THREADS;
  const A inv_n = A(1) / static_cast<A>(n);
  // Element k of a thread's registers is row index idx(k) (n or more: none):
  // packs of V for consecutive threads (VEC), else single elements; 32-bit,
  // as rows held in registers are short.
  constexpr int G = VEC ? V : 1;
  const int len = static_cast<int>(n);
  auto idx = [&](int k) { return ((k / G) * THREADS + t) * G + k % G; };
  // Softmax and logsumexp pad with -inf (no weight in max or sum), the
  // others with 0.
  const A pad = (OP == Softmax || OP == LogSumExp) ? -red::pos_inf<A>() : A(0);
  // Blocks of several rows (warps) never synchronise, so each warp may run
  // through its own rows.
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / THREADS;
       r < nrows; r += static_cast<int64_t>(gridDim.x) * kRowsPerBlock) {
    const T* src = in + offset_of(r, rows);
    A x[kN];
    if constexpr (VEC) {
#pragma unroll
      for (int i = 0; i < ITEMS; ++i) {
        int p = i * THREADS + t;
        if (p * V < len) {
          Pack<T, V> pk = reinterpret_cast<const Pack<T, V>*>(src)[p];
#pragma unroll
          for (int v = 0; v < V; ++v) x[i * V + v] = cast<A>(pk.v[v]);
        } else {
#pragma unroll
          for (int v = 0; v < V; ++v) x[i * V + v] = pad;
        }
      }
    } else {
#pragma unroll
      for (int k = 0; k < kN; ++k) {
        int j = idx(k);
        x[k] = j < len ? cast<A>(src[static_cast<int64_t>(j) * sa]) : pad;
      }
    }
    if constexpr (OP == Softmax) {
      if (causal_rows > 0) {
        // Causal mask: elements past the row's last visible key are -inf.
        const int64_t keep = r % causal_rows + causal_off + 1;
#pragma unroll
        for (int k = 0; k < kN; ++k) {
          if (idx(k) >= keep) x[k] = pad;
        }
      }
    }
    if constexpr (OP == Softmax || OP == LogSumExp) {
      A m = x[0];
#pragma unroll
      for (int k = 1; k < kN; ++k) m = red::extreme<true>(m, x[k]);
      m = row_reduce<THREADS, true>(m, red_ws);
      if (!finite(m)) m = A(0);  // as the composite: shift by 0
      A s = A(0);
#pragma unroll
      for (int k = 0; k < kN; ++k) {
        x[k] = exp_(x[k] - m);
        s += x[k];
      }
      s = row_reduce<THREADS, false>(s, red_ws);
      if constexpr (OP == LogSumExp) {
        if (t == 0) out[r] = cast<T>(log_(s) + m);
        continue;
      } else {
        A rs = A(1) / s;
#pragma unroll
        for (int k = 0; k < kN; ++k) x[k] *= rs;
      }
    } else {
      A scale;
      if constexpr (OP == LayerNorm) {
        A s = A(0);
#pragma unroll
        for (int k = 0; k < kN; ++k) s += x[k];
        A mean = row_reduce<THREADS, false>(s, red_ws) * inv_n;
        A q = A(0);
#pragma unroll
        for (int k = 0; k < kN; ++k) {
          x[k] = idx(k) < len ? x[k] - mean : A(0);
          q += x[k] * x[k];
        }
        scale = A(1) / sqrt_(row_reduce<THREADS, false>(q, red_ws) * inv_n + A(eps));
      } else {
        A q = A(0);
#pragma unroll
        for (int k = 0; k < kN; ++k) q += x[k] * x[k];
        scale = A(1) / sqrt_(row_reduce<THREADS, false>(q, red_ws) * inv_n + A(eps));
      }
#pragma unroll
      for (int k = 0; k < kN; ++k) x[k] *= scale;
      if constexpr (VEC) {
#pragma unroll
        for (int i = 0; i < ITEMS; ++i) {
          int p = i * THREADS + t;
          if (p * V >= len) continue;
          if (w) {
            Pack<A, V> wp = reinterpret_cast<const Pack<A, V>*>(w)[p];
#pragma unroll
            for (int v = 0; v < V; ++v) x[i * V + v] *= wp.v[v];
          }
          if (OP == LayerNorm && b) {
            Pack<A, V> bp = reinterpret_cast<const Pack<A, V>*>(b)[p];
#pragma unroll
            for (int v = 0; v < V; ++v) x[i * V + v] += bp.v[v];
          }
        }
      } else {
#pragma unroll
        for (int k = 0; k < kN; ++k) {
          int j = idx(k);
          if (j >= len) continue;
          if (w) x[k] *= w[j * ws];
          if (OP == LayerNorm && b) x[k] += b[j * bs];
        }
      }
    }
    T* dst = out + r * n;
    if constexpr (VEC) {
#pragma unroll
      for (int i = 0; i < ITEMS; ++i) {
        int p = i * THREADS + t;
        if (p * V < len) {
          Pack<T, V> pk;
#pragma unroll
          for (int v = 0; v < V; ++v) pk.v[v] = cast<T>(x[i * V + v]);
          reinterpret_cast<Pack<T, V>*>(dst)[p] = pk;
        }
      }
    } else {
#pragma unroll
      for (int k = 0; k < kN; ++k) {
        int j = idx(k);
        if (j < len) dst[j] = cast<T>(x[k]);
      }
    }
  }
}

// f(j, x) for every element j of the row from this thread (blockDim.x
// threads share the row).
template <typename T, typename F>
__device__ inline void for_row(const T* src, int64_t n, int64_t sa, int vec, F&& f) {
  using A = compute_t<T>;
  constexpr int V = kPack<T>;
  if (vec) {
    const Pack<T, V>* p = reinterpret_cast<const Pack<T, V>*>(src);
    for (int64_t q = threadIdx.x; q < n / V; q += blockDim.x) {
      Pack<T, V> pk = p[q];
#pragma unroll
      for (int v = 0; v < V; ++v) f(q * V + v, cast<A>(pk.v[v]));
    }
  } else {
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) f(j, cast<A>(src[j * sa]));
  }
}

// dst[j] = f(j, x) for the row.
template <typename T, typename F>
__device__ inline void map_row(const T* src, T* dst, int64_t n, int64_t sa, int vec, F&& f) {
  using A = compute_t<T>;
  constexpr int V = kPack<T>;
  if (vec) {
    const Pack<T, V>* p = reinterpret_cast<const Pack<T, V>*>(src);
    Pack<T, V>* o = reinterpret_cast<Pack<T, V>*>(dst);
    for (int64_t q = threadIdx.x; q < n / V; q += blockDim.x) {
      Pack<T, V> pk = p[q];
#pragma unroll
      for (int v = 0; v < V; ++v) pk.v[v] = cast<T>(f(q * V + v, cast<A>(pk.v[v])));
      o[q] = pk;
    }
  } else {
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      dst[j] = cast<T>(f(j, cast<A>(src[j * sa])));
    }
  }
}

template <int OP, typename T>
__global__ void __launch_bounds__(kLoopThreads)
    row_looped(const T* __restrict__ in, T* __restrict__ out, const compute_t<T>* __restrict__ w,
               const compute_t<T>* __restrict__ b, Layout rows, int64_t sa, int64_t n,
               int64_t nrows, int64_t ws, int64_t bs, float eps, int vec, int64_t causal_rows,
               int64_t causal_off) {
  using A = compute_t<T>;
  __shared__ A red_ws[kLoopThreads / 32];
  const A inv_n = A(1) / static_cast<A>(n);
  const A inf = red::pos_inf<A>();
  for (int64_t r = blockIdx.x; r < nrows; r += gridDim.x) {
    const T* src = in + offset_of(r, rows);
    T* dst = out + r * n;
    if constexpr (OP == Softmax || OP == LogSumExp) {
      // Causal mask (softmax): elements past the row's last visible key are -inf.
      const int64_t keep = OP == Softmax && causal_rows > 0 ? r % causal_rows + causal_off + 1 : n;
      auto masked = [&](int64_t j, A x) { return j < keep ? x : -inf; };
      // Online: s is the sum of exp(x - m) for this thread's running max m.
      A m = -inf, s = A(0);
      for_row(src, n, sa, vec, [&](int64_t j, A x) {
        x = masked(j, x);
        if (x > m) {
          s = s * exp_(m - x) + A(1);
          m = x;
        } else {
          s += x == -inf ? A(0) : exp_(x - m);  // nan x makes s nan
        }
      });
      A big = row_reduce<kLoopThreads, true>(m, red_ws);
      A shift = big;
      A total;
      if (finite(big)) {
        total = row_reduce<kLoopThreads, false>(m == -inf ? A(0) : s * exp_(m - big), red_ws);
      } else {
        // inf or nan in the row (or only -inf): the composite shifts by 0.
        shift = A(0);
        A z = A(0);
        for_row(src, n, sa, vec, [&](int64_t j, A x) { z += exp_(masked(j, x)); });
        total = row_reduce<kLoopThreads, false>(z, red_ws);
      }
      if constexpr (OP == LogSumExp) {
        if (threadIdx.x == 0) out[r] = cast<T>(log_(total) + shift);
      } else {
        A rs = A(1) / total;
        map_row(src, dst, n, sa, vec,
                [&](int64_t j, A x) { return exp_(masked(j, x) - shift) * rs; });
      }
    } else {
      A mean = A(0), scale;
      if constexpr (OP == LayerNorm) {
        A s = A(0);
        for_row(src, n, sa, vec, [&](int64_t, A x) { s += x; });
        mean = row_reduce<kLoopThreads, false>(s, red_ws) * inv_n;
        A q = A(0);
        for_row(src, n, sa, vec, [&](int64_t, A x) { q += (x - mean) * (x - mean); });
        scale = A(1) / sqrt_(row_reduce<kLoopThreads, false>(q, red_ws) * inv_n + A(eps));
      } else {
        A q = A(0);
        for_row(src, n, sa, vec, [&](int64_t, A x) { q += x * x; });
        scale = A(1) / sqrt_(row_reduce<kLoopThreads, false>(q, red_ws) * inv_n + A(eps));
      }
      map_row(src, dst, n, sa, vec, [&](int64_t j, A x) {
        A y = (x - mean) * scale;
        if (w) y *= w[j * ws];
        if (OP == LayerNorm && b) y += b[j * bs];
        return y;
      });
    }
    __syncthreads();  // red_ws is reused by the next row
  }
}

}  // namespace rownorm
}  // namespace tandem
