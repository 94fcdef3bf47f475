#pragma once
// Host side of the Fused primitive's CUDA kernel (fused.cpp): one kernel is
// generated per program and compiled with NVRTC (see device/fused.cuh).
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/dtype.h"
#include "tandem/fusion.h"
#include "tandem/primitives/fused.h"

namespace tandem::gpu {

// The most inputs and outputs a fused kernel takes: eval's fusion builds no
// larger node (device/fused.cuh repeats the numbers).
inline constexpr int kFusedMaxInputs = kMaxFusedInputs;
inline constexpr int kFusedMaxOutputs = kMaxFusedOutputs;

// Mirrors tandem::FusedArgs in device/fused.cuh (passed by value).
struct FusedArgs {
  const void* in[kFusedMaxInputs];
  void* out[kFusedMaxOutputs];
  uint64_t n;
  uint32_t zero;
};

// The name of the kernel in fused_source's program.
inline constexpr const char* kFusedKernel = "tandem_fused::kernel";

// The CUDA source of p's kernel over inputs of the given dtypes (and
// outputs of the given dtypes, checked when not empty), indexing with
// 64-bit integers when `wide`. Checks the program (operands defined
// before use, dtypes consistent with the unfused kernels', at most
// kFusedMaxInputs inputs and kFusedMaxOutputs outputs); throws
// std::invalid_argument starting "[Fused]" when it is not valid.
std::string fused_source(const FusedProgram& p, const std::vector<Dtype>& input_dtypes,
                         const std::vector<Dtype>& output_dtypes, bool wide);

}  // namespace tandem::gpu
