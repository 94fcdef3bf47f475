// Elementwise kernel shapes shared by the unary, binary, select and copy
// families. F is a functor type; its call operator computes one element.
// Dense kernels run dense_loop (up to kDensePerThread elements a thread, their
// loads in flight together); strided kernels compute each input's offset
// from the row-major index of the output.
#pragma once
#include "common.cuh"
#include "tandem/kernels/kernel_args.h"

namespace tandem {

using k::kDensePerThread;

// Elements each thread of a dense kernel takes a tile: the grid of
// dense_blocks (backend/cuda/encoder.h) covers n with 1 or kDensePerThread a
// thread; a capped grid loops over tiles with kDensePerThread.
template <typename Idx>
__device__ inline Idx dense_per_thread(Idx n) {
  Idx threads = Idx(gridDim.x) * blockDim.x;
  Idx per = (n + threads - 1) / threads;
  return per < 1 ? 1 : per > Idx(kDensePerThread) ? Idx(kDensePerThread) : per;
}

// The dense loop: tiles of blockDim.x * per consecutive elements, one per
// block; load(u, i) runs for all of a thread's elements of a tile before any
// store(u, i) (independent loads in flight: 0.82x of a device copy's
// bandwidth on the H200 with one element at a time, 1.04x with four).
template <typename Idx, class Load, class Store>
__device__ inline void dense_loop(Idx n, Load&& load, Store&& store) {
  const Idx per = dense_per_thread(n), tile = Idx(blockDim.x) * per;
  for (Idx t = Idx(blockIdx.x) * tile + threadIdx.x; t < n; t += Idx(gridDim.x) * tile) {
#pragma unroll
    for (int u = 0; u < kDensePerThread; ++u) {
      Idx i = t + Idx(u) * blockDim.x;
      if (Idx(u) < per && i < n) load(u, i);
    }
#pragma unroll
    for (int u = 0; u < kDensePerThread; ++u) {
      Idx i = t + Idx(u) * blockDim.x;
      if (Idx(u) < per && i < n) store(u, i);
    }
  }
}

// Four 4-byte values moved as one 16-byte access.
template <typename T>
struct alignas(16) Vec4 {
  T v[4];
};

// out[i] = F(in[i]) over dense data. 4-byte types with 16-byte aligned
// pointers go four at a time through 16-byte loads and stores (exp reached
// 0.91x PyTorch with scalar accesses on the H200); the others run dense_loop.
template <typename F, typename In, typename Out, typename Idx>
__global__ void map1_contig(const In* __restrict__ in, Out* __restrict__ out, Idx n) {
  F f;
  if constexpr (sizeof(In) == 4 && sizeof(Out) == 4) {
    auto bits =
        reinterpret_cast<unsigned long long>(in) | reinterpret_cast<unsigned long long>(out);
    if ((bits & 15) == 0) {
      const Idx nv = n / 4, stride = Idx(gridDim.x) * blockDim.x;
      const Idx tid = Idx(blockIdx.x) * blockDim.x + threadIdx.x;
      const auto* vin = reinterpret_cast<const Vec4<In>*>(in);
      auto* vout = reinterpret_cast<Vec4<Out>*>(out);
      for (Idx j = tid; j < nv; j += stride) {
        Vec4<In> a = vin[j];
        Vec4<Out> r;
#pragma unroll
        for (int k = 0; k < 4; ++k) r.v[k] = f(a.v[k]);
        vout[j] = r;
      }
      for (Idx i = nv * 4 + tid; i < n; i += stride) out[i] = f(in[i]);
      return;
    }
  }
  In v[kDensePerThread];
  dense_loop(
      n, [&](int u, Idx i) { v[u] = in[i]; }, [&](int u, Idx i) { out[i] = f(v[u]); });
}

// The strided loop over the n elements of a row-major output whose inputs'
// layouts (collapsed together: one shape) are ls[0..N). When the innermost
// dim's length is a multiple of kRowGroup, a thread takes kRowGroup
// consecutive elements of one row: their offsets are the first one's plus a
// multiple of each input's innermost stride, so the index arithmetic (a
// division per dim, most of the work for 2-byte types) is paid once a group.
// body(i, off) computes output element i from input offsets off[k].
constexpr int kRowGroup = 4;
template <int N, typename Idx, class Body>
__device__ inline void strided_loop(Idx n, const Layout* const (&ls)[N], Body&& body) {
  const Idx step = Idx(gridDim.x) * blockDim.x;
  const Idx tid = Idx(blockIdx.x) * blockDim.x + threadIdx.x;
  const int d = ls[0]->ndim - 1;
  if (d >= 0 && ls[0]->shape[d] % kRowGroup == 0) {
    int64_t inner[N];
#pragma unroll
    for (int k = 0; k < N; ++k) inner[k] = ls[k]->strides[d];
    for (Idx g = tid; g < n / kRowGroup; g += step) {
      const Idx i = g * kRowGroup;
      int64_t off[N];
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] = offset_of(i, *ls[k]);
#pragma unroll
      for (int u = 0; u < kRowGroup; ++u) {
        body(i + Idx(u), off);
#pragma unroll
        for (int k = 0; k < N; ++k) off[k] += inner[k];
      }
    }
    return;
  }
  for (Idx i = tid; i < n; i += step) {
    int64_t off[N];
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = offset_of(i, *ls[k]);
    body(i, off);
  }
}

// out[i] = F(in[offset(i)]): the output is row-major.
template <typename F, typename In, typename Out, typename Idx>
__global__ void map1_strided(const In* __restrict__ in, Out* __restrict__ out, Idx n, Layout l) {
  F f;
  const Layout* const ls[1] = {&l};
  strided_loop<1>(n, ls, [&](Idx i, const int64_t* off) { out[i] = f(in[off[0]]); });
}

// Two inputs over dense data; an input with scalar_x set is read at [0].
template <typename F, typename In, typename Out, typename Idx>
__global__ void map2_contig(const In* __restrict__ a, const In* __restrict__ b,
                            Out* __restrict__ out, Idx n, int a_scalar, int b_scalar) {
  F f;
  Idx amask = a_scalar ? 0 : ~Idx(0), bmask = b_scalar ? 0 : ~Idx(0);
  In va[kDensePerThread], vb[kDensePerThread];
  dense_loop(
      n,
      [&](int u, Idx i) {
        va[u] = a[i & amask];
        vb[u] = b[i & bmask];
      },
      [&](int u, Idx i) { out[i] = f(va[u], vb[u]); });
}

template <typename F, typename In, typename Out, typename Idx>
__global__ void map2_strided(const In* __restrict__ a, const In* __restrict__ b,
                             Out* __restrict__ out, Idx n, Layout la, Layout lb) {
  F f;
  const Layout* const ls[2] = {&la, &lb};
  strided_loop<2>(n, ls, [&](Idx i, const int64_t* off) { out[i] = f(a[off[0]], b[off[1]]); });
}

// where(c, a, b), each input strided (the output is row-major).
template <typename T, typename Idx>
__global__ void select_strided(const bool* __restrict__ c, const T* __restrict__ a,
                               const T* __restrict__ b, T* __restrict__ out, Idx n, Layout lc,
                               Layout la, Layout lb) {
  const Layout* const ls[3] = {&lc, &la, &lb};
  strided_loop<3>(n, ls,
                  [&](Idx i, const int64_t* off) { out[i] = c[off[0]] ? a[off[1]] : b[off[2]]; });
}

// Conversion functor for copies and astype.
template <typename In, typename Out>
struct CastFn {
  __device__ Out operator()(In v) const { return cast<Out>(v); }
};

}  // namespace tandem
