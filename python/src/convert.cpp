// Conversions between Python values and arrays: scalars, nested lists,
// NumPy arrays and DLPack tensors in; Python scalars, lists, the buffer
// protocol, __array__ and DLPack out. Also the shape / axes casters.
#include <nanobind/ndarray.h>
#include <signal.h>

#include <complex>
#include <cstring>
#include <limits>
#include <thread>

#include "python/src/common.h"
#include "tandem/eval_no_wait.h"
#include "tandem/task_scope.h"

namespace nanobind::detail {

namespace {
// What read_ints does with a Python int outside int32: give up (the caller's
// overload resolution goes on) or raise naming it.
enum class OutOfRange { fail, shape_error, axis_error };

[[noreturn]] void raise_out_of_range(OutOfRange how, long long v, bool overflowed) {
  std::string val =
      overflowed ? std::string(v < 0 ? "below -2**63" : "above 2**63 - 1") : std::to_string(v);
  if (how == OutOfRange::axis_error) {
    throw tandem::AxisError("[axis] axis " + val + " is out of range (axes are 32-bit ints)");
  }
  throw std::overflow_error("[shape] dimension " + val +
                            " is out of range (at most 2147483647: dimensions are 32-bit)");
}

// Appends the ints of a Python int or sequence of ints; false if src is
// neither. An int outside int32 fails, or raises (see OutOfRange).
template <typename Vec>
bool read_ints(handle src, Vec& out, OutOfRange how = OutOfRange::fail) {
  auto read_one = [&](PyObject* o) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      return false;
    }
    if (overflow || v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
      if (how == OutOfRange::fail) return false;
      raise_out_of_range(how, overflow ? (overflow < 0 ? -1 : 1) : v, overflow != 0);
    }
    out.push_back(static_cast<int>(v));
    return true;
  };
  if (PyLong_Check(src.ptr())) return read_one(src.ptr());
  if (PyUnicode_Check(src.ptr()) || PyBytes_Check(src.ptr())) return false;
  PyObject* seq = PySequence_Fast(src.ptr(), "");
  if (!seq) {
    PyErr_Clear();
    return false;
  }
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  PyObject** items = PySequence_Fast_ITEMS(seq);
  bool ok = true;
  try {
    for (Py_ssize_t i = 0; i < n && ok; ++i) {
      PyObject* it = items[i];
      if (!PyLong_Check(it) && !PyIndex_Check(it)) {
        ok = false;
        break;
      }
      if (PyLong_Check(it)) {
        ok = read_one(it);
      } else {
        PyObject* idx = PyNumber_Index(it);
        if (!idx) {
          PyErr_Clear();
          ok = false;
          break;
        }
        ok = read_one(idx);
        Py_DECREF(idx);
      }
    }
  } catch (...) {
    Py_DECREF(seq);
    throw;
  }
  Py_DECREF(seq);
  return ok;
}
}  // namespace

bool type_caster<tandem::Shape>::from_python(handle src, uint8_t, cleanup_list*) {
  value.clear();
  return read_ints(src, value, OutOfRange::shape_error);
}

handle type_caster<tandem::Shape>::from_cpp(const tandem::Shape& v, rv_policy,
                                            cleanup_list*) noexcept {
  PyObject* t = PyTuple_New(static_cast<Py_ssize_t>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) PyTuple_SET_ITEM(t, i, PyLong_FromLong(v[i]));
  return t;
}

bool type_caster<tandem::py::Axes>::from_python(handle src, uint8_t, cleanup_list*) {
  if (src.is_none()) {
    value.axes.reset();
    return true;
  }
  std::vector<int> axes;
  if (!read_ints(src, axes, OutOfRange::axis_error)) return false;
  value.axes = std::move(axes);
  return true;
}

handle type_caster<tandem::py::Axes>::from_cpp(const tandem::py::Axes& v, rv_policy p,
                                               cleanup_list* c) noexcept {
  if (!v.axes) return none().release();
  return make_caster<std::vector<int>>::from_cpp(*v.axes, p, c);
}

}  // namespace nanobind::detail

