#pragma once
// Dimension collapsing, shared by the backends' strided kernels: fewer
// dims mean shorter index arithmetic per element.
#include <vector>

#include "tandem/small_vector.h"

namespace tandem {

// Merges adjacent dims that are contiguous with each other in every one of
// the stride sets (dims of size 1 are dropped). Returns the collapsed shape
// and fills the collapsed strides of each set.
Shape collapse_dims(const Shape& shape, const std::vector<Strides>& strides,
                    std::vector<Strides>& out_strides);

}  // namespace tandem
