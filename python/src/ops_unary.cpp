// Module-level ops of the unary family (tandem/ops/unary.h). Every op takes a
// keyword-only `stream=` (a Stream, a Device, or None).
#include "python/src/ops_common.h"
#include "tandem/ops/unary.h"

namespace tandem::py {
namespace {

// Unary ops: an array argument is used in place, without a copy.
template <array (*F)(const array&, StreamOrDevice)>
ArrayOut unary(ArrayLike a, StreamOrDevice s) {
  if (is_array(a.h)) return {F(as_array(a.h), std::move(s))};
  return {F(to_array(a.h), std::move(s))};
}

}  // namespace

void init_ops_unary(nb::module_& m) {
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
}

}  // namespace tandem::py
