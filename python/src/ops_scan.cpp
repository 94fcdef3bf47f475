// Module-level ops of the scan family (tandem/ops/scan.h).
#include "python/src/ops_common.h"
#include "tandem/ops/scan.h"

namespace tandem::py {

// The arguments of cumulative_sum and cumulative_prod.
#define TANDEM_CUMULATIVE_ARGS                                              \
  "Args:\n"                                                                 \
  "    a: input array.\n"                                                   \
  "    axis: the axis to scan; None scans the flattened array.\n"           \
  "    reverse: scan from the last element toward the first.\n"             \
  "    inclusive: include each element in its own result; when False the\n" \
  "        result is shifted by one and starts with the identity.\n\n"      \
  "Returns:\n"                                                              \
  "    An array of a's shape (1-D when axis is None)."

void init_ops_scan(nb::module_& m) {
#define TANDEM_SCAN(NAME)                                                                        \
  m.def(                                                                                         \
      #NAME,                                                                                     \
      [](ArrayLike a, std::optional<int> axis, bool reverse, bool inclusive, StreamOrDevice s) { \
        return py_##NAME(to_array(a), axis, reverse, inclusive, s);                              \
      },                                                                                         \
      "a"_a, "axis"_a = nb::none(), nb::kw_only(), "reverse"_a = false, "inclusive"_a = true, S, \
      "Cumulative " #NAME " (over the flattened array when axis is None).");
  TANDEM_SCAN(cumsum)
  TANDEM_SCAN(cumprod)
  TANDEM_SCAN(cummax)
  TANDEM_SCAN(cummin)
  TANDEM_SCAN(logcumsumexp)
#undef TANDEM_SCAN
  m.def(
      "cumulative_sum",
      [](ArrayLike a, std::optional<int> axis, bool reverse, bool inclusive, StreamOrDevice s) {
        return py_cumsum(to_array(a), axis, reverse, inclusive, s);
      },
      "a"_a, "axis"_a = nb::none(), nb::kw_only(), "reverse"_a = false, "inclusive"_a = true, S,
      "The running sum of a along axis (the same as cumsum).\n\n" TANDEM_CUMULATIVE_ARGS);
  m.def(
      "cumulative_prod",
      [](ArrayLike a, std::optional<int> axis, bool reverse, bool inclusive, StreamOrDevice s) {
        return py_cumprod(to_array(a), axis, reverse, inclusive, s);
      },
      "a"_a, "axis"_a = nb::none(), nb::kw_only(), "reverse"_a = false, "inclusive"_a = true, S,
      "The running product of a along axis (the same as cumprod).\n\n" TANDEM_CUMULATIVE_ARGS);
}

}  // namespace tandem::py
