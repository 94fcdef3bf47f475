#pragma once
// Releasing the GIL around waits, safe for daemon threads at interpreter
// exit. When such a thread wants the GIL back after finalization has begun,
// CPython (3.13 and older) ends it with pthread_exit, whose forced unwind
// would leave through a noexcept destructor and call std::terminate (the
// process then dies with "terminate called without an active exception").
#include <Python.h>
#include <cxxabi.h>
#include <nanobind/nanobind.h>

#include <chrono>
#include <memory>
#include <thread>

namespace tandem::py {

class ReleaseGil {
 public:
  ReleaseGil() : state_(PyEval_SaveThread()) {}
  ReleaseGil(const ReleaseGil&) = delete;
  ReleaseGil& operator=(const ReleaseGil&) = delete;
  ~ReleaseGil() {
    try {
      PyEval_RestoreThread(state_);
    } catch (abi::__forced_unwind&) {
      // The interpreter is going away and this thread may not run Python
      // again: park it until the process exits (finishing the unwind would
      // terminate, and swallowing it is not allowed).
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    }
  }

 private:
  PyThreadState* state_;
};

// Runs wait_for(slice) with the GIL released until it returns true; between
// slices, with the GIL held, runs Python's signal handlers and throws the
// exception one of them raised (KeyboardInterrupt for Ctrl-C). The slice
// bounds the interrupt latency.
template <typename F>
void wait_with_signals(F wait_for) {
  constexpr auto kSlice = std::chrono::milliseconds(20);
  for (;;) {
    bool done;
    {
      ReleaseGil nogil;
      done = wait_for(kSlice);
    }
    if (done) return;
    if (PyErr_CheckSignals() != 0) throw nanobind::python_error();
  }
}

// A Python object owned from C++ code that may drop it without the GIL (a
// graph node's primitive is destroyed wherever its last reference goes):
// the deleter takes the GIL, or leaks the object once Python is finalizing.
inline std::shared_ptr<nanobind::object> gil_safe(nanobind::object o) {
  return std::shared_ptr<nanobind::object>(new nanobind::object(std::move(o)),
                                           [](nanobind::object* p) {
                                             if (!Py_IsInitialized() || _Py_IsFinalizing()) return;
                                             PyGILState_STATE st = PyGILState_Ensure();
                                             delete p;
                                             PyGILState_Release(st);
                                           });
}

}  // namespace tandem::py
