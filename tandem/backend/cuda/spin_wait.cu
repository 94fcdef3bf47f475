// The CPU->GPU wait: a one-thread kernel that holds its stream until the CPU
// sets a flag in pinned host memory (done = 1, failed = 2). CUDA's stream
// memory waits were seen to hang or not wait on the machines here, so this
// plain poll is the mechanism (docs/design.md).
#include <cuda_runtime.h>

#include <cstdint>

#include "tandem/backend/cuda/cuda_check.h"

namespace tandem::gpu {
namespace {

__global__ void spin_wait_kernel(const volatile uint32_t* flag) {
  while (*flag == 0) {
    __nanosleep(200);
  }
  __threadfence_system();
}

}  // namespace

void launch_spin_wait(const uint32_t* flag, cudaStream_t stream) {
  spin_wait_kernel<<<1, 1, 0, stream>>>(flag);
  check(cudaGetLastError(), "spin_wait");
}

}  // namespace tandem::gpu
