#pragma once
#include <chrono>
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
// synchronize(s) for at most `timeout`: true once the stream's work has
// finished (rethrowing a failure as synchronize does), false if it is still
// running. A caller that must stay responsive (Ctrl-C) waits in slices.
bool synchronize_for(Stream s, std::chrono::microseconds timeout);
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

// A stream that stands for a different stream in each thread: the first use
// in a thread makes that thread's stream on `device`, so threads that share a
// ThreadLocalStream never queue behind one another. A thread's streams go
// back to a pool for later threads when it exits (or calls clear_streams).
struct ThreadLocalStream {
  int id;
  Device device;
  ThreadLocalStream(int i, Device d) : id(i), device(d) {}
  // The calling thread's stream.
  Stream stream() const;
  bool operator==(const ThreadLocalStream& o) const { return id == o.id; }
  bool operator!=(const ThreadLocalStream& o) const { return id != o.id; }
};
std::ostream& operator<<(std::ostream& os, const ThreadLocalStream& s);
ThreadLocalStream new_thread_local_stream(Device d);
// A stream that any thread may use: in Tandem every stream is one (MLX ties
// new_stream's to their thread), so this is new_stream.
Stream new_thread_unsafe_stream(Device d);
// Waits for the calling thread's default and thread-local streams, then
// gives them to the pool of unused streams: the thread's next operations get
// streams from the pool (or new ones). Streams from new_stream are left
// alone: in Tandem any thread may be using them.
void clear_streams();

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
