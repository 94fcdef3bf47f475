// Streams, devices and the stream registry.
#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "tandem/allocator.h"
#include "tandem/backend.h"
#include "tandem/device.h"
#include "tandem/stream.h"
#include "tandem/task_scope.h"
#include "tandem/thread_local_or_null.h"

namespace tandem {
namespace {

constexpr int kMaxStreams = 4096;

int device_code(const Device& d) {
  return 1 + static_cast<int>(d.type) + 2 * d.index;
}

struct Registry {
  std::mutex mu;
  std::array<std::atomic<StreamExecutor*>, kMaxStreams> executors{};
  // The device of each stream, as device_code(); 0 while none.
  std::array<std::atomic<int>, kMaxStreams> devices{};
  std::vector<Stream> streams;
  std::vector<std::unique_ptr<StreamExecutor>> owned;

  Stream create(Device d) {
    std::lock_guard lk(mu);
    int idx = static_cast<int>(streams.size());
    if (idx >= kMaxStreams) {
      throw std::runtime_error("[new_stream] too many streams (" + std::to_string(idx) + ")");
    }
    Stream s(idx, d);
    auto ex = d.type == Device::cpu ? cpu::make_executor(s) : gpu::make_executor(s);
    devices[idx].store(device_code(d), std::memory_order_relaxed);
    executors[idx].store(ex.get(), std::memory_order_release);
    owned.push_back(std::move(ex));
    streams.push_back(s);
    return s;
  }

  // Streams no thread holds any more (those of threads that ended or called
  // clear_streams), by device_code, handed out again before new ones.
  std::unordered_map<int, std::vector<int>> idle;
  // The device_code of each ThreadLocalStream id made so far.
  std::vector<int> local_devices;

