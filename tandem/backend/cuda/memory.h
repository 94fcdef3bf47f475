#pragma once
// GPU memory: pinned host blocks for every host buffer, device blocks from a
// stream-ordered pool, each buffer's copy to the other side made once, and
// host flags that GPU streams can spin on.
#include <cuda_runtime.h>

#include <atomic>
#include <memory>

#include "tandem/allocator.h"
#include "tandem/event.h"

namespace tandem::gpu {

// The CUDA event recorded after a batch of one stream's kernels. The Tandem
// events of the batch's nodes point to it (Event::gpu_mark) so that other
// GPU streams can wait for them on the device.
struct BatchMark {
  cudaEvent_t ev;
  cudaStream_t stream;
  std::atomic<bool> recorded{false};
  explicit BatchMark(cudaStream_t s);
  ~BatchMark();
};

// Installs the pinned host allocator and sets up the device pool (once, when
// a GPU is found, during discovery: it must not call device_info()). The GPU
// memory limit starts at 95% of free_bytes.
void install_memory(size_t free_bytes);

// A buffer of `bytes` bytes that lives on the device only, allocated in
// `stream`'s order. Throws OutOfMemory naming the bytes.
std::shared_ptr<Buffer> malloc_device(size_t bytes, cudaStream_t stream);

// The device copy of buf, valid for work queued on `stream` after this call:
// the first GPU consumer allocates it and queues the copy from the host on
// its stream; later consumers on other streams wait for that copy.
void* ensure_device(const std::shared_ptr<Buffer>& buf, cudaStream_t stream);

// Whether ensure_device(buf, stream) would queue nothing on stream (the device
// copy is valid and was made on stream, or needs no wait).
bool device_ready_on(const Buffer& buf, cudaStream_t stream);

// A zeroed word in pinned, mapped host memory (see Event::attach_host_flag).
std::shared_ptr<std::atomic<uint32_t>> new_host_flag();
// The address the GPU uses for a host flag.
const uint32_t* device_address(std::atomic<uint32_t>* flag);

// Makes work queued on `stream` after this call start only once e is done,
// without blocking the caller: nothing if it is done or queued earlier on the
// same stream, an event wait if its GPU batch is launched, else a spin on a
// host flag.
void stream_wait(cudaStream_t stream, const std::shared_ptr<Event>& e);
// Whether stream_wait(stream, e) would queue anything.
bool stream_wait_needed(cudaStream_t stream, const Event& e);
// Blocks until every spin queued by stream_wait has been released, after
// handing this thread's held-back work on every stream to the streams. Call
// before anything that may synchronize the CUDA context (loading a kernel
// module): a spin kernel still waiting then could wait for a CPU task that
// is itself blocked in a CUDA call behind that synchronization (a deadlock
// the CUDA guide's "Lazy Loading" section describes for spinning kernels).
void release_spin_waits();

// A scope in which this thread may synchronize the CUDA context (load a
// module, make a cuFFT plan, cudaFree): releases every spin, and until it
// ends no thread queues a new one (stream_wait waits on the host instead).
class SyncSection {
 public:
  SyncSection();
  ~SyncSection();
  SyncSection(const SyncSection&) = delete;
  SyncSection& operator=(const SyncSection&) = delete;

 private:
  bool locked_ = false;
};

// CUDA events from a pool (timing disabled).
cudaEvent_t acquire_event();
void release_event(cudaEvent_t ev);

// Queues a one-thread kernel that spins until *flag != 0 (spin_wait.cu).
void launch_spin_wait(const uint32_t* flag, cudaStream_t stream);

}  // namespace tandem::gpu
