#pragma once
// Turning CUDA status codes into exceptions: out-of-memory codes become
// tandem::OutOfMemory, the rest std::runtime_error naming the call.
#include <cuda_runtime.h>

namespace tandem::gpu {

[[noreturn]] void throw_cuda_error(const char* what, cudaError_t err);

inline void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw_cuda_error(what, err);
}

}  // namespace tandem::gpu