namespace tandem::py {

PyTypeObject* array_type = nullptr;

namespace {

// ---------------------------------------------------------------- scalars in

// A Python int as int64 (or uint64 beyond int64's range).
struct PyIntValue {
  int64_t i = 0;
  uint64_t u = 0;
  bool is_unsigned = false;
};

PyIntValue read_py_int(PyObject* o) {
  PyIntValue r;
  int overflow = 0;
  r.i = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (overflow > 0) {
    r.u = PyLong_AsUnsignedLongLong(o);
    if (PyErr_Occurred()) {
      PyErr_Clear();
      throw std::overflow_error("Python int too large to convert to an array element");
    }
    r.is_unsigned = true;
  } else if (overflow < 0) {
    throw std::overflow_error("Python int too small to convert to an array element");
  } else if (r.i == -1 && PyErr_Occurred()) {
    throw nb::python_error();
  }
  return r;
}

array int_to_array(PyObject* o, std::optional<Dtype> dtype, bool weak) {
  PyIntValue v = read_py_int(o);
  Dtype def =
      v.is_unsigned ? uint64
      : (v.i > std::numeric_limits<int32_t>::max() || v.i < std::numeric_limits<int32_t>::min())
          ? int64
          : int32;
  Dtype out = dtype.value_or(def);
  if (weak && out == bool_) out = def;
  if (is_integral(out) && !v.is_unsigned) {
    // An int that does not fit the integer type is an error, not a wrap.
    bool fits = dispatch_dtype(out, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if constexpr (std::is_unsigned_v<T>) {
          return v.i >= 0 && static_cast<uint64_t>(v.i) <= std::numeric_limits<T>::max();
        } else {
          return v.i >= std::numeric_limits<T>::min() && v.i <= std::numeric_limits<T>::max();
        }
      }
      return true;
    });
    if (!fits) {
      throw std::invalid_argument("Converting " + std::to_string(v.i) + " to " + dtype_name(out) +
                                  " would result in overflow.");
    }
  }
  if (v.is_unsigned) {
    if (is_integral(out) && out != uint64) {
      throw std::invalid_argument("Converting " + std::to_string(v.u) + " to " + dtype_name(out) +
                                  " would result in overflow.");
    }
    return array(v.u, out);
  }
  return array(v.i, out);
}

// Python scalar -> array; nullopt when v is not a Python scalar.
std::optional<array> scalar_to_array(PyObject* o, std::optional<Dtype> dtype, bool weak) {
  if (PyBool_Check(o)) {
    return array(o == Py_True, dtype.value_or(bool_));
  }
  if (PyLong_Check(o)) {
    return int_to_array(o, dtype, weak);
  }
  if (PyFloat_Check(o)) {
    double d = PyFloat_AS_DOUBLE(o);
    Dtype out = dtype.value_or(float32);
    if (weak && !is_inexact(out)) out = float32;
    // Converted straight from double: float64 keeps every digit.
    return array(d, out);
  }
  if (PyComplex_Check(o)) {
    Py_complex c = PyComplex_AsCComplex(o);
    array a(complex64_t(static_cast<float>(c.real), static_cast<float>(c.imag)));
    if (dtype && !weak && *dtype != complex64) return astype(a, *dtype);
    return a;
  }
  return std::nullopt;
}

// ------------------------------------------------------------ nested lists

struct Leaf {
  enum Kind : uint8_t { b, i, u, f, c } kind;
  union {
    bool bv;
    int64_t iv;
    uint64_t uv;
    double fv;
    float cv[2];
  };
};

struct ListScan {
  Shape shape;
  bool has_bool = false, has_int = false, has_big_int = false, has_float = false,
       has_complex = false;
  std::optional<Dtype> array_dtype;  // promotion of the array leaves' dtypes
  std::vector<Leaf> leaves;
};

[[noreturn]] void non_uniform() {
  throw std::invalid_argument("Initialization encountered non-uniform length.");
}

void add_array_leaf(array a, ListScan& s) {
  eval_nogil(a);
  s.array_dtype = s.array_dtype ? promote_types(*s.array_dtype, a.dtype()) : a.dtype();
  size_t n = a.size();
  size_t base = s.leaves.size();
  s.leaves.resize(base + n);
  if (is_complex(a.dtype())) {
    auto v = a.to_vector<complex64_t>();
    for (size_t k = 0; k < n; ++k) {
      s.leaves[base + k].kind = Leaf::c;
      s.leaves[base + k].cv[0] = v[k].real();
      s.leaves[base + k].cv[1] = v[k].imag();
    }
  } else if (a.dtype() == uint64) {
    auto v = a.to_vector<uint64_t>();
    for (size_t k = 0; k < n; ++k) {
      s.leaves[base + k].kind = Leaf::u;
      s.leaves[base + k].uv = v[k];
    }
  } else if (is_integral(a.dtype()) || a.dtype() == bool_) {
    auto v = a.to_vector<int64_t>();
    for (size_t k = 0; k < n; ++k) {
      s.leaves[base + k].kind = Leaf::i;
      s.leaves[base + k].iv = v[k];
    }
  } else {
    auto v = a.to_vector<double>();
    for (size_t k = 0; k < n; ++k) {
      s.leaves[base + k].kind = Leaf::f;
      s.leaves[base + k].fv = v[k];
    }
  }
}

