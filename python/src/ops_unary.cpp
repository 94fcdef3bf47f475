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
#define TANDEM_UNARY(NAME, FN, WHAT)                            \
  m.def(NAME, &unary<&tandem::FN>, "a"_a, nb::kw_only(), S,     \
        "Elementwise " WHAT                                     \
        ".\n\nArgs:\n    a: input array (or a scalar, list or " \
        "NumPy array).\n\nReturns:\n    An array of a's shape.");
  TANDEM_UNARY("abs", abs, "absolute value |a| (the modulus for complex a)")
  TANDEM_UNARY("sign", sign, "sign of a: -1, 0 or 1 (a / |a| for complex a)")
  TANDEM_UNARY("positive", positive, "identity +a (a copy of a)")
  TANDEM_UNARY("negative", negative, "negation -a")
  TANDEM_UNARY("square", square, "square a * a")
  TANDEM_UNARY("sqrt", sqrt, "square root")
  TANDEM_UNARY("rsqrt", rsqrt, "reciprocal square root 1 / sqrt(a)")
  TANDEM_UNARY("reciprocal", reciprocal, "reciprocal 1 / a")
  TANDEM_UNARY("logical_not", logical_not, "logical not (a boolean array, True where a is zero)")
  TANDEM_UNARY("exp", exp, "exponential e**a")
  TANDEM_UNARY("expm1", expm1, "exp(a) - 1, accurate for small a")
  TANDEM_UNARY("erf", erf, "error function")
  TANDEM_UNARY("erfinv", erfinv, "inverse of the error function, defined on (-1, 1)")
  TANDEM_UNARY("sin", sin, "sine (a in radians)")
  TANDEM_UNARY("cos", cos, "cosine (a in radians)")
  TANDEM_UNARY("tan", tan, "tangent (a in radians)")
  TANDEM_UNARY("arcsin", arcsin, "inverse sine, in radians")
  TANDEM_UNARY("arccos", arccos, "inverse cosine, in radians")
  TANDEM_UNARY("arctan", arctan, "inverse tangent, in radians")
  TANDEM_UNARY("sinh", sinh, "hyperbolic sine")
  TANDEM_UNARY("cosh", cosh, "hyperbolic cosine")
  TANDEM_UNARY("tanh", tanh, "hyperbolic tangent")
  TANDEM_UNARY("arcsinh", arcsinh, "inverse hyperbolic sine")
  TANDEM_UNARY("arccosh", arccosh, "inverse hyperbolic cosine")
  TANDEM_UNARY("arctanh", arctanh, "inverse hyperbolic tangent")
  TANDEM_UNARY("asin", arcsin, "inverse sine, in radians (the same as arcsin)")
  TANDEM_UNARY("acos", arccos, "inverse cosine, in radians (the same as arccos)")
  TANDEM_UNARY("atan", arctan, "inverse tangent, in radians (the same as arctan)")
  TANDEM_UNARY("asinh", arcsinh, "inverse hyperbolic sine (the same as arcsinh)")
  TANDEM_UNARY("acosh", arccosh, "inverse hyperbolic cosine (the same as arccosh)")
  TANDEM_UNARY("atanh", arctanh, "inverse hyperbolic tangent (the same as arctanh)")
  TANDEM_UNARY("degrees", degrees, "conversion from radians to degrees")
  TANDEM_UNARY("radians", radians, "conversion from degrees to radians")
  TANDEM_UNARY("log", log, "natural logarithm")
  TANDEM_UNARY("log2", log2, "base-2 logarithm")
  TANDEM_UNARY("log10", log10, "base-10 logarithm")
  TANDEM_UNARY("log1p", log1p, "log(1 + a), accurate for small a")
  TANDEM_UNARY("sigmoid", sigmoid, "logistic function 1 / (1 + exp(-a))")
  TANDEM_UNARY("floor", floor, "largest integer not above a (integers are returned unchanged)")
  TANDEM_UNARY("ceil", ceil, "smallest integer not below a (integers are returned unchanged)")
  TANDEM_UNARY("trunc", trunc, "integer part of a, rounded toward zero")
  TANDEM_UNARY("isnan", isnan, "test for NaN (a boolean array)")
  TANDEM_UNARY("isinf", isinf, "test for positive or negative infinity (a boolean array)")
  TANDEM_UNARY("isposinf", isposinf, "test for positive infinity (a boolean array)")
  TANDEM_UNARY("isneginf", isneginf, "test for negative infinity (a boolean array)")
  TANDEM_UNARY("isfinite", isfinite,
               "test for values that are neither infinite nor NaN (a boolean array)")
  TANDEM_UNARY("conjugate", conjugate, "complex conjugate (real arrays are returned unchanged)")
  TANDEM_UNARY("conj", conjugate, "complex conjugate (the same as conjugate)")
  TANDEM_UNARY("real", real, "real part (a float array for complex a)")
  TANDEM_UNARY("imag", imag, "imaginary part (a float array for complex a; zeros for real a)")
  TANDEM_UNARY("bitwise_invert", bitwise_invert, "bitwise not of an integer or boolean array")
  TANDEM_UNARY("stop_gradient", stop_gradient,
               "identity, with a zero gradient: transforms treat the result as a constant")
#undef TANDEM_UNARY
  m.def(
      "round",
      [](ArrayLike a, int decimals, StreamOrDevice s) {
        return tandem::round(to_array(a), decimals, s);
      },
      "a"_a, "decimals"_a = 0, nb::kw_only(), S, "Rounds half to even to `decimals` places.");
}

}  // namespace tandem::py
