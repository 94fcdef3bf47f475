#pragma once
// Strided copy with dtype conversion: the workhorse of astype, contiguous,
// reshape of non-contiguous data, concatenate, pad and friends.
#include "tandem/backend/cpu/encoder.h"

namespace tandem::cpu {

// Copies every element of src (its shape, strides, dtype) into dst at the
// same logical index, where dst's layout is given by dst_strides (elements)
// from dst_ptr, converting to dst_dtype. Runs on the calling thread (inside a
// kernel); large copies use intra-op threads.
void copy_strided(const Ref& src, char* dst_ptr, const Strides& dst_strides, Dtype dst_dtype);

// Copies src into the row-major array dst (same shape, any dtypes).
void copy_to_row_major(const Ref& src, const Ref& dst);

}  // namespace tandem::cpu
