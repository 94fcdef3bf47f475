#include "tandem/busy.h"

#include <sched.h>

#include <atomic>
#include <thread>

namespace tandem::busy {
namespace {

std::atomic<int> g_busy{0};
thread_local int t_depth = 0;

int count_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

}  // namespace

int cores() {
  static const int n = count_cores();
  return n;
}

int threads() {
  return g_busy.load(std::memory_order_relaxed);
}

Scope::Scope() {
  if (t_depth++ == 0) g_busy.fetch_add(1, std::memory_order_relaxed);
}

Scope::~Scope() {
  if (--t_depth == 0) g_busy.fetch_sub(1, std::memory_order_relaxed);
}

IdleScope::IdleScope() : saved_(t_depth) {
  if (saved_ > 0) {
    t_depth = 0;
    g_busy.fetch_sub(1, std::memory_order_relaxed);
  }
}

IdleScope::~IdleScope() {
  if (saved_ > 0) {
    t_depth = saved_;
    g_busy.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace tandem::busy
