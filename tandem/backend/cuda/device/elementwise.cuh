// Elementwise kernel shapes shared by the unary, binary, select and copy
// families. F is a functor type; its call operator computes one element.
// Contiguous kernels run a grid-stride loop with four independent elements
// per thread in flight; strided kernels compute each input's offset from the
// row-major index of the output.
#pragma once
#include "common.cuh"

namespace tandem {

constexpr int kUnroll = 4;

// out[i] = F(in[i]) over dense data.
template <typename F, typename In, typename Out, typename Idx>
__global__ void map1_contig(const In* __restrict__ in, Out* __restrict__ out, Idx n) {
  F f;
  Idx step = Idx(gridDim.x) * blockDim.x;
  Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x;
  for (; i + (kUnroll - 1) * step < n; i += kUnroll * step) {
    In v[kUnroll];
#pragma unroll
    for (int k = 0; k < kUnroll; ++k) v[k] = in[i + k * step];
#pragma unroll
    for (int k = 0; k < kUnroll; ++k) out[i + k * step] = f(v[k]);
  }
  for (; i < n; i += step) out[i] = f(in[i]);
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
  Idx step = Idx(gridDim.x) * blockDim.x;
  Idx amask = a_scalar ? 0 : ~Idx(0), bmask = b_scalar ? 0 : ~Idx(0);
  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    out[i] = f(a[i & amask], b[i & bmask]);
  }
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
