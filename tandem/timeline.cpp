// The stream timeline (timeline.h): records kept per thread while a session is
// open, written as Chrome trace-event JSON when a session closes.
#include "tandem/timeline.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "tandem/backend.h"
#include "tandem/event.h"
#include "tandem/primitive.h"
#include "tandem/task_scope.h"

namespace tandem::timeline {
namespace detail {
std::atomic<bool> g_on{false};
}  // namespace detail

namespace {

struct Record {
  enum Kind : uint8_t { kTask, kCompletes, kWaited, kInstant };
  Kind kind;
  int32_t row;
  int32_t stream;
  uint32_t name;  // kTask, kInstant
  uint32_t id;    // the event's trace id: kTask (0: none), kCompletes, kWaited
  uint32_t args;  // kTask: interned extra JSON members (0: none)
  int64_t begin;  // kTask, kCompletes; the time of kWaited and kInstant
  int64_t end;
  uint64_t bytes;  // kInstant, kTask (0: none)
  int64_t queued;  // kTask: when its work was queued (0: not known)
};

// One per recording thread, so that stream workers never contend with each
// other; the lock is only shared with a session being written or cleared.
struct ThreadLog {
  std::mutex mu;
  std::vector<Record> records;
};

struct OpenSession {
  int64_t handle;
  int64_t start;
};

struct State {
  std::mutex mu;  // logs, sessions
  std::vector<std::shared_ptr<ThreadLog>> logs;
  std::vector<OpenSession> sessions;
  int64_t next_handle = 1;
  std::mutex names_mu;
  std::unordered_map<std::string, uint32_t> ids;
  std::vector<std::string> names{std::string()};  // id 0: none
};

// Leaked: stream workers may still record while static destructors run.
State& state() {
  static auto* s = new State();
  return *s;
}

thread_local std::shared_ptr<ThreadLog> t_log;

std::atomic<uint32_t> g_next_id{1};

void append(const Record& r) {
  if (!on()) return;
  auto& log = t_log;
  if (!log) {
    log = std::make_shared<ThreadLog>();
    auto& st = state();
    std::lock_guard lk(st.mu);
    st.logs.push_back(log);
  }
  std::lock_guard lk(log->mu);
  log->records.push_back(r);
}

// Drops every record, and the logs of threads that have ended. Called with
// st.mu held when no session is open.
void clear_logs(State& st) {
  std::vector<std::shared_ptr<ThreadLog>> kept;
  for (auto& log : st.logs) {
    {
      std::lock_guard lk(log->mu);
      log->records.clear();
      log->records.shrink_to_fit();
    }
    if (log.use_count() > 1) kept.push_back(std::move(log));
  }
  st.logs.swap(kept);
}

void append_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
}

// Microseconds since the session's start, as Chrome traces count time.
void append_time(std::string& out, int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ns) / 1000.0);
  out += buf;
}

std::string row_name(int row) {
  return row == 0 ? "CPU" : "GPU " + std::to_string(row - 1);
}

std::string stream_name(int row, int stream) {
  if (stream == kHostCopyRow) return "copies to host";
  return (row == 0 ? "cpu stream " : "gpu stream ") + std::to_string(stream);
}

