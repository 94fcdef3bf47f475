// Small kernels of the GPU FFT (tandem/backend/cuda/fft.cpp): the output
// scale, and zeroing the imaginary parts that a complex-to-real transform
// must ignore (cuFFT assumes a Hermitian input; NumPy ignores them).
#include <cuda_runtime.h>

#include <cstdint>

namespace tandem::gpu {
namespace {

__global__ void fft_scale_kernel(float* p, int64_t n, float s) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    p[i] *= s;
  }
}

// lines of m complex values each: imag of term 0 and, when nyquist, of term m - 1.
__global__ void fft_zero_imag_kernel(float2* p, int64_t lines, int64_t m, bool nyquist) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < lines;
       i += int64_t(gridDim.x) * blockDim.x) {
    p[i * m].y = 0.f;
    if (nyquist) p[i * m + m - 1].y = 0.f;
  }
}

}  // namespace

// The kernels' addresses, for Encoder::launch in fft.cpp (this file stays
// free of the core headers, which nvcc does not compile).
const void* fft_scale_kernel_address() {
  return reinterpret_cast<const void*>(&fft_scale_kernel);
}
const void* fft_zero_imag_kernel_address() {
  return reinterpret_cast<const void*>(&fft_zero_imag_kernel);
}

}  // namespace tandem::gpu