void scan_list(PyObject* o, size_t depth, ListScan& s) {
  bool is_seq = PyList_Check(o) || PyTuple_Check(o);
  if (is_seq) {
    if (depth >= s.shape.size()) non_uniform();
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    if (n != s.shape[depth]) non_uniform();
    PyObject** items = PySequence_Fast_ITEMS(o);
    for (Py_ssize_t k = 0; k < n; ++k) scan_list(items[k], depth + 1, s);
    return;
  }
  // A leaf.
  nb::handle h(o);
  if (is_array(h)) {
    array& a = as_array(h);
    if (static_cast<size_t>(a.ndim()) != s.shape.size() - depth) non_uniform();
    for (int d = 0; d < a.ndim(); ++d) {
      if (a.shape(d) != s.shape[depth + d]) non_uniform();
    }
    add_array_leaf(a, s);
    return;
  }
  if (depth != s.shape.size()) non_uniform();
  Leaf leaf;
  if (PyBool_Check(o)) {
    leaf.kind = Leaf::b;
    leaf.bv = o == Py_True;
    s.has_bool = true;
  } else if (PyLong_Check(o)) {
    PyIntValue v = read_py_int(o);
    if (v.is_unsigned) {
      leaf.kind = Leaf::u;
      leaf.uv = v.u;
      s.has_big_int = true;
    } else {
      leaf.kind = Leaf::i;
      leaf.iv = v.i;
      if (v.i > std::numeric_limits<int32_t>::max() || v.i < std::numeric_limits<int32_t>::min()) {
        s.has_big_int = true;
      }
    }
    s.has_int = true;
  } else if (PyFloat_Check(o)) {
    leaf.kind = Leaf::f;
    leaf.fv = PyFloat_AS_DOUBLE(o);
    s.has_float = true;
  } else if (PyComplex_Check(o)) {
    Py_complex c = PyComplex_AsCComplex(o);
    leaf.kind = Leaf::c;
    leaf.cv[0] = static_cast<float>(c.real);
    leaf.cv[1] = static_cast<float>(c.imag);
    s.has_complex = true;
  } else {
    // NumPy scalars and other array-likes: convert, then add as an array leaf.
    array a = to_array(h);
    if (a.ndim() != 0) non_uniform();
    add_array_leaf(a, s);
    return;
  }
  s.leaves.push_back(leaf);
}

array list_to_array(nb::handle v, std::optional<Dtype> dtype) {
  ListScan s;
  // The shape: follow first elements down.
  PyObject* o = v.ptr();
  while (PyList_Check(o) || PyTuple_Check(o)) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    s.shape.push_back(static_cast<ShapeElem>(n));
    if (n == 0) break;
    o = PySequence_Fast_ITEMS(o)[0];
  }
  if (!(PyList_Check(o) || PyTuple_Check(o)) && is_array(nb::handle(o))) {
    for (auto d : as_array(nb::handle(o)).shape()) s.shape.push_back(d);
  }
  s.leaves.reserve(shape_size(s.shape));
  scan_list(v.ptr(), 0, s);

  Dtype out;
  if (dtype) {
    out = *dtype;
  } else if (s.array_dtype) {
    out = *s.array_dtype;
    if (s.has_complex) {
      out = promote_types(out, complex64);
    } else if (s.has_float && !is_inexact(out)) {
      out = float32;
    } else if (s.has_int && out == bool_) {
      out = int32;
    }
  } else if (s.has_complex) {
    out = complex64;
  } else if (s.has_float) {
    out = float32;
  } else if (s.has_int) {
    out = s.has_big_int ? int64 : int32;
  } else if (s.has_bool) {
    out = bool_;
  } else {
    out = float32;  // empty list
  }
  return dispatch_dtype(out, [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::unique_ptr<T[]> data(new T[s.leaves.size() ? s.leaves.size() : 1]);
    for (size_t k = 0; k < s.leaves.size(); ++k) {
      const Leaf& l = s.leaves[k];
      switch (l.kind) {
        case Leaf::b:
          data[k] = convert_value<T>(l.bv);
          break;
        case Leaf::i:
          data[k] = convert_value<T>(l.iv);
          break;
        case Leaf::u:
          data[k] = convert_value<T>(l.uv);
          break;
        case Leaf::f:
          data[k] = convert_value<T>(l.fv);
          break;
        case Leaf::c:
          if constexpr (std::is_same_v<T, complex64_t>) {
            data[k] = complex64_t(l.cv[0], l.cv[1]);
          } else {
            data[k] = convert_value<T>(l.cv[0]);
          }
          break;
      }
    }
    return array(data.get(), s.shape, out);
  });
}

// ------------------------------------------------------- NumPy / DLPack in

