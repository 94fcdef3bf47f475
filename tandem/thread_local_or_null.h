#pragma once
// A per-thread object that may be asked for during thread exit (or, on the
// main thread, while static destructors run), after it has been destroyed:
// pooled objects and graph nodes can die then. Callers do without it.

namespace tandem {

// The calling thread's T, made on first use; null once it is destroyed.
// Each T has its own object per thread.
template <typename T>
T* thread_local_or_null() {
  // Trivially destructible, so it stays readable after `holder` is gone.
  thread_local bool gone = false;
  struct Holder {
    T value;
    ~Holder() { gone = true; }
  };
  if (gone) return nullptr;
  thread_local Holder holder;
  return &holder.value;
}

}  // namespace tandem
