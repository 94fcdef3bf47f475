// Module-level ops of the reduce family (tandem/ops/reduce.h).
#include "python/src/ops_common.h"
#include "tandem/ops/reduce.h"

namespace tandem::py {

void init_ops_reduce(nb::module_& m) {
#define TANDEM_REDUCE(NAME, DOC)                                           \
  m.def(                                                                   \
      #NAME,                                                               \
      [](ArrayLike a, const Axes& axis, bool keepdims, StreamOrDevice s) { \
        return py_##NAME(to_array(a), axis, keepdims, s);                  \
      },                                                                   \
      "a"_a, "axis"_a = nb::none(), "keepdims"_a = false, nb::kw_only(), S, DOC);
  TANDEM_REDUCE(all, "True where all elements are nonzero.")
  TANDEM_REDUCE(any, "True where any element is nonzero.")
  TANDEM_REDUCE(sum, "Sum over axes (all by default).")
  TANDEM_REDUCE(prod, "Product over axes.")
  TANDEM_REDUCE(max, "Maximum over axes.")
  TANDEM_REDUCE(min, "Minimum over axes.")
  TANDEM_REDUCE(mean, "Mean over axes.")
  TANDEM_REDUCE(logsumexp, "log(sum(exp(a))) over axes, computed stably.")
  TANDEM_REDUCE(median, "Median over axes.")
  TANDEM_REDUCE(count_nonzero, "Number of nonzero elements over axes.")
#undef TANDEM_REDUCE
  m.def(
      "minmax",
      [](ArrayLike a, const Axes& axis, bool keepdims, StreamOrDevice s) {
        array x = to_array(a);
        auto [lo, hi] = axis.axes ? minmax(x, *axis.axes, keepdims, s) : minmax(x, keepdims, s);
        return nb::make_tuple(lo, hi);
      },
      "a"_a, "axis"_a = nb::none(), "keepdims"_a = false, nb::kw_only(), S,
      nb::sig("def minmax(a: array, axis: int | Sequence[int] | None = None, keepdims: bool = "
              "False, *, stream: Stream | ThreadLocalStream | Device | None = None) -> "
              "tuple[array, array]"),
      "(min, max) over axes (all by default): min and max in one call.");
  m.def(
      "var",
      [](ArrayLike a, const Axes& axis, bool keepdims, int ddof, StreamOrDevice s) {
        return py_var(to_array(a), axis, keepdims, ddof, s);
      },
      "a"_a, "axis"_a = nb::none(), "keepdims"_a = false, "ddof"_a = 0, nb::kw_only(), S,
      "Variance over axes (divided by n - ddof).");
  m.def(
      "std",
      [](ArrayLike a, const Axes& axis, bool keepdims, int ddof, StreamOrDevice s) {
        return py_std(to_array(a), axis, keepdims, ddof, s);
      },
      "a"_a, "axis"_a = nb::none(), "keepdims"_a = false, "ddof"_a = 0, nb::kw_only(), S,
      "Standard deviation over axes.");
  m.def(
      "argmin",
      [](ArrayLike a, std::optional<int> axis, bool keepdims, StreamOrDevice s) {
        return py_argmin(to_array(a), axis, keepdims, s);
      },
      "a"_a, "axis"_a = nb::none(), "keepdims"_a = false, nb::kw_only(), S,
      "Index of the minimum (uint32).");
  m.def(
      "argmax",
      [](ArrayLike a, std::optional<int> axis, bool keepdims, StreamOrDevice s) {
        return py_argmax(to_array(a), axis, keepdims, s);
      },
      "a"_a, "axis"_a = nb::none(), "keepdims"_a = false, nb::kw_only(), S,
      "Index of the maximum (uint32).");
  m.def(
      "softmax",
      [](ArrayLike a, const Axes& axis, bool precise, StreamOrDevice s) {
        array x = to_array(a);
        return axis.axes ? softmax(x, *axis.axes, precise, s) : softmax(x, precise, s);
      },
      "a"_a, "axis"_a = nb::none(), nb::kw_only(), "precise"_a = false, S,
      "exp(a) / sum(exp(a)) over axes, computed stably.");
  m.def(
      "allclose",
      [](ArrayLike a, ArrayLike b, double rtol, double atol, bool equal_nan, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        return allclose(x, y, rtol, atol, equal_nan, s);
      },
      "a"_a, "b"_a, "rtol"_a = 1e-5, "atol"_a = 1e-8, nb::kw_only(), "equal_nan"_a = false, S,
      "Whether every pair of elements of a and b (broadcast together) is close:\n"
      "|a - b| <= atol + rtol * |b|.\n\n"
      "Args:\n"
      "    a, b: the arrays to compare.\n"
      "    rtol: the relative tolerance.\n"
      "    atol: the absolute tolerance.\n"
      "    equal_nan: count NaNs in the same place as equal.\n\n"
      "Returns:\n"
      "    A boolean scalar array.");
  m.def(
      "array_equal",
      [](ArrayLike a, ArrayLike b, bool equal_nan, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        return array_equal(x, y, equal_nan, s);
      },
      "a"_a, "b"_a, "equal_nan"_a = false, nb::kw_only(), S,
      "Whether a and b have the same shape and values.");
  m.def(
      "diff",
      [](ArrayLike a, int n, int axis, StreamOrDevice s) { return diff(to_array(a), n, axis, s); },
      "a"_a, "n"_a = 1, "axis"_a = -1, nb::kw_only(), S, "n-th discrete difference along axis.");
  m.def(
      "trace",
      [](ArrayLike a, int offset, int axis1, int axis2, std::optional<Dtype> dtype,
         StreamOrDevice s) {
        array x = to_array(a);
        return dtype ? trace(x, offset, axis1, axis2, *dtype, s)
                     : trace(x, offset, axis1, axis2, s);
      },
      "a"_a, "offset"_a = 0, "axis1"_a = 0, "axis2"_a = 1, "dtype"_a = nb::none(), nb::kw_only(), S,
      "Sum along a diagonal.");
}

}  // namespace tandem::py