std::string to_json(std::vector<Record>& recs, int64_t origin) {
  std::sort(recs.begin(), recs.end(),
            [](const Record& a, const Record& b) { return a.begin < b.begin; });
  std::vector<std::string> names;
  {
    auto& st = state();
    std::lock_guard lk(st.names_mu);
    names = st.names;
  }
  auto name_of = [&](uint32_t id) -> std::string_view {
    return id < names.size() ? std::string_view(names[id]) : std::string_view("?");
  };
  // Where the arrow of a wait starts: inside the producer's task.
  struct Where {
    int row, stream;
    int64_t ts;
  };
  std::unordered_map<uint32_t, Where> producers;
  std::vector<std::pair<int, int>> rows;
  for (auto& r : recs) {
    if (r.kind == Record::kTask || r.kind == Record::kInstant) rows.emplace_back(r.row, r.stream);
    if ((r.kind == Record::kTask || r.kind == Record::kCompletes) && r.id) {
      producers[r.id] = {r.row, r.stream, r.begin + (r.end - r.begin) / 2};
    }
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());

  std::string out = "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n";
  bool first = true;
  auto open = [&] {
    if (!first) out += ",\n";
    first = false;
  };
  auto where = [&](int row, int stream) {
    out += "\"pid\": " + std::to_string(row) + ", \"tid\": " + std::to_string(stream);
  };
  int last_row = -1;
  for (auto& [row, stream] : rows) {
    if (row != last_row) {
      open();
      out += "{\"ph\": \"M\", \"name\": \"process_name\", ";
      where(row, 0);
      out += ", \"args\": {\"name\": \"" + row_name(row) + "\"}}";
      open();
      out += "{\"ph\": \"M\", \"name\": \"process_sort_index\", ";
      where(row, 0);
      out += ", \"args\": {\"sort_index\": " + std::to_string(row) + "}}";
      last_row = row;
    }
    open();
    out += "{\"ph\": \"M\", \"name\": \"thread_name\", ";
    where(row, stream);
    out += ", \"args\": {\"name\": \"" + stream_name(row, stream) + "\"}}";
  }
  // A named event's opening: kind, name, row and start time.
  auto named = [&](const Record& r, const char* head) {
    open();
    out += head;
    append_escaped(out, name_of(r.name));
    out += "\", ";
    where(r.row, r.stream);
    out += ", \"ts\": ";
    append_time(out, r.begin - origin);
  };
  uint64_t flow = 0;
  for (auto& r : recs) {
    switch (r.kind) {
      case Record::kTask:
        named(r, "{\"ph\": \"X\", \"cat\": \"task\", \"name\": \"");
        out += ", \"dur\": ";
        append_time(out, r.end - r.begin);
        out += ", \"args\": {\"device\": \"";
        out += r.row == 0 ? "cpu" : "gpu";
        out += "\", \"stream\": " + std::to_string(r.stream);
        if (r.bytes) out += ", \"bytes\": " + std::to_string(r.bytes);
        if (r.queued) {
          out += ", \"queued_us\": ";  // on the trace's time axis, like ts
          append_time(out, r.queued - origin);
        }
        if (r.args) {
          out += ", ";
          out += name_of(r.args);
        }
        out += "}}";
        break;
      case Record::kInstant:
        named(r, "{\"ph\": \"i\", \"s\": \"t\", \"cat\": \"copy\", \"name\": \"");
        out += ", \"args\": {\"bytes\": " + std::to_string(r.bytes) + "}}";
        break;
      case Record::kWaited: {
        auto it = producers.find(r.id);
        if (it == producers.end()) break;
        auto& p = it->second;
        ++flow;
        open();
        out += "{\"ph\": \"s\", \"cat\": \"wait\", \"name\": \"wait\", \"id\": ";
        out += std::to_string(flow) + ", ";
        where(p.row, p.stream);
        out += ", \"ts\": ";
        append_time(out, p.ts - origin);
        out += "}";
        open();
        out += "{\"ph\": \"f\", \"bp\": \"e\", \"cat\": \"wait\", \"name\": \"wait\", \"id\": ";
        out += std::to_string(flow) + ", ";
        where(r.row, r.stream);
        out += ", \"ts\": ";
        append_time(out, r.begin - origin);
        out += "}";
        break;
      }
      case Record::kCompletes:
        break;
    }
  }
  out += "\n]}\n";
  return out;
}

std::string stop_impl(int64_t handle, const std::string& path, bool drain);

// TANDEM_TRACE=path: a session from the library's start to exit.
struct EnvTrace {
  std::string path;
  int64_t handle = 0;
  EnvTrace() {
    const char* p = std::getenv("TANDEM_TRACE");
    if (!p || !*p) return;
    path = p;
    handle = start();
    std::atexit([] {
      auto& e = env_trace();
      try {
        // Without draining: at exit the stream workers may be parked.
        stop_impl(e.handle, e.path, false);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "[timeline] TANDEM_TRACE: %s\n", ex.what());
      }
    });
  }
  static EnvTrace& env_trace();
};

EnvTrace& EnvTrace::env_trace() {
  // Leaked: a static's destructor, registered after the handler above, would
  // run before it.
  static auto* e = new EnvTrace();
  return *e;
}

// Starts the environment's session when the library is loaded.
const bool g_env_started = (EnvTrace::env_trace(), true);

}  // namespace

int64_t now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint32_t intern(std::string_view name) {
  auto& st = state();
  std::lock_guard lk(st.names_mu);
  auto [it, added] = st.ids.try_emplace(std::string(name), 0);
  if (added) {
    it->second = static_cast<uint32_t>(st.names.size());
    st.names.emplace_back(name);
  }
  return it->second;
}

