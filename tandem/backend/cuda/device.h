#pragma once
// The CUDA device: discovery, properties and per-thread setup.
#include <cstddef>

namespace tandem::gpu {

struct DeviceInfo {
  int ordinal = 0;
  int cc_major = 0, cc_minor = 0;  // compute capability
  int sm_count = 0;
  size_t total_memory = 0;
  size_t free_memory_at_start = 0;
};

// Properties of the GPU Tandem uses (device 0). Only valid when is_available().
const DeviceInfo& device_info();
// Makes the Tandem GPU current on the calling thread (cheap after the first call).
void bind_thread();

}  // namespace tandem::gpu
