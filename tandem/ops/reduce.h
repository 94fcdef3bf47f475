#pragma once
// Reductions and related ops, with MLX's names, overloads and output dtypes. Reductions take axes
// (a vector, one int, or none = all axes) and keepdims; reductions over empty axes follow NumPy
// (sum 0, prod 1, mean nan; max/min/argmax/argmin throw).
#include <optional>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"
// Scans and sorts were declared here before they became families of their
// own; code that includes this header for cumsum or sort keeps building.
#include "tandem/ops/scan.h"
#include "tandem/ops/sort.h"

namespace tandem {

// True where all elements are nonzero (bool result).
array all(const array& a, bool keepdims, StreamOrDevice s = {});
inline array all(const array& a, StreamOrDevice s = {}) {
  return all(a, false, s);
}
array all(const array& a, const std::vector<int>& axes, bool keepdims = false,
          StreamOrDevice s = {});
array all(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// True where any element is nonzero (bool result).
array any(const array& a, bool keepdims, StreamOrDevice s = {});
inline array any(const array& a, StreamOrDevice s = {}) {
  return any(a, false, s);
}
array any(const array& a, const std::vector<int>& axes, bool keepdims = false,
          StreamOrDevice s = {});
array any(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// Sum; bool and small integers accumulate in int32 (unsigned: uint32), 64-bit
// integers in their own type, floats in their own (float16/bfloat16 in float32).
array sum(const array& a, bool keepdims, StreamOrDevice s = {});
inline array sum(const array& a, StreamOrDevice s = {}) {
  return sum(a, false, s);
}
array sum(const array& a, const std::vector<int>& axes, bool keepdims = false,
          StreamOrDevice s = {});
array sum(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// Product, with sum's output dtypes.
array prod(const array& a, bool keepdims, StreamOrDevice s = {});
inline array prod(const array& a, StreamOrDevice s = {}) {
  return prod(a, false, s);
}
array prod(const array& a, const std::vector<int>& axes, bool keepdims = false,
           StreamOrDevice s = {});
array prod(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// Maximum (NaN propagates); throws when reducing an empty axis.
array max(const array& a, bool keepdims, StreamOrDevice s = {});
inline array max(const array& a, StreamOrDevice s = {}) {
  return max(a, false, s);
}
array max(const array& a, const std::vector<int>& axes, bool keepdims = false,
          StreamOrDevice s = {});
array max(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// Minimum (NaN propagates); throws when reducing an empty axis.
array min(const array& a, bool keepdims, StreamOrDevice s = {});
inline array min(const array& a, StreamOrDevice s = {}) {
  return min(a, false, s);
}
array min(const array& a, const std::vector<int>& axes, bool keepdims = false,
          StreamOrDevice s = {});
array min(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// {min, max} over all axes / the given axes: the two reductions, with one
// validation that names minmax.
std::pair<array, array> minmax(const array& a, bool keepdims = false, StreamOrDevice s = {});
std::pair<array, array> minmax(const array& a, const std::vector<int>& axes, bool keepdims = false,
                               StreamOrDevice s = {});

// Arithmetic mean in a float type (float32 for integers); nan over empty axes.
array mean(const array& a, bool keepdims, StreamOrDevice s = {});
inline array mean(const array& a, StreamOrDevice s = {}) {
  return mean(a, false, s);
}
array mean(const array& a, const std::vector<int>& axes, bool keepdims = false,
           StreamOrDevice s = {});
array mean(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// Variance (two-pass: mean of squared deviations), divided by n - ddof.
// Complex input gives the real variance of |x - mean|.
array var(const array& a, bool keepdims, int ddof = 0, StreamOrDevice s = {});
inline array var(const array& a, StreamOrDevice s = {}) {
  return var(a, false, 0, s);
}
array var(const array& a, const std::vector<int>& axes, bool keepdims = false, int ddof = 0,
          StreamOrDevice s = {});
array var(const array& a, int axis, bool keepdims = false, int ddof = 0, StreamOrDevice s = {});

// Standard deviation: sqrt(var).
array std(const array& a, bool keepdims, int ddof = 0, StreamOrDevice s = {});
inline array std(const array& a, StreamOrDevice s = {}) {
  return std(a, false, 0, s);
}
array std(const array& a, const std::vector<int>& axes, bool keepdims = false, int ddof = 0,
          StreamOrDevice s = {});
array std(const array& a, int axis, bool keepdims = false, int ddof = 0, StreamOrDevice s = {});

// Median (mean of the two middle values for even counts), in a float type;
// NaN if the reduced values hold one; nan over empty axes.
array median(const array& a, bool keepdims, StreamOrDevice s = {});
inline array median(const array& a, StreamOrDevice s = {}) {
  return median(a, false, s);
}
array median(const array& a, const std::vector<int>& axes, bool keepdims = false,
             StreamOrDevice s = {});
array median(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// log(sum(exp(a))) computed stably (max-shifted), in a float type; -inf over
// empty axes.
array logsumexp(const array& a, bool keepdims, StreamOrDevice s = {});
inline array logsumexp(const array& a, StreamOrDevice s = {}) {
  return logsumexp(a, false, s);
}
array logsumexp(const array& a, const std::vector<int>& axes, bool keepdims = false,
                StreamOrDevice s = {});
array logsumexp(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// Number of nonzero elements (int32).
array count_nonzero(const array& a, bool keepdims, StreamOrDevice s = {});
inline array count_nonzero(const array& a, StreamOrDevice s = {}) {
  return count_nonzero(a, false, s);
}
array count_nonzero(const array& a, const std::vector<int>& axes, bool keepdims = false,
                    StreamOrDevice s = {});
array count_nonzero(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// Index (uint32) of the first minimum over the flattened array / along axis.
array argmin(const array& a, bool keepdims, StreamOrDevice s = {});
inline array argmin(const array& a, StreamOrDevice s = {}) {
  return argmin(a, false, s);
}
array argmin(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// Index (uint32) of the first maximum over the flattened array / along axis.
array argmax(const array& a, bool keepdims, StreamOrDevice s = {});
inline array argmax(const array& a, StreamOrDevice s = {}) {
  return argmax(a, false, s);
}
array argmax(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// Softmax over axes (all axes when none given), shifted by the max for
// stability. float16/bfloat16 always accumulate in float32, so `precise` only
// documents intent.
array softmax(const array& a, const std::vector<int>& axes, bool precise = false,
              StreamOrDevice s = {});
array softmax(const array& a, bool precise = false, StreamOrDevice s = {});
inline array softmax(const array& a, int axis, bool precise = false, StreamOrDevice s = {}) {
  return softmax(a, std::vector<int>{axis}, precise, s);
}

// all(isclose(a, b, rtol, atol, equal_nan)) as a bool scalar.
array allclose(const array& a, const array& b, double rtol = 1e-5, double atol = 1e-8,
               bool equal_nan = false, StreamOrDevice s = {});
// True when a and b have the same shape and equal elements (any dtypes).
array array_equal(const array& a, const array& b, bool equal_nan, StreamOrDevice s = {});
inline array array_equal(const array& a, const array& b, StreamOrDevice s = {}) {
  return array_equal(a, b, false, s);
}

// n-th discrete difference along axis (bool inputs use not_equal, like NumPy).
array diff(const array& a, int n = 1, int axis = -1, StreamOrDevice s = {});

// Sum of the diagonal at `offset` of the 2-D slices on axis1 / axis2, in
// dtype (default: what sum gives for the input's dtype).
array trace(const array& a, int offset, int axis1, int axis2, Dtype dtype, StreamOrDevice s = {});
array trace(const array& a, int offset, int axis1, int axis2, StreamOrDevice s = {});
array trace(const array& a, StreamOrDevice s = {});

}  // namespace tandem
