#include "tandem/event.h"

#include <thread>

namespace tandem {

void Event::wait() const {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return;
    if (i > 64) std::this_thread::yield();
  }
  uint32_t st;
  while ((st = state_.load(std::memory_order_acquire)) == kPending) state_.wait(st);
}

void Event::wait_and_check() const {
  wait();
  if (failed()) std::rethrow_exception(error_);
}

}  // namespace tandem