std::optional<Dtype> from_dl_dtype(nb::dlpack::dtype t) {
  using C = nb::dlpack::dtype_code;
  if (t.lanes != 1) return std::nullopt;
  switch (static_cast<C>(t.code)) {
    case C::Bool:
      return t.bits == 8 ? std::optional<Dtype>(bool_) : std::nullopt;
    case C::Int:
      switch (t.bits) {
        case 8:
          return int8;
        case 16:
          return int16;
        case 32:
          return int32;
        case 64:
          return int64;
      }
      break;
    case C::UInt:
      switch (t.bits) {
        case 8:
          return uint8;
        case 16:
          return uint16;
        case 32:
          return uint32;
        case 64:
          return uint64;
      }
      break;
    case C::Float:
      switch (t.bits) {
        case 16:
          return float16;
        case 32:
          return float32;
        case 64:
          return float64;
      }
      break;
    case C::Bfloat:
      if (t.bits == 16) return bfloat16;
      break;
    case C::Complex:
      if (t.bits == 64) return complex64;
      break;
    default:
      break;
  }
  return std::nullopt;
}

// Copies an n-d strided host tensor (strides in elements) to row-major bytes.
void gather_strided(const char* src, size_t itemsize, int ndim, const int64_t* shape,
                    const int64_t* strides, char* dst) {
  size_t n = 1;
  for (int d = 0; d < ndim; ++d) n *= static_cast<size_t>(shape[d]);
  if (n == 0) return;
  std::vector<int64_t> idx(ndim, 0);
  for (size_t k = 0; k < n; ++k) {
    int64_t off = 0;
    for (int d = 0; d < ndim; ++d) off += idx[d] * strides[d];
    std::memcpy(dst + k * itemsize, src + off * static_cast<int64_t>(itemsize), itemsize);
    for (int d = ndim - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

array ndarray_to_array(const nb::ndarray<nb::ro>& nd, std::optional<Dtype> dtype) {
  int dev = nd.device_type();
  if (dev != nb::device::cpu::value && dev != nb::device::cuda_host::value) {
    throw std::invalid_argument(
        "[array] only host (CPU) tensors can be converted; move the tensor to the CPU first");
  }
  int ndim = static_cast<int>(nd.ndim());
  Shape shape;
  std::vector<int64_t> shp(ndim), str(ndim);
  bool row_major = true;
  int64_t expect = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    shp[d] = static_cast<int64_t>(nd.shape(d));
    str[d] = nd.stride(d);
    if (shp[d] != 1 && str[d] != expect) row_major = false;
    expect *= shp[d];
  }
  for (int d = 0; d < ndim; ++d) {
    if (shp[d] > std::numeric_limits<ShapeElem>::max()) {
      throw std::invalid_argument("[array] dimension " + std::to_string(shp[d]) + " is too large");
    }
    shape.push_back(static_cast<ShapeElem>(shp[d]));
  }
  size_t n = shape_size(shape);
  auto dt = nd.dtype();
  bool is_c128 = dt.code == static_cast<uint8_t>(nb::dlpack::dtype_code::Complex) && dt.bits == 128;
  std::optional<Dtype> src_t = is_c128 ? std::optional<Dtype>(complex64) : from_dl_dtype(dt);
  if (!src_t) {
    throw std::invalid_argument("[array] cannot convert a tensor with DLPack dtype code " +
                                std::to_string(dt.code) + ", bits " + std::to_string(dt.bits));
  }
  // MLX's defaults: float64 becomes float32, complex128 complex64.
  Dtype out = dtype.value_or(*src_t == float64 ? float32 : *src_t);
  size_t itemsize = dt.bits / 8;
  const char* src = static_cast<const char*>(nd.data());
  std::vector<char> tmp;
  if (!row_major && n > 0) {
    tmp.resize(n * itemsize);
    gather_strided(src, itemsize, ndim, shp.data(), str.data(), tmp.data());
    src = tmp.data();
  }
  if (is_c128) {
    std::vector<complex64_t> c(n);
    auto* p = reinterpret_cast<const std::complex<double>*>(src);
    for (size_t k = 0; k < n; ++k)
      c[k] = complex64_t(static_cast<float>(p[k].real()), static_cast<float>(p[k].imag()));
    array a(c.data(), shape, complex64);
    return out == complex64 ? a : astype(a, out);
  }
  if (out == *src_t) return array::from_bytes(src, shape, out);
  // Convert on the host, straight from the source type.
  std::vector<char> conv(n * out.size());
  if (n > 0) convert_elements(src, *src_t, conv.data(), out, n);
  return array::from_bytes(conv.data(), shape, out);
}

}  // namespace

// ------------------------------------------------------------- to_array

array to_array(nb::handle v, std::optional<Dtype> dtype) {
  PyObject* o = v.ptr();
  if (is_array(v)) {
    array& a = as_array(v);
    return (dtype && *dtype != a.dtype()) ? astype(a, *dtype) : a;
  }
  if (auto a = scalar_to_array(o, dtype, false)) return std::move(*a);
  if (PyList_Check(o) || PyTuple_Check(o)) return list_to_array(v, dtype);
  if (nb::hasattr(v, "__mlx_array__")) {
    return to_array(v.attr("__mlx_array__")(), dtype);
  }
  nb::ndarray<nb::ro> nd;
  if (nb::try_cast(v, nd, /*convert=*/false)) return ndarray_to_array(nd, dtype);
  // NumPy scalars and objects with __array__: go through NumPy.
  if (nb::hasattr(v, "__array__") || nb::hasattr(v, "dtype")) {
    nb::object np = nb::module_::import_("numpy");
    nb::object arr = np.attr("asarray")(v);
    if (nb::try_cast(arr, nd, false)) return ndarray_to_array(nd, dtype);
  }
  type_error(std::string("Invalid type ") + nb::type_name(v.type()).c_str() +
             " received in array initialization.");
}

namespace {

// Recently used weakly typed Python scalars (`x * 0.5`, `x + 1`), keyed by
// (kind, value bits, dtype of the other operand). The arrays are immutable
// 0-d constants, so sharing them is safe; this saves an allocation per op.
// Only touched with the GIL held.
struct ScalarCacheEntry {
  uint64_t bits = 0;
  uint8_t kind = 0;  // 0: empty, 1: bool, 2: int, 3: float
  uint8_t like = 0;
  std::optional<array> value;
};
constexpr size_t kScalarCacheSize = 256;
ScalarCacheEntry g_scalar_cache[kScalarCacheSize];

}  // namespace

void clear_scalar_cache() {
  for (auto& e : g_scalar_cache) e = ScalarCacheEntry{};
}

array to_array_weak(nb::handle v, Dtype like) {
  if (is_array(v)) return as_array(v);
  PyObject* o = v.ptr();
  uint8_t kind = 0;
  uint64_t bits = 0;
  if (PyBool_Check(o)) {
    kind = 1;
    bits = o == Py_True;
  } else if (PyFloat_CheckExact(o)) {
    kind = 3;
    double d = PyFloat_AS_DOUBLE(o);
    std::memcpy(&bits, &d, sizeof(d));
  } else if (PyLong_CheckExact(o)) {
    int overflow = 0;
    long long i = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (!overflow && !(i == -1 && PyErr_Occurred())) {
      kind = 2;
      bits = static_cast<uint64_t>(i);
    }
    PyErr_Clear();
  }
  if (kind) {
    uint64_t h = (bits ^ (bits >> 29) ^ (static_cast<uint64_t>(kind) << 8) ^
                  (static_cast<uint64_t>(like.index()) << 4)) *
                 0x9E3779B97F4A7C15ull;
    ScalarCacheEntry& e = g_scalar_cache[h >> 56];
    if (e.kind == kind && e.bits == bits && e.like == like.index() && e.value) return *e.value;
    std::optional<array> a = scalar_to_array(o, like, true);
    e.kind = kind;
    e.bits = bits;
    e.like = static_cast<uint8_t>(like.index());
    e.value = a;
    return std::move(*a);
  }
  if (auto a = scalar_to_array(o, like, true)) return std::move(*a);
  return to_array(v);
}

std::pair<array, array> to_arrays(nb::handle a, nb::handle b) {
  bool aa = is_array(a), ba = is_array(b);
  if (aa && ba) return {as_array(a), as_array(b)};
  if (aa) {
    const array& x = as_array(a);
    return {x, to_array_weak(b, x.dtype())};
  }
  if (ba) {
    const array& y = as_array(b);
    return {to_array_weak(a, y.dtype()), y};
  }
  return {to_array(a), to_array(b)};
}

// ------------------------------------------------------------ values out

namespace {

// While the main thread waits, SIGINT also raises interrupt_pending (so an
// eval held back by the bounds on queued work stops waiting for room) before
// Python's own handler runs.
struct sigaction g_prev_sigint;
int g_watch_depth = 0;                                             // main thread only
const std::thread::id g_main_thread = std::this_thread::get_id();  // set at import

void on_sigint(int sig) {
  tandem::raise_interrupt();
  auto h = g_prev_sigint.sa_handler;
  if (h != SIG_DFL && h != SIG_IGN) h(sig);
}

struct WatchSigint {
  bool installed = false;
  WatchSigint() {
    if (std::this_thread::get_id() != g_main_thread || g_watch_depth++ > 0) return;
    tandem::watch_interrupts(true);
    struct sigaction cur;
    if (sigaction(SIGINT, nullptr, &cur) != 0 || (cur.sa_flags & SA_SIGINFO) ||
        cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN) {
      return;
    }
    g_prev_sigint = cur;
    struct sigaction mine = cur;
    mine.sa_handler = on_sigint;
    installed = sigaction(SIGINT, &mine, nullptr) == 0;
  }
  ~WatchSigint() {
    if (std::this_thread::get_id() != g_main_thread) return;
    if (installed) sigaction(SIGINT, &g_prev_sigint, nullptr);
    if (--g_watch_depth == 0) tandem::watch_interrupts(false);
  }
};

}  // namespace

void schedule_interruptible(std::vector<array>& outs, bool run_here) {
  WatchSigint watch;
  for (;;) {
    try {
      ReleaseGil nogil;
      if (run_here) {
        tandem::eval_without_wait(outs);
      } else {
        tandem::async_eval(outs);
      }
      return;
    } catch (const tandem::Interrupted&) {
      // Scheduling stopped early: deliver the signal (KeyboardInterrupt).
      if (PyErr_CheckSignals() != 0) throw nb::python_error();
      // A handler that raised nothing: schedule the rest.
      tandem::watch_interrupts(false);
      tandem::watch_interrupts(true);
    }
  }
}

void eval_interruptible(std::vector<array>& outs) {
  WatchSigint watch;
  // Not eval, whose wait no signal interrupts. Like eval, this thread may run
  // the last few small tasks itself (no worker wake-up for tiny evals).
  schedule_interruptible(outs, /*run_here=*/true);
  // Events are set by now (under the graph lock this thread took).
  for (auto& o : outs) {
    const auto& ev = o.event();
    if (ev) wait_with_signals([&](auto slice) { return tandem::wait_for(*ev, slice); });
  }
  for (auto& o : outs) o.wait();  // done: only rethrows a failure
}

void synchronize_interruptible(Stream s) {
  // In slices, so that Ctrl-C stops the wait (synchronize's own wait no
  // signal interrupts).
  WatchSigint watch;
  wait_with_signals([&](auto slice) { return tandem::synchronize_for(s, slice); });
}

void eval_nogil(array& a) {
  if (a.status() == array::Status::available && (!a.buffer() || a.buffer()->host_valid)) return;
  std::vector<array> one{a};
  eval_interruptible(one);
  ReleaseGil nogil;
  a.sync_host();  // evaluated: copies a GPU result to the host, if any
}

namespace {

template <typename T>
PyObject* py_value(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return PyBool_FromLong(v);
  } else if constexpr (std::is_same_v<T, complex64_t>) {
    return PyComplex_FromDoubles(v.real(), v.imag());
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    return PyLong_FromUnsignedLongLong(v);
  } else if constexpr (std::is_integral_v<T>) {
    return PyLong_FromLongLong(v);
  } else {
    return PyFloat_FromDouble(static_cast<double>(static_cast<float>(v)));
  }
}
template <>
PyObject* py_value<double>(const double& v) {
  return PyFloat_FromDouble(v);
}

template <typename T>
PyObject* build_list(const char* base, const array& a, int dim) {
  if (dim == a.ndim()) return py_value(*reinterpret_cast<const T*>(base));
  Py_ssize_t n = a.shape(dim);
  PyObject* list = PyList_New(n);
  int64_t stride = a.strides(dim) * static_cast<int64_t>(sizeof(T));
  for (Py_ssize_t k = 0; k < n; ++k) {
    PyObject* item = build_list<T>(base + k * stride, a, dim + 1);
    if (!item) {
      Py_DECREF(list);
      return nullptr;
    }
    PyList_SET_ITEM(list, k, item);
  }
  return list;
}

}  // namespace

