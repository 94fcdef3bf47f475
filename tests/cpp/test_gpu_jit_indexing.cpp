// Compiles (NVRTC, sm_90, no GPU needed) the device programs of the
// indexing family over every element type, index type and reduction the
// host code can ask for, so device-code errors show up in CI.
#ifdef TANDEM_WITH_CUDA

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tandem/backend/cuda/jit.h"
#include "tandem/dtype.h"
#include "test_utils.h"

using namespace tandem;

namespace {

const Dtype kAll[] = {bool_, uint8, uint16,  uint32,   uint64,  int8,    int16,
                      int32, int64, float16, bfloat16, float32, float64, complex64};
const Dtype kIndex[] = {uint8, uint16, uint32, uint64, int8, int16, int32, int64};
const char* kBits[] = {"uint8_t", "uint16_t", "uint32_t", "uint64_t"};

// As indexing.cpp names them, with the 32-bit index width, and with the
// 64-bit one too when `wide` (the width only changes the loop counter, so
// one case of each kernel suffices for it; keeps the compile short).
void add(std::vector<std::string>& names, const std::string& kind, const std::string& args,
         bool wide = false) {
  names.push_back("tandem::" + kind + "<" + args + ", uint32_t>");
  if (wide) names.push_back("tandem::" + kind + "<" + args + ", int64_t>");
}

void compile(const std::vector<std::string>& names) {
  test::expect_jit_compiles("indexing.cuh", names);
}

std::string it(Dtype t) {
  return gpu::device_type(t);
}

// Gathers move element bits: every element size with int32 indices, every
// index type with 4-byte elements.
std::vector<std::string> gather_names(const std::string& kind) {
  std::vector<std::string> names;
  for (const char* b : kBits) add(names, kind, std::string(b) + ", int32_t", true);
  for (Dtype i : kIndex) add(names, kind, "uint32_t, " + it(i));
  return names;
}

// Plain scatters move element bits (every size); reductions run on every
// dtype; every index type with float32 Sum.
std::vector<std::string> scatter_names(const std::string& kind) {
  std::vector<std::string> names;
  for (const char* b : kBits) add(names, kind, std::string("0, ") + b + ", int32_t", true);
  for (int r = 1; r <= 4; ++r) {
    for (Dtype t : kAll) add(names, kind, std::to_string(r) + ", " + it(t) + ", int32_t");
  }
  for (Dtype i : kIndex) add(names, kind, "1, float, " + it(i), true);
  return names;
}

}  // namespace

TEST(GpuJitIndexing, Copy) {
  std::vector<std::string> names;
  for (const char* b : kBits) add(names, "copy_strided", b, true);
  add(names, "copy_strided", "uint4", true);  // 16-byte units of contiguous rows
  compile(names);
}

TEST(GpuJitIndexing, Gather) {
  compile(gather_names("gather"));
}

TEST(GpuJitIndexing, GatherAxis) {
  compile(gather_names("gather_axis"));
}

TEST(GpuJitIndexing, Scatter) {
  compile(scatter_names("scatter"));
}

TEST(GpuJitIndexing, ScatterAxis) {
  compile(scatter_names("scatter_axis"));
}

#endif  // TANDEM_WITH_CUDA
