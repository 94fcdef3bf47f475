#pragma once
// Host side of the RowNorm kernels (device/row_norm.cuh): the launch shapes
// each dtype has and their kernel names (also compiled by the JIT test).
#include <string>
#include <vector>

#include "tandem/dtype.h"
#include "tandem/primitives/row_norm.h"

namespace tandem::gpu::rownorm {

// One instantiation of row_regs (threads per row, 16-byte packs a thread
// holds), or of row_looped (threads == 0).
struct RowShape {
  int threads;
  int items;
};

// Elements of dtype t in a 16-byte pack.
inline int pack_of(Dtype t) {
  return 16 / static_cast<int>(t.size());
}

// The register shapes of dtype t, by growing capacity (threads * items *
// pack), then the looped kernel: the first that holds a row is used.
// Threads hold at most 32 values of the compute type (16 doubles), so that
// even 1024-thread blocks keep the row in registers without spilling.
std::vector<RowShape> shapes(Dtype t);

// The kernel name of shape sh for op over dtype t; vec: the 16-byte pack
// variant (row_looped takes it at run time: one kernel for both).
std::string kernel_name(RowNormOp op, Dtype t, RowShape sh, bool vec);

}  // namespace tandem::gpu::rownorm
