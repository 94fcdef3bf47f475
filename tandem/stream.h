#pragma once
// Streams: ordered queues of work on one device. Each thread has its own
// default stream per device; StreamContext changes it for a scope.
#include <ostream>
#include <variant>

#include "tandem/device.h"

namespace tandem {

struct Stream {
  int index;
  Device device;
  Stream(int i, Device d) : index(i), device(d) {}
  bool operator==(const Stream& o) const { return index == o.index; }
  bool operator!=(const Stream& o) const { return index != o.index; }
};

std::ostream& operator<<(std::ostream& os, const Stream& s);

// The calling thread's default stream on device d (created on first use).
Stream default_stream(Device d);
// Makes s the calling thread's default stream for its device.
void set_default_stream(Stream s);
// A new stream on device d, with its own worker (CPU) or CUDA stream (GPU).
Stream new_stream(Device d);
// Blocks until all work submitted to s has finished; rethrows a task failure.
void synchronize(Stream s);
// synchronize(default_stream(default_device())).
void synchronize();

// Within its lifetime, makes s (or d's default stream) the calling thread's
// default device and stream; restores both on destruction.
class StreamContext {
 public:
  explicit StreamContext(Stream s);
  explicit StreamContext(Device d);
  ~StreamContext();
  StreamContext(const StreamContext&) = delete;
  StreamContext& operator=(const StreamContext&) = delete;

 private:
  int prev_override_;
  Stream prev_stream_;
};

// What every op takes last: nothing (the default stream of the default
// device), a Device (its default stream), or a Stream.
using StreamOrDevice = std::variant<std::monostate, Stream, Device>;

// The stream s names. Throws std::invalid_argument naming the device or
// stream when a Device is not available (Device(cpu, 5)) or a Stream is not
// one this process made (check_stream): every op resolves its argument here.
Stream to_stream(const StreamOrDevice& s);
// The checks of to_stream, with op naming the caller in the message.
void check_device(const Device& d, const char* op);
void check_stream(const Stream& s, const char* op);

}  // namespace tandem
