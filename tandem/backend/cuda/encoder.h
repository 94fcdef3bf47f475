#pragma once
// What GPU kernels use to encode their work: the stream of the node being
// evaluated, device addresses of its inputs (copied to the GPU once when they
// live on the host), device outputs, temporary memory and kernel launches.
// Everything a node touches is held until its batch completes on the GPU.
#include <cuda_runtime.h>

#include <exception>
#include <memory>
#include <mutex>

#include "tandem/array.h"
#include "tandem/backend/cuda/graph_capture.h"

namespace tandem::gpu {

class Encoder {
 public:
  explicit Encoder(cudaStream_t s);
  // The stream, with everything recorded so far launched: for library calls
  // (cuBLASLt), event records and waits and host transfers, which are not
  // recorded into the stream's CUDA graph.
  cudaStream_t stream();
  // The stream's identity, for per-stream caches; queue nothing on it.
  cudaStream_t handle() const { return stream_; }
  // Launches what has been recorded; `restart`: a new eval starts.
  void flush(bool restart = false);
  // The error that lost recorded work, once (see GraphCapture).
  std::exception_ptr take_failure();

  // Device address of a's element 0. Copies a's buffer to the GPU first if
  // its device side is not valid.
  const void* in(const array& a);
  template <typename T>
  const T* in(const array& a) {
    return static_cast<const T*>(in(a));
  }
  // Allocates out row-contiguous on the device; returns its element 0.
  void* out(array& out);
  // Allocates out with the given layout (data_size elements backing it).
  void* out(array& out, size_t data_size, Strides strides, Flags flags);
  // Gives out in's buffer (donation; the caller checked is_donatable and
  // that in lives only on the device) and returns its element 0.
  void* donate(const array& in, array& out);
  // Temporary device memory, released once the node's work is done.
  void* scratch(size_t bytes);
  // Keeps buf alive until the node's work is done.
  void hold(std::shared_ptr<Buffer> buf);

  // Queues a kernel (a cudaKernel_t from jit_kernels, or a __global__
  // function) with args as cudaLaunchKernel takes them, recorded into the
  // stream's CUDA graph.
  void launch(const void* kernel, dim3 grid, dim3 block, void** args, size_t smem = 0);
  template <typename... Args>
  void launch(const void* kernel, dim3 grid, dim3 block, size_t smem, Args... args) {
    void* ptrs[] = {static_cast<void*>(&args)..., nullptr};
    launch(kernel, grid, block, ptrs, smem);
  }
  // Queues a device-to-device copy of `bytes` bytes, recorded into the
  // stream's CUDA graph.
  void copy(void* dst, const void* src, size_t bytes);
  // Records that the node queued work on the stream by other means (a
  // library call, a copy).
  void mark_used();

 private:
  cudaStream_t stream_;
  std::mutex mu_;  // capture state: another thread may flush while one encodes
  GraphCapture capture_;
};

// The encoder of the GPU stream s (the node being evaluated on this thread).
Encoder& encoder(const Stream& s);

// Whether in's buffer can be taken over by out on the GPU.
bool can_donate(const array& in, const array& out);

// Blocks of `threads` threads covering n elements, capped at a few waves.
unsigned blocks_for(size_t n, unsigned threads);

// The grid of a dense kernel (device/elementwise.cuh's dense_loop) over n
// elements: kDensePerThread elements a thread when that still gives every
// multiprocessor several blocks, else one (small arrays are latency-bound).
unsigned dense_blocks(size_t n, unsigned threads);

}  // namespace tandem::gpu
