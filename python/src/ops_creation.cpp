// Module-level ops of the creation family (tandem/ops/creation.h), plus the
// window functions, computed on the host.
#include <cmath>

#include "python/src/ops_common.h"
#include "tandem/ops/creation.h"

namespace tandem::py {
namespace {

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

// A Python int argument of arange as int64.
int64_t arange_int(nb::handle h, const char* what) {
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(h.ptr(), &overflow);
  if (overflow) {
    throw std::overflow_error(std::string("[arange] ") + what + " " +
                              nb::cast<std::string>(nb::str(h)) + " does not fit in int64");
  }
  if (v == -1 && PyErr_Occurred()) throw nb::python_error();
  return v;
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

void init_ops_creation(nb::module_& m) {
  m.def(
      "arange",
      [](nb::handle start, nb::handle stop, nb::handle step, std::optional<Dtype> dtype,
         StreamOrDevice s) {
        bool ints = all_ints({start, stop, step});
        if (ints) {
          // Exact in int64; int32 unless an argument needs more (as MLX).
          int64_t b = 0, e, st = 1;
          if (stop.is_none()) {
            e = arange_int(start, "stop");
          } else {
            b = arange_int(start, "start");
            e = arange_int(stop, "stop");
          }
          if (!step.is_none()) st = arange_int(step, "step");
          auto fits32 = [](int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; };
          Dtype t = fits32(b) && fits32(e) && fits32(st) ? int32 : int64;
          return arange(b, e, st, dtype.value_or(t), s);
        }
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
              "| tandem.core.Device | tandem.core.DeviceType | None = None) "
              "-> tandem.core.array"),
      "Values start, start + step, ... below stop (int32 when all arguments are ints that fit "
      "in int32, int64 when some do not; integer dtypes wrap around).");
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
        return window(M,
                      [](const array& n, double d) { return cosine_window(n, d, 0.5, 0.5, 0.0); });
      },
      "M"_a, "The Hann window.");
  m.def(
      "hamming",
      [](int M) {
        return window(
            M, [](const array& n, double d) { return cosine_window(n, d, 0.54, 0.46, 0.0); });
      },
      "M"_a, "The Hamming window.");
  m.def(
      "blackman",
      [](int M) {
        return window(
            M, [](const array& n, double d) { return cosine_window(n, d, 0.42, 0.5, 0.08); });
      },
      "M"_a, "The Blackman window.");
}

}  // namespace tandem::py
