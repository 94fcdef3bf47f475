// Finding the GPU, and the process-wide setup done once when one is found:
// pinned host memory for every host buffer, so that copies are asynchronous.
#include "tandem/backend/cuda/device.h"

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#include "tandem/allocator.h"
#include "tandem/backend.h"
#include "tandem/backend/cuda/cuda_check.h"
#include "tandem/backend/cuda/memory.h"

namespace tandem::gpu {

[[noreturn]] void throw_cuda_error(const char* what, cudaError_t err) {
  std::string msg = std::string("[") + what + "] CUDA error " + std::to_string(int(err)) + ": " +
                    cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")";
  if (err == cudaErrorMemoryAllocation) throw OutOfMemory(msg);
  throw std::runtime_error(msg);
}

namespace {

struct Discovery {
  bool available = false;
  int count = 0;
  DeviceInfo info;
  std::string why;  // why no GPU is used
};

const Discovery& discovery() {
  static const Discovery d = [] {
    Discovery r;
    if (const char* off = std::getenv("TANDEM_DISABLE_GPU"); off && *off && *off != '0') {
      r.why = "TANDEM_DISABLE_GPU is set";
      return r;
    }
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess || n == 0) {
      r.why = err != cudaSuccess ? cudaGetErrorString(err) : "no CUDA device";
      cudaGetLastError();  // clear the sticky-free error so later calls start clean
      return r;
    }
    // Spin-then-yield keeps event waits fast without pinning a core.
    cudaSetDeviceFlags(cudaDeviceScheduleYield | cudaDeviceMapHost);
    if (cudaSetDevice(0) != cudaSuccess || cudaFree(nullptr) != cudaSuccess) {
      r.why = "could not create a CUDA context on device 0";
      cudaGetLastError();
      return r;
    }
    cudaDeviceProp prop{};
    cudaGetDeviceProperties(&prop, 0);
    r.info.ordinal = 0;
    r.info.cc_major = prop.major;
    r.info.cc_minor = prop.minor;
    r.info.sm_count = prop.multiProcessorCount;
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    r.info.total_memory = total_b;
    r.info.free_memory_at_start = free_b;
    r.count = n;
    r.available = true;
    install_memory(r.info.free_memory_at_start);
    return r;
  }();
  return d;
}

}  // namespace

bool is_available() {
  return discovery().available;
}
int device_count() {
  return discovery().available ? 1 : 0;
}

const DeviceInfo& device_info() {
  return discovery().info;
}

namespace {
// Discover the GPU when the library loads, so that every host buffer comes
// from pinned memory: an asynchronous copy from pageable memory would read
// the data at once, before the producer it waits for has written it.
[[maybe_unused]] const bool g_discovered_at_load = is_available();
}  // namespace

void bind_thread() {
  thread_local bool bound = false;
  if (!bound) {
    cudaError_t err = cudaSetDevice(discovery().info.ordinal);
    // During process exit the runtime unloads first; nothing useful is left to do.
    if (err == cudaErrorCudartUnloading) return;
    check(err, "cudaSetDevice");
    bound = true;
  }
}

}  // namespace tandem::gpu
