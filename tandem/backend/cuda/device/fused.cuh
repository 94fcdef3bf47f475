// What the generated kernels of Fused programs (backend/cuda/fused.cpp)
// share: their argument block and the barrier between instructions.
#pragma once
#include "binary.cuh"
#include "tandem/kernels/kernel_args.h"
#include "unary.cuh"

namespace tandem {

// The argument block (tandem/kernels/kernel_args.h, filled by the host).
using k::FusedArgs;
using k::kFusedMaxInputs;
using k::kFusedMaxOutputs;

// Offset of element i of a strided input over its collapsed dims (sizes
// and strides innermost first, FusedArgs::sshape/sstride).
template <int D, typename Idx>
__device__ inline int64_t strided_offset(Idx i, const int64_t* shape, const int64_t* stride) {
  int64_t o = 0;
#pragma unroll
  for (int d = 0; d < D - 1; ++d) {
    const Idx n = static_cast<Idx>(shape[d]);
    o += static_cast<int64_t>(i % n) * stride[d];
    i /= n;
  }
  return o + static_cast<int64_t>(i) * stride[D - 1];
}

// A value of one instruction passed on to the next ones. The compiler
// (NVVM, and ptxas on plain mul/add PTX) contracts a multiply that ends one
// op and an add that starts the next into one fma, which the unfused
// kernels never do; xor with a runtime zero leaves every bit (NaN payloads
// included) but the compilers cannot see through it. Empty asm statements
// do not stop ptxas. Other types need nothing: integer ops are exact, and
// half types are rounded by a conversion between ops.
__device__ inline float keep(float v, uint32_t zero) {
  return __uint_as_float(__float_as_uint(v) ^ zero);
}
__device__ inline double keep(double v, uint32_t zero) {
  return __longlong_as_double(__double_as_longlong(v) ^ static_cast<long long>(zero));
}
__device__ inline complex64 keep(complex64 v, uint32_t zero) {
  return complex64(keep(v.re, zero), keep(v.im, zero));
}
template <typename T>
__device__ inline T keep(T v, uint32_t) {
  return v;
}

}  // namespace tandem
