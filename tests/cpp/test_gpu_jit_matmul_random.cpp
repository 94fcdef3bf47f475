// Compiles every NVRTC program the matmul and random families can generate
// (device/matmul.cuh, device/random.cuh) for sm_90, without a GPU, so that
// device-code errors show up in CI.
#ifdef TANDEM_WITH_CUDA

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tandem/backend/cuda/jit.h"
#include "tandem/dtype.h"

using namespace tandem;

namespace {

std::string compile_error(const std::string& header, const std::vector<std::string>& names) {
  try {
    std::string cubin = gpu::jit_compile(header, names, "sm_90");
    if (cubin.empty()) return "empty cubin";
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(GpuJitMatmulRandom, MatmulHelperKernelsCompile) {
  // matmul.cpp builds one program per dtype with these names; all in one here.
  std::vector<std::string> names;
  for (Dtype t : {float16, bfloat16, float32, float64, complex64}) {
    std::string dt = gpu::device_type(t);
    names.push_back("tandem::matmul_gather<" + dt + ", uint32_t>");
    names.push_back("tandem::matmul_gather<" + dt + ", int64_t>");
    names.push_back("tandem::matmul_fallback<" + dt + ">");
  }
  EXPECT_EQ(compile_error("matmul.cuh", names), "");
}

TEST(GpuJitMatmulRandom, RandomBitsCompiles) {
  EXPECT_EQ(compile_error("random.cuh", {"tandem::random_bits"}), "");
}

#endif  // TANDEM_WITH_CUDA