std::string name(uint32_t id) {
  auto& st = state();
  std::lock_guard lk(st.names_mu);
  return id < st.names.size() ? st.names[id] : std::string();
}

void tag(Event& done, uint32_t name) {
  uint32_t id = g_next_id.fetch_add(1, std::memory_order_relaxed);
  if (id == 0) id = g_next_id.fetch_add(1, std::memory_order_relaxed);
  done.trace_name = name;
  done.trace_id = id;
}

void tag(Event& done, const Primitive& prim) {
  // Printed (Exp, not Unary): the name a user wrote.
  thread_local std::ostringstream os;
  os.str(std::string());
  prim.print(os);
  tag(done, intern(os.str()));
}

int device_row(bool gpu, int device_index) {
  return gpu ? 1 + device_index : 0;
}

void task(int row, int stream, uint32_t name, int64_t begin, int64_t end, const Event* ev,
          std::string_view args, uint64_t bytes, int64_t queued) {
  Record r{};
  r.kind = Record::kTask;
  r.row = row;
  r.stream = stream;
  r.name = name;
  r.id = ev ? ev->trace_id : 0;
  r.args = args.empty() ? 0 : intern(args);
  r.begin = begin;
  r.end = std::max(begin, end);
  r.bytes = bytes;
  r.queued = queued;
  append(r);
}

namespace {
// A point record tied to the event with trace id `id` (an arrow's end).
void point(Record::Kind kind, uint32_t id, int row, int stream, int64_t ts) {
  if (!id) return;
  Record r{};
  r.kind = kind;
  r.row = row;
  r.stream = stream;
  r.id = id;
  r.begin = r.end = ts;
  append(r);
}
}  // namespace

void completes(const Event& ev, int row, int stream, int64_t begin) {
  point(Record::kCompletes, ev.trace_id, row, stream, begin);
}

void waited(const Event& producer, int row, int stream, int64_t ts) {
  point(Record::kWaited, producer.trace_id, row, stream, ts);
}

void instant(int row, int stream, uint32_t name, int64_t ts, uint64_t bytes) {
  Record r{};
  r.kind = Record::kInstant;
  r.row = row;
  r.stream = stream;
  r.name = name;
  r.begin = r.end = ts;
  r.bytes = bytes;
  append(r);
}

int64_t start() {
  auto& st = state();
  std::lock_guard lk(st.mu);
  if (st.sessions.empty()) clear_logs(st);
  int64_t handle = st.next_handle++;
  st.sessions.push_back({handle, now()});
  detail::g_on.store(true, std::memory_order_relaxed);
  return handle;
}

std::string stop(int64_t handle, const std::string& path) {
  return stop_impl(handle, path, true);
}

namespace {
std::string stop_impl(int64_t handle, const std::string& path, bool drain) {
  // Tasks record themselves after signalling their event: wait for the
  // ones in flight, or a trace stopped right after eval misses its last.
  // An interrupted wait still closes the session (then rethrows).
  std::exception_ptr interrupted;
  if (drain && !in_task()) {
    try {
      scheduler::drain_all();
    } catch (...) {
      interrupted = std::current_exception();
    }
  }
  auto& st = state();
  std::vector<Record> recs;
  int64_t origin = 0;
  {
    std::lock_guard lk(st.mu);
    auto it = std::find_if(st.sessions.begin(), st.sessions.end(),
                           [&](const OpenSession& s) { return s.handle == handle; });
    if (it == st.sessions.end()) {
      throw std::invalid_argument("[timeline] no open trace session " + std::to_string(handle));
    }
    origin = it->start;
    st.sessions.erase(it);
    for (auto& log : st.logs) {
      std::lock_guard l(log->mu);
      for (auto& r : log->records) {
        if (r.begin >= origin) recs.push_back(r);
      }
    }
    if (st.sessions.empty()) {
      detail::g_on.store(false, std::memory_order_relaxed);
      clear_logs(st);
    }
  }
  if (interrupted) std::rethrow_exception(interrupted);
  std::string json = to_json(recs, origin);
  if (!path.empty()) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << json;
    f.close();
    if (!f) throw std::runtime_error("[timeline] cannot write the trace to '" + path + "'");
  }
  return json;
}
}  // namespace

bool active() {
  auto& st = state();
  std::lock_guard lk(st.mu);
  return !st.sessions.empty();
}

Session::~Session() {
  try {
    finish();
  } catch (...) {
  }
}

std::string Session::finish() {
  if (done_) return std::string();
  done_ = true;
  return stop(handle_, path_);
}

}  // namespace tandem::timeline
