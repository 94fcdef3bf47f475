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

namespace tandem {
namespace {

constexpr int kMaxStreams = 4096;

struct Registry {
  std::mutex mu;
  std::array<std::atomic<StreamExecutor*>, kMaxStreams> executors{};
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

void set_default_device(const Device& d) {
  if (!is_available(d)) {
    std::ostringstream msg;
    msg << "[set_default_device] " << d << " is not available"
        << (d.type == Device::gpu ? " (no usable CUDA GPU, or Tandem was built without CUDA)" : "");
    throw std::invalid_argument(msg.str());
  }
  g_default_device.store(static_cast<int>(d.type));
}

Stream default_stream(Device d) {
  int& slot = d.type == Device::cpu ? t_defaults.cpu_stream : t_defaults.gpu_stream;
  if (slot < 0) {
    if (d.type == Device::gpu && !is_available(d)) {
      throw std::invalid_argument(
          "[default_stream] the GPU is not available (no usable CUDA GPU, or Tandem was built "
          "without CUDA)");
    }
    slot = registry().create(d).index;
  }
  return Stream(slot, d);
}

void set_default_stream(Stream s) {
  (s.device.type == Device::cpu ? t_defaults.cpu_stream : t_defaults.gpu_stream) = s.index;
}

Stream new_stream(Device d) {
  if (!is_available(d)) {
    std::ostringstream msg;
    msg << "[new_stream] " << d << " is not available";
    throw std::invalid_argument(msg.str());
  }
  return registry().create(d);
}

void synchronize(Stream s) { scheduler::executor(s.index).synchronize(); }

void synchronize() { synchronize(default_stream(default_device())); }

StreamContext::StreamContext(Stream s)
    : prev_override_(t_defaults.device_override), prev_stream_(default_stream(s.device)) {
  t_defaults.device_override = static_cast<int>(s.device.type);
  set_default_stream(s);
}

StreamContext::StreamContext(Device d) : StreamContext(default_stream(d)) {}

StreamContext::~StreamContext() {
  set_default_stream(prev_stream_);
  t_defaults.device_override = prev_override_;
}

Stream to_stream(const StreamOrDevice& s) {
  if (auto* st = std::get_if<Stream>(&s)) return *st;
  if (auto* d = std::get_if<Device>(&s)) return default_stream(*d);
  return default_stream(default_device());
}

namespace scheduler {

StreamExecutor& executor(int stream_index) {
  StreamExecutor* ex = nullptr;
  if (stream_index >= 0 && stream_index < kMaxStreams) {
    ex = registry().executors[stream_index].load(std::memory_order_acquire);
  }
  if (!ex) throw std::invalid_argument("[stream] no stream with index " + std::to_string(stream_index));
  return *ex;
}

void drain_all() {
  auto& r = registry();
  std::vector<StreamExecutor*> all;
  {
    std::lock_guard lk(r.mu);
    for (auto& e : r.owned) all.push_back(e.get());
  }
  // Hand over this thread's staged tasks everywhere first: a stream drained
  // earlier may wait on them.
  for (auto* e : all) e->flush();
  for (auto* e : all) e->drain();
}

}  // namespace scheduler
}  // namespace tandem