nb::object to_scalar(array& a) {
  if (a.size() != 1) {
    throw std::invalid_argument(
        "[item] only arrays of one element can be converted to a Python "
        "scalar; shape is " +
        shape_str(a.shape()));
  }
  eval_nogil(a);
  return dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    return nb::steal(py_value(*a.data<T>()));
  });
}

nb::object to_list(array& a) {
  eval_nogil(a);
  if (a.ndim() == 0) return to_scalar(a);
  return dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const char* base = a.size() ? a.data<char>() : nullptr;
    if (a.size() == 0) {
      // Nested empty lists of the right depth.
      return nb::steal(build_list<T>(base, a, 0));
    }
    return nb::steal(build_list<T>(base, a, 0));
  });
}

void tree_collect(nb::handle tree, std::vector<array>& out) {
  if (is_array(tree)) {
    out.push_back(as_array(tree));
  } else if (PyList_Check(tree.ptr()) || PyTuple_Check(tree.ptr())) {
    for (nb::handle item : nb::borrow<nb::sequence>(tree)) tree_collect(item, out);
  } else if (PyDict_Check(tree.ptr())) {
    for (auto [k, v] : nb::borrow<nb::dict>(tree)) tree_collect(v, out);
  }
}

// ------------------------------------------------ buffer protocol, DLPack

