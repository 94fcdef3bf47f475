// Several threads evaluating the same lazy arrays at once: one schedules, the
// others find the shared nodes scheduled and wait for the same result. Graphs
// that overlap only in part, on one stream and across streams.
#include <atomic>
#include <random>
#include <thread>

#include "test_utils.h"

using namespace tandem;

namespace {

// Runs fn(thread_index) on n threads started together.
template <typename F>
void on_threads(int n, F fn) {
  std::atomic<int> ready{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < n; ++t) {
    ts.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < n) std::this_thread::yield();
      fn(t);
    });
  }
  for (auto& th : ts) th.join();
}

}  // namespace

TEST(SchedulerSharedEval, SameGraphFromManyThreads) {
  std::mt19937 g(std::random_device{}());
  std::atomic<int> failures{0};
  for (int it = 0; it < 300; ++it) {
    float v = std::uniform_real_distribution<float>(-1.0f, 1.0f)(g);
    array x = full({64, 64}, array(v));
    array r = sum(exp(x), 1);
    float want = 64.0f * std::exp(v);
    on_threads(3, [&](int t) {
      // Different entry points: eval, async_eval then a host read, item.
      if (t == 0) eval({r});
      if (t == 1) async_eval({r});
      auto got = r.to_vector<float>();
      for (float x : got) {
        if (std::abs(x - want) > 1e-4f * std::abs(want)) ++failures;
      }
    });
  }
  EXPECT_EQ(failures.load(), 0);
}

TEST(SchedulerSharedEval, OverlappingGraphsAcrossStreams) {
  std::vector<Stream> streams = {new_stream(Device::cpu), new_stream(Device::cpu),
                                 new_stream(Device::cpu)};
  std::mt19937 g(std::random_device{}());
  std::atomic<int> failures{0};
  for (int it = 0; it < 200; ++it) {
    array base = test::random_array({32, 16}, float32);
    auto bv = base.to_vector<float>();
    // A shared lazy middle part (on one stream), each thread its own tail on
    // another stream, some tails sharing a second level.
    Stream sm = streams[g() % streams.size()];
    array mid = multiply(add(base, array(1.0f), sm), array(2.0f), sm);
    array mid2 = negative(mid, streams[g() % streams.size()]);
    std::vector<Stream> tails;
    for (int t = 0; t < 4; ++t) tails.push_back(streams[g() % streams.size()]);
    on_threads(4, [&](int t) {
      array y = t % 2 ? add(mid2, array(float(t)), tails[t]) : add(mid, array(float(t)), tails[t]);
      if (t == 3) {
        async_eval({y});
      }
      auto got = y.to_vector<float>();
      for (size_t i = 0; i < got.size(); ++i) {
        float m = (bv[i] + 1.0f) * 2.0f;
        float want = (t % 2 ? -m : m) + float(t);
        if (got[i] != want) ++failures;
      }
    });
  }
  EXPECT_EQ(failures.load(), 0);
}

TEST(SchedulerSharedEval, StatusWhileAnotherThreadSchedules) {
  // status() and is_available() read what scheduling writes.
  std::atomic<int> failures{0};
  for (int it = 0; it < 200; ++it) {
    array y = test::random_array({128}, float32);
    for (int k = 0; k < 30; ++k) y = add(y, array(1.0f));
    on_threads(2, [&](int t) {
      if (t == 0) {
        eval({y});
      } else {
        for (int k = 0; k < 50; ++k) (void)y.status();
        y.eval();
        if (!y.is_available()) ++failures;
      }
    });
  }
  EXPECT_EQ(failures.load(), 0);
}
