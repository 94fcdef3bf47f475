// The CPU stream executor: one worker thread and a FIFO of tasks per stream.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "tandem/backend.h"
#include "tandem/backend/cpu/encoder.h"

namespace tandem::cpu {
namespace {

// Kernels handed over by the node being evaluated on this thread.
thread_local std::vector<std::function<void()>> t_pending;

// Tasks beyond this many queued make the evaluating thread wait, bounding the
// memory of a huge lazy graph.
constexpr size_t kMaxQueued = 4096;

#if defined(__x86_64__) || defined(__i386__)
inline void cpu_relax() { __builtin_ia32_pause(); }
#else
inline void cpu_relax() {}
#endif

class CpuExecutor : public StreamExecutor {
 public:
  explicit CpuExecutor(Stream s) : stream_(s), worker_([this] { run(); }) {}

  ~CpuExecutor() override {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  bool has_pending() const override { return !t_pending.empty(); }

  void submit(std::shared_ptr<Event> done, std::vector<std::shared_ptr<Event>> waits) override {
    Task t{std::move(t_pending), std::move(done), std::move(waits)};
    t_pending.clear();
    bool wake;
    {
      std::unique_lock lk(mu_);
      if (queue_.size() >= kMaxQueued) {
        ++producers_waiting_;
        space_cv_.wait(lk, [&] { return queue_.size() < kMaxQueued / 2; });
        --producers_waiting_;
      }
      queue_.push_back(std::move(t));
      queued_.store(true, std::memory_order_relaxed);
      ++submitted_;
      wake = sleeping_;
    }
    if (wake) cv_.notify_one();
  }

  void discard() override { t_pending.clear(); }

  void synchronize() override {
    drain();
    std::exception_ptr e;
    {
      std::lock_guard lk(mu_);
      e = std::exchange(first_error_, nullptr);
    }
    if (e) std::rethrow_exception(e);
  }

  void drain() override {
    std::unique_lock lk(mu_);
    uint64_t target = submitted_;
    idle_cv_.wait(lk, [&] { return completed_ >= target; });
  }

 private:
  struct Task {
    std::vector<std::function<void()>> fns;
    std::shared_ptr<Event> done;
    std::vector<std::shared_ptr<Event>> waits;
  };

  void execute(Task& t) {
    std::exception_ptr err;
    for (auto& w : t.waits) {
      w->wait();
      if (w->failed() && !err) err = w->error();
    }
    if (!err) {
      try {
        for (auto& f : t.fns) f();
      } catch (...) {
        err = std::current_exception();
      }
    }
    // Release captured buffers before signalling: consumers may check who
    // else holds a buffer to decide whether to donate it.
    t.fns.clear();
    t.waits.clear();
    if (err) {
      {
        std::lock_guard lk(mu_);
        if (!first_error_) first_error_ = err;
      }
      t.done->fail(err);
    } else {
      t.done->signal();
    }
    t.done.reset();
  }

  void run() {
    std::deque<Task> batch;
    while (true) {
      {
        std::unique_lock lk(mu_);
        completed_ += batch.size();
        if (!batch.empty()) idle_cv_.notify_all();
        batch.clear();
        if (queue_.empty()) {
          // Spin a little before sleeping: a thread evaluating a chain of tiny
          // ops submits every few hundred nanoseconds.
          lk.unlock();
          for (int i = 0; i < 4000; ++i) {
            cpu_relax();
            if (queued_.load(std::memory_order_relaxed)) break;
          }
          lk.lock();
          sleeping_ = true;
          cv_.wait(lk, [&] { return !queue_.empty() || stop_; });
          sleeping_ = false;
        }
        if (queue_.empty() && stop_) return;
        batch.swap(queue_);
        queued_.store(false, std::memory_order_relaxed);
        if (producers_waiting_) space_cv_.notify_all();
      }
      for (auto& t : batch) execute(t);
    }
  }

  Stream stream_;
  std::mutex mu_;
  std::condition_variable cv_, space_cv_, idle_cv_;
  std::deque<Task> queue_;
  uint64_t submitted_ = 0;
  uint64_t completed_ = 0;
  int producers_waiting_ = 0;
  bool sleeping_ = false;
  std::atomic<bool> queued_{false};
  bool stop_ = false;
  std::exception_ptr first_error_;
  std::thread worker_;  // last: starts after the rest is built
};

}  // namespace

void dispatch(std::function<void()> fn) { t_pending.push_back(std::move(fn)); }

std::unique_ptr<StreamExecutor> make_executor(Stream s) { return std::make_unique<CpuExecutor>(s); }

}  // namespace tandem::cpu
