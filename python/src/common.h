#pragma once
// Shared pieces of the Python bindings: type casters for streams, shapes and
// axes, conversion of Python values to arrays (with MLX's weak typing of
// Python scalars), and the init function of each binding file.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <string>
#include <vector>

#include "python/src/gil.h"
#include "tandem/tandem.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace tandem::py {

// A Python value accepted where an array is expected: an array, a Python
// scalar, a (nested) list or tuple, a NumPy array or anything with
// __dlpack__ / the buffer protocol. Holds the handle only; converting is up
// to the function (so Python scalars can be weakly typed).
struct ArrayLike {
  nb::handle h;
};

// Axes argument: None, an int or a sequence of ints.
struct Axes {
  std::optional<std::vector<int>> axes;
};

// The PyTypeObject of tandem.core.array (set at module init).
extern PyTypeObject* array_type;

inline bool is_array(nb::handle h) {
  return Py_TYPE(h.ptr()) == array_type || PyObject_TypeCheck(h.ptr(), array_type);
}
inline array& as_array(nb::handle h) {
  return *nb::inst_ptr<array>(h);
}

// Python value -> array. Python scalars become int32/int64, float32, bool or
// complex64 (or `dtype` when given); NumPy float64 becomes float32 (as MLX).
array to_array(nb::handle v, std::optional<Dtype> dtype = std::nullopt);
// Like to_array, but a Python scalar takes the kind of `like` (weak typing):
// float16_array * 2.0 stays float16, int32_array + 1.5 becomes float32.
array to_array_weak(nb::handle v, Dtype like);
// Drops the cached scalar constants (at exit).
void clear_scalar_cache();
// Converts two operands: a Python scalar next to an array is weakly typed.
std::pair<array, array> to_arrays(nb::handle a, nb::handle b);
inline array to_array(const ArrayLike& v) {
  if (is_array(v.h)) return as_array(v.h);
  return to_array(v.h);
}

// Builds a result Python object, moving the array in. Allocates the instance
// of the array type directly: nb::cast would first look the C++ address up in
// nanobind's instance map and the type up by std::type_info, both useless for
// a fresh result (and the pooled type hands back a parked instance).
inline nb::object wrap(array a) {
  nb::object o = nb::inst_alloc(nb::handle(reinterpret_cast<PyObject*>(array_type)));
  new (nb::inst_ptr<array>(o)) array(std::move(a));
  nb::inst_mark_ready(o);
  return o;
}

// An op's result, returned to Python through wrap() (its caster is below):
// the hot module functions return it instead of `array`, whose generic
// caster goes through nb::cast's lookups.
struct ArrayOut {
  array a;
};

// Evaluates with the GIL released; Ctrl-C interrupts the wait (see
// eval_interruptible).
void eval_nogil(array& a);
// Schedules outs and waits for them with the GIL released, taking it back
// every few milliseconds to run Python's signal handlers: a KeyboardInterrupt
// (or any exception a handler raises) ends the wait and propagates; the work
// already queued goes on. Rethrows a task's failure.
void eval_interruptible(std::vector<array>& outs);
// async_eval(outs) with the GIL released; Ctrl-C while it waits for room in a
// stream's queue stops it (KeyboardInterrupt), leaving the rest lazy.
// run_here: as eval, the calling thread may run the last small tasks itself.
void schedule_interruptible(std::vector<array>& outs, bool run_here = false);
// synchronize(s), interruptible the same way.
void synchronize_interruptible(Stream s);
// A Python scalar from a one-element array.
nb::object to_scalar(array& a);
// Nested lists of Python scalars.
nb::object to_list(array& a);
// The canonical Python object of a dtype (so `x.dtype is mx.float32`).
nb::object dtype_object(Dtype t);

// All arrays in a pytree of lists, tuples and dicts (other leaves ignored).
void tree_collect(nb::handle tree, std::vector<array>& out);

// Init functions of the binding files.
void init_dtypes(nb::module_& m);
void init_devices(nb::module_& m);
void init_array(nb::module_& m);
void init_indexing(nb::class_<array>& cls);
void init_convert(nb::module_& m, nb::class_<array>& cls);
void init_ops_unary(nb::module_& m);
void init_ops_binary(nb::module_& m);
void init_ops_creation(nb::module_& m);
void init_ops_shape(nb::module_& m);
void init_dtype_functions(nb::module_& m);
void init_ops_reduce(nb::module_& m);
void init_ops_scan(nb::module_& m);
void init_ops_sort(nb::module_& m);
void init_ops_indexing(nb::module_& m);
void init_ops_matmul(nb::module_& m);
void init_ops_conv(nb::module_& m);
void init_ops_quantized(nb::module_& m);
void init_memory(nb::module_& m);
void init_transforms(nb::module_& m);
void init_compile(nb::module_& m);
void init_ops_random(nb::module_& m);
void init_ops_fast(nb::module_& m);
void init_ops_fft(nb::module_& m);
void init_ops_linalg(nb::module_& m);
void init_io(nb::module_& m);
void init_timeline(nb::module_& m);
void init_export(nb::module_& m);

