// The CPU stream executor: one worker thread and a FIFO of tasks per stream.
// Tasks hold their kernels inline and the two queues swap (keeping their
// capacity), so steady-state submission allocates nothing.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "tandem/backend.h"
#include "tandem/backend/cpu/encoder.h"

namespace tandem::cpu {
namespace {

// Kernels handed over by the node being evaluated on this thread, and the
// buffers their Refs hold.
thread_local std::vector<InlineTask> t_pending;
thread_local std::vector<const Buffer*> t_node_buffers;

// Tasks beyond this many queued make the evaluating thread wait, bounding the
// memory of a huge lazy graph.
constexpr size_t kMaxQueued = 4096;

#if defined(__x86_64__) || defined(__i386__)
inline void cpu_relax() { __builtin_ia32_pause(); }
#else
inline void cpu_relax() {}
#endif

struct Task {
  InlineTask fn;
  std::vector<InlineTask> more;  // rare: primitives that dispatch several kernels
  std::shared_ptr<Event> done;
  // Input events to wait for: two inline, the rest (rare) in a vector.
  std::shared_ptr<Event> wait0, wait1;
  std::vector<std::shared_ptr<Event>> more_waits;
};

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

  void submit(std::shared_ptr<Event> done, const std::shared_ptr<Event>* waits,
              size_t num_waits) override {
    bool wake;
    {
      std::unique_lock lk(mu_);
      if (queue_.size() >= kMaxQueued) {
        ++producers_waiting_;
        space_cv_.wait(lk, [&] { return queue_.size() < kMaxQueued / 2; });
        --producers_waiting_;
      }
      Task& t = queue_.emplace_back();
      if (!t_pending.empty()) {
        t.fn = std::move(t_pending[0]);
        for (size_t i = 1; i < t_pending.size(); ++i) t.more.push_back(std::move(t_pending[i]));
      }
      t.done = std::move(done);
      if (num_waits > 0) t.wait0 = waits[0];
      if (num_waits > 1) t.wait1 = waits[1];
      if (num_waits > 2) t.more_waits.assign(waits + 2, waits + num_waits);
      queued_.store(true, std::memory_order_relaxed);
      ++submitted_;
      wake = sleeping_;
    }
    t_pending.clear();
    t_node_buffers.clear();
    if (wake) cv_.notify_one();
  }

  void discard() override {
    t_pending.clear();
    t_node_buffers.clear();
  }

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
    ++drainers_;
    idle_cv_.wait(lk, [&] { return completed_ >= target; });
    --drainers_;
  }

 private:
  void execute(Task& t) {
    std::exception_ptr err;
    auto wait_for = [&](const std::shared_ptr<Event>& w) {
      if (!w) return;
      w->wait();
      if (w->failed() && !err) err = w->error();
    };
    wait_for(t.wait0);
    wait_for(t.wait1);
    for (auto& w : t.more_waits) wait_for(w);
    if (!err) {
      try {
        if (t.fn) t.fn();
        for (auto& f : t.more) f();
      } catch (...) {
        err = std::current_exception();
      }
    }
    // Signal, then release the captured buffers: while the event is pending
    // the task provably holds its references, which is_donatable counts on.
    if (err) {
      {
        std::lock_guard lk(mu_);
        if (!first_error_) first_error_ = err;
      }
      t.done->fail(err);
    } else {
      t.done->signal();
    }
    t.fn.reset();
    t.more.clear();
    t.wait0.reset();
    t.wait1.reset();
    t.more_waits.clear();
    t.done.reset();
  }

  void run() {
    std::vector<Task> batch;
    while (true) {
      {
        std::unique_lock lk(mu_);
        completed_ += batch.size();
        if (drainers_ && !batch.empty()) idle_cv_.notify_all();
        batch.clear();
        if (queue_.empty()) {
          // Spin a little before sleeping: a thread evaluating a chain of tiny
          // ops submits every few hundred nanoseconds.
          lk.unlock();
          for (int i = 0; i < 2000 && !queued_.load(std::memory_order_relaxed); ++i) cpu_relax();
          lk.lock();
          if (queue_.empty()) {
            sleeping_ = true;
            cv_.wait(lk, [&] { return !queue_.empty() || stop_; });
            sleeping_ = false;
          }
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
  std::vector<Task> queue_;
  uint64_t submitted_ = 0;
  uint64_t completed_ = 0;
  int producers_waiting_ = 0;
  int drainers_ = 0;
  bool sleeping_ = false;
  bool stop_ = false;
  std::atomic<bool> queued_{false};
  std::exception_ptr first_error_;
  std::thread worker_;  // last: starts after the rest is built
};

}  // namespace

void dispatch_task(InlineTask fn) { t_pending.push_back(std::move(fn)); }

std::vector<const Buffer*>& node_buffers() { return t_node_buffers; }

std::unique_ptr<StreamExecutor> make_executor(Stream s) { return std::make_unique<CpuExecutor>(s); }

}  // namespace tandem::cpu
