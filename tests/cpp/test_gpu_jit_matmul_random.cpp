// Compiles every NVRTC program the matmul and random families can generate
// (device/matmul.cuh, device/random.cuh) for sm_90, without a GPU, so that
// device-code errors show up in CI.
#ifdef TANDEM_WITH_CUDA

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tandem/backend/cuda/jit.h"
#include "tandem/dtype.h"
#include "test_utils.h"

using namespace tandem;

TEST(GpuJitMatmulRandom, MatmulHelperKernelsCompile) {
  // matmul.cpp builds one program per dtype with this name; all in one here.
  std::vector<std::string> names;
  for (Dtype t : {float16, bfloat16, float32, float64, complex64}) {
    names.push_back("tandem::matmul_fallback<" + std::string(gpu::device_type(t)) + ">");
  }
  test::expect_jit_compiles("matmul.cuh", names);
}

TEST(GpuJitMatmulRandom, RandomBitsCompiles) {
  test::expect_jit_compiles("random.cuh", {"tandem::random_bits"});
}

#endif  // TANDEM_WITH_CUDA
