#pragma once
// Event: the completion of one scheduled graph node. Workers signal it (or
// fail it with the task's exception); consumers on other streams and the
// evaluating thread wait on it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>

#include "tandem/stream.h"

namespace tandem {

// How long a waiter spins before it sleeps in the kernel: long enough to
// cover a typical kernel's completion without a futex wake-up (tens of us
// each), short enough not to burn a core on long waits.
// TANDEM_WAIT_SPIN_US overrides it (0: sleep at once).
std::chrono::nanoseconds wait_spin_budget();

class Event {
 public:
  explicit Event(Stream s) : stream_(s) {}

  Stream stream() const { return stream_; }
  bool done() const { return state_.load(std::memory_order_acquire) != kPending; }
  bool failed() const { return state_.load(std::memory_order_acquire) == kFailed; }
  // The task's exception, once failed() is true.
  std::exception_ptr error() const { return error_; }

  // GPU backend state: the CUDA event of the batch this node's GPU work was
  // launched in (set before the event is published), so that other GPU
  // streams can wait on it without the host.
  std::shared_ptr<void> gpu_mark;

  // Set (before the event is published) only while a timeline is recorded
  // (timeline.h): the interned name of the node's primitive, and the id that
  // waits on this event refer to. 0: not traced.
  uint32_t trace_name = 0;
  uint32_t trace_id = 0;

  // A word in host memory that the GPU can read, set to 1 (done) or 2
  // (failed) when this event finishes: GPU streams waiting on CPU work spin
  // on it. attach_host_flag installs `flag` unless one is installed already
  // and returns the installed one, already set if the event has finished.
  std::atomic<uint32_t>* attach_host_flag(std::shared_ptr<std::atomic<uint32_t>> flag);

  void signal() { finish(kDone); }
  void fail(std::exception_ptr e) {
    error_ = std::move(e);
    finish(kFailed);
  }
  // Blocks until done (spins briefly first: most waits are short).
  void wait() const;
  // wait() for at most `timeout`; returns whether the event is done. It
  // sleeps in the kernel (a futex with a timeout), so a short wait costs no
  // more than wait()'s and a caller can poll something else in between.
  bool wait_for(std::chrono::nanoseconds timeout) const;
  // wait(), then rethrows the task's exception if it failed.
  void wait_and_check() const;

 private:
  static constexpr uint32_t kPending = 0, kDone = 1, kFailed = 2;
  void finish(uint32_t st) {
    // seq_cst pairs with attach_host_flag: one of the two sees the other.
    state_.store(st, std::memory_order_seq_cst);
    if (auto* f = host_flag_.load(std::memory_order_seq_cst))
      f->store(st, std::memory_order_release);
    state_.notify_all();
    // Timed waiters (wait_for) sleep on the word itself; the seq_cst store
    // above and their seq_cst increment of timed_waiters_ see each other.
    if (timed_waiters_.load(std::memory_order_seq_cst) != 0) wake_timed_waiters();
  }
  void wake_timed_waiters();
  // Spins (pause, or chunks of other threads' loops) while a core is free,
  // until done, wait_spin_budget() has passed, or `end`; returns done().
  bool spin(std::chrono::steady_clock::time_point end) const;
  Stream stream_;
  std::atomic<uint32_t> state_{kPending};
  mutable std::atomic<uint32_t> timed_waiters_{0};
  std::exception_ptr error_;
  std::atomic<std::atomic<uint32_t>*> host_flag_{nullptr};
  std::shared_ptr<std::atomic<uint32_t>> host_flag_owner_;
};

}  // namespace tandem
