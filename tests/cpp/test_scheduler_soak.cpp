// Concurrency soak (covered by TSan through scripts/sanitize.sh): threads
// build and evaluate graphs on their own streams and on shared ones, with
// cross-stream dependencies, hand async_eval results to reader threads and
// evaluate shared lazy arrays together. Bounded in time; every value checked.
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "test_utils.h"

using namespace tandem;

TEST(SchedulerSoak, ThreadsStreamsAndHandOffs) {
  using Clock = std::chrono::steady_clock;
  double seconds = 2.0;
  if (const char* e = std::getenv("TANDEM_SOAK_SECONDS")) seconds = std::atof(e);
  auto stop = Clock::now() +
              std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<Stream> shared = {new_stream(Device::cpu), new_stream(Device::cpu)};
  array base = test::random_array({48}, float32);
  auto bv = base.to_vector<float>();
  struct Item {
    array y;
    float add;
  };
  std::mutex mu;
  std::vector<Item> handoff;
  // A lazy array every producer may evaluate at once (replaced now and then).
  std::shared_ptr<array> common;
  std::atomic<int> failures{0}, checked{0};
  auto check = [&](array y, float t) {
    auto got = y.to_vector<float>();
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i] != (bv[i] + t) * 2.0f - bv[i]) {
        ++failures;
        return;
      }
    }
    ++checked;
  };
  auto producer = [&](int t) {
    Stream own = new_stream(Device::cpu);
    std::mt19937 g(t);
    for (int i = 0; Clock::now() < stop; ++i) {
      Stream s1 = i % 2 ? own : shared[(i + t) % 2];
      Stream s2 = i % 2 ? shared[i % 2] : own;
      float tv = float(t + i % 5);
      array x = multiply(add(base, array(tv), s1), array(2.0f), s2);
      array y = subtract(x, base, shared[(i + 1) % 2]);
      switch (g() % 4) {
        case 0: {
          async_eval({y});
          std::lock_guard lk(mu);
          handoff.push_back({y, tv});
          break;
        }
        case 1: {
          std::shared_ptr<array> c;
          {
            std::lock_guard lk(mu);
            if (!common || g() % 8 == 0) common = std::make_shared<array>(y);
            c = common;
          }
          // Several threads evaluate the same lazy array; its value is
          // checked by whoever made it, here only that it evaluates.
          c->eval();
          check(y, tv);
          break;
        }
        default:
          check(y, tv);
      }
    }
  };
  auto reader = [&] {
    while (true) {
      Item it{array(0.0f), 0.0f};
      bool got = false;
      {
        std::lock_guard lk(mu);
        if (!handoff.empty()) {
          it = handoff.back();
          handoff.pop_back();
          got = true;
        }
      }
      if (got) {
        check(it.y, it.add);
      } else if (Clock::now() >= stop) {
        std::lock_guard lk(mu);
        if (handoff.empty()) return;
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
  };
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) ts.emplace_back(producer, t);
  for (int r = 0; r < 2; ++r) ts.emplace_back(reader);
  for (auto& th : ts) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(checked.load(), 20);
}