namespace {

const char* buffer_format(Dtype t) {
  switch (t.val) {
    case Dtype::Val::bool_:
      return "?";
    case Dtype::Val::uint8:
      return "B";
    case Dtype::Val::uint16:
      return "H";
    case Dtype::Val::uint32:
      return "I";
    case Dtype::Val::uint64:
      return "Q";
    case Dtype::Val::int8:
      return "b";
    case Dtype::Val::int16:
      return "h";
    case Dtype::Val::int32:
      return "i";
    case Dtype::Val::int64:
      return "q";
    case Dtype::Val::float16:
      return "e";
    case Dtype::Val::float32:
      return "f";
    case Dtype::Val::float64:
      return "d";
    case Dtype::Val::complex64:
      return "Zf";
    default:
      return nullptr;  // bfloat16: no buffer format
  }
}

char g_empty_data[64];

// What a Py_buffer (or a DLPack capsule) holds: the array (and so its data)
// plus the shape and strides it points at.
struct ExportHold {
  array a;
  std::vector<Py_ssize_t> shape, strides;     // buffer protocol (strides in bytes)
  std::vector<int64_t> dl_shape, dl_strides;  // DLPack (strides in elements)
};

// The evaluated array to export: bfloat16 (which NumPy lacks) as float32, and
// a row-major copy when `need_row_major`.
array export_array(const array& x, bool need_row_major, bool bf16_to_f32) {
  array a = x;
  eval_nogil(a);
  bool changed = false;
  if (bf16_to_f32 && a.dtype() == bfloat16) {
    a = astype(a, float32, Device::cpu);
    changed = true;
  }
  if (need_row_major && !a.flags().row_contiguous) {
    a = contiguous(a, false, Device::cpu);
    changed = true;
  }
  if (changed) eval_nogil(a);
  return a;
}

}  // namespace

