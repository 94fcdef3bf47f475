// The allocator and the memory API: exact accounting, cache, limits, donation.
#include "test_slow_op.h"
#include "test_utils.h"

using namespace tandem;

TEST(Memory, ActiveMemoryIsExact) {
  synchronize(default_stream(Device::cpu));
  size_t before = get_active_memory();
  {
    array a = zeros({1000}, float32, Device::cpu);
    a.eval();
    // The worker releases the task's buffers just after signalling.
    synchronize(default_stream(Device::cpu));
    EXPECT_EQ(get_active_memory() - before, 4000u);
    array b = zeros({3, 7}, float64, Device::cpu);
    b.eval();
    synchronize(default_stream(Device::cpu));
    EXPECT_EQ(get_active_memory() - before, 4000u + 168u);
  }
  synchronize(default_stream(Device::cpu));
  EXPECT_EQ(get_active_memory(), before);
}

TEST(Memory, PeakAndReset) {
  reset_peak_memory();
  size_t base = get_peak_memory();
  {
    array a = ones({1 << 16}, float32, Device::cpu);
    a.eval();
    EXPECT_GE(get_peak_memory(), base + (1u << 18));
  }
  synchronize(default_stream(Device::cpu));
  reset_peak_memory();
  EXPECT_EQ(get_peak_memory(), get_active_memory());
}

TEST(Memory, CacheKeepsFreedBlocksAndClears) {
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  {
    array a = ones({1 << 14}, float32, Device::cpu);
    a.eval();
  }
  synchronize(default_stream(Device::cpu));
  EXPECT_GE(get_cache_memory(), size_t(1) << 16);
  // A new array of the same size reuses the cached block.
  size_t cached = get_cache_memory();
  {
    array b = ones({1 << 14}, float32, Device::cpu);
    b.eval();
    EXPECT_LT(get_cache_memory(), cached);
  }
  synchronize(default_stream(Device::cpu));
  size_t prev = set_cache_limit(0);
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_EQ(set_cache_limit(prev), 0u);
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
}

TEST(Memory, LimitRaisesNamingShapeDtypeAndBytes) {
  size_t prev = set_memory_limit(get_active_memory() + (1 << 20));
  try {
    array big = zeros({1024, 1024}, float32, Device::cpu);  // 4 MiB > limit
    big.eval();
    FAIL() << "expected OutOfMemory";
  } catch (const OutOfMemory& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("4194304 bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(1024, 1024)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("float32"), std::string::npos) << msg;
    EXPECT_NE(msg.find("cpu"), std::string::npos) << msg;
  }
  EXPECT_EQ(set_memory_limit(prev), get_active_memory() + (1 << 20) - 0 * prev);
  // The process keeps working.
  array ok = add(ones({4}), ones({4}));
  EXPECT_EQ(ok.to_vector<float>(), std::vector<float>(4, 2.0f));
}

TEST(Memory, DonationReusesUniquelyOwnedInput) {
  Stream s = new_stream(Device::cpu);
  array a = test::random_array({1 << 12}, float32);
  array x = add(a, array(1.0f), s);  // a is held: a fresh buffer
  x.eval();
  const void* xbuf = x.buffer()->host;
  // x is only held by the next node once we drop our handle.
  array y = exp(x, s);
  x = array(0.0f);
  y.eval();
  EXPECT_EQ(y.buffer()->host, xbuf);
  // A held input is never overwritten.
  array z = exp(y, s);
  z.eval();
  EXPECT_NE(z.buffer()->host, y.buffer()->host);
}

TEST(Memory, ChainOfTemporariesStaysSmall) {
  Stream s = new_stream(Device::cpu);
  synchronize(s);
  size_t before = get_active_memory();
  array x = ones({1 << 16}, float32, s);
  for (int i = 0; i < 2000; ++i) x = multiply(x, array(1.0001f), s);
  x.eval();
  synchronize(s);
  // Donation keeps a few buffers alive (in flight while the chain runs), not 2000.
  EXPECT_LE(get_active_memory() - before, (size_t(4) << 16) * 4);
}

TEST(Memory, ChainQueuedBehindSlowTaskDonatesThroughout) {
  // Every task of the chain is still pending when the next node is encoded
  // (the stream is busy sleeping), so each donation must see through a long
  // run of pending writers of the same buffer.
  Stream s = new_stream(Device::cpu);
  array a = test::random_array({1 << 12}, float32);
  a.eval();
  synchronize(s);
  // Work left by earlier tests may still free buffers meanwhile, so count
  // from the peak, which only this test's allocations can raise above what
  // was active when we looked.
  size_t before = get_active_memory();
  reset_peak_memory();
  array x = test::test_op(a, s, 100);  // one fresh buffer
  for (int i = 0; i < 500; ++i) x = multiply(x, array(1.0f), s);
  async_eval({x});
  // Everything is encoded while the first task still sleeps: the chain
  // shares the first buffer (plus the scalar operands).
  int64_t grown = static_cast<int64_t>(get_peak_memory()) - static_cast<int64_t>(before);
  EXPECT_LE(grown, int64_t(4 << 12) + 501 * 64);
  auto got = x.to_vector<float>();
  EXPECT_EQ(got, a.to_vector<float>());
}
