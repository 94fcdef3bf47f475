#pragma once
// Output allocation for CPU kernels: donate an input's buffer when allowed,
// else allocate, keeping the input's dense layout for elementwise ops.
#include "tandem/array.h"

namespace tandem::cpu {

// Row-contiguous buffer for out.
void allocate_row_contiguous(array& out);
// Output of an elementwise op on `in` (same shape): donates in's buffer if
// possible; a dense input's layout is kept (so a transposed input gives a
// transposed output); other inputs give a row-contiguous output.
void set_elementwise_output(const std::vector<array>& inputs, array& out);

}  // namespace tandem::cpu
