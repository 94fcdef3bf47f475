// The CPU stream executor: one worker thread and a FIFO of tasks per stream.
//
// The evaluating thread builds each task in place in a thread-local staging
// batch (kernels constructed directly in their slot) and hands the batch to
// the stream's queue when it is full, when evaluation moves to another
// stream, and at the end of eval. Queue and batch swap, keeping their
// capacity, so steady-state encoding allocates nothing.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <utility>

#include "tandem/backend.h"
#include "tandem/backend/cpu/blas_setup.h"
#include "tandem/backend/cpu/encoder.h"
#include "tandem/busy.h"
#include "tandem/pool.h"
#include "tandem/task_scope.h"
#include "tandem/timeline.h"
#include "tandem/work_sharing.h"

namespace tandem::cpu {
namespace {

// Tasks beyond this many queued make the evaluating thread wait, bounding the
// memory of a huge lazy graph.
constexpr size_t kMaxQueued = 4096;
// Staged tasks handed over at once.
constexpr size_t kBatch = 32;
// Bytes the output buffers of a stream's unfinished tasks may hold before
// the evaluating thread waits (at most a quarter of the memory limit): with
// fire-and-forget work the task count alone let thousands of large
// temporaries be alive at once, which then filled the cache. (A graph of
// large arrays now schedules only this far ahead of its stream, so
// async_eval of one returns once the rest fits.)
constexpr size_t kMaxQueuedBytes = size_t(256) << 20;
// The most bytes the tasks an evaluating thread runs itself (flush_and_run)
// may write.
constexpr size_t kMaxRunHereBytes = size_t(1) << 20;

#if defined(__x86_64__) || defined(__i386__)
inline void cpu_relax() {
  __builtin_ia32_pause();
}
#else
inline void cpu_relax() {}
#endif

// Fields the worker reads for every task come first, then the kernel; the
// rarely used overflow vectors sit past the kernel's storage.
struct Task {
  std::shared_ptr<Event> done;
  // Input events to wait for: two inline, the rest (rare) in a vector.
  std::shared_ptr<Event> wait0, wait1;
  // Buffers this task holds and writes, counted in their pending_cpu_writers
  // (two inline, the rest in a vector).
  Buffer* writes[2] = {nullptr, nullptr};
  bool has_more = false;  // any of the vectors below is in use
  size_t bytes = 0;       // of the buffers it writes (see kMaxQueuedBytes)
  InlineTask fn;
  std::vector<InlineTask> more;  // rare: primitives that dispatch several kernels
  std::vector<std::shared_ptr<Event>> more_waits;
  std::vector<Buffer*> more_writes;

