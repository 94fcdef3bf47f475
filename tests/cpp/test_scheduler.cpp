// The scheduler and streams: cross-stream dependencies, concurrency,
// randomized graphs over several streams, error propagation, long chains.
#include <atomic>
#include <chrono>
#include <thread>

#include "tandem/primitive.h"
#include "test_slow_op.h"
#include "test_utils.h"

using namespace tandem;
using test::test_op;

TEST(Scheduler, CrossStreamDependencySlowProducer) {
  Stream s1 = new_stream(Device::cpu), s2 = new_stream(Device::cpu);
  array a = test::random_array({1000}, float32);
  // The producer sleeps; the consumer on another stream must wait for it.
  array slow = test_op(a, s1, 50);
  array c = add(slow, array(1.0f), s2);
  auto got = c.to_vector<float>();
  auto want = a.to_vector<float>();
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i] + 1.0f);
}

TEST(Scheduler, StreamsRunConcurrently) {
  Stream s1 = new_stream(Device::cpu), s2 = new_stream(Device::cpu);
  array a = test::random_array({16}, float32);
  auto t0 = std::chrono::steady_clock::now();
  array x = test_op(a, s1, 200), y = test_op(a, s2, 200);
  eval(x, y);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  // Sequential execution would take 400 ms; a loaded machine still stays well below.
  EXPECT_LT(ms, 390.0) << "two sleeping tasks on two streams did not overlap";
}

TEST(Scheduler, AsyncEvalReturnsBeforeWork) {
  Stream s = new_stream(Device::cpu);
  array a = test::random_array({8}, float32);
  array x = test_op(a, s, 200);
  auto t0 = std::chrono::steady_clock::now();
  async_eval({x});
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(ms, 150.0);
  EXPECT_EQ(x.status(), array::Status::scheduled);
  x.wait();
  EXPECT_TRUE(x.is_available());
  EXPECT_EQ(x.to_vector<float>(), a.to_vector<float>());
}

TEST(Scheduler, ErrorSurfacesAndStreamStaysUsable) {
  Stream s = new_stream(Device::cpu);
  array a = test::random_array({10}, float32);
  array bad = test_op(a, s, 0, true);
  array downstream = exp(add(bad, array(1.0f), s), s);
  try {
    eval(downstream);
    FAIL() << "expected the kernel failure to surface";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("deliberate kernel failure"), std::string::npos);
  }
  // The failure is also reported by synchronize, once.
  EXPECT_THROW(synchronize(s), std::runtime_error);
  EXPECT_NO_THROW(synchronize(s));
  // Reading the failed array again rethrows; the stream keeps working.
  EXPECT_THROW(bad.eval(), std::runtime_error);
  array ok = add(a, array(2.0f), s);
  EXPECT_FLOAT_EQ(ok.to_vector<float>()[3], a.to_vector<float>()[3] + 2.0f);
}

TEST(Scheduler, ErrorCrossesStreams) {
  Stream s1 = new_stream(Device::cpu), s2 = new_stream(Device::cpu);
  array a = test::random_array({10}, float32);
  array bad = test_op(a, s1, 20, true);
  array c = multiply(bad, array(3.0f), s2);
  EXPECT_THROW(eval(c), std::runtime_error);
  // Each stream reports its own first failure once.
  EXPECT_THROW(synchronize(s1), std::runtime_error);
  EXPECT_THROW(synchronize(s2), std::runtime_error);
  EXPECT_NO_THROW(synchronize(s1));
  EXPECT_NO_THROW(synchronize(s2));
}

TEST(Scheduler, MillionOpChainNoRecursion) {
  Stream s = new_stream(Device::cpu);
  array x = zeros({1}, int32, s);
  array one = ones({1}, int32, s);
  for (int i = 0; i < 1000000; ++i) x = add(x, one, s);
  EXPECT_EQ(x.item<int32_t>(), 1000000);
  // An unevaluated chain of a million ops is freed iteratively too.
  array y = zeros({1}, float32, s);
  for (int i = 0; i < 1000000; ++i) y = exp(y, s);
  y = array(0.0f);
  SUCCEED();
}

TEST(Scheduler, InputsDroppedAfterEval) {
  array a = test::random_array({4}, float32);
  array b = exp(add(a, array(1.0f)));
  ASSERT_TRUE(b.has_primitive());
  b.eval();
  EXPECT_FALSE(b.has_primitive());
  EXPECT_TRUE(b.inputs().empty());
}

TEST(Scheduler, SiblingsMultiOutput) {
  // divmod builds two nodes here; check a graph where one output is dropped.
  array a = test::make_array({7, -7, 9}, {3}, int32);
  array b = test::make_array({2, 2, -4}, {3}, int32);
  auto [q, r] = divmod(a, b);
  EXPECT_EQ(q.to_vector<int>(), (std::vector<int>{3, -4, -3}));
  EXPECT_EQ(r.to_vector<int>(), (std::vector<int>{1, 1, -3}));
}

TEST(Scheduler, DefaultStreamIsPerThread) {
  Stream main_stream = default_stream(Device::cpu);
  int other = -1;
  std::thread t([&] { other = default_stream(Device::cpu).index; });
  t.join();
  EXPECT_NE(other, main_stream.index);
  Stream s = new_stream(Device::cpu);
  {
    StreamContext ctx(s);
    EXPECT_EQ(default_stream(Device::cpu), s);
    array x = add(array(1.0f), array(2.0f));
    EXPECT_EQ(x.primitive().stream(), s);
  }
  EXPECT_EQ(default_stream(Device::cpu), main_stream);
}

