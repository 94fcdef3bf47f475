#pragma once
// Strided copies on the GPU (tandem/backend/cuda/indexing.cpp), usable by
// any primitive that writes into an output it allocated.
#include "tandem/array.h"
#include "tandem/backend/cuda/encoder.h"

namespace tandem::gpu {

// Copies the elements of `shape` from src (device address of element 0,
// strides in elements) to dst (likewise) on enc's stream: one device-to-device
// memcpy when both sides are contiguous in the same order, else a strided
// kernel. Marks the node used when it queues work.
void copy_into(Encoder& enc, const void* src, const Strides& src_strides, void* dst,
               const Strides& dst_strides, const Shape& shape, size_t itemsize);

// Output of an op that updates a copy of src: src's buffer when it can be
// donated, else a new buffer (src's layout when src is dense, row-major
// otherwise) holding a copy of src. Returns out's element 0.
void* prepare_update_output(Encoder& enc, const array& src, array& out);

}  // namespace tandem::gpu
