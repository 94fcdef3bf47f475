// A task that fails (an allocation past the memory limit inside a kernel, or
// any exception) fails its eval with the error, and every task waiting on it,
// on any stream, fails too instead of hanging; the streams stay usable.
#include <chrono>
#include <cstdlib>
#include <future>

#include "test_slow_op.h"
#include "test_utils.h"

using namespace tandem;

namespace {

// Runs fn on another thread; fails the test instead of hanging when it has
// not returned after `seconds`.
template <typename F>
void within(double seconds, F fn) {
  auto fut = std::async(std::launch::async, fn);
  if (fut.wait_for(std::chrono::duration<double>(seconds)) != std::future_status::ready) {
    ADD_FAILURE() << "did not return within " << seconds << " s";
    std::_Exit(1);  // the hung thread cannot be joined
  }
  fut.get();
}

struct LimitGuard {
  size_t old;
  explicit LimitGuard(size_t l) : old(set_memory_limit(l)) {}
  ~LimitGuard() { set_memory_limit(old); }
};

}  // namespace

TEST(SchedulerTaskFailure, OutOfMemoryInsideKernelFailsTheEval) {
  Stream s1 = new_stream(Device::cpu), s2 = new_stream(Device::cpu);
  array a = test::random_array({2048, 4096}, float32);
  array b = test::random_array({2048, 4}, float32);
  eval({a, b});
  synchronize(default_stream(Device::cpu));
  // The strided operand needs an 8 MiB copy inside the kernel; the output
  // (32 KiB) is allocated before it runs, within the limit.
  array as = slice(a, {0, 0}, {2048, 4096}, {1, 2});
  array p = matmul(as, b, s1);
  array q = add(p, array(1.0f), s2);  // waits on s1 from another stream
  array r = multiply(q, array(2.0f), s1);
  within(20, [&] {
    LimitGuard lim(get_active_memory() + (1 << 20));
    try {
      eval({r});
      ADD_FAILURE() << "expected OutOfMemory";
    } catch (const OutOfMemory& e) {
      EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos) << e.what();
    }
    EXPECT_THROW(p.eval(), OutOfMemory);
    EXPECT_THROW(q.eval(), OutOfMemory);
    // synchronize reports the stream's failure once, then the streams work.
    EXPECT_THROW(synchronize(s1), OutOfMemory);
    EXPECT_THROW(synchronize(s2), OutOfMemory);
  });
  within(20, [&] {
    array p2 = matmul(as, b, s1);
    array q2 = add(p2, array(1.0f), s2);
    auto got = q2.to_vector<float>();
    auto av = a.to_vector<float>(), bv = b.to_vector<float>();
    for (int i = 0; i < 2048; i += 97) {
      for (int j = 0; j < 4; ++j) {
        double acc = 0;
        for (int k = 0; k < 2048; ++k) acc += double(av[i * 4096 + 2 * k]) * bv[k * 4 + j];
        EXPECT_NEAR(got[i * 4 + j], acc + 1.0, 1e-3 * (1 + std::abs(acc)));
      }
    }
  });
}

TEST(SchedulerTaskFailure, KernelThrowReleasesWaitersOnAllStreams) {
  std::vector<Stream> ss = {new_stream(Device::cpu), new_stream(Device::cpu),
                            new_stream(Device::cpu)};
  array x = test::random_array({64}, float32);
  within(20, [&] {
    for (int it = 0; it < 20; ++it) {
      array bad = test::test_op(x, ss[it % 3], it % 2, /*fail=*/true);
      // A fan of consumers on every stream, some two levels down, and an
      // unrelated result on the same streams that must still be right.
      std::vector<array> outs;
      for (int k = 0; k < 6; ++k) {
        array c = add(bad, array(float(k)), ss[k % 3]);
        if (k % 2) c = multiply(c, array(3.0f), ss[(k + 1) % 3]);
        outs.push_back(c);
      }
      array good = add(x, array(1.0f), ss[(it + 1) % 3]);
      async_eval(outs);
      for (auto& o : outs) EXPECT_THROW(o.eval(), std::runtime_error);
      EXPECT_EQ(good.to_vector<float>()[0], x.to_vector<float>()[0] + 1.0f);
      for (auto& s : ss) {
        try {
          synchronize(s);
        } catch (const std::runtime_error&) {
        }
      }
    }
  });
}

// synchronize_for: false while the stream still runs, true once it has
// finished, and a task's failure rethrown as synchronize would (once).
TEST(SchedulerTaskFailure, SynchronizeForWaitsInSlicesAndRethrows) {
  using namespace std::chrono_literals;
  Stream s = new_stream(Device::cpu);
  array x = test::random_array({64}, float32);
  x.eval();
  within(20, [&] {
    array slow = test::test_op(x, s, 200);
    async_eval({slow});
    EXPECT_FALSE(synchronize_for(s, 5ms));
    bool done = false;
    for (int i = 0; i < 500 && !done; ++i) done = synchronize_for(s, 20ms);
    EXPECT_TRUE(done);
    EXPECT_EQ(slow.to_vector<float>(), x.to_vector<float>());
    EXPECT_TRUE(synchronize_for(s, 0us));  // nothing queued

    array bad = test::test_op(x, s, 50, /*fail=*/true);
    async_eval({bad});
    done = false;
    bool threw = false;
    for (int i = 0; i < 500 && !done; ++i) {
      try {
        done = synchronize_for(s, 20ms);
      } catch (const std::runtime_error&) {
        threw = done = true;
      }
    }
    EXPECT_TRUE(threw);
    EXPECT_TRUE(synchronize_for(s, 0us));  // the failure was reported once
  });
}
