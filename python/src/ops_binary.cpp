// Module-level ops of the binary family (tandem/ops/binary.h), `where` included.
#include "python/src/ops_common.h"
#include "tandem/ops/binary.h"

namespace tandem::py {
namespace {

// Binary ops: the hot path (two arrays) avoids any conversion.
template <array (*F)(const array&, const array&, StreamOrDevice)>
ArrayOut binary(ArrayLike a, ArrayLike b, StreamOrDevice s) {
  if (is_array(a.h) && is_array(b.h)) return {F(as_array(a.h), as_array(b.h), std::move(s))};
  auto [x, y] = to_arrays(a.h, b.h);
  return {F(x, y, std::move(s))};
}

}  // namespace

void init_ops_binary(nb::module_& m) {
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
}

}  // namespace tandem::py