  bool writes_to(const Buffer* b) const {
    if (writes[0] == b || writes[1] == b) return true;
    if (!has_more) return false;
    for (auto* w : more_writes) {
      if (w == b) return true;
    }
    return false;
  }
  void add_write(Buffer* b) {
    b->pending_cpu_writers.fetch_add(1, std::memory_order_relaxed);
    if (!writes[0]) {
      writes[0] = b;
    } else if (!writes[1]) {
      writes[1] = b;
    } else {
      more_writes.push_back(b);
      has_more = true;
    }
  }
  // Lowers the writer counts; the caller still holds the references.
  void release_writes() {
    auto lower = [](Buffer*& b) {
      if (b) b->pending_cpu_writers.fetch_sub(1, std::memory_order_release);
      b = nullptr;
    };
    lower(writes[0]);
    lower(writes[1]);
    if (!has_more) return;
    for (auto*& w : more_writes) lower(w);
    more_writes.clear();
  }
};

// Exit with work in flight. Library destructors run after the atexit
// handlers (OpenBLAS's shuts its thread pool down, TBB's its own); a stream
// worker still inside a kernel then would call into them, and hang or crash.
// At exit, kernels already running finish, and no new one starts: the
// threads that would run one park until the process is gone.
std::atomic<bool> g_exiting{false};
std::atomic<int> g_kernels_running{0};

[[noreturn]] void park_for_exit() {
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

void quiesce_at_exit() {
  g_exiting.store(true, std::memory_order_seq_cst);
  // Bounded: a kernel stuck on something else must not turn exit into a hang.
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (g_kernels_running.load(std::memory_order_seq_cst) > 0 &&
         std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

// Marks a kernel running on this thread; parks it instead once exit began.
struct KernelRunning {
  KernelRunning() {
    g_kernels_running.fetch_add(1, std::memory_order_seq_cst);
    if (g_exiting.load(std::memory_order_seq_cst)) {
      g_kernels_running.fetch_sub(1, std::memory_order_seq_cst);
      park_for_exit();
    }
  }
  ~KernelRunning() { g_kernels_running.fetch_sub(1, std::memory_order_seq_cst); }
};

class CpuExecutor;

// This thread's staging batch. The last task is "open" while a node is being
// encoded (kernels go into it); submit closes it.
struct Staging {
  CpuExecutor* owner = nullptr;
  std::vector<Task> tasks;
  bool open = false;
  std::vector<const Buffer*> node_buffers;
};
thread_local Staging t_staging;

class CpuExecutor : public StreamExecutor {
 public:
  explicit CpuExecutor(Stream s) : stream_(s), worker_([this] { run(); }) {
    // Registered after the libraries this one links (their destructors run
    // after every atexit handler), before any kernel ran.
    static std::once_flag once;
    std::call_once(once, [] { std::atexit(quiesce_at_exit); });
  }

  ~CpuExecutor() override {
    if (t_staging.owner == this) t_staging.owner = nullptr;
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  bool has_pending() const override {
    auto& st = t_staging;
    return st.open && st.tasks.back().fn;
  }

  void submit(std::shared_ptr<Event> done, const std::shared_ptr<Event>* waits,
              size_t num_waits) override {
    auto& st = t_staging;
    if (st.owner != this) {
      // Kernels were encoded for this stream: move any batch of another
      // stream's out of the way first, keeping the open task.
      Task open_task;
      bool had_open = st.open;
      if (had_open) {
        open_task = std::move(st.tasks.back());
        st.tasks.pop_back();
        st.open = false;
      }
      if (st.owner) st.owner->flush();
      st.owner = this;
      if (had_open) {
        st.tasks.push_back(std::move(open_task));
        st.open = true;
      }
    }
    if (!st.open) st.tasks.emplace_back();
    Task& t = st.tasks.back();
    st.open = false;
    // The buffers it writes: allocated when it was encoded, they exist
    // because the task is queued (its inputs live on without it).
    t.bytes = (t.writes[0] ? t.writes[0]->capacity : 0) + (t.writes[1] ? t.writes[1]->capacity : 0);
    if (t.has_more) {
      for (auto* b : t.more_writes) t.bytes += b->capacity;
    }
    st.node_buffers.clear();
    t.done = std::move(done);
    if (num_waits > 0) t.wait0 = waits[0];
    if (num_waits > 1) t.wait1 = waits[1];
    if (num_waits > 2) {
      t.more_waits.assign(waits + 2, waits + num_waits);
      t.has_more = true;
    }
    if (st.tasks.size() >= kBatch) {
      flush();
    } else if (st.tasks.size() < st.tasks.capacity()) {
      // The next slot was last written by the worker (the batch vectors go
      // back and forth): fetch its first lines for writing ahead of time.
      char* next = reinterpret_cast<char*>(st.tasks.data() + st.tasks.size());
      for (int i = 0; i < 3; ++i) prefetch_for_write(next + 64 * i);
    }
  }

  void discard() override {
    auto& st = t_staging;
    if (st.open) {
      st.tasks.back().release_writes();
      st.tasks.pop_back();
      st.open = false;
    }
    st.node_buffers.clear();
  }

  void flush() override {
    auto& st = t_staging;
    if (st.owner != this || st.tasks.empty()) return;
    // An open task (a node mid-encoding) stays staged.
    Task open_task;
    bool had_open = st.open;
    if (had_open) {
      open_task = std::move(st.tasks.back());
      st.tasks.pop_back();
    }
    size_t bytes = 0;
    for (auto& t : st.tasks) bytes += t.bytes;
    size_t max_bytes = std::min(kMaxQueuedBytes, get_memory_limit() / 4);
    bool wake;
    {
      std::unique_lock lk(mu_);
      // Wait for room (checking for an interrupt now and then, see
      // interrupt_pending).
      auto room = [&] {
        return (queue_.size() < kMaxQueued && pending_bytes_ <= max_bytes) || interrupt_pending();
      };
      if (!room()) {
        ++producers_waiting_;
        while (!space_cv_.wait_for(lk, std::chrono::milliseconds(10), [&] {
          return (queue_.size() < kMaxQueued / 2 && pending_bytes_ <= max_bytes / 2) ||
                 interrupt_pending();
        })) {
        }
        --producers_waiting_;
      }
      pending_bytes_ += bytes;
      submitted_ += st.tasks.size();
      if (queue_.empty()) {
        queue_.swap(st.tasks);
      } else {
        for (auto& t : st.tasks) queue_.push_back(std::move(t));
      }
      wake = sleeping_;
    }
    // The spinning worker's cue, raised only once the lock is free: raised
    // inside, it sent the worker straight into a lock still held, to sleep
    // in the kernel and be woken by the unlock.
    queued_.store(true, std::memory_order_relaxed);
    st.tasks.clear();
    if (had_open) st.tasks.push_back(std::move(open_task));
    if (wake) cv_.notify_one();
  }

  void flush_and_run() override {
    auto& st = t_staging;
    // Only small batches: a thread running tasks cannot notice anything
    // else (an interrupt) until they end, and large work gains nothing
    // from saving the worker's wake-up.
    size_t bytes = 0;
    for (auto& t : st.tasks) bytes += t.bytes;
    if (st.owner != this || st.tasks.empty() || st.open || bytes > kMaxRunHereBytes ||
        !claim_idle(st.tasks.size())) {
      return flush();
    }
    size_t n = st.tasks.size();
    {
      // Run from a vector of our own: a task may evaluate (and stage) again.
      std::vector<Task> batch;
      batch.swap(st.tasks);
      {
        busy::Scope working;
        for (auto& t : batch) execute(t);
      }
      batch.clear();
      if (st.tasks.empty()) st.tasks.swap(batch);  // keeps the capacity
    }
    bool wake;
    {
      std::lock_guard lk(mu_);
      completed_ += n;
      running_here_ = false;
      wake = sleeping_ && !queue_.empty();
      if (drainers_) idle_cv_.notify_all();
    }
    if (wake) cv_.notify_one();
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
    flush();
    std::unique_lock lk(mu_);
    uint64_t target = submitted_;
    ++drainers_;
    idle_cv_.wait(lk, [&] { return completed_ >= target; });
    --drainers_;
  }

  bool drain_for(std::chrono::microseconds slice) override {
    std::unique_lock lk(mu_);
    uint64_t target = submitted_;
    ++drainers_;
    bool done = idle_cv_.wait_for(lk, slice, [&] { return completed_ >= target; });
    --drainers_;
    return done;
  }

 private:
  // Whether n tasks may run on the calling thread now: every task handed
  // over before them has run (stream order). If so, the worker takes no
  // task until they have run too.
  bool claim_idle(size_t n) {
    std::lock_guard lk(mu_);
    if (completed_ != submitted_ || !queue_.empty() || running_here_) return false;
    running_here_ = true;
    submitted_ += n;
    return true;
  }

  void execute(Task& t) {
    // Tagged only while a timeline is recorded (timeline.h).
    const bool traced = t.done->trace_name != 0;
    int64_t t0 = traced ? timeline::now() : 0;
    std::exception_ptr err;
    auto wait_for = [&](const std::shared_ptr<Event>& w) {
      if (!w) return;
      w->wait();
      if (w->failed() && !err) err = w->error();
    };
    wait_for(t.wait0);
    wait_for(t.wait1);
    if (t.has_more) {
      for (auto& w : t.more_waits) wait_for(w);
    }
    int64_t t1 = traced ? timeline::now() : 0;
    if (!err) {
      TaskScope in_task;
      KernelRunning running;
      try {
        if (t.fn) t.fn();
        if (t.has_more) {
          for (auto& f : t.more) f();
        }
      } catch (...) {
        err = std::current_exception();
      }
    }
    // The end, read before the signal lets a consumer start.
    int64_t t2 = traced ? timeline::now() : 0;
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
    if (traced) trace_task(t, t0, t1, t2);
    t.release_writes();
    t.fn.reset();
    if (t.has_more) {
      t.more.clear();
      t.more_waits.clear();
      t.has_more = false;
    }
    t.wait0.reset();
    t.wait1.reset();
    t.done.reset();
  }

  // Records a task that waited from t0 to t1 and ran from t1 to t2, and
  // its waits on other streams (those are drawn as a "wait" slice).
  void trace_task(const Task& t, int64_t t0, int64_t t1, int64_t t2) {
    const int s = stream_.index;
    auto other = [s](const std::shared_ptr<Event>& w) { return w && w->stream().index != s; };
    bool any = other(t.wait0) || other(t.wait1);
    if (t.has_more) {
      for (auto& w : t.more_waits) any |= other(w);
    }
    bool wait_slice = any && t1 > t0;
    int64_t at = wait_slice ? t0 + (t1 - t0) / 2 : t1 + (t2 - t1) / 2;
    if (any) {
      auto note = [&](const std::shared_ptr<Event>& w) {
        if (other(w)) timeline::waited(*w, 0, s, at);
      };
      note(t.wait0);
      note(t.wait1);
      if (t.has_more) {
        for (auto& w : t.more_waits) note(w);
      }
    }
    if (wait_slice) {
      static const uint32_t kWait = timeline::intern("wait");
      timeline::task(0, s, kWait, t0, t1, nullptr);
    }
    timeline::task(0, s, t.done->trace_name, t1, t2, t.done.get());
  }

  void run() {
    // In a task for its whole life, even between tasks (where it releases
    // their inputs): a worker never waits for in-flight work (the allocator's
    // pressure drain) nor synchronizes the GPU (which may wait for it).
    TaskScope worker;
    std::vector<Task> batch;
    size_t batch_bytes = 0;
    while (true) {
      {
        std::unique_lock lk(mu_);
        completed_ += batch.size();
        if (drainers_ && !batch.empty()) idle_cv_.notify_all();
        batch.clear();
        pending_bytes_ -= std::exchange(batch_bytes, 0);
        if (producers_waiting_) space_cv_.notify_all();
        if (queue_.empty() || running_here_) {
          // Spin a little before sleeping: an evaluating thread hands over
          // batches every few microseconds.
          queued_.store(false, std::memory_order_relaxed);
          lk.unlock();
          // Only while a core is free: an idle worker must not take the core
          // of a thread with work.
          // Meanwhile it may run chunks of another stream's parallel loop.
          auto idle = [this] { return !queued_.load(std::memory_order_relaxed); };
          for (int i = 0; i < 2000 && idle() && busy::core_free(); ++i) {
            if (sharing::help(idle)) {
              i = 0;
              continue;
            }
            cpu_relax();
          }
          lk.lock();
          if (queue_.empty() || running_here_) {
            sleeping_ = true;
            cv_.wait(lk, [&] { return (!queue_.empty() && !running_here_) || stop_; });
            sleeping_ = false;
          }
        }
        if (queue_.empty() && stop_) return;
        batch.swap(queue_);
        for (auto& t : batch) batch_bytes += t.bytes;
        queued_.store(false, std::memory_order_relaxed);
        if (producers_waiting_) space_cv_.notify_all();
      }
      busy::Scope working;
      for (auto& t : batch) execute(t);
    }
  }

  Stream stream_;
  std::mutex mu_;
  std::condition_variable cv_, space_cv_, idle_cv_;
  std::vector<Task> queue_;
  uint64_t submitted_ = 0;
  uint64_t completed_ = 0;
  size_t pending_bytes_ = 0;  // held by the buffers of queued and running tasks
  int producers_waiting_ = 0;
  int drainers_ = 0;
  bool sleeping_ = false;
  bool running_here_ = false;  // an evaluating thread runs its tasks itself (flush_and_run)
  bool stop_ = false;
  std::atomic<bool> queued_{false};
  std::exception_ptr first_error_;
  std::thread worker_;  // last: starts after the rest is built
};

}  // namespace

InlineTask& next_kernel_slot() {
  auto& st = t_staging;
  if (!st.open) {
    st.tasks.emplace_back();
    st.open = true;
  }
  Task& t = st.tasks.back();
  if (!t.fn) return t.fn;
  t.has_more = true;
  return t.more.emplace_back();
}

std::vector<const Buffer*>& node_buffers() {
  return t_staging.node_buffers;
}

std::shared_ptr<Buffer> hold_once(const array& a) {
  auto& held = t_staging.node_buffers;
  const Buffer* b = a.buffer().get();
  for (auto* h : held) {
    if (h == b) return nullptr;
  }
  held.push_back(b);
  return a.buffer();
}

bool count_writer(Buffer& buf) {
  auto& st = t_staging;
  if (!st.open) return false;
  bool held = false;
  for (auto* h : st.node_buffers) held |= h == &buf;
  if (!held) return false;
  Task& t = st.tasks.back();
  if (!t.writes_to(&buf)) t.add_write(&buf);
  return true;
}

std::unique_ptr<StreamExecutor> make_executor(Stream s) {
  blas_setup();  // before any BLAS call: every one runs from a CPU stream's tasks
  return std::make_unique<CpuExecutor>(s);
}

}  // namespace tandem::cpu
