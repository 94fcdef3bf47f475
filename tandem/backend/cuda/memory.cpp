// Host and device memory for the CUDA backend (docs/design.md, "Unified
// memory"): pinned host blocks, cached device blocks, and the copies
// that keep each buffer's two sides in step, made at most once per side.
#include "tandem/backend/cuda/memory.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <sstream>
#include <vector>

#include "tandem/backend.h"
#include "tandem/backend/cuda/completer.h"
#include "tandem/backend/cuda/cuda_check.h"
#include "tandem/backend/cuda/device.h"
#include "tandem/task_scope.h"
#include "tandem/timeline.h"

namespace tandem::gpu {
namespace {

// ---------------------------------------------------------------- events

// Leaked, like every pool here: completer threads return events after the
// work they waited for was signalled, which may be while exit destroys
// static objects.
struct EventPool {
  std::mutex mu;
  std::vector<cudaEvent_t> free;
};
EventPool& event_pool() {
  static auto* p = new EventPool();
  return *p;
}

// ---------------------------------------------------------------- device

// Device blocks are cached by size bucket. A block is released only after
// every node that used it has completed on the GPU (batches hold buffers),
// so a cached block can be handed to any stream at once; cudaFree, which
// synchronizes the device, only runs when the cache is trimmed.
struct DeviceMemory {
  std::mutex mu;
  std::multimap<size_t, void*> free_blocks;
  size_t cached = 0;
  size_t cache_limit = SIZE_MAX;
  size_t active = 0;
  size_t limit = 0;  // below the card's free memory at start
};
DeviceMemory& device_memory() {
  static auto* d = new DeviceMemory();  // leaked: buffers may die during exit
  return *d;
}

size_t device_bucket(size_t bytes) {
  if (bytes <= 512) return 512;
  if (bytes >= (size_t(8) << 20)) return (bytes + (size_t(2) << 20) - 1) & ~((size_t(2) << 20) - 1);
  size_t p = 512;
  while (p < bytes) p <<= 1;
  size_t quarter = p / 4;
  return (bytes + quarter - 1) / quarter * quarter;
}

// Held shared by a thread queuing a spin kernel (stream_wait), exclusively
// by a thread about to do something that may synchronize the context (a
// module load, cudaFree): no spin can start between release_spin_waits and
// that call. Per thread, a SyncSection inside another does not lock again.
std::shared_mutex& spin_gate() {
  static auto* m = new std::shared_mutex;  // never destroyed: used until exit
  return *m;
}
thread_local int t_sync_depth = 0;

// cudaFree and cudaFreeHost synchronize the device. A spin kernel still
// waiting then (stream_wait) may wait for the very thread that frees: a CPU
// task, or the completer that signals GPU batches. Such threads queue their
// frees; a thread outside tasks frees them once no spin is waiting
// (reclaim_deferred_frees), or waits for the spins when the queue grows.
struct DeferredFrees {
  std::mutex mu;
  std::vector<void*> device, host;
  size_t bytes = 0;
  std::atomic<bool> any{false};
};
DeferredFrees& deferred_frees() {
  static auto* d = new DeferredFrees;  // never destroyed: used until exit
  return *d;
}
constexpr size_t kDeferredFreeBytes = size_t(256) << 20;

// CPU workers and completers count as in a task for their whole life.
bool may_sync_device() {
  return !in_task();
}
bool spins_pending();

// Frees what was queued, first waiting for spins (wait) or only if none is
// in flight (!wait).
void free_deferred(bool wait) {
  auto& d = deferred_frees();
  if (!d.any.load(std::memory_order_acquire)) return;
  std::unique_lock<std::shared_mutex> gate;
  std::optional<SyncSection> section;
  if (wait) {
    section.emplace();
  } else {
    // Only when no spin is in flight, and none can start meanwhile.
    if (t_sync_depth == 0) {
      gate = std::unique_lock(spin_gate(), std::try_to_lock);
      if (!gate.owns_lock()) return;
    }
    if (spins_pending()) return;
  }
  std::vector<void*> device, host;
  {
    std::lock_guard lk(d.mu);
    device.swap(d.device);
    host.swap(d.host);
    d.bytes = 0;
    d.any.store(false, std::memory_order_release);
  }
  for (void* p : device) cudaFree(p);
  for (void* p : host) cudaFreeHost(p);
}

// cudaFree (host: cudaFreeHost) here if this thread may synchronize the
// device, else queued for reclaim_deferred_frees.
void free_or_defer(void* p, size_t bytes, bool host) {
  if (may_sync_device()) {
    SyncSection section;
    free_deferred(/*wait=*/true);
    host ? cudaFreeHost(p) : cudaFree(p);
    return;
  }
  auto& d = deferred_frees();
  std::lock_guard lk(d.mu);
  (host ? d.host : d.device).push_back(p);
  d.bytes += bytes;
  d.any.store(true, std::memory_order_release);
}

// Frees cached blocks until at most `keep` bytes stay cached.
void trim_device_cache(size_t keep) {
  auto& dm = device_memory();
  std::vector<void*> victims;
  {
    std::lock_guard lk(dm.mu);
    while (dm.cached > keep && !dm.free_blocks.empty()) {
      auto it = std::prev(dm.free_blocks.end());  // largest first
      dm.cached -= it->first;
      victims.push_back(it->second);
      dm.free_blocks.erase(it);
    }
  }
  for (void* p : victims) free_or_defer(p, 0, /*host=*/false);
}

[[noreturn]] void throw_device_oom(size_t bytes, const char* why) {
  std::ostringstream msg;
  msg << "[malloc] out of memory on gpu: allocating " << bytes << " bytes " << why;
  throw OutOfMemory(msg.str());
}

void* device_alloc(size_t bytes, cudaStream_t) {
  auto& dm = device_memory();
  size_t cap = device_bucket(bytes);
  allocator::reserve_device(bytes);
  bool drained = false;
  for (;;) {
    {
      std::lock_guard lk(dm.mu);
      if (dm.active + bytes <= dm.limit) {
        dm.active += bytes;
        auto it = dm.free_blocks.find(cap);
        if (it != dm.free_blocks.end()) {
          void* p = it->second;
          dm.free_blocks.erase(it);
          dm.cached -= cap;
          return p;
        }
        break;
      }
    }
    if (drained) {
      allocator::release_device(bytes);
      std::ostringstream why;
      why << "would pass the GPU memory limit of " << dm.limit << " bytes (" << dm.active
          << " in use)";
      throw_device_oom(bytes, why.str().c_str());
    }
    scheduler::drain_all();
    drained = true;
  }
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, cap);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    scheduler::drain_all();
    trim_device_cache(0);
    free_deferred(/*wait=*/true);
    err = cudaMalloc(&p, cap);
  }
  if (err != cudaSuccess) {
    cudaGetLastError();
    {
      std::lock_guard lk(dm.mu);
      dm.active -= bytes;
    }
    allocator::release_device(bytes);
    if (err == cudaErrorMemoryAllocation) throw_device_oom(bytes, "(the card has no room left)");
    throw_cuda_error("cudaMalloc", err);
  }
  return p;
}

