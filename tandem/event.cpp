#include "tandem/event.h"

#include <thread>

namespace tandem {

void Event::wait() const {
  // Most waits are short (a tiny kernel, a queue draining): spin briefly with
  // pause before sleeping on the futex.
  for (int i = 0; i < 4000; ++i) {
    if (done()) return;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  uint32_t st;
  while ((st = state_.load(std::memory_order_acquire)) == kPending) state_.wait(st);
}

void Event::wait_and_check() const {
  wait();
  if (failed()) std::rethrow_exception(error_);
}

}  // namespace tandem