  Stream acquire(Device d) {
    int idx = -1;
    {
      std::lock_guard lk(mu);
      auto& v = idle[device_code(d)];
      if (!v.empty()) {
        idx = v.back();
        v.pop_back();
      }
    }
    if (idx < 0) return create(d);
    // A thread that ended may have left work running, or a failure nobody
    // synchronized on: the new holder gets the stream only once it has
    // finished (else a new stream), minus that stale error, which
    // synchronize rethrows and drops. The short wait covers a last task
    // whose result its thread already read while the stream was still
    // closing it; longer leftover work is not waited for.
    StreamExecutor* ex = executors[idx].load(std::memory_order_acquire);
    if (!ex->drain_for(std::chrono::milliseconds(2))) {
      release(Stream(idx, d));
      return create(d);
    }
    try {
      ex->synchronize();
    } catch (...) {  // NOLINT(bugprone-empty-catch): its old holder's error
    }
    return Stream(idx, d);
  }
  void release(const Stream& s) {
    std::lock_guard lk(mu);
    idle[device_code(s.device)].push_back(s.index);
  }
};

Registry& registry() {
  // Leaked on purpose: worker threads must outlive static destructors of
  // other translation units that may still hold arrays.
  static auto* r = [] {
    auto* reg = new Registry();
    allocator::set_pressure_handler([] { scheduler::drain_all(); });
    return reg;
  }();
  return *r;
}

std::atomic<int> g_default_device{-1};  // -1: not chosen yet; else DeviceType

struct ThreadDefaults {
  int cpu_stream = -1;
  int gpu_stream = -1;
  int device_override = -1;  // set by StreamContext
};
thread_local ThreadDefaults t_defaults;

// The streams this thread took for itself: its default streams and its
// streams of ThreadLocalStreams. Back to the idle pool when the thread ends
// (work still queued on them runs; Registry::acquire skips busy ones).
struct OwnedStreams {
  std::vector<Stream> streams;
  std::unordered_map<int, Stream> local;  // ThreadLocalStream id -> this thread's stream
  ~OwnedStreams() {
    for (auto& s : streams) registry().release(s);
  }
};
// Null once destroyed at thread exit: a stream asked for after that is not
// recorded (so not reused later), which is all that is lost.
OwnedStreams* owned_streams() {
  return thread_local_or_null<OwnedStreams>();
}

Stream acquire_owned(Device d) {
  Stream s = registry().acquire(d);
  if (auto* o = owned_streams()) o->streams.push_back(s);
  return s;
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Device& d) {
  return os << "Device(" << (d.type == Device::cpu ? "cpu" : "gpu") << ", " << d.index << ")";
}

std::ostream& operator<<(std::ostream& os, const Stream& s) {
  return os << "Stream(" << s.device << ", " << s.index << ")";
}

bool is_available(const Device& d) {
  if (d.type == Device::cpu) return d.index == 0;
  return gpu::is_available() && d.index >= 0 && d.index < gpu::device_count();
}

int device_count(Device::DeviceType t) {
  return t == Device::cpu ? 1 : (gpu::is_available() ? gpu::device_count() : 0);
}

Device default_device() {
  if (t_defaults.device_override >= 0) {
    return Device(static_cast<Device::DeviceType>(t_defaults.device_override));
  }
  int d = g_default_device.load(std::memory_order_relaxed);
  if (d < 0) {
    d = static_cast<int>(gpu::is_available() ? Device::gpu : Device::cpu);
    g_default_device.store(d);
  }
  return Device(static_cast<Device::DeviceType>(d));
}

void check_device(const Device& d, const char* op) {
  if (d.type == Device::cpu ? d.index == 0 : is_available(d)) return;
  std::ostringstream msg;
  msg << "[" << op << "] " << d << " is not available: ";
  if (d.type == Device::cpu) {
    msg << "there is one CPU device, Device(cpu, 0)";
  } else if (!gpu::is_available()) {
    msg << "the GPU is not available (no usable CUDA GPU, or Tandem was built without CUDA)";
  } else {
    int n = gpu::device_count();
    msg << "there " << (n == 1 ? "is " : "are ") << n << " GPU device" << (n == 1 ? "" : "s")
        << " (index 0" << (n > 1 ? " to " + std::to_string(n - 1) : std::string()) << ")";
  }
  throw std::invalid_argument(msg.str());
}

void check_stream(const Stream& s, const char* op) {
  check_device(s.device, op);
  auto& r = registry();
  bool known = s.index >= 0 && s.index < kMaxStreams &&
               r.executors[s.index].load(std::memory_order_acquire) != nullptr;
  if (known && r.devices[s.index].load(std::memory_order_relaxed) == device_code(s.device)) {
    return;
  }
  std::ostringstream msg;
  msg << "[" << op << "] " << s << " is not a stream of this process";
  if (known) {
    msg << ": stream " << s.index << " belongs to another device";
  } else {
    msg << ": no stream has index " << s.index << " (streams come from new_stream or "
        << "default_stream)";
  }
  throw std::invalid_argument(msg.str());
}

void set_default_device(const Device& d) {
  check_device(d, "set_default_device");
  g_default_device.store(static_cast<int>(d.type));
}

namespace {
// The calling thread's default stream of a device already checked.
Stream default_stream_unchecked(Device d) {
  int& slot = d.type == Device::cpu ? t_defaults.cpu_stream : t_defaults.gpu_stream;
  if (slot < 0) slot = acquire_owned(d).index;
  return Stream(slot, d);
}
}  // namespace

Stream default_stream(Device d) {
  check_device(d, "default_stream");
  return default_stream_unchecked(d);
}

void set_default_stream(Stream s) {
  check_stream(s, "set_default_stream");
  (s.device.type == Device::cpu ? t_defaults.cpu_stream : t_defaults.gpu_stream) = s.index;
}

Stream new_stream(Device d) {
  check_device(d, "new_stream");
  return registry().create(d);
}

Stream new_thread_unsafe_stream(Device d) {
  check_device(d, "new_thread_unsafe_stream");
  return registry().create(d);
}

ThreadLocalStream new_thread_local_stream(Device d) {
  check_device(d, "new_thread_local_stream");
  auto& r = registry();
  std::lock_guard lk(r.mu);
  r.local_devices.push_back(device_code(d));
  return ThreadLocalStream(static_cast<int>(r.local_devices.size()) - 1, d);
}

Stream ThreadLocalStream::stream() const {
  auto* o = owned_streams();
  if (o) {
    if (auto it = o->local.find(id); it != o->local.end()) return it->second;
  }
  auto& r = registry();
  {
    std::lock_guard lk(r.mu);
    if (id < 0 || id >= static_cast<int>(r.local_devices.size()) ||
        r.local_devices[id] != device_code(device)) {
      std::ostringstream msg;
      msg << "[stream] " << *this << " is not a thread-local stream of this process (they come "
          << "from new_thread_local_stream)";
      throw std::invalid_argument(msg.str());
    }
  }
  Stream s = acquire_owned(device);
  if (o) o->local.emplace(id, s);
  return s;
}

std::ostream& operator<<(std::ostream& os, const ThreadLocalStream& s) {
  return os << "ThreadLocalStream(" << s.device << ", " << s.id << ")";
}

void clear_streams() {
  auto* o = owned_streams();
  if (!o) return;
  std::vector<Stream> owned = std::move(o->streams);
  o->streams.clear();
  o->local.clear();
  for (int* slot : {&t_defaults.cpu_stream, &t_defaults.gpu_stream}) {
    for (auto& s : owned) {
      if (*slot == s.index) *slot = -1;
    }
  }
  // Finish their work first (a failed task's error surfaces here, after
  // every stream is back in the pool).
  std::exception_ptr first_error;
  for (auto& s : owned) {
    try {
      scheduler::executor(s.index).synchronize();
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
    registry().release(s);
  }
  if (first_error) std::rethrow_exception(first_error);
}

void synchronize(Stream s) {
  check_stream(s, "synchronize");
  scheduler::executor(s.index).synchronize();
}

bool synchronize_for(Stream s, std::chrono::microseconds timeout) {
  check_stream(s, "synchronize");
  auto& ex = scheduler::executor(s.index);
  ex.flush();
  if (!ex.drain_for(timeout)) return false;
  ex.synchronize();  // drained: returns at once, or rethrows the stream's failure
  return true;
}

void synchronize() {
  synchronize(default_stream(default_device()));
}

StreamContext::StreamContext(Stream s)
    : prev_override_(t_defaults.device_override),
      prev_stream_((check_stream(s, "stream"), default_stream_unchecked(s.device))) {
  t_defaults.device_override = static_cast<int>(s.device.type);
  set_default_stream(s);
}

StreamContext::StreamContext(Device d) : StreamContext(default_stream(d)) {}

StreamContext::~StreamContext() {
  (prev_stream_.device.type == Device::cpu ? t_defaults.cpu_stream : t_defaults.gpu_stream) =
      prev_stream_.index;
  t_defaults.device_override = prev_override_;
}

// Every op resolves its stream argument here, so every entry point checks
// device and stream indices the same way.
Stream to_stream(const StreamOrDevice& s) {
  if (auto* st = std::get_if<Stream>(&s)) {
    check_stream(*st, "stream");
    return *st;
  }
  if (auto* d = std::get_if<Device>(&s)) {
    check_device(*d, "stream");
    return default_stream_unchecked(*d);
  }
  return default_stream_unchecked(default_device());
}

namespace scheduler {

StreamExecutor& executor(int stream_index) {
  StreamExecutor* ex = nullptr;
  if (stream_index >= 0 && stream_index < kMaxStreams) {
    ex = registry().executors[stream_index].load(std::memory_order_acquire);
  }
  if (!ex)
    throw std::invalid_argument("[stream] no stream with index " + std::to_string(stream_index));
  return *ex;
}

namespace {
std::vector<StreamExecutor*> all_executors() {
  auto& r = registry();
  std::vector<StreamExecutor*> all;
  std::lock_guard lk(r.mu);
  for (auto& e : r.owned) all.push_back(e.get());
  return all;
}
}  // namespace

void flush_all() {
  for (auto* e : all_executors()) e->flush();
}

void drain_all() {
  auto all = all_executors();
  // Hand over this thread's staged tasks everywhere first: a stream drained
  // earlier may wait on them.
  for (auto* e : all) e->flush();
  // In slices, so that a Ctrl-C the waiting thread watches for stops the wait
  // (the allocation that asked fails with Interrupted, before its node ran).
  for (auto* e : all) {
    while (!e->drain_for(std::chrono::milliseconds(20))) {
      if (interrupt_pending()) throw Interrupted();
    }
  }
}

}  // namespace scheduler
}  // namespace tandem
