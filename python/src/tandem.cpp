// The extension module tandem.core: the names of mlx.core.
#include <cstdlib>

#include "python/src/common.h"

namespace tandem::py {

// tandem.core.AxisError: a ValueError and an IndexError, like NumPy's.
PyObject* g_axis_error = nullptr;

namespace {
// nb::cast<T>(obj) inside a binding throws nb::cast_error (a std::bad_cast)
// when obj is not a T: a wrong argument type, not a kernel failure.
constexpr const char* kCastErrorMessage =
    "an argument has the wrong type or is out of range for it (expected an int, a "
    "sequence of ints, a dtype, a stream or device, or an array-like as documented)";
}  // namespace

void set_python_error() {
  try {
    throw;
  } catch (nb::python_error& e) {
    e.restore();
  } catch (const nb::builtin_exception& e) {
    // nb::type_error and friends.
    PyObject* t = PyExc_RuntimeError;
    switch (e.type()) {
      case nb::exception_type::type_error:
        t = PyExc_TypeError;
        break;
      case nb::exception_type::value_error:
        t = PyExc_ValueError;
        break;
      case nb::exception_type::index_error:
        t = PyExc_IndexError;
        break;
      case nb::exception_type::buffer_error:
        t = PyExc_BufferError;
        break;
      default:
        break;
    }
    PyErr_SetString(t, e.what());
  } catch (const nb::cast_error&) {
    PyErr_SetString(PyExc_TypeError, kCastErrorMessage);
  } catch (const OutOfMemory& e) {
    PyErr_SetString(PyExc_MemoryError, e.what());
  } catch (const AxisError& e) {
    PyErr_SetString(g_axis_error, e.what());
  } catch (const std::bad_alloc& e) {
    PyErr_SetString(PyExc_MemoryError, e.what());
  } catch (const std::invalid_argument& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::out_of_range& e) {
    PyErr_SetString(PyExc_IndexError, e.what());
  } catch (const std::overflow_error& e) {
    // A Python int too large for the array's dtype, as nanobind maps it.
    PyErr_SetString(PyExc_OverflowError, e.what());
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "unknown C++ exception");
  }
}

// Bound in distributed.cpp (declared here: only the module init calls it).
void init_distributed(nb::module_& m);

}  // namespace tandem::py

using namespace tandem;
using namespace tandem::py;

NB_MODULE(core, m) {
  m.doc() = "Tandem core: lazy arrays, ops, devices and streams (the API of mlx.core).";
  m.attr("__version__") = "0.1.0";
  // Objects still referenced at interpreter exit (dtype objects held by test
  // frameworks, say) are not leaks worth a warning; TANDEM_LEAK_WARNINGS=1
  // turns nanobind's report back on when hunting reference-count bugs.
  const char* leak_env = std::getenv("TANDEM_LEAK_WARNINGS");
  nb::set_leak_warnings(leak_env && std::string(leak_env) == "1");

  // tandem::OutOfMemory is a std::runtime_error: map it to MemoryError
  // (translators registered later are tried first).
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const OutOfMemory& e) {
      PyErr_SetString(PyExc_MemoryError, e.what());
    } catch (const nb::cast_error&) {
      // Left to nanobind this is RuntimeError("std::bad_cast").
      PyErr_SetString(PyExc_TypeError, kCastErrorMessage);
    }
  });

  // An axis out of range: NumPy raises AxisError (a ValueError and an
  // IndexError), MLX an IndexError; this type is both.
  g_axis_error = PyErr_NewExceptionWithDoc(
      "tandem.core.AxisError",
      "An axis argument out of range for the array's number of dimensions (a ValueError and an "
      "IndexError, like numpy.exceptions.AxisError).",
      nb::make_tuple(nb::handle(PyExc_ValueError), nb::handle(PyExc_IndexError)).ptr(), nullptr);
  m.attr("AxisError") = nb::handle(g_axis_error);
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const AxisError& e) {
      PyErr_SetString(g_axis_error, e.what());
    }
  });

  init_dtypes(m);
  init_devices(m);
  init_array(m);
  init_ops_unary(m);
  init_ops_binary(m);
  init_ops_creation(m);
  init_ops_shape(m);
  init_dtype_functions(m);
  init_ops_reduce(m);
  init_ops_scan(m);
  init_ops_sort(m);
  init_ops_indexing(m);
  init_ops_matmul(m);
  init_ops_conv(m);
  init_ops_quantized(m);
  init_memory(m);
  init_transforms(m);
  init_compile(m);
  init_ops_fast(m);
  init_ops_fft(m);
  init_ops_random(m);
  init_ops_linalg(m);
  init_io(m);
  init_export(m);
  init_timeline(m);
  init_distributed(m);

  // `import tandem.core.random` and friends work like attribute access.
  nb::object sys_modules = nb::module_::import_("sys").attr("modules");
  for (const char* sub : {"random", "cuda", "metal", "linalg", "fft", "distributed"}) {
    if (nb::hasattr(m, sub)) {
      sys_modules[(std::string("tandem.core.") + sub).c_str()] = m.attr(sub);
    }
  }
}
