// ThreadLocalStream and clear_streams: one stream per thread that uses a
// thread-local stream, work of different threads overlapping, streams of
// ended threads reused, and many threads at once (run under ThreadSanitizer).
#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "test_slow_op.h"
#include "test_utils.h"

using namespace tandem;
using test::test_op;

namespace {

template <typename F>
void in_threads(int n, F f) {
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i) ts.emplace_back(f, i);
  for (auto& t : ts) t.join();
}

}  // namespace

TEST(ThreadLocalStream, OneStreamPerThread) {
  ThreadLocalStream tls = new_thread_local_stream(Device::cpu);
  EXPECT_EQ(tls.stream(), tls.stream());  // stable within a thread
  std::vector<int> index(4);
  std::atomic<int> arrived{0};
  in_threads(4, [&](int i) {
    index[i] = tls.stream().index;
    // Stay alive until all have theirs: an ended thread's stream is reused.
    arrived++;
    while (arrived.load() < 4) std::this_thread::yield();
  });
  std::set<int> distinct(index.begin(), index.end());
  distinct.insert(tls.stream().index);
  EXPECT_EQ(distinct.size(), 5u);
}

TEST(ThreadLocalStream, ThreadsDoNotQueueBehindEachOther) {
  ThreadLocalStream tls = new_thread_local_stream(Device::cpu);
  array a = test::random_array({16}, float32);
  eval(a);
  auto t0 = std::chrono::steady_clock::now();
  in_threads(2, [&](int) {
    array x = test_op(a, tls.stream(), 200);
    // async_eval and wait: a synchronous eval may run the task on the calling
    // thread, and two threads doing that do not overlap (on any streams).
    async_eval({x});
    x.wait();
    EXPECT_EQ(x.to_vector<float>(), a.to_vector<float>());
  });
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(ms, 390.0) << "two threads' tasks on one ThreadLocalStream did not overlap";
}

TEST(ThreadLocalStream, EndedThreadsGiveTheirStreamsBack) {
  ThreadLocalStream tls = new_thread_local_stream(Device::cpu);
  auto round = [&] {
    in_threads(3, [&](int i) {
      array y = add(array(static_cast<float>(i)), array(1.0f), tls.stream());
      EXPECT_EQ(y.item<float>(), i + 1.0f);
    });
  };
  // A first round fills the pool: threads may also take streams of the
  // default device (the GPU's, when it is the default) on their way.
  round();
  int mark = new_stream(Device::cpu).index;
  for (int r = 0; r < 5; ++r) round();
  // Only pooled streams were used: the next new stream follows the mark.
  EXPECT_EQ(new_stream(Device::cpu).index, mark + 1);
}

TEST(ThreadLocalStream, ClearStreamsWaitsAndKeepsTheThreadWorking) {
  std::atomic<int> ok{0};
  in_threads(4, [&](int i) {
    array a = test::random_array({100}, float32);
    array x = test_op(a, default_stream(Device::cpu), 50);
    async_eval({x});
    clear_streams();
    EXPECT_TRUE(x.is_available());  // clear_streams waited for it
    array y = add(x, array(1.0f));
    auto got = y.to_vector<float>();
    auto want = a.to_vector<float>();
    for (size_t k = 0; k < want.size(); ++k) ASSERT_EQ(got[k], want[k] + 1.0f);
    ok += i >= 0;
  });
  EXPECT_EQ(ok.load(), 4);
}

TEST(ThreadLocalStream, ManyThreadsAtOnce) {
  ThreadLocalStream tls = new_thread_local_stream(Device::cpu);
  array base = test::random_array({256}, float32);
  eval(base);
  std::atomic<int> failures{0};
  in_threads(8, [&](int i) {
    for (int it = 0; it < 20; ++it) {
      array y = add(multiply(base, array(2.0f), tls.stream()), array(static_cast<float>(i)));
      auto got = y.to_vector<float>();
      auto b = base.to_vector<float>();
      for (size_t k = 0; k < b.size(); ++k) {
        if (got[k] != b[k] * 2.0f + i) failures++;
      }
      if (it % 7 == 3) clear_streams();
    }
  });
  EXPECT_EQ(failures.load(), 0);
}

TEST(ThreadLocalStream, UnknownIdThrows) {
  ThreadLocalStream bogus(1 << 20, Device::cpu);
  EXPECT_THROW(bogus.stream(), std::invalid_argument);
  EXPECT_THROW(new_thread_local_stream(Device(Device::cpu, 2)), std::invalid_argument);
}

TEST(ThreadLocalStream, PooledStreamsCarryNoStaleFailure) {
  array a = test::random_array({8}, float32);
  eval(a);
  for (int round = 0; round < 5; ++round) {
    // A thread leaves a failed task on its default stream, unobserved.
    std::thread([&] {
      array bad = test_op(a, default_stream(Device::cpu), 0, true);
      async_eval({bad});
      try {
        bad.wait();
      } catch (const std::runtime_error&) {
      }
    }).join();
    // The next thread (which may get that stream) starts clean.
    std::thread([&] {
      EXPECT_NO_THROW(synchronize(default_stream(Device::cpu)));
      EXPECT_EQ(add(a, array(1.0f)).to_vector<float>()[0], a.to_vector<float>()[0] + 1.0f);
    }).join();
  }
}
