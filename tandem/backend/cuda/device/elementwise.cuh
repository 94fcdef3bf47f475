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

// out[i] = F(in[offset(i)]): the output is row-major.
template <typename F, typename In, typename Out, typename Idx>
__global__ void map1_strided(const In* __restrict__ in, Out* __restrict__ out, Idx n, Layout l) {
  F f;
  Idx step = Idx(gridDim.x) * blockDim.x;
  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    out[i] = f(in[offset_of(i, l)]);
  }
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
  Idx step = Idx(gridDim.x) * blockDim.x;
  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    out[i] = f(a[offset_of(i, la)], b[offset_of(i, lb)]);
  }
}

// where(c, a, b), each input strided (the output is row-major).
template <typename T, typename Idx>
__global__ void select_strided(const bool* __restrict__ c, const T* __restrict__ a,
                               const T* __restrict__ b, T* __restrict__ out, Idx n, Layout lc,
                               Layout la, Layout lb) {
  Idx step = Idx(gridDim.x) * blockDim.x;
  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    out[i] = c[offset_of(i, lc)] ? a[offset_of(i, la)] : b[offset_of(i, lb)];
  }
}

// Conversion functor for copies and astype.
template <typename In, typename Out>
struct CastFn {
  __device__ Out operator()(In v) const { return cast<Out>(v); }
};

}  // namespace tandem