int array_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  view->obj = nullptr;
  if (flags & PyBUF_WRITABLE) {
    PyErr_SetString(PyExc_BufferError,
                    "tandem arrays are immutable: the buffer is read-only (copy it with "
                    "numpy.array(x) to get a writable array)");
    return -1;
  }
  try {
    bool need_c = (flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS ||
                  (flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS ||
                  (flags & PyBUF_ANY_CONTIGUOUS) == PyBUF_ANY_CONTIGUOUS ||
                  (flags & PyBUF_STRIDES) != PyBUF_STRIDES;
    auto* hold =
        new ExportHold{export_array(as_array(nb::handle(self)), need_c, true), {}, {}, {}, {}};
    array& a = hold->a;
    if ((flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS && a.ndim() > 1 &&
        !a.flags().col_contiguous) {
      delete hold;
      PyErr_SetString(PyExc_BufferError, "tandem arrays export C-ordered buffers only");
      return -1;
    }
    int nd = a.ndim();
    hold->shape.resize(nd);
    hold->strides.resize(nd);
    for (int d = 0; d < nd; ++d) {
      hold->shape[d] = a.shape(d);
      hold->strides[d] = a.strides(d) * static_cast<Py_ssize_t>(a.itemsize());
    }
    view->buf = (a.size() == 0 || !a.buffer()) ? g_empty_data : a.data<char>();
    view->obj = Py_NewRef(self);
    view->len = static_cast<Py_ssize_t>(a.nbytes());
    view->readonly = 1;
    view->itemsize = static_cast<Py_ssize_t>(a.itemsize());
    view->format = (flags & PyBUF_FORMAT) ? const_cast<char*>(buffer_format(a.dtype())) : nullptr;
    view->ndim = nd;
    view->shape = (flags & PyBUF_ND) == PyBUF_ND ? hold->shape.data() : nullptr;
    view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? hold->strides.data() : nullptr;
    view->suboffsets = nullptr;
    view->internal = hold;
    return 0;
  } catch (...) {
    set_python_error();
    return -1;
  }
}

void array_releasebuffer(PyObject*, Py_buffer* view) {
  delete static_cast<ExportHold*>(view->internal);
  view->internal = nullptr;
}

namespace {

struct DLManagedTensor {
  nb::dlpack::dltensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor*);
};
struct DLManagedTensorVersioned {
  uint32_t version_major, version_minor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensorVersioned*);
  uint64_t flags;
  nb::dlpack::dltensor dl_tensor;
};
constexpr uint64_t kDLReadOnly = 1;

template <typename M>
void dl_deleter(M* m) {
  delete static_cast<ExportHold*>(m->manager_ctx);
  delete m;
}

template <typename M>
void dl_capsule_destructor(PyObject* cap) {
  const char* name = std::is_same_v<M, DLManagedTensor> ? "dltensor" : "dltensor_versioned";
  // Not consumed (still carries its original name): free it here.
  if (PyCapsule_IsValid(cap, name)) {
    auto* m = static_cast<M*>(PyCapsule_GetPointer(cap, name));
    if (m && m->deleter) m->deleter(m);
  } else {
    PyErr_Clear();
  }
}

nb::dlpack::dtype to_dl_dtype(Dtype t) {
  using C = nb::dlpack::dtype_code;
  nb::dlpack::dtype d;
  d.lanes = 1;
  d.bits = static_cast<uint8_t>(t.size() * 8);
  if (t == bool_) {
    d.code = static_cast<uint8_t>(C::Bool);
  } else if (is_unsigned(t)) {
    d.code = static_cast<uint8_t>(C::UInt);
  } else if (is_integral(t)) {
    d.code = static_cast<uint8_t>(C::Int);
  } else if (t == bfloat16) {
    d.code = static_cast<uint8_t>(C::Bfloat);
  } else if (is_complex(t)) {
    d.code = static_cast<uint8_t>(C::Complex);
  } else {
    d.code = static_cast<uint8_t>(C::Float);
  }
  return d;
}

nb::object array_dlpack(const array& x, nb::handle stream, nb::handle max_version,
                        nb::handle dl_device, nb::handle copy) {
  if (!dl_device.is_none()) {
    auto dev = nb::cast<std::tuple<int, int>>(dl_device);
    if (std::get<0>(dev) != 1) {
      throw nb::buffer_error("[__dlpack__] tandem arrays export to the CPU (device type 1) only");
    }
  }
  bool versioned = false;
  if (!max_version.is_none()) {
    auto mv = nb::cast<std::tuple<int, int>>(max_version);
    versioned = std::get<0>(mv) >= 1;
  }
  auto hold_ptr =
      std::make_unique<ExportHold>(ExportHold{export_array(x, false, false), {}, {}, {}, {}});
  ExportHold* hold = hold_ptr.get();
  if (!copy.is_none() && nb::cast<bool>(copy)) {
    hold->a = tandem::copy(hold->a, Device::cpu);
    eval_nogil(hold->a);
  }
  array& a = hold->a;
  int nd = a.ndim();
  hold->dl_shape.assign(a.shape().begin(), a.shape().end());
  hold->dl_strides.assign(a.strides().begin(), a.strides().end());
  nb::dlpack::dltensor t;
  t.data = (a.size() == 0 || !a.buffer()) ? static_cast<void*>(g_empty_data) : a.data<void>();
  t.device.device_type = 1;  // kDLCPU
  t.device.device_id = 0;
  t.ndim = nd;
  t.dtype = to_dl_dtype(a.dtype());
  t.shape = hold->dl_shape.data();
  t.strides = hold->dl_strides.data();
  t.byte_offset = 0;
  hold_ptr.release();  // owned by the capsule from here on
  if (versioned) {
    auto* m = new DLManagedTensorVersioned{
        1, 0, hold, &dl_deleter<DLManagedTensorVersioned>, kDLReadOnly, t};
    return nb::steal(
        PyCapsule_New(m, "dltensor_versioned", &dl_capsule_destructor<DLManagedTensorVersioned>));
  }
  auto* m = new DLManagedTensor{t, hold, &dl_deleter<DLManagedTensor>};
  return nb::steal(PyCapsule_New(m, "dltensor", &dl_capsule_destructor<DLManagedTensor>));
}

}  // namespace