void device_free(void* p, size_t bytes) {
  auto& dm = device_memory();
  size_t cap = device_bucket(bytes);
  bool keep;
  {
    std::lock_guard lk(dm.mu);
    dm.active -= bytes;
    keep = dm.cached + cap <= dm.cache_limit;
    if (keep) {
      dm.free_blocks.emplace(cap, p);
      dm.cached += cap;
    }
  }
  if (!keep) free_or_defer(p, cap, /*host=*/false);
  allocator::release_device(bytes);
}

// ---------------------------------------------------------------- host

struct PinnedAllocator : allocator::RawAllocator {
  void* alloc(size_t bytes) override {
    void* p = nullptr;
    if (cudaHostAlloc(&p, bytes, cudaHostAllocPortable | cudaHostAllocMapped) != cudaSuccess) {
      cudaGetLastError();
      return nullptr;
    }
    return p;
  }
  void free(void* p, size_t bytes) override { free_or_defer(p, bytes, /*host=*/true); }
  void free_device(Buffer& b) override {
    device_free(b.device, b.size);
    b.device = nullptr;
  }
  size_t device_cached() override {
    std::lock_guard lk(device_memory().mu);
    return device_memory().cached;
  }
  void set_device_cache_limit(size_t limit) override {
    {
      std::lock_guard lk(device_memory().mu);
      device_memory().cache_limit = limit;
    }
    trim_device_cache(limit);
    if (may_sync_device()) free_deferred(/*wait=*/true);  // clear_cache gives everything back
  }
};

