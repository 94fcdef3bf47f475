// Dtype, DtypeCategory, finfo, iinfo, issubdtype and the constants.
#include <cmath>
#include <limits>

#include "python/src/common.h"

namespace tandem::py {
namespace {

nb::object g_dtype_objects[Dtype::num_types];

struct FInfo {
  Dtype dtype;
  double min, max, eps, tiny;
  explicit FInfo(Dtype t) {
    if (is_complex(t)) t = float32;
    if (!is_floating_point(t)) {
      std::string msg = "[finfo] dtype " + std::string(dtype_name(t)) + " is not inexact";
      throw std::invalid_argument(msg);
    }
    dtype = t;
    switch (t.val) {
      case Dtype::Val::float16:
        max = 65504.0;
        eps = std::ldexp(1.0, -10);
        tiny = std::ldexp(1.0, -14);
        break;
      case Dtype::Val::bfloat16:
        max = std::ldexp(1.0, 127) * (2.0 - std::ldexp(1.0, -7));
        eps = std::ldexp(1.0, -7);
        tiny = std::ldexp(1.0, -126);
        break;
      case Dtype::Val::float32:
        max = std::numeric_limits<float>::max();
        eps = std::numeric_limits<float>::epsilon();
        tiny = std::numeric_limits<float>::min();
        break;
      default:
        max = std::numeric_limits<double>::max();
        eps = std::numeric_limits<double>::epsilon();
        tiny = std::numeric_limits<double>::min();
        break;
    }
    min = -max;
  }
};

struct IInfo {
  Dtype dtype;
  nb::object min, max;
  explicit IInfo(Dtype t) : dtype(t) {
    if (!is_integral(t)) {
      std::string msg = "[iinfo] dtype " + std::string(dtype_name(t)) + " is not an integer type";
      throw std::invalid_argument(msg);
    }
    dispatch_dtype(t, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        min = nb::int_(std::numeric_limits<T>::min());
        max = nb::int_(std::numeric_limits<T>::max());
      }
    });
  }
};

}  // namespace

nb::object dtype_object(Dtype t) {
  const nb::object& o = g_dtype_objects[t.index()];
  return o.is_valid() ? o : nb::cast(t);
}

void init_dtypes(nb::module_& m) {
  nb::class_<Dtype>(m, "Dtype", "An array element type, such as tandem.core.float32.")
      .def(
          "__init__",
          [](Dtype* self, const std::string& name) {
            for (Dtype t : all_dtypes) {
              if (name == dtype_name(t) || name == std::string(dtype_name(t)) + "_") {
                new (self) Dtype(t);
                return;
              }
            }
            throw std::invalid_argument("[Dtype] unknown dtype name '" + name + "'");
          },
          "name"_a, "The dtype with a given name (\"float32\", \"bool\", ...).")
      .def_prop_ro("size", &Dtype::size, "Bytes per element.")
      .def("__repr__", [](const Dtype& t) { return std::string("tandem.core.") + dtype_name(t); })
      .def("__eq__",
           [](const Dtype& a, nb::handle b) {
             return nb::isinstance<Dtype>(b) && a == nb::cast<Dtype>(b);
           })
      .def("__hash__", [](const Dtype& t) { return static_cast<int64_t>(t.index()) + 1000; })
      .def("__reduce__", [](const Dtype& t) {
        // Pickles as a lookup of the module attribute.
        std::string name = dtype_name(t);
        if (name == "bool") name = "bool_";
        return nb::make_tuple(nb::type<Dtype>(), nb::make_tuple(name));
      });

  for (Dtype t : all_dtypes) {
    g_dtype_objects[t.index()] = nb::cast(t);
    std::string name = dtype_name(t);
    if (name == "bool") name = "bool_";
    m.attr(name.c_str()) = g_dtype_objects[t.index()];
  }

  // Drop the cached objects at interpreter exit (before nanobind's leak check).
  nb::module_::import_("atexit").attr("register")(nb::cpp_function([] {
    for (auto& o : g_dtype_objects) o.reset();
    clear_scalar_cache();
  }));

  nb::enum_<DtypeCategory>(m, "DtypeCategory", "Abstract groups of dtypes, for issubdtype.")
      .value("complexfloating", DtypeCategory::complexfloating)
      .value("floating", DtypeCategory::floating)
      .value("inexact", DtypeCategory::inexact)
      .value("signedinteger", DtypeCategory::signedinteger)
      .value("unsignedinteger", DtypeCategory::unsignedinteger)
      .value("integer", DtypeCategory::integer)
      .value("number", DtypeCategory::number)
      .value("generic", DtypeCategory::generic)
      .export_values();

  m.def("issubdtype", nb::overload_cast<Dtype, Dtype>(&tandem::issubdtype), "arg1"_a, "arg2"_a,
        "Whether arg1 is a subtype of arg2 (a dtype or a DtypeCategory).");
  m.def("issubdtype", nb::overload_cast<Dtype, DtypeCategory>(&tandem::issubdtype), "arg1"_a,
        "arg2"_a);
  m.def("issubdtype", nb::overload_cast<DtypeCategory, DtypeCategory>(&tandem::issubdtype),
        "arg1"_a, "arg2"_a);
  m.def(
      "issubdtype", [](DtypeCategory, Dtype) { return false; }, "arg1"_a, "arg2"_a);

  nb::class_<FInfo>(m, "finfo", "Machine limits of a floating-point dtype.")
      .def(nb::init<Dtype>(), "dtype"_a)
      .def_ro("min", &FInfo::min)
      .def_ro("max", &FInfo::max)
      .def_ro("eps", &FInfo::eps)
      .def_ro("tiny", &FInfo::tiny)
      .def_ro("smallest_normal", &FInfo::tiny)
      .def_prop_ro("dtype", [](const FInfo& f) { return dtype_object(f.dtype); })
      .def("__repr__", [](const FInfo& f) {
        std::ostringstream os;
        os << "finfo(min=" << f.min << ", max=" << f.max << ", eps=" << f.eps
           << ", dtype=" << dtype_name(f.dtype) << ")";
        return os.str();
      });
  nb::class_<IInfo>(m, "iinfo", "Machine limits of an integer dtype.")
      .def(nb::init<Dtype>(), "dtype"_a)
      .def_ro("min", &IInfo::min)
      .def_ro("max", &IInfo::max)
      .def_prop_ro("dtype", [](const IInfo& f) { return dtype_object(f.dtype); })
      .def("__repr__", [](const IInfo& f) {
        return "iinfo(min=" + nb::cast<std::string>(nb::str(f.min)) +
               ", max=" + nb::cast<std::string>(nb::str(f.max)) + ", dtype=" + dtype_name(f.dtype) +
               ")";
      });

  m.attr("pi") = M_PI;
  m.attr("e") = M_E;
  m.attr("euler_gamma") = 0.5772156649015328606065120900824024;
  m.attr("inf") = std::numeric_limits<double>::infinity();
  m.attr("nan") = std::numeric_limits<double>::quiet_NaN();
  m.attr("newaxis") = nb::none();
}

