// GPU work recorded into CUDA graphs (graph_capture.cpp): results must match
// the CPU whatever the segment boundaries are: chains of every length around
// the segment sizes, kernels that change between replays of a cached graph,
// library calls and copies recorded in the graph, and the waits and uploads
// that end a segment. Skipped without a GPU.
#include <random>

#include "test_utils.h"

using namespace tandem;

namespace {

// A chain of n ops drawn by `seed` from kernels of several families, so that
// replays of a cached graph of the same length swap the kernels in it.
array mixed_chain(array x, const array& w, int n, unsigned seed, StreamOrDevice s) {
  std::mt19937 rng(seed);
  for (int i = 0; i < n; ++i) {
    switch (rng() % 6) {
      case 0:
        x = tanh(x, s);
        break;
      case 1:
        x = multiply(x, array(0.75f), s);
        break;
      case 2:
        x = add(x, w, s);
        break;
      case 3:
        x = sin(x, s);
        break;
      case 4:
        x = maximum(x, negative(w, s), s);
        break;
      default:
        // A reduction broadcast back: a different kernel shape in the chain.
        x = subtract(x, mean(x, 1, true, s), s);
        break;
    }
  }
  return x;
}

void expect_matches_cpu(const array& got, const array& want, const std::string& what) {
  test::expect_close(test::to_double(got), test::to_double(want), 1e-5, 1e-5, what);
}

TEST(GpuGraphs, ChainsOfEveryLengthAroundSegmentSizesMatchCpu) {
  TANDEM_REQUIRE_GPU();
  array x = test::random_array({16, 33}, float32);
  array w = test::random_array({16, 33}, float32);
  // Lengths straddle the segment sizes (8, 16, 32, 64); each length twice
  // with other kernels, so the second run updates the cached graph.
  for (int n : {1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 130, 300}) {
    for (unsigned seed : {1u, 2u}) {
      array g = mixed_chain(x, w, n, seed * 1000 + n, Device::gpu);
      array c = mixed_chain(x, w, n, seed * 1000 + n, Device::cpu);
      expect_matches_cpu(g, c, "chain of " + std::to_string(n) + ", seed " + std::to_string(seed));
    }
  }
}

TEST(GpuGraphs, ManyEvalsOfOneChainReuseTheGraph) {
  TANDEM_REQUIRE_GPU();
  array x = test::random_array({4}, float32);
  array one = test::random_array({4}, float32, 0.0, 0.01);
  array want = x;
  for (int i = 0; i < 100; ++i) want = add(want, one, Device::cpu);
  for (int rep = 0; rep < 20; ++rep) {
    array y = x;
    for (int i = 0; i < 100; ++i) y = add(y, one, Device::gpu);
    expect_matches_cpu(y, want, "rep " + std::to_string(rep));
  }
}

TEST(GpuGraphs, MatmulAndCopiesInsideChainsMatchCpu) {
  TANDEM_REQUIRE_GPU();
  array a = test::random_array({64, 48}, float32, -1, 1);
  array b = test::random_array({48, 48}, float32, -0.2, 0.2);
  auto run = [&](StreamOrDevice s) {
    array y = a;
    for (int i = 0; i < 12; ++i) {
      y = tanh(matmul(y, b, s), s);                                  // cuBLASLt, then a kernel
      array top = slice(y, {0, 0}, {32, 48}, s);                     // a view
      y = concatenate({top, slice(y, {32, 0}, {64, 48}, s)}, 0, s);  // copies
      y = add(y, array(0.01f), s);
    }
    return y;
  };
  expect_matches_cpu(run(Device::gpu), run(Device::cpu), "matmul chain");
}

TEST(GpuGraphs, WaitsAndUploadsBetweenSegmentsMatchCpu) {
  TANDEM_REQUIRE_GPU();
  Stream s1 = new_stream(Device::gpu), s2 = new_stream(Device::gpu);
  array x = test::random_array({1000}, float32);
  // Host arrays, each copied to the GPU when first used there: mid-chain.
  std::vector<array> h;
  for (int i = 0; i < 10; ++i) h.push_back(test::random_array({1000}, float32, -0.1, 0.1));
  auto run = [&](StreamOrDevice a, StreamOrDevice b) {
    array y = x;
    for (int i = 0; i < 10; ++i) {
      y = add(sin(y, a), h[i], a);
      // Consumed on another stream: a cross-stream wait each round.
      y = multiply(y, array(0.9f), b);
    }
    return y;
  };
  array g = run(s1, s2);
  array c = run(Device::cpu, Device::cpu);
  expect_matches_cpu(g, c, "two streams with uploads");
}

}  // namespace