// ---------------------------------------------------------------- flags

struct FlagPool {
  static constexpr size_t kSlab = 1024;
  static constexpr size_t kStride = 64 / sizeof(std::atomic<uint32_t>);  // one cache line each
  std::mutex mu;
  std::vector<std::atomic<uint32_t>*> free;
  struct Slab {
    char* host;
    char* device;
  };
  std::vector<Slab> slabs;

  std::atomic<uint32_t>* get() {
    std::lock_guard lk(mu);
    if (free.empty()) {
      void* h = nullptr;
      check(cudaHostAlloc(&h, kSlab * 64, cudaHostAllocPortable | cudaHostAllocMapped),
            "cudaHostAlloc(flags)");
      void* d = nullptr;
      check(cudaHostGetDevicePointer(&d, h, 0), "cudaHostGetDevicePointer");
      slabs.push_back({static_cast<char*>(h), static_cast<char*>(d)});
      auto* base = static_cast<std::atomic<uint32_t>*>(h);
      for (size_t i = 0; i < kSlab; ++i)
        free.push_back(new (base + i * kStride) std::atomic<uint32_t>(0));
    }
    auto* f = free.back();
    free.pop_back();
    return f;
  }
  void put(std::atomic<uint32_t>* f) {
    std::lock_guard lk(mu);
    free.push_back(f);
  }
  const uint32_t* device(std::atomic<uint32_t>* f) {
    std::lock_guard lk(mu);
    auto* p = reinterpret_cast<char*>(f);
    for (auto& s : slabs) {
      if (p >= s.host && p < s.host + kSlab * 64) {
        return reinterpret_cast<const uint32_t*>(s.device + (p - s.host));
      }
    }
    throw std::logic_error("[gpu] host flag not from the flag pool");
  }
};
FlagPool& flag_pool() {
  static auto* p = new FlagPool();
  return *p;
}

// ---------------------------------------------------------------- copies

// The pending copy that made a buffer's device side valid, for other streams
// to wait on.
struct Upload {
  cudaEvent_t ev;
  cudaStream_t stream;
  ~Upload() { release_event(ev); }
};

struct Transfers {
  cudaStream_t d2h = nullptr;  // downloads for CPU consumers
  std::mutex mu;               // orders work queued on d2h
  Completer completer;
};
Transfers& transfers() {
  static auto* t = new Transfers();
  return *t;
}

class SpinLock {
 public:
  explicit SpinLock(std::atomic_flag& f) : f_(f) {
    while (f_.test_and_set(std::memory_order_acquire)) f_.wait(true, std::memory_order_relaxed);
  }
  ~SpinLock() {
    f_.clear(std::memory_order_release);
    f_.notify_one();
  }

 private:
  std::atomic_flag& f_;
};

}  // namespace

BatchMark::BatchMark(cudaStream_t s) : ev(acquire_event()), stream(s) {}
BatchMark::~BatchMark() {
  release_event(ev);
}

void install_memory(size_t free_bytes) {
  auto& dm = device_memory();
  dm.limit = free_bytes / 100 * 95;
  check(cudaStreamCreateWithFlags(&transfers().d2h, cudaStreamNonBlocking), "cudaStreamCreate");
  // Leaked: buffers released during exit still call it.
  static auto* pinned = new PinnedAllocator();
  allocator::set_raw_allocator(pinned);
}

