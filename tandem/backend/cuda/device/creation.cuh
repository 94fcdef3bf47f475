// Arange (AsType and copies use CastFn of elementwise.cuh).
#pragma once
#include "common.cuh"

namespace tandem {

// start + i * step computed in double, then converted as the CPU's
// convert_value does.
template <typename T, typename Idx>
__global__ void arange(T* __restrict__ out, Idx n, double start, double step) {
  Idx stride = Idx(gridDim.x) * blockDim.x;
  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    // Separate rounding of the product and the sum, as on the CPU (no FMA).
    double v = __dadd_rn(start, __dmul_rn(static_cast<double>(i), step));
    out[i] = cast<T>(v);
  }
}

// Integer outputs: start + i * step in wrapping 64-bit arithmetic, then the
// low bits (as the CPU kernel).
template <typename T, typename Idx>
__global__ void arange_int(T* __restrict__ out, Idx n, int64_t start, int64_t step) {
  Idx stride = Idx(gridDim.x) * blockDim.x;
  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    out[i] = static_cast<T>(uint64_t(start) + uint64_t(i) * uint64_t(step));
  }
}

}  // namespace tandem