void init_convert(nb::module_& m, nb::class_<array>& cls) {
  cls.def(
         "__array__",
         [](nb::handle self, nb::handle dtype, nb::handle copy) {
           nb::object np = nb::module_::import_("numpy");
           nb::object mv = nb::steal(PyMemoryView_FromObject(self.ptr()));
           if (!mv.is_valid()) throw nb::python_error();
           nb::object arr = np.attr("asarray")(mv);
           if (!dtype.is_none()) arr = arr.attr("astype")(dtype, "copy"_a = false);
           if (!copy.is_none() && nb::cast<bool>(copy)) arr = arr.attr("copy")();
           return arr;
         },
         "dtype"_a = nb::none(), "copy"_a = nb::none(),
         "A NumPy array of the values (a read-only view when possible).")
      .def(
          "__dlpack__",
          [](const array& a, nb::handle stream, nb::handle max_version, nb::handle dl_device,
             nb::handle copy) { return array_dlpack(a, stream, max_version, dl_device, copy); },
          nb::kw_only(), "stream"_a = nb::none(), "max_version"_a = nb::none(),
          "dl_device"_a = nb::none(), "copy"_a = nb::none(),
          "A DLPack capsule viewing the (evaluated) array.")
      .def(
          "__dlpack_device__", [](const array&) { return nb::make_tuple(1, 0); },
          "The DLPack device: (kDLCPU, 0).");

  m.def(
      "from_dlpack", [](nb::handle obj) { return to_array(obj); }, "dlpack_value"_a,
      "An array from an object with __dlpack__ (or a DLPack capsule); copies the data.");
}

}  // namespace tandem::py
