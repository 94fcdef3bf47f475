// The stream timeline (tandem/trace.h): tasks on every stream, cross-stream
// waits as flows, nested sessions, recording from many threads.
#include <string>
#include <thread>
#include <vector>

#include "tandem/timeline.h"
#include "test_slow_op.h"
#include "test_utils.h"

using namespace tandem;
using test::test_op;

namespace {

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

// Task events ("ph": "X") of stream `tid` named `name`.
size_t tasks(const std::string& json, int tid, const std::string& name) {
  return count(json, "{\"ph\": \"X\", \"cat\": \"task\", \"name\": \"" + name +
                         "\", \"pid\": 0, \"tid\": " + std::to_string(tid) + ",");
}

}  // namespace

TEST(Scheduler, TraceOffByDefault) {
  EXPECT_FALSE(timeline::active());
  EXPECT_FALSE(timeline::on());
}

TEST(Scheduler, TraceRecordsTasksAndWaitsOfTwoStreams) {
  Stream s1 = new_stream(Device::cpu), s2 = new_stream(Device::cpu);
  array a = test::random_array({64}, float32);
  eval(a);
  std::string json;
  {
    timeline::Session session("");
    // The consumer on s2 waits for the slow producer on s1.
    array slow = test_op(a, s1, 30);
    array c = exp(slow, s2);
    eval(c);
    json = session.finish();
  }
  EXPECT_FALSE(timeline::on());
  EXPECT_EQ(tasks(json, s1.index, "TestOp"), 1u) << json;
  EXPECT_EQ(tasks(json, s2.index, "Exp"), 1u) << json;
  EXPECT_EQ(count(json, "\"name\": \"cpu stream " + std::to_string(s1.index) + "\""), 1u);
  EXPECT_EQ(count(json, "\"name\": \"cpu stream " + std::to_string(s2.index) + "\""), 1u);
  // One arrow: from s1's task to s2's wait.
  EXPECT_EQ(count(json, "\"ph\": \"s\""), 1u) << json;
  EXPECT_EQ(count(json, "\"ph\": \"f\""), 1u) << json;
  EXPECT_EQ(tasks(json, s2.index, "wait"), 1u) << json;
}

TEST(Scheduler, TraceSessionsNest) {
  Stream s = new_stream(Device::cpu);
  array a = test::random_array({32}, float32);
  eval(a);
  int64_t outer = timeline::start();
  eval(exp(a, s));
  int64_t inner = timeline::start();
  eval(log(a, s));
  std::string in = timeline::stop(inner, "");
  EXPECT_TRUE(timeline::on());  // the outer session is still open
  eval(sin(a, s));
  std::string out = timeline::stop(outer, "");
  EXPECT_FALSE(timeline::on());
  EXPECT_EQ(tasks(in, s.index, "Log"), 1u) << in;
  EXPECT_EQ(tasks(in, s.index, "Exp") + tasks(in, s.index, "Sin"), 0u) << in;
  for (const char* n : {"Exp", "Log", "Sin"}) EXPECT_EQ(tasks(out, s.index, n), 1u) << n << out;
  EXPECT_THROW(timeline::stop(outer, ""), std::invalid_argument);
}

TEST(Scheduler, TraceFromManyThreads) {
  constexpr int kThreads = 8, kEvals = 50;
  array a = test::random_array({128}, float32);
  eval(a);
  std::vector<Stream> streams;
  for (int i = 0; i < kThreads; ++i) streams.push_back(new_stream(Device::cpu));
  timeline::Session session("");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Every other thread opens a session of its own too.
      int64_t own = t % 2 ? timeline::start() : 0;
      for (int i = 0; i < kEvals; ++i) eval(negative(a, streams[t]));
      if (own) {
        std::string json = timeline::stop(own, "");
        EXPECT_EQ(tasks(json, streams[t].index, "Negative"), size_t(kEvals));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::string json = session.finish();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(tasks(json, streams[t].index, "Negative"), size_t(kEvals)) << "thread " << t;
  }
}
