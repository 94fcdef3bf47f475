// The GPU backend's runtime: cross-device waits in all four directions (each
// with a slow producer, so a missing wait reads unfinished data), failure
// propagation into GPU work, residency copies, memory accounting and
// out-of-memory errors. Skipped without a GPU.
#include <cmath>

#include "test_slow_op.h"
#include "test_utils.h"

using namespace tandem;
using test::test_op;

namespace {

// n sin's in a row on stream s: a slow producer on either device.
array sin_chain(array x, int n, StreamOrDevice s) {
  for (int i = 0; i < n; ++i) x = sin(x, s);
  return x;
}

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  size_t bad = 0;
  for (size_t i = 0; i < want.size(); ++i) bad += !(std::fabs(got[i] - want[i]) <= tol);
  EXPECT_EQ(bad, 0u) << "of " << want.size() << " elements";
}

// got must be -want within tol (got is read first, so that a consumer that
// did not wait is caught before want is computed).
void expect_negation(const std::vector<float>& got, std::vector<float> want, float tol) {
  for (auto& w : want) w = -w;
  expect_near_all(got, want, tol);
}

// A slow GPU producer on stream `producer` read by a consumer on stream
// `consumer`, which must wait for it.
void check_slow_gpu_producer(Stream producer, Stream consumer) {
  array a = test::random_array({1 << 22}, float32);
  array slow = sin_chain(a, 40, producer);
  array c = negative(slow, consumer);
  auto got = c.to_vector<float>();
  expect_negation(got, sin_chain(a, 40, Device::cpu).to_vector<float>(), 1e-5f);
}

TEST(GpuStreams, CpuToGpuWaitsForSlowCpuProducer) {
  TANDEM_REQUIRE_GPU();
  array a = test::random_array({1 << 20}, float32);
  a.eval();
  Stream cpu = new_stream(Device::cpu), gpu = new_stream(Device::gpu);
  array slow = test_op(a, cpu, 100);  // writes its output 100 ms from now
  array c = negative(slow, gpu);
  auto got = c.to_vector<float>();
  expect_negation(got, a.to_vector<float>(), 0.f);
}

TEST(GpuStreams, GpuToCpuWaitsForSlowGpuProducer) {
  TANDEM_REQUIRE_GPU();
  Stream gpu = new_stream(Device::gpu), cpu = new_stream(Device::cpu);
  check_slow_gpu_producer(gpu, cpu);  // reads the GPU result on the CPU
}

TEST(GpuStreams, GpuToGpuAcrossStreams) {
  TANDEM_REQUIRE_GPU();
  Stream s1 = new_stream(Device::gpu), s2 = new_stream(Device::gpu);
  check_slow_gpu_producer(s1, s2);
}

TEST(GpuStreams, CpuToCpuWhileGpuBusy) {
  TANDEM_REQUIRE_GPU();
  array a = test::random_array({1 << 16}, float32);
  Stream c1 = new_stream(Device::cpu), c2 = new_stream(Device::cpu), g = new_stream(Device::gpu);
  array busy = sin_chain(test::random_array({1 << 22}, float32), 20, g);
  array slow = test_op(a, c1, 50);
  array c = negative(slow, c2);
  eval({busy, c});
  auto got = c.to_vector<float>();
  expect_negation(got, a.to_vector<float>(), 0.f);
}

TEST(GpuStreams, RoundTripsManyTimes) {
  TANDEM_REQUIRE_GPU();
  // CPU -> GPU -> CPU -> GPU ... with values checked at the end.
  array x = test::random_array({4096}, float32);
  auto want = x.to_vector<float>();
  Stream cpu = new_stream(Device::cpu), gpu = new_stream(Device::gpu);
  for (int i = 0; i < 50; ++i) {
    x = negative(x, i % 2 ? cpu : gpu);
    x = test_op(x, cpu, i % 7 == 0 ? 5 : 0);
  }
  expect_near_all(x.to_vector<float>(), want, 0.f);
}

TEST(GpuStreams, CpuFailureFailsGpuConsumerAndStreamStaysUsable) {
  TANDEM_REQUIRE_GPU();
  array a = test::random_array({1024}, float32);
  Stream cpu = new_stream(Device::cpu), gpu = new_stream(Device::gpu);
  array bad = test_op(a, cpu, 20, /*fail=*/true);
  array c = negative(bad, gpu);
  try {
    c.eval();
    FAIL() << "expected the CPU failure to surface from the GPU consumer";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("deliberate kernel failure"), std::string::npos);
  }
  EXPECT_THROW(synchronize(gpu), std::runtime_error);  // reported by the stream once
  synchronize(gpu);
  array ok = negative(a, gpu);
  auto got = ok.to_vector<float>();
  auto want = a.to_vector<float>();
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], -want[i]);
}

TEST(GpuMemory, HostArrayCopiedToDeviceOnce) {
  TANDEM_REQUIRE_GPU();
  array a = test::random_array({1 << 20}, float32);
  a.eval();
  synchronize(default_stream(Device::cpu));
  size_t before = get_active_memory();
  Stream s1 = new_stream(Device::gpu), s2 = new_stream(Device::gpu);
  array b = negative(a, s1), c = negative(a, s2);
  eval({b, c});
  synchronize(s1);
  synchronize(s2);
  // a's device copy (once) plus the two outputs.
  EXPECT_EQ(get_active_memory() - before, 3 * a.nbytes());
  auto vb = b.to_vector<float>(), vc = c.to_vector<float>(), va = a.to_vector<float>();
  for (size_t i = 0; i < va.size(); ++i) ASSERT_TRUE(vb[i] == -va[i] && vc[i] == -va[i]);
}

TEST(GpuMemory, OutOfMemoryNamesBytesShapeDtypeAndDevice) {
  TANDEM_REQUIRE_GPU();
  array a = test::random_array({1 << 22}, float32);
  a.eval();
  synchronize(default_stream(Device::cpu));
  size_t old = set_memory_limit(get_active_memory() + (1 << 20));
  try {
    array b = exp(a, Device::gpu);
    b.eval();
    set_memory_limit(old);
    FAIL() << "expected OutOfMemory";
  } catch (const OutOfMemory& e) {
    set_memory_limit(old);
    std::string m = e.what();
    EXPECT_NE(m.find("16777216"), std::string::npos) << m;
    EXPECT_NE(m.find("(4194304,)"), std::string::npos) << m;
    EXPECT_NE(m.find("float32"), std::string::npos) << m;
    EXPECT_NE(m.find("gpu"), std::string::npos) << m;
  }
  array ok = exp(a, Device::gpu);
  EXPECT_EQ(ok.to_vector<float>().size(), a.size());
}

TEST(GpuMemory, ItemAndPrintingReadGpuResults) {
  TANDEM_REQUIRE_GPU();
  array a(3.5f);
  array b = negative(a, Device::gpu);
  EXPECT_EQ(b.item<float>(), -3.5f);
  std::ostringstream os;
  os << negative(array({1.0f, 2.0f}), Device::gpu);
  EXPECT_EQ(os.str(), "array([-1, -2], dtype=float32)");
}

TEST(GpuDevice, GpuIsTheDefaultDevice) {
  TANDEM_REQUIRE_GPU();
  EXPECT_EQ(default_device(), Device(Device::gpu));
  EXPECT_EQ(device_count(Device::gpu), 1);
}

}  // namespace
