// Streams, devices and the stream registry.
#include <array>
#include <atomic>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "tandem/allocator.h"
#include "tandem/backend.h"
#include "tandem/device.h"
#include "tandem/stream.h"
#include "tandem/task_scope.h"

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
  if (slot < 0) slot = registry().create(d).index;
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

void synchronize(Stream s) {
  check_stream(s, "synchronize");
  scheduler::executor(s.index).synchronize();
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