cudaEvent_t acquire_event() {
  {
    auto& pool = event_pool();
    std::lock_guard lk(pool.mu);
    if (!pool.free.empty()) {
      auto e = pool.free.back();
      pool.free.pop_back();
      return e;
    }
  }
  cudaEvent_t e;
  check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate");
  return e;
}

void release_event(cudaEvent_t ev) {
  auto& pool = event_pool();
  std::lock_guard lk(pool.mu);
  pool.free.push_back(ev);
}

std::shared_ptr<Buffer> malloc_device(size_t bytes, cudaStream_t stream) {
  void* p = device_alloc(bytes, stream);
  auto buf = std::make_shared<Buffer>();
  buf->device = p;
  buf->size = bytes;
  buf->host_valid.store(false, std::memory_order_relaxed);
  buf->device_valid.store(true, std::memory_order_relaxed);
  return buf;
}

void* ensure_device(const std::shared_ptr<Buffer>& buf, cudaStream_t stream) {
  SpinLock lk(buf->transfer_lock);
  if (buf->device_valid.load(std::memory_order_acquire)) {
    if (auto* up = static_cast<Upload*>(buf->to_device.get()); up && up->stream != stream) {
      check(cudaStreamWaitEvent(stream, up->ev, 0), "cudaStreamWaitEvent");
    }
    return buf->device;
  }
  if (!buf->device) buf->device = device_alloc(buf->size, stream);
  if (buf->size) {
    check(cudaMemcpyAsync(buf->device, buf->host, buf->size, cudaMemcpyHostToDevice, stream),
          "cudaMemcpyAsync(host to device)");
  }
  auto up = std::make_shared<Upload>();
  up->ev = acquire_event();
  up->stream = stream;
  check(cudaEventRecord(up->ev, stream), "cudaEventRecord");
  buf->to_device = std::move(up);
  buf->device_valid.store(true, std::memory_order_release);
  return buf->device;
}

bool device_ready_on(const Buffer& buf, cudaStream_t stream) {
  if (!buf.device_valid.load(std::memory_order_acquire)) return false;
  auto* up = static_cast<Upload*>(buf.to_device.get());
  return !up || up->stream == stream;
}

std::shared_ptr<std::atomic<uint32_t>> new_host_flag() {
  auto* f = flag_pool().get();
  f->store(0, std::memory_order_relaxed);
  return std::shared_ptr<std::atomic<uint32_t>>(
      f, [](std::atomic<uint32_t>* p) { flag_pool().put(p); });
}

const uint32_t* device_address(std::atomic<uint32_t>* flag) {
  return flag_pool().device(flag);
}

bool stream_wait_needed(cudaStream_t stream, const Event& e) {
  if (e.done()) return false;
  auto* m = static_cast<BatchMark*>(e.gpu_mark.get());
  return !m || m->stream != stream;  // else queued earlier on this stream
}

namespace {
// The events that spin kernels queued by stream_wait wait for.
struct SpinWaits {
  std::mutex mu;
  std::vector<std::shared_ptr<Event>> events;
};
SpinWaits& spin_waits() {
  static auto* s = new SpinWaits;  // never destroyed: used until exit
  return *s;
}
}  // namespace

void stream_wait(cudaStream_t stream, const std::shared_ptr<Event>& ev) {
  Event& e = *ev;
  if (!stream_wait_needed(stream, e)) return;
  if (auto* m = static_cast<BatchMark*>(e.gpu_mark.get())) {
    if (m->recorded.load(std::memory_order_acquire)) {
      check(cudaStreamWaitEvent(stream, m->ev, 0), "cudaStreamWaitEvent");
      return;
    }
  }
  std::shared_lock<std::shared_mutex> gate;
  if (t_sync_depth == 0) gate = std::shared_lock(spin_gate(), std::try_to_lock);
  if (!gate.owns_lock()) {
    // Something that may synchronize the context is under way (or this
    // thread is inside it): a spin queued now could wait behind it forever.
    // Wait on the host instead.
    scheduler::flush_all();
    ev->wait();
    return;
  }
  auto* flag = e.attach_host_flag(new_host_flag());
  {
    auto& s = spin_waits();
    std::lock_guard lk(s.mu);
    std::erase_if(s.events, [](const std::shared_ptr<Event>& p) { return p->done(); });
    s.events.push_back(ev);
  }
  launch_spin_wait(device_address(flag), stream);
}

