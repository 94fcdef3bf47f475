#pragma once
// A per-thread free list for the small objects every op creates (array
// descriptors, graph nodes, primitives, events). Graphs are built in bursts
// and freed in bursts, a pattern that defeats malloc's small per-thread
// caches; recycling keeps building and freeing a node at a few instructions.
//
// Objects often die on another thread than the one that made them (an event
// is made by the evaluating thread and last dropped by a stream worker), so
// a thread that frees more than it allocates would keep growing its list
// while the other one always missed. Lists therefore exchange whole batches
// of blocks through a shared depot, one lock per kBatch blocks.
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "tandem/thread_local_or_null.h"

namespace tandem {

// Asks for the cache line at p in a writable state. GCC emits a plain read
// prefetch for __builtin_prefetch(p, 1) unless built for a PRFCHW target,
// and a line fetched for reading still costs a round trip to the other core
// when written; PREFETCHW is a no-op on x86 processors without it.
inline void prefetch_for_write(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 1);
#endif
}

namespace detail {

inline constexpr size_t kPoolBatch = 256;

// Full batches of free blocks of one size, shared by all threads. Leaked on
// purpose: threads may free blocks while static destructors run.
template <size_t Size>
struct Depot {
  static constexpr size_t kMaxBatches = 64;
  std::mutex mu;
  std::vector<std::vector<void*>> batches;
  static Depot& get() {
    static auto* d = new Depot();
    return *d;
  }
};

// Free blocks of one size, for this thread: at most 2 * kPoolBatch; beyond
// that a batch goes to the depot, and an empty list takes one from it.
template <size_t Size>
struct FreeList {
  std::vector<void*> blocks;
  FreeList() { blocks.reserve(2 * kPoolBatch); }
  ~FreeList() {
    for (void* p : blocks) ::operator delete(p);
  }
  // This thread's list, or null once it is destroyed (callers then use
  // plain new and delete).
  static FreeList* get() { return thread_local_or_null<FreeList>(); }
  void* pop() {
    if (blocks.empty() && !refill()) return nullptr;
    void* p = blocks.back();
    blocks.pop_back();
    // The next block was most likely last written by another core (freed by
    // a stream worker): ask for its first lines now, for writing, so the
    // next object built there does not stall on the transfer.
    if (!blocks.empty()) {
      char* next = static_cast<char*>(blocks.back());
      prefetch_for_write(next);
      if constexpr (Size > 64) prefetch_for_write(next + 64);
    }
    return p;
  }
  void push(void* p) {
    if (blocks.size() >= 2 * kPoolBatch) spill();
    blocks.push_back(p);
  }

 private:
  bool refill() {
    auto& d = Depot<Size>::get();
    std::lock_guard lk(d.mu);
    if (d.batches.empty()) return false;
    blocks.swap(d.batches.back());  // blocks is empty: the depot keeps its capacity
    d.batches.pop_back();
    return true;
  }
  void spill() {
    std::vector<void*> batch(blocks.end() - kPoolBatch, blocks.end());
    blocks.resize(blocks.size() - kPoolBatch);
    auto& d = Depot<Size>::get();
    {
      std::lock_guard lk(d.mu);
      if (d.batches.size() < Depot<Size>::kMaxBatches) {
        d.batches.push_back(std::move(batch));
        return;
      }
    }
    for (void* p : batch) ::operator delete(p);
  }
};
}  // namespace detail

// A std allocator drawing single objects from the thread's free list (use
// with std::allocate_shared).
template <typename T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) {}  // NOLINT

  T* allocate(size_t n) {
    if (n == 1) {
      if (auto* list = detail::FreeList<sizeof(T)>::get()) {
        if (void* p = list->pop()) return static_cast<T*>(p);
      }
    }
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) {
    if (n == 1) {
      if (auto* list = detail::FreeList<sizeof(T)>::get()) {
        list->push(p);
        return;
      }
    }
    ::operator delete(p);
  }
  template <typename U>
  bool operator==(const PoolAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const PoolAllocator<U>&) const {
    return false;
  }
};

// std::make_shared from the pool.
template <typename T, typename... Args>
std::shared_ptr<T> make_pooled(Args&&... args) {
  return std::allocate_shared<T>(PoolAllocator<T>(), std::forward<Args>(args)...);
}

}  // namespace tandem
