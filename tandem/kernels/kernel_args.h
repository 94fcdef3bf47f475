#pragma once
// Argument blocks of the GPU kernels that take one by value: the host fills
// the same struct the device code reads.
#include "tandem/kernels/layout.h"

namespace tandem::k {

// Dense elementwise kernels take up to this many elements a thread, loaded
// before any is computed so that the loads are in flight together (the
// host's dense_blocks picks the grid; the kernel derives its count from it).
constexpr int kDensePerThread = 4;

// Fused elementwise programs: eval's fusion builds no larger node
// (tandem/fusion.h takes its limits from here).
constexpr int kFusedMaxInputs = 64;
constexpr int kFusedMaxOutputs = 8;
// Inputs that are not row-major (a broadcast bias, a row mean, a transpose)
// are read through strides: at most kFusedMaxStrided of them a kernel, each
// with at most kFusedStridedDims dims once collapsed; the others are copied.
constexpr int kFusedMaxStrided = 8;
constexpr int kFusedStridedDims = 4;
struct FusedArgs {
  const void* in[kFusedMaxInputs];
  void* out[kFusedMaxOutputs];
  uint64_t n;
  uint32_t zero;  // always 0, unknown to the compiler: see device/fused.cuh's keep()
  // Strided input j: its collapsed dims, innermost first (sizes, strides in elements).
  int64_t sshape[kFusedMaxStrided][kFusedStridedDims];
  int64_t sstride[kFusedMaxStrided][kFusedStridedDims];
};

// The index arrays of a gather or scatter over their shared (collapsed)
// shape, one more stride set (the updates' leading dims for scatter), and
// for each indexed axis of the data its size, clamp top and stride.
constexpr int kMaxIndexArrays = 10;
struct IndexArgs {
  int k = 0;
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxIndexArrays + 1][kMaxDims] = {};
  const void* ptr[kMaxIndexArrays] = {};
  int64_t n[kMaxIndexArrays] = {};
  int64_t hi[kMaxIndexArrays] = {};
  int64_t stride[kMaxIndexArrays] = {};
  // Debug mode (TANDEM_CHECK_INDICES): where the first index out of range is
  // reported (see device/indexing.cuh's report_index); null when off.
  unsigned long long* err = nullptr;
};

// The lines of a sort along one axis: n elements at stride sa; a line l
// starts at offset_of(l / post, pl) + offset_of(l % post, ql) in the input
// and at (l / post) * n * post + l % post in the (row-contiguous) output.
struct SortLines {
  int64_t n = 0, sa = 0, post = 1;
  Layout pl, ql;
  TANDEM_HD int64_t in_offset(int64_t l) const {
    return offset_of(l / post, pl) + offset_of(l % post, ql);
  }
  TANDEM_HD int64_t out_offset(int64_t l) const { return (l / post) * n * post + l % post; }
};

// Strides (elements) of a batched product in the fallback matmul kernel;
// the batch dims are those of the output, row-major.
struct MatmulStrides {
  int64_t M = 0, N = 0, K = 0;
  int64_t a_m = 0, a_k = 0, b_k = 0, b_n = 0, c_m = 0, c_n = 0;
  int nbatch_dims = 0;
  int64_t batch_shape[kMaxDims] = {};
  int64_t a_batch[kMaxDims] = {}, b_batch[kMaxDims] = {}, c_batch[kMaxDims] = {};
};

}  // namespace tandem::k
