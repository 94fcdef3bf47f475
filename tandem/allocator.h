#pragma once
// Buffers and the caching allocator, with the memory API.
//
// A Buffer owns up to one host copy and one device copy of the same bytes;
// the CUDA backend fills in the device side and the valid flags. Freed
// buffers go to a size-bucketed cache, trimmed least recently used first.
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace tandem {

// Thrown when an allocation would pass the memory limit or the system is out
// of memory. The message names the bytes, and (when known) shape, dtype and device.
class OutOfMemory : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Buffer {
  void* host = nullptr;    // host copy (pinned when a GPU backend is present)
  void* device = nullptr;  // device copy, owned by the GPU backend
  size_t size = 0;         // bytes requested
  size_t capacity = 0;     // bytes of the block actually held
  std::atomic<bool> host_valid{true};
  std::atomic<bool> device_valid{false};
  // GPU backend state of the copies between the sides (their completion),
  // and the lock that makes each side's copy happen once.
  std::shared_ptr<void> to_device;
  std::shared_ptr<void> to_host;
  std::atomic_flag transfer_lock;
  // CPU tasks still pending that hold this buffer because they write it
  // (an output, maybe donated from an input). Raised while the task is
  // encoded, lowered by the worker after it signals the task's event and
  // before it drops its reference; is_donatable counts on that order.
  std::atomic<int> pending_cpu_writers{0};
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();
};

namespace allocator {

// A buffer of `bytes` bytes, 64-byte aligned, host side valid. Throws
// OutOfMemory naming the bytes when the limit would be passed.
std::shared_ptr<Buffer> malloc(size_t bytes);

// Where the raw blocks come from; a GPU backend installs pinned host memory.
struct RawAllocator {
  virtual ~RawAllocator() = default;
  virtual void* alloc(size_t bytes) = 0;  // nullptr on failure
  virtual void free(void* p, size_t bytes) = 0;
  // Releases a device copy a Buffer holds, if any.
  virtual void free_device(Buffer&) {}
  // The GPU backend's cache of freed device blocks: its size, and its limit
  // (set_cache_limit and clear_cache apply to both sides).
  virtual size_t device_cached() { return 0; }
  virtual void set_device_cache_limit(size_t) {}
};
void set_raw_allocator(RawAllocator* a);

// Called when an allocation would pass the limit: waits for in-flight work
// to finish (which frees its buffers). Installed by the scheduler.
void set_pressure_handler(std::function<void()> fn);

// Device memory is allocated by the GPU backend but counted here with the
// host's, so the memory API and the limit cover both sides. reserve_device
// checks the limit like malloc (draining in-flight work first) and throws
// OutOfMemory naming the bytes; release_device gives the bytes back.
void reserve_device(size_t bytes);
void release_device(size_t bytes);
// Gives buf (which has only a device side) a host block of its size, counted
// as active; the host side stays invalid until the caller copies into it.
void attach_host(Buffer& buf);

}  // namespace allocator

// Bytes held by live buffers.
size_t get_active_memory();
// Most bytes held by live buffers since start or the last reset_peak_memory.
size_t get_peak_memory();
void reset_peak_memory();
// Bytes held in the allocator's cache of freed blocks.
size_t get_cache_memory();
// Sets the limit on active memory; returns the previous limit.
size_t set_memory_limit(size_t limit);
size_t get_memory_limit();
// Sets the most bytes the cache keeps; returns the previous value.
size_t set_cache_limit(size_t limit);
// Accepted for MLX compatibility (wired memory is a Metal notion); returns the previous value.
size_t set_wired_limit(size_t limit);
// Frees every cached block.
void clear_cache();

}  // namespace tandem
