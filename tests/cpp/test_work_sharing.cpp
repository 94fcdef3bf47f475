// Parallel loops open to waiting threads (tandem/work_sharing.h): a guest
// runs each chunk it takes exactly once, a guest's exception reaches the
// loop's owner, close() waits for a guest still in a chunk, and a thread
// waiting on an event joins a real parallel_for without disturbing it.
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tandem/backend/cpu/parallel.h"
#include "tandem/event.h"
#include "tandem/work_sharing.h"
#include "test_utils.h"

namespace tandem {
namespace {

// A loop over `counts` (one chunk per element) that counts each visit, the
// visits made off the owner's thread and those made by the thread `guest`
// (idle stream workers of earlier tests may be guests too).
struct Counting {
  std::vector<std::atomic<int>> counts;
  std::thread::id owner = std::this_thread::get_id();
  std::atomic<std::thread::id> guest{};
  std::atomic<int> off_owner{0}, by_guest{0};
  sharing::Loop loop;

  explicit Counting(size_t n) : counts(n) {
    loop.call = [](void* p, size_t b, size_t e) {
      auto& c = *static_cast<Counting*>(p);
      for (size_t i = b; i < e; ++i) c.counts[i].fetch_add(1);
      if (std::this_thread::get_id() != c.owner) c.off_owner.fetch_add(1);
      if (std::this_thread::get_id() == c.guest.load()) c.by_guest.fetch_add(1);
    };
    loop.f = this;
    loop.n = n;
    loop.grain = 1;
    loop.chunks = n;
  }
  void expect_each_once() {
    for (size_t i = 0; i < counts.size(); ++i) ASSERT_EQ(counts[i].load(), 1) << "chunk " << i;
  }
};

TEST(WorkSharing, GuestRunsEveryChunkOnce) {
  Counting c(257);
  ASSERT_TRUE(sharing::open(c.loop));
  EXPECT_TRUE(sharing::any_open());
  bool ran = false;
  std::thread guest([&] {
    c.guest = std::this_thread::get_id();
    ran = sharing::help([] { return true; });
  });
  guest.join();
  sharing::close(c.loop);
  EXPECT_FALSE(c.loop.failed.load());
  c.expect_each_once();
  // The owner ran none: every chunk went to a guest, ours or another.
  EXPECT_EQ(c.off_owner.load(), 257);
  EXPECT_EQ(ran, c.by_guest.load() > 0);
  // Withdrawn: nothing left to help with, and a closed loop is never entered.
  EXPECT_FALSE(sharing::help([] { return true; }));
}

TEST(WorkSharing, GuestStopsWhenToldAndOwnerFinishes) {
  Counting c(64);
  ASSERT_TRUE(sharing::open(c.loop));
  std::atomic<int> left{5};
  std::thread guest([&] {
    c.guest = std::this_thread::get_id();
    sharing::help([&] { return left.fetch_sub(1) > 0; });
  });
  guest.join();
  while (c.loop.run_one()) {
  }
  sharing::close(c.loop);
  c.expect_each_once();
  EXPECT_LE(c.by_guest.load(), 5);
}

TEST(WorkSharing, GuestExceptionReachesOwner) {
  sharing::Loop loop;
  std::atomic<int> calls{0};
  loop.call = [](void* p, size_t b, size_t) {
    static_cast<std::atomic<int>*>(p)->fetch_add(1);
    if (b == 3) throw std::runtime_error("chunk 3 failed");
  };
  loop.f = &calls;
  loop.n = 100;
  loop.chunks = 100;
  ASSERT_TRUE(sharing::open(loop));
  std::thread guest([&] { sharing::help([] { return true; }); });
  guest.join();
  sharing::close(loop);
  ASSERT_TRUE(loop.failed.load());
  // The failure stops the loop (another guest may have taken a chunk
  // beside it).
  EXPECT_GE(calls.load(), 4);
  EXPECT_LT(calls.load(), 10);
  EXPECT_FALSE(loop.run_one());
  try {
    std::rethrow_exception(loop.error);
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "chunk 3 failed");
  }
}

TEST(WorkSharing, CloseWaitsForGuestInChunk) {
  struct Gate {
    std::atomic<bool> entered{false}, release{false};
  } gate;
  sharing::Loop loop;
  loop.call = [](void* p, size_t, size_t) {
    auto& g = *static_cast<Gate*>(p);
    g.entered = true;
    while (!g.release) std::this_thread::yield();
  };
  loop.f = &gate;
  loop.n = 1;
  loop.chunks = 1;
  ASSERT_TRUE(sharing::open(loop));
  std::thread guest([&] { sharing::help([] { return true; }); });
  while (!gate.entered) std::this_thread::yield();
  std::atomic<bool> closed{false};
  std::thread owner([&] {
    sharing::close(loop);
    closed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(closed.load()) << "close returned while a guest ran a chunk";
  gate.release = true;
  owner.join();
  guest.join();
  EXPECT_TRUE(closed.load());
}

TEST(WorkSharing, BoardFullRunsWithoutGuests) {
  std::vector<std::unique_ptr<Counting>> loops;
  int opened = 0;
  for (int i = 0; i < 64; ++i) {
    loops.push_back(std::make_unique<Counting>(4));
    opened += sharing::open(loops.back()->loop) ? 1 : 0;
  }
  EXPECT_GT(opened, 0);
  EXPECT_LT(opened, 64);
  for (auto& c : loops) {
    while (c->loop.run_one()) {
    }
    sharing::close(c->loop);  // a loop never opened closes as a no-op
    c->expect_each_once();
  }
  EXPECT_FALSE(sharing::any_open());
}

// Threads waiting on an event take chunks of a running parallel_for; each
// element is still written exactly once, under TSan too.
TEST(WorkSharing, WaitersJoinParallelFor) {
  const size_t n = size_t(1) << 20;
  std::vector<std::atomic<uint8_t>> seen(n);
  Event done(default_stream(Device::cpu));
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&] {
      ready.fetch_add(1);
      done.wait();
    });
  }
  while (ready.load() < 2) std::this_thread::yield();
  std::thread owner([&] {
    cpu::parallel_for(n, 4096, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) seen[i].fetch_add(1, std::memory_order_relaxed);
    });
    done.signal();
  });
  owner.join();
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1) << "element " << i;
  EXPECT_FALSE(sharing::any_open());
}

}  // namespace
}  // namespace tandem
