// Device code of the matmul family. The products themselves run in cuBLASLt
// (matmul.cpp), whose operand gathers are indexing's strided copies
// (gpu::copy_into); this is the plain tiled kernel for the products
// cuBLASLt declines (no algorithm for a layout, K = 0), reading any
// strided layout.
#pragma once
#include "common.cuh"
#include "tandem/kernels/kernel_args.h"

namespace tandem {

constexpr int kMatmulTile = 16;

using k::MatmulStrides;  // tandem/kernels/kernel_args.h

// out = alpha * a @ b (+ beta * c when use_c), accumulated in compute_t<T>
// (float for the half types, as the CPU does). out is row-contiguous; c may
// be out itself (each element is read by the thread that writes it). One
// 16 x 16 tile of one batch per block iteration; blockDim is (16, 16).
template <typename T>
__global__ void matmul_fallback(const T* __restrict__ a, const T* __restrict__ b, const T* c,
                                T* out, MatmulStrides s, float alpha, float beta, int use_c) {
  using Acc = compute_t<T>;
  // Raw storage: complex64's constructor is not allowed on __shared__ arrays.
  __shared__ alignas(16) unsigned char smem[2 * kMatmulTile * (kMatmulTile + 1) * sizeof(Acc)];
  typedef Acc Row[kMatmulTile + 1];
  Row* as = reinterpret_cast<Row*>(smem);
  Row* bs = as + kMatmulTile;
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t tiles_m = (s.M + kMatmulTile - 1) / kMatmulTile;
  const int64_t tiles_n = (s.N + kMatmulTile - 1) / kMatmulTile;
  int64_t nbatch = 1;
  for (int d = 0; d < s.nbatch_dims; ++d) nbatch *= s.batch_shape[d];
  const int64_t total = nbatch * tiles_m * tiles_n;
  for (int64_t t = blockIdx.x; t < total; t += gridDim.x) {
    int64_t tn = t % tiles_n;
    int64_t rest = t / tiles_n;
    int64_t tm = rest % tiles_m;
    int64_t bi = rest / tiles_m;
    int64_t oa = 0, ob = 0, oc = 0;
    {
      int64_t r = bi;
      for (int d = s.nbatch_dims - 1; d >= 0; --d) {
        int64_t idx = r % s.batch_shape[d];
        r /= s.batch_shape[d];
        oa += idx * s.a_batch[d];
        ob += idx * s.b_batch[d];
        oc += idx * s.c_batch[d];
      }
    }
    const int64_t i = tm * kMatmulTile + ty;  // row of out
    const int64_t j = tn * kMatmulTile + tx;  // column of out
    Acc acc = Acc(0);
    for (int64_t k0 = 0; k0 < s.K; k0 += kMatmulTile) {
      // as[ty][tx] = a[i, k0 + tx]; bs[ty][tx] = b[k0 + ty, j].
      int64_t ka = k0 + tx, kb = k0 + ty;
      as[ty][tx] = (i < s.M && ka < s.K) ? cast<Acc>(a[oa + i * s.a_m + ka * s.a_k]) : Acc(0);
      bs[ty][tx] = (kb < s.K && j < s.N) ? cast<Acc>(b[ob + kb * s.b_k + j * s.b_n]) : Acc(0);
      __syncthreads();
#pragma unroll
      for (int k = 0; k < kMatmulTile; ++k) acc = acc + as[ty][k] * bs[k][tx];
      __syncthreads();
    }
    if (i < s.M && j < s.N) {
      Acc v = Acc(alpha) * acc;
      if (use_c) v = v + Acc(beta) * cast<Acc>(c[oc + i * s.c_m + j * s.c_n]);
      out[(bi * s.M + i) * s.N + j] = cast<T>(v);
    }
  }
}

}  // namespace tandem