namespace {
bool spins_pending() {
  auto& s = spin_waits();
  std::lock_guard lk(s.mu);
  std::erase_if(s.events, [](const std::shared_ptr<Event>& p) { return p->done(); });
  return !s.events.empty();
}
}  // namespace

void reclaim_deferred_frees() {
  auto& d = deferred_frees();
  if (!d.any.load(std::memory_order_acquire) || !may_sync_device()) return;
  size_t bytes;
  {
    std::lock_guard lk(d.mu);
    bytes = d.bytes;
  }
  free_deferred(/*wait=*/bytes >= kDeferredFreeBytes);
}

SyncSection::SyncSection() {
  if (t_sync_depth++ > 0) return;
  release_spin_waits();
  spin_gate().lock();
  locked_ = true;
  // Spins queued between the release and the lock.
  release_spin_waits();
}

SyncSection::~SyncSection() {
  --t_sync_depth;
  if (locked_) spin_gate().unlock();
}

void release_spin_waits() {
  std::vector<std::shared_ptr<Event>> pending;
  {
    auto& s = spin_waits();
    std::lock_guard lk(s.mu);
    std::erase_if(s.events, [](const std::shared_ptr<Event>& p) { return p->done(); });
    pending = s.events;
  }
  if (pending.empty()) return;
  scheduler::flush_all();
  for (auto& e : pending) e->wait();
}

std::shared_ptr<Event> copy_to_host_async(const std::shared_ptr<Buffer>& buf,
                                          const std::shared_ptr<Event>& producer) {
  auto& t = transfers();
  SpinLock lk(buf->transfer_lock);
  if (buf->host_valid.load(std::memory_order_acquire)) return nullptr;
  if (auto pending = std::static_pointer_cast<Event>(buf->to_host); pending && buf->host) {
    return pending;
  }
  if (!buf->host) allocator::attach_host(*buf);
  auto done = std::make_shared<Event>(Stream(-1, Device::gpu));
  int64_t queued = 0;
  if (timeline::on()) {
    // On the timeline's row of copies: from queued to seen complete.
    static const uint32_t kName = timeline::intern("copy to host");
    timeline::tag(*done, kName);
    queued = timeline::now();
  }
  {
    std::lock_guard q(t.mu);
    if (producer) stream_wait(t.d2h, producer);
    if (buf->size) {
      check(cudaMemcpyAsync(buf->host, buf->device, buf->size, cudaMemcpyDeviceToHost, t.d2h),
            "cudaMemcpyAsync(device to host)");
    }
    cudaEvent_t ev = acquire_event();
    check(cudaEventRecord(ev, t.d2h), "cudaEventRecord");
    buf->to_host = done;
    t.completer.push(ev, [buf, done, producer, queued](cudaError_t err) {
      if (done->trace_name) {
        int row = timeline::device_row(true, 0);
        int64_t end = timeline::now();
        timeline::task(row, timeline::kHostCopyRow, done->trace_name, queued, end, done.get(), {},
                       buf->size);
        if (producer)
          timeline::waited(*producer, row, timeline::kHostCopyRow, queued + (end - queued) / 2);
      }
      {
        SpinLock l(buf->transfer_lock);
        buf->to_host.reset();
        if (err == cudaSuccess && !(producer && producer->failed())) {
          buf->host_valid.store(true, std::memory_order_release);
        }
      }
      if (producer && producer->failed()) {
        done->fail(producer->error());
      } else if (err != cudaSuccess) {
        try {
          throw_cuda_error("copy to host", err);
        } catch (...) {
          done->fail(std::current_exception());
        }
      } else {
        done->signal();
      }
    });
  }
  return done;
}

void copy_to_host(const std::shared_ptr<Buffer>& buf) {
  if (auto ev = copy_to_host_async(buf, nullptr)) ev->wait_and_check();
}

}  // namespace tandem::gpu
