#pragma once
// Event: the completion of one scheduled graph node. Workers signal it (or
// fail it with the task's exception); consumers on other streams and the
// evaluating thread wait on it.
#include <atomic>
#include <exception>

#include "tandem/stream.h"

namespace tandem {

class Event {
 public:
  explicit Event(Stream s) : stream_(s) {}

  Stream stream() const { return stream_; }
  bool done() const { return state_.load(std::memory_order_acquire) != kPending; }
  bool failed() const { return state_.load(std::memory_order_acquire) == kFailed; }
  // The task's exception, once failed() is true.
  std::exception_ptr error() const { return error_; }

  void signal() { finish(kDone); }
  void fail(std::exception_ptr e) {
    error_ = std::move(e);
    finish(kFailed);
  }
  // Blocks until done (spins briefly first: most waits are short).
  void wait() const;
  // wait(), then rethrows the task's exception if it failed.
  void wait_and_check() const;

 private:
  static constexpr uint32_t kPending = 0, kDone = 1, kFailed = 2;
  void finish(uint32_t st) {
    state_.store(st, std::memory_order_release);
    state_.notify_all();
  }
  Stream stream_;
  std::atomic<uint32_t> state_{kPending};
  std::exception_ptr error_;
};

}  // namespace tandem
