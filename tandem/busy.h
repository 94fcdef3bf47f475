#pragma once
// How many threads are running Tandem work on the CPU right now: stream
// workers with tasks in hand and threads encoding a graph. Two decisions
// use it so that concurrent streams share the cores instead of fighting
// over them: intra-op parallelism takes only the cores the others leave
// free, and a thread about to wait spins only while a core is free (else
// it sleeps at once, handing its core to a thread with work).
namespace tandem::busy {

// Cores the process may use (at least 1).
int cores();
// Threads marked busy now.
int threads();
// Whether some core is not taken by a busy thread.
inline bool core_free() {
  return threads() < cores();
}

// Marks the calling thread busy for its lifetime. Nested scopes on one
// thread count once.
class Scope {
 public:
  Scope();
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
};

// Marks the calling thread idle for its lifetime if it was busy (a busy
// thread about to wait), restoring it after.
class IdleScope {
 public:
  IdleScope();
  ~IdleScope();
  IdleScope(const IdleScope&) = delete;
  IdleScope& operator=(const IdleScope&) = delete;

 private:
  int saved_;
};

}  // namespace tandem::busy