TEST(Scheduler, GpuUnavailableIsAClearError) {
  if (is_available(Device::gpu)) GTEST_SKIP() << "a GPU is present";
  try {
    add(array(1.0f), array(2.0f), Device::gpu);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("GPU is not available"), std::string::npos);
  }
}

TEST(Scheduler, ConcurrentEvalFromThreads) {
  array shared = test::random_array({256}, float32);  // evaluated: read-only sharing is fine
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int it = 0; it < 50; ++it) {
        array y = shared;
        for (int k = 0; k < 20; ++k) y = add(y, array(float(t)));
        auto got = y.to_vector<float>();
        auto base = shared.to_vector<float>();
        for (size_t i = 0; i < got.size(); ++i) {
          float want = base[i];
          for (int k = 0; k < 20; ++k) want += float(t);
          if (got[i] != want) ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(Scheduler, EvalRunningTasksHereKeepsStreamOrder) {
  // A synchronous eval may run its last stream's tasks on the calling thread
  // when that stream has nothing else to run. Here other threads hand the
  // same stream slow work all along, and the evaluated tasks wait on a
  // sometimes-slow producer of another stream: every result must be right,
  // and a slow task queued first must finish before what was evaluated after it.
  Stream s = new_stream(Device::cpu);
  Stream other = new_stream(Device::cpu);
  array base = test::random_array({16}, float32);
  auto bv = base.to_vector<float>();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> feeders;
  for (int t = 0; t < 2; ++t) {
    feeders.emplace_back([&, t] {
      while (!stop.load()) {
        array z = add(test_op(base, s, t), array(1.0f), s);
        async_eval({z});
        if (z.to_vector<float>()[0] != bv[0] + 1.0f) ++failures;
      }
    });
  }
  for (int i = 0; i < 300; ++i) {
    array p = test_op(base, other, i % 7 == 0 ? 1 : 0);
    array y = add(p, array(1.0f), s);
    for (int k = 0; k < 5; ++k) y = multiply(y, array(2.0f), s);
    auto got = y.to_vector<float>();
    for (size_t j = 0; j < got.size(); ++j) {
      if (got[j] != (bv[j] + 1.0f) * 32.0f) ++failures;
    }
    // Stream order: a slow task queued on s before this eval has run by the
    // time the eval returns.
    array slow = test_op(base, s, 2);
    async_eval({slow});
    array after = add(base, array(0.0f), s);
    after.eval();
    if (!slow.is_available()) ++failures;
  }
  stop = true;
  for (auto& th : feeders) th.join();
  EXPECT_EQ(failures.load(), 0);
}

namespace {

// A random graph of integer ops over `streams` (or one stream when
// streams.size() == 1), reproducible from seed. Returns some of its nodes.
std::vector<array> random_graph(uint64_t seed, const std::vector<Stream>& streams,
                                const std::vector<array>& leaves) {
  std::mt19937_64 g(seed);
  std::vector<array> nodes = leaves;
  int n = 8 + static_cast<int>(g() % 24);
  for (int i = 0; i < n; ++i) {
    Stream s = streams[g() % streams.size()];
    const array& x = nodes[g() % nodes.size()];
    const array& y = nodes[g() % nodes.size()];
    switch (g() % 7) {
      case 0:
        nodes.push_back(add(x, y, s));
        break;
      case 1:
        nodes.push_back(subtract(x, y, s));
        break;
      case 2:
        nodes.push_back(multiply(x, array(3, int32), s));
        break;
      case 3:
        nodes.push_back(maximum(x, y, s));
        break;
      case 4:
        nodes.push_back(transpose(x, s));
        break;
      case 5:
        nodes.push_back(negative(x, s));
        break;
      default:
        nodes.push_back(bitwise_xor(x, y, s));
        break;
    }
  }
  std::vector<array> outs;
  for (int k = 0; k < 3; ++k) outs.push_back(nodes[nodes.size() - 1 - (g() % nodes.size())]);
  return outs;
}

}  // namespace

TEST(Scheduler, RandomGraphsManyStreamsMatchOneStream) {
  int graphs = 2000;
  if (const char* e = std::getenv("TANDEM_STRESS_GRAPHS")) graphs = std::atoi(e);
  std::vector<Stream> many = {new_stream(Device::cpu), new_stream(Device::cpu),
                              new_stream(Device::cpu), new_stream(Device::cpu)};
  std::vector<Stream> one = {new_stream(Device::cpu)};
  std::vector<array> leaves = {test::random_array({6, 6}, int32), test::random_array({6, 6}, int32),
                               test::random_array({6, 6}, int32)};
  for (int gi = 0; gi < graphs; ++gi) {
    auto ref = random_graph(gi, one, leaves);
    auto got = random_graph(gi, many, leaves);
    if (gi % 2) {
      eval(got);
    } else {
      async_eval(got);  // then read them one by one
    }
    eval(ref);
    for (size_t k = 0; k < ref.size(); ++k) {
      ASSERT_EQ(got[k].to_vector<int>(), ref[k].to_vector<int>())
          << "graph " << gi << " output " << k;
    }
  }
}
