#pragma once
// Conversion copies on the GPU (AsType, and the reshape that must copy).
#include "tandem/array.h"
#include "tandem/backend/cuda/encoder.h"

namespace tandem::gpu {

// Copies in (any layout: strided, broadcast, negative strides) into dst,
// row-major at in's shape, converting to dtype `to` as the CPU converts.
void copy_row_major(Encoder& enc, const array& in, void* dst, Dtype to);

}  // namespace tandem::gpu
