#pragma once
// Host side of the Fused primitive's CUDA kernel (fused.cpp): one kernel is
// generated per program and compiled with NVRTC (see device/fused.cuh).
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/dtype.h"
#include "tandem/fusion.h"
#include "tandem/kernels/kernel_args.h"
#include "tandem/primitives/fused.h"

namespace tandem::gpu {

// The kernel's argument block and its limits (tandem/kernels/kernel_args.h).
using k::FusedArgs;
using k::kFusedMaxInputs;
using k::kFusedMaxOutputs;

// The name of the kernel in fused_source's program.
inline constexpr const char* kFusedKernel = "tandem_fused::kernel";

// The CUDA source of p's kernel over inputs of the given dtypes (and
// outputs of the given dtypes, checked when not empty), indexing with
// 64-bit integers when `wide`. Checks the program (operands defined
// before use, dtypes consistent with the unfused kernels', at most
// kFusedMaxInputs inputs and kFusedMaxOutputs outputs); throws
// std::invalid_argument starting "[Fused]" when it is not valid.
// strided_dims (empty: none) gives per input the count of collapsed dims
// it is read through (FusedArgs::sshape/sstride, slots in input order), 0
// for an input read at [i].
//
// in's layout as fused_source's strided reads take it: its dims without
// the size-1 ones, merged where one continues the next, innermost first into
// shape/stride (kFusedStridedDims each). Returns their count, or 0 when
// there are more.
int collapse_for_read(const array& in, int64_t* shape, int64_t* stride);

// Whether p's kernel takes several elements a thread (device/elementwise.cuh's
// dense_loop, launched on dense_blocks' grid) or one (blocks_for's).
bool fused_multi_element(const FusedProgram& p);

std::string fused_source(const FusedProgram& p, const std::vector<Dtype>& input_dtypes,
                         const std::vector<Dtype>& output_dtypes, bool wide,
                         const std::vector<int>& strided_dims = {});

// How a Fused node whose kernel is neither in memory nor on disk runs.
// in_background (the default): its ops run one kernel each (the unfused
// Unary and Binary kernels, so the same bits) while a background thread
// compiles its kernel for later evals. on_eval_thread (TANDEM_JIT_ASYNC=0):
// the evaluating thread compiles it first, 0.1 s or more for a new program.
// never (tests): always op by op.
enum class FusedCompile { in_background, on_eval_thread, never };
FusedCompile fused_compile_mode();
void set_fused_compile_mode(FusedCompile mode);
// Blocks until every queued background compile has finished.
void wait_fused_compiles();
// How many Fused nodes have run op by op so far (tests).
uint64_t fused_unfused_runs();

}  // namespace tandem::gpu
