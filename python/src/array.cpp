// The array class: construction, properties, methods, operators (with MLX's
// weak typing of Python scalars), printing, pickling and copying.
#include <sstream>

#include "python/src/ops_common.h"
#include "tandem/ops/matmul.h"

namespace tandem::py {
namespace {

// Whether a value can be an operand of an array operator (else the operator
// returns NotImplemented, so `x == None` is False rather than an error).
bool is_operand(nb::handle h) {
  PyObject* o = h.ptr();
  if (is_array(h) || PyBool_Check(o) || PyLong_Check(o) || PyFloat_Check(o) || PyComplex_Check(o) ||
      PyList_Check(o) || PyTuple_Check(o)) {
    return true;
  }
  if (o == Py_None || PyUnicode_Check(o) || PyBytes_Check(o)) return false;
  return nb::hasattr(h, "__array__") || nb::hasattr(h, "__dlpack__") ||
         nb::hasattr(h, "__mlx_array__") || PyObject_CheckBuffer(o);
}

inline array operand(const array& self, nb::handle other) {
  if (is_array(other)) return as_array(other);
  return to_array_weak(other, self.dtype());
}

array invert(const array& a, StreamOrDevice s = {}) {
  return a.dtype() == bool_ ? logical_not(a, s) : bitwise_invert(a, s);
}

std::string repr(array& a) {
  eval_nogil(a);
  std::ostringstream os;
  os << a;
  return os.str();
}

// Iterating yields the slices along the first axis.
struct ArrayIterator {
  array a;
  int index = 0;
  int n;
  explicit ArrayIterator(array x) : a(std::move(x)), n(a.shape(0)) {}
};

// x.at[idx]: out-of-place updates that combine repeated indices.
struct ArrayAt {
  array a;
  nb::object index;
};
struct ArrayAtView {
  array a;
};

// The array a becomes after applying op at a[idx] with value v.
array at_update(const array& a, nb::handle idx, nb::handle v, const char* op);

// ---- number and comparison slots: the hot path (array op array) goes from
// the interpreter straight to the op, with no method lookup or argument parsing.
template <array (*F)(const array&, const array&, StreamOrDevice)>
PyObject* binary_slot(PyObject* a, PyObject* b) {
  try {
    nb::handle ha(a), hb(b);
    if (is_array(ha)) {
      const array& x = as_array(ha);
      if (is_array(hb)) return wrap(F(x, as_array(hb), {})).release().ptr();
      if (!is_operand(hb)) Py_RETURN_NOTIMPLEMENTED;
      return wrap(F(x, to_array_weak(hb, x.dtype()), {})).release().ptr();
    }
    // Reflected: b is the array.
    if (!is_operand(ha)) Py_RETURN_NOTIMPLEMENTED;
    const array& y = as_array(hb);
    return wrap(F(to_array_weak(ha, y.dtype()), y, {})).release().ptr();
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

template <array (*F)(const array&, const array&, StreamOrDevice)>
PyObject* inplace_slot(PyObject* a, PyObject* b) {
  try {
    nb::handle ha(a), hb(b);
    if (!is_array(ha) || !is_operand(hb)) Py_RETURN_NOTIMPLEMENTED;
    array& x = as_array(ha);
    x = F(x, is_array(hb) ? as_array(hb) : to_array_weak(hb, x.dtype()), {});
    Py_INCREF(a);
    return a;
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

template <array (*F)(const array&, const array&, StreamOrDevice)>
PyObject* ternary_slot(PyObject* a, PyObject* b, PyObject* mod) {
  if (mod != Py_None) Py_RETURN_NOTIMPLEMENTED;
  return binary_slot<F>(a, b);
}
template <array (*F)(const array&, const array&, StreamOrDevice)>
PyObject* inplace_ternary_slot(PyObject* a, PyObject* b, PyObject* mod) {
  if (mod != Py_None) Py_RETURN_NOTIMPLEMENTED;
  return inplace_slot<F>(a, b);
}

template <array (*F)(const array&, StreamOrDevice)>
PyObject* unary_slot(PyObject* a) {
  try {
    return wrap(F(as_array(nb::handle(a)), {})).release().ptr();
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

array positive_op(const array& a, StreamOrDevice) {
  return a;
}
array invert_op(const array& a, StreamOrDevice s) {
  return invert(a, s);
}

PyObject* richcompare_slot(PyObject* a, PyObject* b, int op) {
  try {
    nb::handle ha(a), hb(b);
    if (!is_array(ha) || !is_operand(hb)) Py_RETURN_NOTIMPLEMENTED;
    const array& x = as_array(ha);
    array y = is_array(hb) ? as_array(hb) : to_array_weak(hb, x.dtype());
    switch (op) {
      case Py_LT:
        return wrap(less(x, y)).release().ptr();
      case Py_LE:
        return wrap(less_equal(x, y)).release().ptr();
      case Py_EQ:
        return wrap(equal(x, y)).release().ptr();
      case Py_NE:
        return wrap(not_equal(x, y)).release().ptr();
      case Py_GT:
        return wrap(greater(x, y)).release().ptr();
      default:
        return wrap(greater_equal(x, y)).release().ptr();
    }
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

#define TANDEM_NUM_SLOTS(SLOT, ISLOT, FN) \
  {SLOT, (void*)&binary_slot<&FN>}, {ISLOT, (void*)&inplace_slot<&FN>},

PyType_Slot g_slots[] = {
    {Py_bf_getbuffer, (void*)&array_getbuffer},
    {Py_bf_releasebuffer, (void*)&array_releasebuffer},
    TANDEM_NUM_SLOTS(Py_nb_add, Py_nb_inplace_add, tandem::add) TANDEM_NUM_SLOTS(
        Py_nb_subtract, Py_nb_inplace_subtract, tandem::subtract)
        TANDEM_NUM_SLOTS(Py_nb_multiply, Py_nb_inplace_multiply, tandem::multiply) TANDEM_NUM_SLOTS(
            Py_nb_true_divide, Py_nb_inplace_true_divide, tandem::divide)
            TANDEM_NUM_SLOTS(Py_nb_floor_divide, Py_nb_inplace_floor_divide, tandem::floor_divide)
                TANDEM_NUM_SLOTS(Py_nb_remainder, Py_nb_inplace_remainder, tandem::remainder)
                    TANDEM_NUM_SLOTS(Py_nb_matrix_multiply, Py_nb_inplace_matrix_multiply,
                                     tandem::matmul)
                        TANDEM_NUM_SLOTS(Py_nb_and, Py_nb_inplace_and, tandem::bitwise_and)
                            TANDEM_NUM_SLOTS(Py_nb_or, Py_nb_inplace_or, tandem::bitwise_or)
                                TANDEM_NUM_SLOTS(Py_nb_xor, Py_nb_inplace_xor, tandem::bitwise_xor)
                                    TANDEM_NUM_SLOTS(Py_nb_lshift, Py_nb_inplace_lshift,
                                                     tandem::left_shift)
                                        TANDEM_NUM_SLOTS(Py_nb_rshift, Py_nb_inplace_rshift,
                                                         tandem::right_shift){
                                            Py_nb_power, (void*)&ternary_slot<&tandem::power>},
    {Py_nb_inplace_power, (void*)&inplace_ternary_slot<&tandem::power>},
    {Py_nb_negative, (void*)&unary_slot<&tandem::negative>},
    {Py_nb_positive, (void*)&unary_slot<&positive_op>},
    {Py_nb_absolute, (void*)&unary_slot<&tandem::abs>},
    {Py_nb_invert, (void*)&unary_slot<&invert_op>},
    {Py_tp_richcompare, (void*)&richcompare_slot},
    {0, nullptr}};
#undef TANDEM_NUM_SLOTS

}  // namespace

PyType_Slot* array_type_slots() {
  return g_slots;
}

// Defined in indexing.cpp.
array at_update_impl(const array& a, nb::handle idx, const array& v, const char* op);

namespace {
// What get_printoptions returns, and the context printoptions makes.
struct PrintOptions {
  int precision;
};
struct PrintOptionsContext {
  int precision;
  int saved = -1;
};

void init_printoptions(nb::module_& m) {
  nb::class_<PrintOptions>(
      m, "PrintOptions",
      "The print settings get_printoptions returns (and printoptions yields):\n"
      "precision is the number of decimals of printed floats, -1 for the\n"
      "default of 6 significant digits.")
      .def_ro("precision", &PrintOptions::precision,
              "Decimals of printed floats; -1 means the default format.")
      .def("__repr__", [](const PrintOptions& p) {
        return "PrintOptions(precision=" + std::to_string(p.precision) + ")";
      });
  nb::class_<PrintOptionsContext>(m, "_PrintOptionsContext")
      .def("__enter__",
           [](PrintOptionsContext& c) {
             c.saved = get_print_precision();
             set_print_precision(c.precision);
             return PrintOptions{c.precision};
           })
      .def("__exit__", [](PrintOptionsContext& c, nb::args) { set_print_precision(c.saved); });
  m.def(
      "set_printoptions", [](int precision) { set_print_precision(precision); }, "precision"_a = -1,
      "Decimal places of printed floats (fixed notation); -1 for the default (6 significant "
      "digits).");
  m.def(
      "get_printoptions", [] { return PrintOptions{get_print_precision()}; },
      "The print options now in force.");
  m.def(
      "printoptions", [](int precision) { return PrintOptionsContext{precision}; },
      "precision"_a = -1, "A context manager that sets the print precision for its block.");
}
}  // namespace

void init_array(nb::module_& m) {
  init_printoptions(m);
  const char* doc =
      "An N-dimensional array (lazy: computed on eval, item(), printing or conversion).";
#if NB_VERSION_MAJOR > 3 || (NB_VERSION_MAJOR == 3 && NB_VERSION_MINOR >= 1)
  // Pooled: a freed array's Python object is parked and reused by the next
  // result, skipping the GC allocation and nanobind's instance-map insert and
  // erase (a chain of ops frees one array per op and makes one). nanobind
  // 3.1 and later; older versions (the GPU machine's image, say) go without.
  nb::class_<array> cls(m, "array", nb::type_slots(array_type_slots()), nb::is_weak_referenceable(),
                        nb::pooled(), doc);
#else
  nb::class_<array> cls(m, "array", nb::type_slots(array_type_slots()), nb::is_weak_referenceable(),
                        doc);
#endif
  array_type = reinterpret_cast<PyTypeObject*>(cls.ptr());

  cls.def(
      "__init__",
      [](array* self, nb::handle val, std::optional<Dtype> dtype) {
        new (self) array(to_array(val, dtype));
      },
      "val"_a, "dtype"_a = nb::none(),
      nb::sig("def __init__(self, val: tandem.core.array | bool | int | float | complex | "
              "list[typing.Any] | tuple[typing.Any, ...] | numpy.ndarray, dtype: "
              "tandem.core.Dtype | None = None) -> None"),
      "Makes an array from a scalar, a nested list or tuple, a NumPy array, a DLPack tensor or "
      "an array.");

  // ---- properties
  cls.def_prop_ro("size", &array::size, "Number of elements.")
      .def_prop_ro("ndim", &array::ndim, "Number of dimensions.")
      .def_prop_ro("itemsize", &array::itemsize, "Bytes per element.")
      .def_prop_ro("nbytes", &array::nbytes, "Bytes of all elements.")
      .def_prop_ro(
          "shape",
          [](const array& a) {
            const Shape& s = a.shape();
            PyObject* t = PyTuple_New(static_cast<Py_ssize_t>(s.size()));
            for (size_t i = 0; i < s.size(); ++i) PyTuple_SET_ITEM(t, i, PyLong_FromLong(s[i]));
            return nb::steal<nb::tuple>(t);
          },
          "The shape, a tuple of ints.")
      .def_prop_ro(
          "dtype", [](const array& a) { return dtype_object(a.dtype()); }, "The element type.")
      .def_prop_ro(
          "T", [](const array& a) { return transpose(a); }, "The array with its axes reversed.")
      .def_prop_ro(
          "mT", [](const array& a) { return matrix_transpose(a); },
          "The array with its last two axes swapped (at least 2 dimensions).")
      .def_prop_ro(
          "real", [](const array& a) { return real(a); }, "The real part.")
      .def_prop_ro(
          "imag", [](const array& a) { return imag(a); }, "The imaginary part.")
      .def_prop_ro(
          "at", [](const array& a) { return ArrayAtView{a}; },
          "x.at[idx].add(v) and friends: updates that accumulate over repeated indices.");

  // ---- Python protocol
  cls.def("__repr__", [](array& a) { return repr(a); })
      .def("__len__",
           [](const array& a) {
             if (a.ndim() == 0) type_error("len() of a 0-d array");
             return a.shape(0);
           })
      .def("__iter__",
           [](const array& a) {
             if (a.ndim() == 0) type_error("iteration over a 0-d array");
             return ArrayIterator(a);
           })
      .def("__bool__",
           [](array& a) {
             if (a.size() != 1) {
               throw std::invalid_argument(
                   "The truth value of an array with more than one element is ambiguous");
             }
             return nb::cast<bool>(nb::bool_(to_scalar(a)));
           })
      .def("__int__", [](array& a) { return nb::int_(to_scalar(a)); })
      .def("__float__", [](array& a) { return nb::float_(to_scalar(a)); })
      .def("__index__",
           [](array& a) {
             if (!is_integral(a.dtype()) && a.dtype() != bool_) {
               type_error("only integer arrays can be used as an index");
             }
             return nb::int_(to_scalar(a));
           })
      .def("__hash__", [](const array& a) { return static_cast<Py_ssize_t>(a.id() >> 4); })
      .def("__copy__", [](const array& a) { return array(a); })
      .def(
          "__deepcopy__", [](const array& a, nb::handle) { return array(a); }, "memo"_a)
      .def("__getstate__",
           [](array& a) {
             eval_nogil(a);
             array c = contiguous(a, false, Device::cpu);
             eval_nogil(c);
             nb::bytes data(c.size() ? c.data<char>() : "", c.nbytes());
             std::string name = dtype_name(a.dtype());
             return nb::make_tuple(data, nb::cast(a.shape()), name);
           })
      .def("__setstate__",
           [](array* self, const std::tuple<nb::bytes, Shape, std::string>& st) {
             nb::object t =
                 nb::module_::import_("tandem.core")
                     .attr(std::get<2>(st) == "bool" ? "bool_" : std::get<2>(st).c_str());
             Dtype dt = nb::cast<Dtype>(t);
             const nb::bytes& b = std::get<0>(st);
             new (self) array(array::from_bytes(b.c_str(), std::get<1>(st), dt));
           })
      .def(
          "item", [](array& a) { return to_scalar(a); }, "The only element as a Python scalar.")
      .def(
          "tolist", [](array& a) { return to_list(a); },
          "The elements as (nested) lists of Python scalars.")
      .def(
          "__getitem__", [](const array& a, nb::handle idx) { return getitem(a, idx); },
          nb::arg("key").none())
      .def(
          "__setitem__",
          [](nb::handle self, nb::handle idx, nb::handle v) {
            array& a = as_array(self);
            a = setitem(a, idx, v);
          },
          nb::arg("key").none(), nb::arg("value"));

  nb::class_<ArrayIterator>(m, "_ArrayIterator")
      .def("__iter__", [](nb::handle self) { return nb::borrow(self); })
      .def("__next__", [](ArrayIterator& it) {
        if (it.index >= it.n) throw nb::stop_iteration();
        return take(it.a, it.index++, 0);
      });
  nb::class_<ArrayAtView>(m, "_ArrayAt")
      .def(
          "__getitem__",
          [](const ArrayAtView& v, nb::handle idx) {
            return ArrayAt{v.a, nb::borrow(idx)};
          },
          nb::arg("key").none());
  nb::class_<ArrayAt>(m, "_ArrayAtIndex")
      .def(
          "add",
          [](const ArrayAt& at, nb::handle v) { return at_update(at.a, at.index, v, "add"); },
          "value"_a, "a with value added at the indices (repeats accumulate).")
      .def(
          "subtract",
          [](const ArrayAt& at, nb::handle v) { return at_update(at.a, at.index, v, "subtract"); },
          "value"_a)
      .def(
          "multiply",
          [](const ArrayAt& at, nb::handle v) { return at_update(at.a, at.index, v, "multiply"); },
          "value"_a)
      .def(
          "divide",
          [](const ArrayAt& at, nb::handle v) { return at_update(at.a, at.index, v, "divide"); },
          "value"_a)
      .def(
          "maximum",
          [](const ArrayAt& at, nb::handle v) { return at_update(at.a, at.index, v, "maximum"); },
          "value"_a)
      .def(
          "minimum",
          [](const ArrayAt& at, nb::handle v) { return at_update(at.a, at.index, v, "minimum"); },
          "value"_a);

  // ---- operators: +, -, *, /, //, %, **, @, &, |, ^, <<, >>, comparisons,
  // -x, +x, abs and ~ are type slots (see array_type_slots).
  cls.def("__divmod__",
          [](const array& a, nb::handle b) -> nb::object {
            if (!is_operand(b)) return nb::borrow(Py_NotImplemented);
            auto [q, r] = divmod(a, operand(a, b));
            return nb::make_tuple(q, r);
          })
      .def("__rdivmod__", [](const array& a, nb::handle b) -> nb::object {
        if (!is_operand(b)) return nb::borrow(Py_NotImplemented);
        auto [q, r] = divmod(operand(a, b), a);
        return nb::make_tuple(q, r);
      });

  // ---- methods
  const auto S = "stream"_a = nb::none();
  cls.def(
         "astype", [](const array& a, Dtype t, StreamOrDevice s) { return astype(a, t, s); },
         "dtype"_a, nb::kw_only(), S, "A copy converted to dtype.")
      .def(
          "flatten",
          [](const array& a, int start_axis, int end_axis, StreamOrDevice s) {
            return flatten(a, start_axis, end_axis, s);
          },
          "start_axis"_a = 0, "end_axis"_a = -1, nb::kw_only(), S,
          "The array with axes start_axis..end_axis (inclusive) merged into one "
          "(tandem.core.flatten).")
      .def(
          "reshape",
          [](const array& a, nb::args shape, nb::kwargs kw) {
            StreamOrDevice s;
            for (auto [k, v] : kw) {
              std::string key = nb::cast<std::string>(k);
              if (key == "stream") {
                s = nb::cast<StreamOrDevice>(v);
              } else if (key == "shape") {
                return reshape(a, nb::cast<Shape>(v), s);
              } else {
                type_error("reshape() got an unexpected keyword argument '" + key + "'");
              }
            }
            if (shape.size() == 1 && !PyLong_Check(shape[0].ptr())) {
              return reshape(a, nb::cast<Shape>(shape[0]), s);
            }
            return reshape(a, nb::cast<Shape>(shape), s);
          },
          nb::sig("def reshape(self, *shape: int, stream: tandem.core.Stream | tandem.core.Device "
                  "| tandem.core.DeviceType "
                  "| None = None) -> tandem.core.array"),
          "The array with a new shape (x.reshape(2, 3) or x.reshape((2, 3))).")
      .def(
          "squeeze",
          [](const array& a, const Axes& axis, StreamOrDevice s) {
            return axis.axes ? squeeze(a, *axis.axes, s) : squeeze(a, s);
          },
          "axis"_a = nb::none(), nb::kw_only(), S,
          "The array without the given size-1 axes (all of them when axis is None).")
      .def(
          "transpose",
          [](const array& a, nb::args axes, nb::kwargs kw) {
            StreamOrDevice s;
            for (auto [k, v] : kw) {
              std::string key = nb::cast<std::string>(k);
              if (key == "stream") {
                s = nb::cast<StreamOrDevice>(v);
              } else if (key == "axes") {
                if (!v.is_none()) return transpose(a, nb::cast<std::vector<int>>(v), s);
              } else {
                type_error("transpose() got an unexpected keyword argument '" + key + "'");
              }
            }
            if (axes.size() == 0) return transpose(a, s);
            if (axes.size() == 1 && !PyLong_Check(axes[0].ptr())) {
              if (axes[0].is_none()) return transpose(a, s);
              return transpose(a, nb::cast<std::vector<int>>(axes[0]), s);
            }
            return transpose(a, nb::cast<std::vector<int>>(axes), s);
          },
          nb::sig("def transpose(self, *axes: int, stream: tandem.core.Stream | tandem.core.Device "
                  "| tandem.core.DeviceType "
                  "| None = None) -> tandem.core.array"),
          "The array with its axes permuted (x.transpose(1, 0) or x.transpose((1, 0))); "
          "reversed when no axes are given.")
      .def(
          "moveaxis",
          [](const array& a, int src, int dst, StreamOrDevice s) {
            return moveaxis(a, src, dst, s);
          },
          "source"_a, "destination"_a, nb::kw_only(), S,
          "The array with axis source moved to position destination (tandem.core.moveaxis).")
      .def(
          "swapaxes",
          [](const array& a, int a1, int a2, StreamOrDevice s) { return swapaxes(a, a1, a2, s); },
          "axis1"_a, "axis2"_a, nb::kw_only(), S, "The array with axes axis1 and axis2 exchanged.")
      .def(
          "round", [](const array& a, int d, StreamOrDevice s) { return tandem::round(a, d, s); },
          "decimals"_a = 0, nb::kw_only(), S,
          "The values rounded to decimals places, halves to even (tandem.core.round).")
      .def(
          "diagonal",
          [](const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
            return diagonal(a, offset, axis1, axis2, s);
          },
          "offset"_a = 0, "axis1"_a = 0, "axis2"_a = 1, nb::kw_only(), S,
          "The diagonal of the (axis1, axis2) planes, offset above the main one when "
          "positive (tandem.core.diagonal).")
      .def(
          "diag", [](const array& a, int k, StreamOrDevice s) { return diag(a, k, s); }, "k"_a = 0,
          nb::kw_only(), S,
          "The k-th diagonal of a 2-D array, or a 2-D array with a 1-D array on its k-th "
          "diagonal (tandem.core.diag).")
      .def(
          "split",
          [](const array& a, nb::handle ios, int axis, StreamOrDevice s) {
            return py_split(a, ios, axis, s);
          },
          "indices_or_sections"_a, "axis"_a = 0, nb::kw_only(), S,
          "A list of pieces along axis: that many equal sections for an int, else cuts "
          "at the given indices (tandem.core.split).")
      .def(
          "view",
          [](const array& x, Dtype t, StreamOrDevice s) {
            // Reinterprets the bytes (eager: evaluates x).
            array a = contiguous(x, false, s);
            eval_nogil(a);
            Shape shape = a.shape();
            size_t in = a.itemsize(), out = t.size();
            if (in != out) {
              if (a.ndim() == 0 || (static_cast<size_t>(shape.back()) * in) % out != 0) {
                throw std::invalid_argument(
                    "[view] the last axis (" + std::to_string(a.ndim() ? shape.back() : 0) +
                    " elements of " + std::to_string(in) + " bytes) cannot be viewed as " +
                    std::to_string(out) + "-byte elements");
              }
              shape.back() = static_cast<ShapeElem>(shape.back() * in / out);
            }
            return array::from_bytes(a.size() ? a.data<char>() : "", shape, t);
          },
          "dtype"_a, nb::kw_only(), S, "The same bytes read as another dtype.");

#define TANDEM_UNARY_METHOD(NAME, WHAT)                                                          \
  cls.def(                                                                                       \
      #NAME, [](const array& a, StreamOrDevice s) { return tandem::NAME(a, s); }, nb::kw_only(), \
      S, "The elementwise " WHAT " of the array (tandem.core." #NAME ").");
  TANDEM_UNARY_METHOD(abs, "absolute value")
  TANDEM_UNARY_METHOD(square, "square")
  TANDEM_UNARY_METHOD(sqrt, "square root")
  TANDEM_UNARY_METHOD(rsqrt, "reciprocal square root")
  TANDEM_UNARY_METHOD(reciprocal, "reciprocal")
  TANDEM_UNARY_METHOD(exp, "exponential")
  TANDEM_UNARY_METHOD(log, "natural logarithm")
  TANDEM_UNARY_METHOD(log2, "base-2 logarithm")
  TANDEM_UNARY_METHOD(log10, "base-10 logarithm")
  TANDEM_UNARY_METHOD(log1p, "log(1 + x)")
  TANDEM_UNARY_METHOD(sin, "sine")
  TANDEM_UNARY_METHOD(cos, "cosine")
  TANDEM_UNARY_METHOD(conj, "complex conjugate")
#undef TANDEM_UNARY_METHOD

#define TANDEM_REDUCE_METHOD(NAME, WHAT)                                                    \
  cls.def(#NAME, &py_##NAME, "axis"_a = nb::none(), "keepdims"_a = false, nb::kw_only(), S, \
          "The " WHAT                                                                       \
          " over axis (an int or a list; every axis when None), keeping "                   \
          "reduced axes with size 1 when keepdims (tandem.core." #NAME ").");
  TANDEM_REDUCE_METHOD(all, "logical and")
  TANDEM_REDUCE_METHOD(any, "logical or")
  TANDEM_REDUCE_METHOD(sum, "sum")
  TANDEM_REDUCE_METHOD(prod, "product")
  TANDEM_REDUCE_METHOD(min, "minimum")
  TANDEM_REDUCE_METHOD(max, "maximum")
  TANDEM_REDUCE_METHOD(mean, "mean")
  TANDEM_REDUCE_METHOD(logsumexp, "log of the sum of exponentials")
#undef TANDEM_REDUCE_METHOD
  cls.def("var", &py_var, "axis"_a = nb::none(), "keepdims"_a = false, "ddof"_a = 0, nb::kw_only(),
          S,
          "The variance over axis (every axis when None), dividing by N - ddof "
          "(tandem.core.var).")
      .def("std", &py_std, "axis"_a = nb::none(), "keepdims"_a = false, "ddof"_a = 0, nb::kw_only(),
           S,
           "The standard deviation over axis (every axis when None), dividing by N - ddof "
           "(tandem.core.std).")
      .def("argmin", &py_argmin, "axis"_a = nb::none(), "keepdims"_a = false, nb::kw_only(), S,
           "The index of the smallest value along axis (of the flattened array when None), "
           "as uint32 (tandem.core.argmin).")
      .def("argmax", &py_argmax, "axis"_a = nb::none(), "keepdims"_a = false, nb::kw_only(), S,
           "The index of the largest value along axis (of the flattened array when None), "
           "as uint32 (tandem.core.argmax).");
#define TANDEM_SCAN_METHOD(NAME, WHAT)                                                  \
  cls.def(#NAME, &py_##NAME, "axis"_a = nb::none(), nb::kw_only(), "reverse"_a = false, \
          "inclusive"_a = true, S,                                                      \
          "The running " WHAT                                                           \
          " along axis (the flattened array when None); see "                           \
          "tandem.core." #NAME ".");
  TANDEM_SCAN_METHOD(cumsum, "sum")
  TANDEM_SCAN_METHOD(cumprod, "product")
  TANDEM_SCAN_METHOD(cummax, "maximum")
  TANDEM_SCAN_METHOD(cummin, "minimum")
  TANDEM_SCAN_METHOD(logcumsumexp, "log-sum-exp")
#undef TANDEM_SCAN_METHOD

  init_convert(m, cls);
}

namespace {

array at_update(const array& a, nb::handle idx, nb::handle v, const char* op) {
  array val = is_array(v) ? as_array(v) : to_array_weak(v, a.dtype());
  return at_update_impl(a, idx, val, op);
}

}  // namespace
}  // namespace tandem::py
