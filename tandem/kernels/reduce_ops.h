#pragma once
// The ops of the reduction, scan and scatter families, numbered alike for
// the core and both backends.
#include "tandem/kernels/traits.h"

namespace tandem {

enum class ReduceOp : int { And, Or, Sum, Prod, Max, Min };
enum class ArgReduceOp : int { ArgMin, ArgMax };
enum class ScanOp : int { Sum, Prod, Max, Min, LogAddExp };
// How a scatter combines an update with the value in place (None: replace).
enum class ScatterReduce : int { None, Sum, Prod, Max, Min };

namespace k {

// How a scatter with reduction R combines the value in place d with an
// update v, for compute types (float, double, integers, bool, Cx::type;
// half types compute in float). Integer sums and products wrap; a NaN on
// either side wins max/min; complex values order lexicographically
// (Cx::lt, Cx::isnan come from the backend, see binary_ops.h).
template <ScatterReduce R, typename C, typename Cx>
TANDEM_HD C scatter_combine(C d, C v) {
  constexpr bool cpx = same<C, typename Cx::type>::value;
  if constexpr (R == ScatterReduce::None) {
    return v;
  } else if constexpr (same<C, bool>::value) {
    if constexpr (R == ScatterReduce::Sum || R == ScatterReduce::Max)
      return d || v;
    else
      return d && v;
  } else if constexpr (is_integral<C>::value &&
                       (R == ScatterReduce::Sum || R == ScatterReduce::Prod)) {
    wrap_t<C> a = static_cast<wrap_t<C>>(d), b = static_cast<wrap_t<C>>(v);
    return static_cast<C>(R == ScatterReduce::Sum ? a + b : a * b);
  } else if constexpr (R == ScatterReduce::Sum) {
    return d + v;
  } else if constexpr (R == ScatterReduce::Prod) {
    return d * v;
  } else {
    bool d_nan = false, v_nan = false, lt_dv, lt_vd;
    if constexpr (cpx) {
      d_nan = Cx::isnan(d);
      v_nan = Cx::isnan(v);
      lt_dv = Cx::lt(d, v);
      lt_vd = Cx::lt(v, d);
    } else {
      if constexpr (is_float<C>::value) {
        d_nan = d != d;
        v_nan = v != v;
      }
      lt_dv = d < v;
      lt_vd = v < d;
    }
    if (d_nan) return d;
    if (v_nan) return v;
    if constexpr (R == ScatterReduce::Max)
      return lt_dv ? v : d;
    else
      return lt_vd ? v : d;
  }
}

}  // namespace k
}  // namespace tandem
