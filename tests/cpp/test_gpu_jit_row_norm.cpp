// Compiles (NVRTC, sm_90, no GPU needed) every kernel of the RowNorm
// programs (device/row_norm.cuh) with the names the host builds
// (tandem/backend/cuda/row_norm.h): each op x floating dtype x launch shape
// x packed or element-wise reads, one program per op, so device-code errors
// show up in CI.
#ifdef TANDEM_WITH_CUDA

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tandem/backend/cuda/jit.h"
#include "tandem/backend/cuda/row_norm.h"
#include "tandem/dtype.h"
#include "test_utils.h"

using namespace tandem;
namespace rn = tandem::gpu::rownorm;

namespace {

TEST(JitRowNormShapes, GrowAndEndLooped) {
  for (Dtype t : {float16, bfloat16, float32, float64}) {
    auto sh = rn::shapes(t);
    ASSERT_GE(sh.size(), 4u);
    EXPECT_EQ(sh.back().threads, 0);
    int64_t cap = 0;
    for (size_t i = 0; i + 1 < sh.size(); ++i) {
      int64_t c = int64_t(sh[i].threads) * sh[i].items * rn::pack_of(t);
      EXPECT_GT(c, cap) << "shape " << i << " of " << t;
      cap = c;
      // At most 32 values of the compute type a thread (16 doubles).
      EXPECT_LE(sh[i].items * rn::pack_of(t), t == float64 ? 16 : 32);
    }
    // 8192 float32 (the benchmark's rows) fit in registers.
    if (t == float32) EXPECT_GE(cap, 8192);
  }
}

class JitRowNorm : public ::testing::TestWithParam<int> {};

TEST_P(JitRowNorm, EveryDtypeAndShape) {
  auto op = static_cast<RowNormOp>(GetParam());
  std::vector<std::string> names;
  for (Dtype t : {float16, bfloat16, float32, float64}) {
    for (auto sh : rn::shapes(t)) {
      names.push_back(rn::kernel_name(op, t, sh, true));
      if (sh.threads) names.push_back(rn::kernel_name(op, t, sh, false));
    }
  }
  test::expect_jit_compiles("row_norm.cuh", names);
}

INSTANTIATE_TEST_SUITE_P(RowNorm, JitRowNorm, ::testing::Range(0, 4));

}  // namespace

#endif  // TANDEM_WITH_CUDA