// Type slots of the array type: operators and the buffer protocol.
PyType_Slot* array_type_slots();
int array_getbuffer(PyObject* self, Py_buffer* view, int flags);
void array_releasebuffer(PyObject* self, Py_buffer* view);

// x[idx] (NumPy basic and advanced indexing).
array getitem(const array& a, nb::handle idx);
// The array x becomes after x[idx] = v.
array setitem(const array& a, nb::handle idx, nb::handle v);

// Raises a Python TypeError with the message.
[[noreturn]] inline void type_error(const std::string& msg) {
  throw nb::type_error(msg.c_str());
}

// Sets the Python error for the exception being handled (for slot functions
// that cannot let C++ exceptions escape). Call inside a catch (...) block.
void set_python_error();

}  // namespace tandem::py

namespace nanobind::detail {

// None | Stream | ThreadLocalStream (this thread's stream of it) | Device |
// DeviceType -> StreamOrDevice.
template <>
struct type_caster<tandem::StreamOrDevice> {
  NB_TYPE_CASTER(tandem::StreamOrDevice,
                 const_name("tandem.core.Stream | tandem.core.ThreadLocalStream | "
                            "tandem.core.Device | tandem.core.DeviceType"))

  bool from_python(handle src, uint8_t flags, cleanup_list* cleanup) noexcept;
  static handle from_cpp(const tandem::StreamOrDevice& v, rv_policy p, cleanup_list* c) noexcept;
};

// int or sequence of ints -> Shape. An int outside int32 raises OverflowError
// naming it (dimensions are 32-bit) instead of failing the overload.
template <>
struct type_caster<tandem::Shape> {
  NB_TYPE_CASTER(tandem::Shape, const_name("int | collections.abc.Sequence[int]"))

  bool from_python(handle src, uint8_t flags, cleanup_list* cleanup);
  static handle from_cpp(const tandem::Shape& v, rv_policy p, cleanup_list* c) noexcept;
};

// None or a Shape. nanobind's optional caster is noexcept, so the Shape
// caster's OverflowError would end the process through it: this one lets it
// propagate.
template <>
struct type_caster<std::optional<tandem::Shape>> {
  NB_TYPE_CASTER(std::optional<tandem::Shape>,
                 const_name("int | collections.abc.Sequence[int] | None"))

  bool from_python(handle src, uint8_t flags, cleanup_list* cleanup) {
    if (src.is_none()) {
      value.reset();
      return true;
    }
    make_caster<tandem::Shape> inner;
    if (!inner.from_python(src, flags, cleanup)) return false;
    value = std::move(inner.value);
    return true;
  }
  static handle from_cpp(const std::optional<tandem::Shape>& v, rv_policy p,
                         cleanup_list* c) noexcept {
    if (!v) return none().release();
    return make_caster<tandem::Shape>::from_cpp(*v, p, c);
  }
};

template <>
struct type_caster<tandem::py::ArrayLike> {
  NB_TYPE_CASTER(tandem::py::ArrayLike,
                 // Type arguments on list and tuple, so that the stubs pass mypy --strict.
                 const_name("tandem.core.array | bool | int | float | complex | list[typing.Any] | "
                            "tuple[typing.Any, ...] | numpy.ndarray"))

  bool from_python(handle src, uint8_t, cleanup_list*) noexcept {
    if (!src.is_valid() || src.is_none()) return false;
    value.h = src;
    return true;
  }
  static handle from_cpp(const tandem::py::ArrayLike& v, rv_policy, cleanup_list*) noexcept {
    return v.h.inc_ref();
  }
};

template <>
struct type_caster<tandem::py::ArrayOut> {
  static constexpr auto Name = const_name("tandem.core.array");
  template <typename T_>
  using Cast = tandem::py::ArrayOut;

  // Results only: never converted from Python.
  bool from_python(handle, uint8_t, cleanup_list*) noexcept { return false; }
  static handle from_cpp(tandem::py::ArrayOut&& v, rv_policy, cleanup_list*) noexcept {
    try {
      return tandem::py::wrap(std::move(v.a)).release();
    } catch (python_error& e) {
      // The instance could not be allocated.
      e.restore();
      return handle();
    }
  }
};

template <>
struct type_caster<tandem::py::Axes> {
  NB_TYPE_CASTER(tandem::py::Axes, const_name("int | collections.abc.Sequence[int]"))

  // An int outside int32 raises AxisError.
  bool from_python(handle src, uint8_t flags, cleanup_list* cleanup);
  static handle from_cpp(const tandem::py::Axes& v, rv_policy p, cleanup_list* c) noexcept;
};

}  // namespace nanobind::detail
