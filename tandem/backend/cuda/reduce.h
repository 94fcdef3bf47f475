#pragma once
// Host side of the reduce family's GPU kernels (device/reduce.cuh, scan.cuh,
// sort.cuh): the kernel names of each program (also compiled by the JIT
// test) and the launch helpers reduce.cpp, scan.cpp and sort.cpp share.
#include <string>
#include <vector>

#include "tandem/backend/cuda/elementwise.h"
#include "tandem/primitives/reduce.h"
#include "tandem/primitives/scan.h"

namespace tandem::gpu::red {

inline bool is_half(Dtype t) {
  return t == float16 || t == bfloat16;
}

// The type Reduce accumulates in: bool for And/Or; the output's (float32
// for halves) for Sum/Prod; the input's (float32 for halves) for Max/Min.
Dtype reduce_acc_type(ReduceOp op, Dtype in, Dtype out);
// The type Scan accumulates in (as the CPU): uint8 for bool, float32 for
// halves, float64 for float32 sums and products, else the dtype.
Dtype scan_acc_type(ScanOp op, Dtype t);

// The kernels of one program, in the order the host indexes them.
std::vector<std::string> reduce_kernel_names(ReduceOp op, Dtype in, Dtype out);
std::vector<std::string> arg_reduce_kernel_names(ArgReduceOp op, Dtype in);
std::vector<std::string> scan_kernel_names(ScanOp op, Dtype t);
std::vector<std::string> sort_kernel_names(Dtype t);

// A layout of n dims (throws past kMaxDims).
Layout make_layout(const int64_t* shape, const int64_t* strides, size_t n);
// One dim of n elements at stride (no dims when n <= 1).
Layout dense_layout(int64_t n, int64_t stride);
// Layout of dims [b, e) of a, merged where contiguous.
Layout sub_layout(const array& a, int b, int e);
inline int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}
// Blocks of `threads` threads of kernel (a jit kernel handle) the GPU holds
// at once (occupancy x SMs; cached per kernel).
int64_t resident(const void* kernel, int threads = 256);
// A grid of `blocks` blocks capped at what is resident at once (kernels
// loop over their work, so one wave stays busy to the end).
unsigned grid_for(const void* kernel, int64_t blocks, int threads = 256);

}  // namespace tandem::gpu::red
