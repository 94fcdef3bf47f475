#pragma once
// Python-facing wrappers shared by the module functions and the array methods
// (axis=None meaning "all axes", optional axes, and so on).
#include "python/src/common.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/reduce.h"
#include "tandem/ops/scan.h"
#include "tandem/ops/sort.h"
#include "tandem/ops/utils.h"

namespace tandem::py {

// The keyword-only `stream=` argument of every op (a Stream, a Device, or None).
inline const auto S = "stream"_a = nb::none();

#define TANDEM_PY_REDUCE(name)                                                                  \
  inline array py_##name(const array& a, const Axes& axis, bool keepdims, StreamOrDevice s) {   \
    return axis.axes ? tandem::name(a, *axis.axes, keepdims, s) : tandem::name(a, keepdims, s); \
  }
TANDEM_PY_REDUCE(all)
TANDEM_PY_REDUCE(any)
TANDEM_PY_REDUCE(sum)
TANDEM_PY_REDUCE(prod)
TANDEM_PY_REDUCE(max)
TANDEM_PY_REDUCE(min)
TANDEM_PY_REDUCE(mean)
TANDEM_PY_REDUCE(logsumexp)
TANDEM_PY_REDUCE(median)
TANDEM_PY_REDUCE(count_nonzero)
#undef TANDEM_PY_REDUCE

inline array py_var(const array& a, const Axes& axis, bool keepdims, int ddof, StreamOrDevice s) {
  return axis.axes ? tandem::var(a, *axis.axes, keepdims, ddof, s)
                   : tandem::var(a, keepdims, ddof, s);
}
inline array py_std(const array& a, const Axes& axis, bool keepdims, int ddof, StreamOrDevice s) {
  return axis.axes ? tandem::std(a, *axis.axes, keepdims, ddof, s)
                   : tandem::std(a, keepdims, ddof, s);
}

#define TANDEM_PY_ARGREDUCE(name)                                                     \
  inline array py_##name(const array& a, std::optional<int> axis, bool keepdims,      \
                         StreamOrDevice s) {                                          \
    return axis ? tandem::name(a, *axis, keepdims, s) : tandem::name(a, keepdims, s); \
  }
TANDEM_PY_ARGREDUCE(argmin)
TANDEM_PY_ARGREDUCE(argmax)
#undef TANDEM_PY_ARGREDUCE

#define TANDEM_PY_SCAN(name)                                                                    \
  inline array py_##name(const array& a, std::optional<int> axis, bool reverse, bool inclusive, \
                         StreamOrDevice s) {                                                    \
    return axis ? tandem::name(a, *axis, reverse, inclusive, s)                                 \
                : tandem::name(a, reverse, inclusive, s);                                       \
  }
TANDEM_PY_SCAN(cumsum)
TANDEM_PY_SCAN(cumprod)
TANDEM_PY_SCAN(cummax)
TANDEM_PY_SCAN(cummin)
TANDEM_PY_SCAN(logcumsumexp)
#undef TANDEM_PY_SCAN

// split(a, indices_or_sections, axis=0): an int (equal parts) or split points.
inline std::vector<array> py_split(const array& a, nb::handle ios, int axis, StreamOrDevice s) {
  if (PyLong_Check(ios.ptr())) return tandem::split(a, nb::cast<int>(ios), axis, s);
  return tandem::split(a, nb::cast<Shape>(ios), axis, s);
}

// Each item of a Python sequence (arrays or anything array() takes) as an array.
std::vector<array> to_array_list(nb::handle seq);
// Results of ops that give several arrays, as a Python list.
nb::list as_list(const std::vector<array>& v);

}  // namespace tandem::py