// Module-level dtype utilities (result_type, can_cast, isdtype), registered
// after the op families of tandem/ops/unary.h .. shape.h.
void init_dtype_functions(nb::module_& m) {
  m.def(
      "result_type",
      [](nb::args args) {
        std::optional<Dtype> strong;
        bool has_bool = false, has_int = false, has_float = false, has_complex = false;
        for (nb::handle h : args) {
          if (nb::isinstance<Dtype>(h)) {
            Dtype t = nb::cast<Dtype>(h);
            strong = strong ? promote_types(*strong, t) : t;
          } else if (PyBool_Check(h.ptr())) {
            has_bool = true;
          } else if (PyLong_Check(h.ptr())) {
            has_int = true;
          } else if (PyFloat_Check(h.ptr())) {
            has_float = true;
          } else if (PyComplex_Check(h.ptr())) {
            has_complex = true;
          } else {
            Dtype t = is_array(h) ? as_array(h).dtype() : to_array(h).dtype();
            strong = strong ? promote_types(*strong, t) : t;
          }
        }
        Dtype out;
        if (strong) {
          out = *strong;
          if (has_complex) {
            out = promote_types(out, complex64);
          } else if (has_float && !is_inexact(out)) {
            out = float32;
          } else if (has_int && out == bool_) {
            out = int32;
          }
        } else {
          out = has_complex ? complex64 : has_float ? float32 : has_int ? int32 : bool_;
        }
        return dtype_object(out);
      },
      "arrays_and_dtypes"_a, "The dtype an op combining the arguments would give.");
  m.def(
      "can_cast",
      [](nb::handle from, Dtype to) {
        Dtype f = nb::isinstance<Dtype>(from) ? nb::cast<Dtype>(from) : to_array(from).dtype();
        return promote_types(f, to) == to;
      },
      "from_"_a, "to"_a, "Whether from_ converts to `to` without loss (safe casting).");
  m.def(
      "isdtype",
      [](Dtype t, nb::handle kind) {
        auto one = [&](nb::handle k) -> bool {
          if (nb::isinstance<Dtype>(k)) return t == nb::cast<Dtype>(k);
          std::string s = nb::cast<std::string>(k);
          if (s == "bool") return t == bool_;
          if (s == "signed integer") return is_integral(t) && !is_unsigned(t);
          if (s == "unsigned integer") return is_unsigned(t);
          if (s == "integral") return is_integral(t);
          if (s == "real floating") return is_floating_point(t);
          if (s == "complex floating") return is_complex(t);
          if (s == "numeric") return t != bool_;
          throw std::invalid_argument("[isdtype] unknown kind '" + s + "'");
        };
        if (PyTuple_Check(kind.ptr())) {
          for (nb::handle k : nb::borrow<nb::tuple>(kind)) {
            if (one(k)) return true;
          }
          return false;
        }
        return one(kind);
      },
      "dtype"_a, "kind"_a, "Array-API isdtype: whether dtype is of the given kind(s).");
}

}  // namespace tandem::py
