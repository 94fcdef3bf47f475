#pragma once
// Devices: the CPU and, in a CUDA build with a GPU present, the GPU.
#include <ostream>

namespace tandem {

struct Device {
  enum class DeviceType { cpu, gpu };
  static constexpr DeviceType cpu = DeviceType::cpu;
  static constexpr DeviceType gpu = DeviceType::gpu;

  DeviceType type;
  int index;

  constexpr Device(DeviceType t, int i = 0) : type(t), index(i) {}  // NOLINT
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

std::ostream& operator<<(std::ostream& os, const Device& d);

// The device operations run on when none is given: the GPU if one is usable.
Device default_device();
// Changes the default device for the whole process. Throws if d is not available.
void set_default_device(const Device& d);
// Whether operations can run on d in this build on this machine.
bool is_available(const Device& d);
// How many devices of type t exist (0 GPUs in a build without CUDA).
int device_count(Device::DeviceType t);

}  // namespace tandem
