#pragma once
// A timeline of every stream (docs/unified_memory.md, "Recording a
// timeline"): while a trace is recorded, each task a stream runs, each
// cross-stream wait and each residency copy is kept in memory; stopping the
// trace writes it as Chrome trace-event JSON (Perfetto, chrome://tracing),
// one row per stream.
//
// Off, it costs one relaxed atomic load per scheduled node (the scheduler
// tags the node's event only when on(); executors look at the tag, a plain
// field of the event they already hold). Tracing is process-wide: every
// thread's work is recorded while any session is open. Sessions nest and may
// overlap (from any threads); each writes the records that began inside it.
// TANDEM_TRACE=path records from the first use of the library to exit.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem {
class Event;
class Primitive;

namespace timeline {
namespace detail {
extern std::atomic<bool> g_on;
}  // namespace detail

// Whether a trace is being recorded.
inline bool on() {
  return detail::g_on.load(std::memory_order_relaxed);
}

// Nanoseconds on the trace's clock (steady_clock, process-wide).
int64_t now();

// The id (> 0) of a name; equal names share one id, and ids stay valid for
// the life of the process.
uint32_t intern(std::string_view name);
// The name of an id from intern().
std::string name(uint32_t id);

// Tags a node's event for the trace: its primitive's printed name, and a
// fresh id that the waits on it refer to. The scheduler calls it when on().
void tag(Event& done, const Primitive& prim);
// Tags an event that is not a node's (a copy to the host).
void tag(Event& done, uint32_t name);

// Rows of the timeline. A stream's row is (device_row(its device), its
// index); copies to the host have a row of their own.
int device_row(bool gpu, int device_index);
constexpr int kHostCopyRow = 1000000;

// A task of `stream` that ran from begin to end (trace clock). `ev` (may be
// null) is the event it completes: waits on it draw arrows from this task.
// args: extra JSON members for the task ("\"nodes\": 8", no braces; interned,
// so only from a small set of values), or empty; bytes > 0: the bytes it
// copied; queued > 0: when its work was handed to the stream (GPU batches).
void task(int device_row, int stream, uint32_t name, int64_t begin, int64_t end, const Event* ev,
          std::string_view args = {}, uint64_t bytes = 0, int64_t queued = 0);
// Another event a task recorded at (device_row, stream, begin) completes (a
// GPU batch completes all its nodes' events).
void completes(const Event& ev, int device_row, int stream, int64_t begin);
// The task of `stream` beginning at `ts` waited for `producer` (an arrow is
// drawn when the producer's task is in the trace too).
void waited(const Event& producer, int device_row, int stream, int64_t ts);
// A point in time on a stream's row (a copy queued, bytes > 0 if any).
void instant(int device_row, int stream, uint32_t name, int64_t ts, uint64_t bytes = 0);

// Opens a session; returns its handle.
int64_t start();
// Closes session `handle` and writes what began during it to `path` (when
// not empty) as Chrome trace JSON; returns the JSON text. Throws
// std::invalid_argument for an unknown handle, std::runtime_error when the
// file cannot be written.
std::string stop(int64_t handle, const std::string& path);
// Whether any session is open.
bool active();

// RAII session: start() now, stop(path) at destruction (errors ignored
// there; call finish() to see them).
class Session {
 public:
  explicit Session(std::string path) : path_(std::move(path)), handle_(start()) {}
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // Stops the session now and returns the JSON; later calls return "".
  std::string finish();

 private:
  std::string path_;
  int64_t handle_;
  bool done_ = false;
};

}  // namespace timeline
}  // namespace tandem
