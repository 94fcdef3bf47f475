// Module-level ops: elementwise, creation, shape, dtype utilities. Every op
// takes a keyword-only `stream=` (a Stream, a Device, or None).
#include <cmath>

#include "python/src/ops_common.h"

namespace tandem::py {
namespace {

const auto S = "stream"_a = nb::none();

// Binary ops: the hot path (two arrays) avoids any conversion.
template <array (*F)(const array&, const array&, StreamOrDevice)>
ArrayOut binary(ArrayLike a, ArrayLike b, StreamOrDevice s) {
  if (is_array(a.h) && is_array(b.h)) return {F(as_array(a.h), as_array(b.h), std::move(s))};
  auto [x, y] = to_arrays(a.h, b.h);
  return {F(x, y, std::move(s))};
}

// Unary ops: an array argument is used in place, without a copy.
template <array (*F)(const array&, StreamOrDevice)>
ArrayOut unary(ArrayLike a, StreamOrDevice s) {
  if (is_array(a.h)) return {F(as_array(a.h), std::move(s))};
  return {F(to_array(a.h), std::move(s))};
}

// A window function sampled at M points, in float32. Built from lazy ops
// (evaluated in float64) rather than filled on the host: a huge M then fails
// with the allocator's MemoryError at eval instead of a host vector of M floats
// that ignores the memory limit and takes minutes to fill.
template <typename F>
array window(int M, F f) {
  if (M < 1) return zeros({0}, float32);
  if (M == 1) return ones({1}, float32);
  array n = arange(0.0, static_cast<double>(M), 1.0, float64);
  return astype(f(n, static_cast<double>(M) - 1.0), float32);
}

// a0 - a1 cos(2 pi n / d) + a2 cos(4 pi n / d): the Hann, Hamming and
// Blackman windows.
array cosine_window(const array& n, double d, double a0, double a1, double a2) {
  auto term = [&](double k, double a) {
    return multiply(array(a, float64), cos(multiply(n, array(k * M_PI / d, float64))));
  };
  array w = subtract(array(a0, float64), term(2.0, a1));
  return a2 == 0.0 ? w : add(w, term(4.0, a2));
}

// The dtype of an arange: int32 when start, stop and step are Python ints.
bool all_ints(std::initializer_list<nb::handle> hs) {
  for (auto h : hs) {
    if (h.is_valid() && !h.is_none() && !(PyLong_Check(h.ptr()) && !PyBool_Check(h.ptr()))) {
      return false;
    }
  }
  return true;
}

double to_double(nb::handle h, const char* op) {
  if (PyFloat_Check(h.ptr()) || PyLong_Check(h.ptr())) return nb::cast<double>(h);
  if (is_array(h)) {
    array a = as_array(h);
    return nb::cast<double>(nb::float_(to_scalar(a)));
  }
  return nb::cast<double>(nb::float_(h));
}

}  // namespace

// Each item of a Python sequence as an array.
std::vector<array> to_array_list(nb::handle seq) {
  std::vector<array> out;
  for (nb::handle h : nb::borrow<nb::sequence>(seq)) {
    out.push_back(is_array(h) ? as_array(h) : to_array(h));
  }
  return out;
}

// Results of ops that give several arrays, as a list.
nb::list as_list(const std::vector<array>& v) {
  nb::list l;
  for (auto& a : v) l.append(nb::cast(a));
  return l;
}

void init_ops(nb::module_& m) {
  // ---------------------------------------------------------------- unary
#define TANDEM_UNARY(NAME, FN) \
  m.def(NAME, &unary<&tandem::FN>, "a"_a, nb::kw_only(), S, "Elementwise " #FN ".");
  TANDEM_UNARY("abs", abs)
  TANDEM_UNARY("sign", sign)
  TANDEM_UNARY("positive", positive)
  TANDEM_UNARY("negative", negative)
  TANDEM_UNARY("square", square)
  TANDEM_UNARY("sqrt", sqrt)
  TANDEM_UNARY("rsqrt", rsqrt)
  TANDEM_UNARY("reciprocal", reciprocal)
  TANDEM_UNARY("logical_not", logical_not)
  TANDEM_UNARY("exp", exp)
  TANDEM_UNARY("expm1", expm1)
  TANDEM_UNARY("erf", erf)
  TANDEM_UNARY("erfinv", erfinv)
  TANDEM_UNARY("sin", sin)
  TANDEM_UNARY("cos", cos)
  TANDEM_UNARY("tan", tan)
  TANDEM_UNARY("arcsin", arcsin)
  TANDEM_UNARY("arccos", arccos)
  TANDEM_UNARY("arctan", arctan)
  TANDEM_UNARY("sinh", sinh)
  TANDEM_UNARY("cosh", cosh)
  TANDEM_UNARY("tanh", tanh)
  TANDEM_UNARY("arcsinh", arcsinh)
  TANDEM_UNARY("arccosh", arccosh)
  TANDEM_UNARY("arctanh", arctanh)
  TANDEM_UNARY("asin", arcsin)
  TANDEM_UNARY("acos", arccos)
  TANDEM_UNARY("atan", arctan)
  TANDEM_UNARY("asinh", arcsinh)
  TANDEM_UNARY("acosh", arccosh)
  TANDEM_UNARY("atanh", arctanh)
  TANDEM_UNARY("degrees", degrees)
  TANDEM_UNARY("radians", radians)
  TANDEM_UNARY("log", log)
  TANDEM_UNARY("log2", log2)
  TANDEM_UNARY("log10", log10)
  TANDEM_UNARY("log1p", log1p)
  TANDEM_UNARY("sigmoid", sigmoid)
  TANDEM_UNARY("floor", floor)
  TANDEM_UNARY("ceil", ceil)
  TANDEM_UNARY("trunc", trunc)
  TANDEM_UNARY("isnan", isnan)
  TANDEM_UNARY("isinf", isinf)
  TANDEM_UNARY("isposinf", isposinf)
  TANDEM_UNARY("isneginf", isneginf)
  TANDEM_UNARY("isfinite", isfinite)
  TANDEM_UNARY("conjugate", conjugate)
  TANDEM_UNARY("conj", conjugate)
  TANDEM_UNARY("real", real)
  TANDEM_UNARY("imag", imag)
  TANDEM_UNARY("bitwise_invert", bitwise_invert)
  TANDEM_UNARY("stop_gradient", stop_gradient)
#undef TANDEM_UNARY
  m.def(
      "round",
      [](ArrayLike a, int decimals, StreamOrDevice s) {
        return tandem::round(to_array(a), decimals, s);
      },
      "a"_a, "decimals"_a = 0, nb::kw_only(), S, "Rounds half to even to `decimals` places.");

  // --------------------------------------------------------------- binary
#define TANDEM_BINARY(NAME, FN)                                     \
  m.def(NAME, &binary<&tandem::FN>, "a"_a, "b"_a, nb::kw_only(), S, \
        "Elementwise " #FN " with broadcasting (Python scalars are weakly typed).");
  TANDEM_BINARY("add", add)
  TANDEM_BINARY("subtract", subtract)
  TANDEM_BINARY("multiply", multiply)
  TANDEM_BINARY("divide", divide)
  TANDEM_BINARY("floor_divide", floor_divide)
  TANDEM_BINARY("remainder", remainder)
  TANDEM_BINARY("equal", equal)
  TANDEM_BINARY("not_equal", not_equal)
  TANDEM_BINARY("less", less)
  TANDEM_BINARY("less_equal", less_equal)
  TANDEM_BINARY("greater", greater)
  TANDEM_BINARY("greater_equal", greater_equal)
  TANDEM_BINARY("logical_and", logical_and)
  TANDEM_BINARY("logical_or", logical_or)
  TANDEM_BINARY("logical_xor", logical_xor)
  TANDEM_BINARY("logaddexp", logaddexp)
  TANDEM_BINARY("arctan2", arctan2)
  TANDEM_BINARY("atan2", arctan2)
  TANDEM_BINARY("power", power)
  TANDEM_BINARY("pow", power)
  TANDEM_BINARY("minimum", minimum)
  TANDEM_BINARY("maximum", maximum)
  TANDEM_BINARY("bitwise_and", bitwise_and)
  TANDEM_BINARY("bitwise_or", bitwise_or)
  TANDEM_BINARY("bitwise_xor", bitwise_xor)
  TANDEM_BINARY("left_shift", left_shift)
  TANDEM_BINARY("right_shift", right_shift)
  TANDEM_BINARY("bitwise_left_shift", left_shift)
  TANDEM_BINARY("bitwise_right_shift", right_shift)
#undef TANDEM_BINARY
  m.def(
      "divmod",
      [](ArrayLike a, ArrayLike b, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        auto [q, r] = tandem::divmod(x, y, s);
        return nb::make_tuple(q, r);
      },
      "a"_a, "b"_a, nb::kw_only(), S, "(floor_divide(a, b), remainder(a, b)).");
  m.def(
      "where",
      [](ArrayLike c, ArrayLike x, ArrayLike y, StreamOrDevice s) {
        auto [xa, ya] = to_arrays(x.h, y.h);
        return where(to_array(c), xa, ya, s);
      },
      "condition"_a, "x"_a, "y"_a, nb::kw_only(), S,
      "Elements of x where condition is true, else of y.");
  m.def(
      "clip",
      [](ArrayLike a, std::optional<ArrayLike> lo, std::optional<ArrayLike> hi, StreamOrDevice s) {
        array x = to_array(a);
        std::optional<array> l, h;
        if (lo) l = to_array_weak(lo->h, x.dtype());
        if (hi) h = to_array_weak(hi->h, x.dtype());
        if (!l && !h) throw std::invalid_argument("[clip] a_min and a_max cannot both be None");
        return clip(x, l, h, s);
      },
      "a"_a, "a_min"_a.none(), "a_max"_a.none(), nb::kw_only(), S,
      "Limits the values of a to [a_min, a_max].");
  m.def(
      "nan_to_num",
      [](ArrayLike a, float nan, std::optional<float> posinf, std::optional<float> neginf,
         StreamOrDevice s) { return nan_to_num(to_array(a), nan, posinf, neginf, s); },
      "a"_a, "nan"_a = 0.0f, "posinf"_a = nb::none(), "neginf"_a = nb::none(), nb::kw_only(), S,
      "Replaces NaN and infinities with finite numbers.");
  m.def(
      "isclose",
      [](ArrayLike a, ArrayLike b, double rtol, double atol, bool equal_nan, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        return isclose(x, y, rtol, atol, equal_nan, s);
      },
      "a"_a, "b"_a, "rtol"_a = 1e-5, "atol"_a = 1e-8, nb::kw_only(), "equal_nan"_a = false, S,
      "|a - b| <= atol + rtol * |b|, elementwise.");

  // ------------------------------------------------------------- creation
  m.def(
      "arange",
      [](nb::handle start, nb::handle stop, nb::handle step, std::optional<Dtype> dtype,
         StreamOrDevice s) {
        bool ints = all_ints({start, stop, step});
        double b = 0.0, e, st = 1.0;
        if (stop.is_none()) {
          e = to_double(start, "arange");
        } else {
          b = to_double(start, "arange");
          e = to_double(stop, "arange");
        }
        if (!step.is_none()) st = to_double(step, "arange");
        return arange(b, e, st, dtype.value_or(ints ? int32 : float32), s);
      },
      "start"_a, "stop"_a = nb::none(), "step"_a = nb::none(), "dtype"_a = nb::none(),
      nb::kw_only(), S,
      nb::sig("def arange(start: int | float, stop: int | float | None = None, step: int | float | "
              "None = None, dtype: tandem.core.Dtype | None = None, *, stream: tandem.core.Stream "
              "| tandem.core.Device | None = None) "
              "-> tandem.core.array"),
      "Values start, start + step, ... below stop (int32 when all arguments are ints).");
  m.def(
      "linspace",
      [](double start, double stop, int num, std::optional<Dtype> dtype, StreamOrDevice s) {
        return linspace(start, stop, num, dtype.value_or(float32), s);
      },
      "start"_a, "stop"_a, "num"_a = 50, "dtype"_a = nb::none(), nb::kw_only(), S,
      "num evenly spaced values from start to stop inclusive.");
  m.def(
      "full",
      [](Shape shape, ArrayLike vals, std::optional<Dtype> dtype, StreamOrDevice s) {
        array v = dtype ? to_array(vals.h, dtype) : to_array(vals);
        return dtype ? full(shape, v, *dtype, s) : full(shape, v, s);
      },
      "shape"_a, "vals"_a, "dtype"_a = nb::none(), nb::kw_only(), S,
      "An array of `shape` filled with vals.");
  m.def(
      "zeros",
      [](Shape shape, std::optional<Dtype> dtype, StreamOrDevice s) {
        return zeros(shape, dtype.value_or(float32), s);
      },
      "shape"_a, "dtype"_a = nb::none(), nb::kw_only(), S, "An array of zeros.");
  m.def(
      "ones",
      [](Shape shape, std::optional<Dtype> dtype, StreamOrDevice s) {
        return ones(shape, dtype.value_or(float32), s);
      },
      "shape"_a, "dtype"_a = nb::none(), nb::kw_only(), S, "An array of ones.");
  m.def(
      "empty",
      [](Shape shape, std::optional<Dtype> dtype, StreamOrDevice s) {
        return zeros(shape, dtype.value_or(float32), s);
      },
      "shape"_a, "dtype"_a = nb::none(), nb::kw_only(), S, "An array (of zeros).");
  m.def(
      "zeros_like", [](ArrayLike a, StreamOrDevice s) { return zeros_like(to_array(a), s); }, "a"_a,
      nb::kw_only(), S, "Zeros with a's shape and dtype.");
  m.def(
      "ones_like", [](ArrayLike a, StreamOrDevice s) { return ones_like(to_array(a), s); }, "a"_a,
      nb::kw_only(), S, "Ones with a's shape and dtype.");
  m.def(
      "empty_like", [](ArrayLike a, StreamOrDevice s) { return zeros_like(to_array(a), s); }, "a"_a,
      nb::kw_only(), S, "An array (of zeros) with a's shape and dtype.");
  m.def(
      "full_like",
      [](ArrayLike a, ArrayLike vals, std::optional<Dtype> dtype, StreamOrDevice s) {
        array x = to_array(a);
        Dtype t = dtype.value_or(x.dtype());
        return full(x.shape(), to_array_weak(vals.h, t), t, s);
      },
      "a"_a, "fill_value"_a, "dtype"_a = nb::none(), nb::kw_only(), S,
      "An array of a's shape filled with fill_value.");
  m.def(
      "eye",
      [](int n, std::optional<int> mm, int k, std::optional<Dtype> dtype, StreamOrDevice s) {
        return eye(n, mm, k, dtype.value_or(float32), s);
      },
      "n"_a, "m"_a = nb::none(), "k"_a = 0, "dtype"_a = nb::none(), nb::kw_only(), S,
      "An n x m array with ones on diagonal k.");
  m.def(
      "identity",
      [](int n, std::optional<Dtype> dtype, StreamOrDevice s) {
        return identity(n, dtype.value_or(float32), s);
      },
      "n"_a, "dtype"_a = nb::none(), nb::kw_only(), S, "The n x n identity.");
  m.def(
      "tri",
      [](int n, std::optional<int> mm, int k, std::optional<Dtype> dtype, StreamOrDevice s) {
        return tri(n, mm, k, dtype.value_or(float32), s);
      },
      "n"_a, "m"_a = nb::none(), "k"_a = 0, "dtype"_a = nb::none(), nb::kw_only(), S,
      "Ones at and below diagonal k.");
  m.def(
      "asarray", [](ArrayLike a, std::optional<Dtype> dtype) { return to_array(a.h, dtype); },
      "a"_a, "dtype"_a = nb::none(), "The value as an array (no copy for an array of that dtype).");
  m.def(
      "astype", [](ArrayLike a, Dtype t, StreamOrDevice s) { return astype(to_array(a), t, s); },
      "a"_a, "dtype"_a, nb::kw_only(), S, "a converted to dtype.");
  m.def(
      "contiguous",
      [](ArrayLike a, bool allow_col_major, StreamOrDevice s) {
        return contiguous(to_array(a), allow_col_major, s);
      },
      "a"_a, "allow_col_major"_a = false, nb::kw_only(), S, "a as a dense array.");
  m.def(
      "bartlett",
      [](int M) {
        return window(M, [](const array& n, double d) {
          return subtract(array(1.0, float64),
                          abs(subtract(multiply(n, array(2.0 / d, float64)), array(1.0, float64))));
        });
      },
      "M"_a, "The Bartlett window.");
  m.def(
      "hanning",
      [](int M) {
        return window(M, [](const array& n, double d) { return cosine_window(n, d, 0.5, 0.5, 0.0); });
      },
      "M"_a, "The Hann window.");
  m.def(
      "hamming",
      [](int M) {
        return window(M,
                      [](const array& n, double d) { return cosine_window(n, d, 0.54, 0.46, 0.0); });
      },
      "M"_a, "The Hamming window.");
  m.def(
      "blackman",
      [](int M) {
        return window(M,
                      [](const array& n, double d) { return cosine_window(n, d, 0.42, 0.5, 0.08); });
      },
      "M"_a, "The Blackman window.");

  // ---------------------------------------------------------------- shape
  m.def(
      "reshape",
      [](ArrayLike a, Shape shape, StreamOrDevice s) { return reshape(to_array(a), shape, s); },
      "a"_a, "shape"_a, nb::kw_only(), S, "a with a new shape (one dim may be -1).");
  m.def(
      "flatten",
      [](ArrayLike a, int start_axis, int end_axis, StreamOrDevice s) {
        return flatten(to_array(a), start_axis, end_axis, s);
      },
      "a"_a, "start_axis"_a = 0, "end_axis"_a = -1, nb::kw_only(), S,
      "Merges axes start_axis..end_axis.");
  m.def(
      "unflatten",
      [](ArrayLike a, int axis, Shape shape, StreamOrDevice s) {
        return unflatten(to_array(a), axis, shape, s);
      },
      "a"_a, "axis"_a, "shape"_a, nb::kw_only(), S, "Splits axis into shape.");
  m.def(
      "squeeze",
      [](ArrayLike a, const Axes& axis, StreamOrDevice s) {
        array x = to_array(a);
        return axis.axes ? squeeze(x, *axis.axes, s) : squeeze(x, s);
      },
      "a"_a, "axis"_a = nb::none(), nb::kw_only(), S, "Removes size-1 axes.");
  m.def(
      "expand_dims",
      [](ArrayLike a, const Axes& axis, StreamOrDevice s) {
        if (!axis.axes) throw std::invalid_argument("[expand_dims] axis cannot be None");
        return expand_dims(to_array(a), *axis.axes, s);
      },
      "a"_a, "axis"_a, nb::kw_only(), S, "Inserts size-1 axes.");
  m.def(
      "transpose",
      [](ArrayLike a, std::optional<std::vector<int>> axes, StreamOrDevice s) {
        return axes ? transpose(to_array(a), *axes, s) : transpose(to_array(a), s);
      },
      "a"_a, "axes"_a = nb::none(), nb::kw_only(), S, "Permutes axes (reverses by default).");
  m.def(
      "permute_dims",
      [](ArrayLike a, std::optional<std::vector<int>> axes, StreamOrDevice s) {
        return axes ? transpose(to_array(a), *axes, s) : transpose(to_array(a), s);
      },
      "a"_a, "axes"_a = nb::none(), nb::kw_only(), S, "Permutes axes.");
  m.def(
      "moveaxis",
      [](ArrayLike a, int src, int dst, StreamOrDevice s) {
        return moveaxis(to_array(a), src, dst, s);
      },
      "a"_a, "source"_a, "destination"_a, nb::kw_only(), S, "Moves one axis.");
  m.def(
      "swapaxes",
      [](ArrayLike a, int a1, int a2, StreamOrDevice s) {
        return swapaxes(to_array(a), a1, a2, s);
      },
      "a"_a, "axis1"_a, "axis2"_a, nb::kw_only(), S, "Swaps two axes.");
  m.def(
      "matrix_transpose",
      [](ArrayLike a, StreamOrDevice s) { return matrix_transpose(to_array(a), s); }, "a"_a,
      nb::kw_only(), S, "Swaps the last two axes.");
  m.def(
      "broadcast_to",
      [](ArrayLike a, Shape shape, StreamOrDevice s) {
        return broadcast_to(to_array(a), shape, s);
      },
      "a"_a, "shape"_a, nb::kw_only(), S, "a broadcast to shape.");
  m.def(
      "broadcast_arrays",
      [](nb::args arrays, StreamOrDevice s) {
        return as_list(broadcast_arrays(to_array_list(arrays), s));
      },
      "arrays"_a, S, "The arrays broadcast against each other.");
  m.def(
      "broadcast_shapes",
      [](nb::args shapes) {
        std::vector<Shape> v;
        for (nb::handle h : shapes) v.push_back(nb::cast<Shape>(h));
        if (v.empty()) throw std::invalid_argument("[broadcast_shapes] no shapes given");
        return broadcast_shapes(v);
      },
      "shapes"_a, "The broadcast of the shapes.");
  m.def(
      "as_strided",
      [](ArrayLike a, std::optional<Shape> shape, std::optional<std::vector<int64_t>> strides,
         int64_t offset, StreamOrDevice s) {
        array x = to_array(a);
        Shape sh = shape.value_or(x.shape());
        Strides st = strides ? Strides(*strides) : row_major_strides(sh);
        return as_strided(x, sh, st, offset, s);
      },
      "a"_a, "shape"_a = nb::none(), "strides"_a = nb::none(), "offset"_a = 0, nb::kw_only(), S,
      "A view of a's row-major elements with the given shape and strides (elements).");
#define TANDEM_ATLEAST(NAME)                                               \
  m.def(                                                                   \
      #NAME,                                                               \
      [](nb::args arys, StreamOrDevice s) -> nb::object {                  \
        if (arys.size() == 1) return nb::cast(NAME(to_array(arys[0]), s)); \
        nb::list out;                                                      \
        for (nb::handle h : arys) out.append(NAME(to_array(h), s));        \
        return out;                                                        \
      },                                                                   \
      "arys"_a, S);
  TANDEM_ATLEAST(atleast_1d)
  TANDEM_ATLEAST(atleast_2d)
  TANDEM_ATLEAST(atleast_3d)
#undef TANDEM_ATLEAST

  // ------------------------------------------------------ dtype utilities
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
