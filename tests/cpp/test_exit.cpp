// Process exit while the runtime is busy. Work on several streams of the test
// device (DEVICE=cpu|gpu), with consumers on a CPU stream, then exit: right
// after eval returns (completion work may still be running on the runtime's
// threads) and with the work still in flight (async_eval). Each test runs in
// a child process (a death test) that must exit with status 0, under ASan
// too. The arrays are large enough for threaded kernels, so parallel loops
// and their helpers are running at exit.
#include <cstdlib>
#include <vector>

#include "test_utils.h"

using namespace tandem;

namespace {

void work_then_exit(bool wait) {
  std::vector<array> outs;
  Stream consumer = new_stream(Device::cpu);
  for (int s = 0; s < 3; ++s) {
    Stream producer = new_stream(test::test_device());
    array x = test::random_array({1 << 20}, float32);
    for (int i = 0; i < 20; ++i) x = sin(x, producer);
    outs.push_back(x);
    outs.push_back(negative(x, consumer));
  }
  wait ? eval(outs) : async_eval(outs);
  std::exit(0);
}

// BLAS busy at exit (OpenBLAS's threads on the CPU): a chain of large
// products, or thousands of small ones, still in flight.
void matmuls_then_exit(bool chain) {
  std::vector<array> outs;
  if (chain) {
    array a = test::random_array({800, 800}, float32, -0.05, 0.05);
    for (int i = 0; i < 40; ++i) a = multiply(matmul(a, a), array(1e-3f));
    outs.push_back(a);
  } else {
    array a = test::random_array({64, 64}, float32);
    for (int i = 0; i < 3000; ++i) outs.push_back(matmul(a, add(a, array(float(i)))));
  }
  async_eval(outs);
  std::exit(3);
}

using ExitDeathTest = test::ThreadsafeDeathTest;

TEST_F(ExitDeathTest, ExitWithMatmulChainInFlight) {
  TANDEM_REQUIRE_DEVICE();
  for (int run = 0; run < 3; ++run) {
    EXPECT_EXIT(matmuls_then_exit(/*chain=*/true), ::testing::ExitedWithCode(3), "");
  }
}

TEST_F(ExitDeathTest, ExitWithSmallMatmulsInFlight) {
  TANDEM_REQUIRE_DEVICE();
  for (int run = 0; run < 3; ++run) {
    EXPECT_EXIT(matmuls_then_exit(/*chain=*/false), ::testing::ExitedWithCode(3), "");
  }
}

TEST_F(ExitDeathTest, ExitRightAfterEval) {
  TANDEM_REQUIRE_DEVICE();
  EXPECT_EXIT(work_then_exit(/*wait=*/true), ::testing::ExitedWithCode(0), "");
}

TEST_F(ExitDeathTest, ExitWithWorkInFlight) {
  TANDEM_REQUIRE_DEVICE();
  EXPECT_EXIT(work_then_exit(/*wait=*/false), ::testing::ExitedWithCode(0), "");
}

}  // namespace
