// The stream timeline (tandem/timeline.h): mx.timeline(path) as a context
// manager, and mx.timeline_start() / mx.timeline_stop(path) for code without
// a scope. (Not mx.trace: that is the matrix trace, as in MLX.)
#include "tandem/timeline.h"

#include <mutex>
#include <optional>
#include <vector>

#include "python/src/common.h"
#include "python/src/gil.h"

namespace tandem::py {
namespace {

std::string fspath(const nb::object& path) {
  if (path.is_none()) return std::string();
  return nb::cast<std::string>(nb::module_::import_("os").attr("fspath")(path));
}

std::string stop_released(int64_t handle, const std::string& path) {
  ReleaseGil released;
  return timeline::stop(handle, path);
}

// A `with` block's session.
struct PyTrace {
  std::string path;
  int64_t handle = 0;
  bool open = false;
  std::string json;
};

// Handles from timeline_start not yet stopped, newest last.
std::mutex g_started_mu;
std::vector<int64_t> g_started;

}  // namespace

void init_timeline(nb::module_& m) {
  nb::class_<PyTrace>(m, "timeline",
                      "Records a timeline of every stream while the ``with`` block runs.\n\n"
                      "Each task a CPU or GPU stream runs (with its primitive's name, start and\n"
                      "end), each wait on another stream (drawn as an arrow) and each copy\n"
                      "between host and device is written on exit to ``path`` as Chrome\n"
                      "trace-event JSON, which https://ui.perfetto.dev and chrome://tracing\n"
                      "open (one row per stream); ``python -m tandem.timeline path`` draws it as\n"
                      "a PNG. Leaving the block waits for the work in flight on every stream.\n"
                      "Recording is process-wide (every thread's work) and sessions may nest.\n"
                      "The JSON text is in ``.json`` afterwards. ``TANDEM_TRACE=path`` records\n"
                      "a whole run.")
      .def(
          "__init__", [](PyTrace* t, nb::object path) { new (t) PyTrace{fspath(path)}; },
          "path"_a = nb::none())
      .def(
          "__enter__",
          [](PyTrace& t) -> PyTrace& {
            if (t.open)
              throw std::invalid_argument("[timeline] this timeline is already recording");
            t.handle = timeline::start();
            t.open = true;
            return t;
          },
          nb::rv_policy::reference)
      .def(
          "__exit__",
          [](PyTrace& t, nb::handle, nb::handle, nb::handle) {
            if (!t.open) return false;
            t.open = false;
            t.json = stop_released(t.handle, t.path);
            return false;
          },
          "exc_type"_a.none(), "exc_value"_a.none(), "traceback"_a.none())
      .def_prop_ro(
          "json", [](const PyTrace& t) { return t.json; },
          "The trace's JSON text, once the block has ended.")
      .def_prop_ro(
          "path", [](const PyTrace& t) { return t.path; }, "Where the trace is written.");

  m.def(
      "timeline_start",
      [] {
        int64_t h = timeline::start();
        std::lock_guard lk(g_started_mu);
        g_started.push_back(h);
        return h;
      },
      "Starts recording a timeline of every stream (see timeline); returns a handle\n"
      "for timeline_stop.");
  m.def(
      "timeline_stop",
      [](nb::object path, std::optional<int64_t> handle) {
        int64_t h;
        {
          std::lock_guard lk(g_started_mu);
          if (!handle) {
            if (g_started.empty()) {
              throw std::invalid_argument("[timeline_stop] no trace started with timeline_start");
            }
            h = g_started.back();
          } else {
            h = *handle;
          }
          auto it = std::find(g_started.begin(), g_started.end(), h);
          if (it == g_started.end()) {
            throw std::invalid_argument("[timeline_stop] no open trace with handle " +
                                        std::to_string(h));
          }
          g_started.erase(it);
        }
        return stop_released(h, fspath(path));
      },
      "path"_a = nb::none(), "handle"_a = nb::none(),
      "Stops the trace `handle` (default: the last one timeline_start began),\n"
      "after the work in flight on every stream, and writes it to `path`\n"
      "(when given) as Chrome trace-event JSON; returns the JSON text.");
}

}  // namespace tandem::py
