#include "tandem/event.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "tandem/busy.h"
#include "tandem/task_scope.h"
#include "tandem/work_sharing.h"

namespace tandem {

namespace {
// The spin before a futex sleep (wait_spin_budget).
constexpr long kDefaultSpinUs = 200;
}  // namespace

std::chrono::nanoseconds wait_spin_budget() {
  static const std::chrono::nanoseconds budget = [] {
    const char* v = std::getenv("TANDEM_WAIT_SPIN_US");
    long us = v && *v ? std::strtol(v, nullptr, 10) : kDefaultSpinUs;
    return std::chrono::nanoseconds(std::chrono::microseconds(std::max(0L, us)));
  }();
  return budget;
}

bool Event::spin(std::chrono::steady_clock::time_point end) const {
  using Clock = std::chrono::steady_clock;
  auto budget = wait_spin_budget();
  if (budget.count() == 0) return done();
  auto stop = std::min(Clock::now() + budget, end);
  // Only while a core is free: a spinning thread would otherwise take the
  // core of one with work. Chunks of another thread's parallel loop are
  // worth more than spinning, and restart the spin.
  for (unsigned i = 1; busy::core_free(); ++i) {
    if (done()) return true;
    if (sharing::help([this] { return !done(); })) {
      auto now = Clock::now();
      if (now >= end) break;
      stop = std::min(now + budget, end);
      continue;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    if (i % 32 == 0 && Clock::now() >= stop) break;
  }
  return done();
}

void Event::wait() const {
  if (done()) return;
  // A busy thread that waits leaves its core to others.
  busy::IdleScope idle;
  if (spin(std::chrono::steady_clock::time_point::max())) return;
  uint32_t st;
  while ((st = state_.load(std::memory_order_acquire)) == kPending) state_.wait(st);
}

std::atomic<uint32_t>* Event::attach_host_flag(std::shared_ptr<std::atomic<uint32_t>> flag) {
  std::atomic<uint32_t>* expected = nullptr;
  flag->store(kPending, std::memory_order_relaxed);
  if (host_flag_.compare_exchange_strong(expected, flag.get(), std::memory_order_seq_cst)) {
    host_flag_owner_ = std::move(flag);
    expected = host_flag_owner_.get();
  }
  // The producer may have finished before it could see the flag.
  uint32_t st = state_.load(std::memory_order_seq_cst);
  if (st != kPending) expected->store(st, std::memory_order_release);
  return expected;
}

bool wait_for(const Event& ev, std::chrono::nanoseconds timeout) {
  return ev.wait_for(timeout);
}

void Event::wake_timed_waiters() {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr,
          nullptr, 0);
}

bool Event::wait_for(std::chrono::nanoseconds timeout) const {
  using Clock = std::chrono::steady_clock;
  if (done()) return true;
  busy::IdleScope idle;
  auto end = Clock::now() + timeout;
  // Spin first, as wait() does: most waits are short.
  if (spin(end)) return true;
  timed_waiters_.fetch_add(1, std::memory_order_seq_cst);
  while (state_.load(std::memory_order_seq_cst) == kPending) {
    auto left = end - Clock::now();
    if (left <= Clock::duration::zero()) break;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    // Returns at once if the word is no longer kPending (no lost wake-up).
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(const_cast<std::atomic<uint32_t>*>(&state_)),
            FUTEX_WAIT_PRIVATE, kPending, &ts, nullptr, 0);
  }
  timed_waiters_.fetch_sub(1, std::memory_order_relaxed);
  return done();
}

void Event::wait_and_check() const {
  wait();
  if (failed()) std::rethrow_exception(error_);
}

}  // namespace tandem
