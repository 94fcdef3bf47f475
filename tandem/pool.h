#pragma once
// A per-thread free list for the small objects every op creates (array
// descriptors, graph nodes, events). Graphs are built in bursts and freed in
// bursts, a pattern that defeats malloc's small per-thread caches; recycling
// keeps building and freeing a node at a few instructions.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace tandem {

namespace detail {
// Free blocks of one size, for this thread; at most kMaxFree are kept.
template <size_t Size>
struct FreeList {
  static constexpr size_t kMaxFree = 8192;
  std::vector<void*> blocks;
  ~FreeList() {
    for (void* p : blocks) ::operator delete(p);
  }
  static FreeList& get() {
    thread_local FreeList list;
    return list;
  }
};
}  // namespace detail

// A std allocator drawing single objects from the thread's free list (use
// with std::allocate_shared). Memory freed on another thread joins that
// thread's list.
template <typename T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) {}  // NOLINT

  T* allocate(size_t n) {
    if (n == 1) {
      auto& fl = detail::FreeList<sizeof(T)>::get();
      if (!fl.blocks.empty()) {
        void* p = fl.blocks.back();
        fl.blocks.pop_back();
        return static_cast<T*>(p);
      }
    }
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) {
    if (n == 1) {
      auto& fl = detail::FreeList<sizeof(T)>::get();
      if (fl.blocks.size() < detail::FreeList<sizeof(T)>::kMaxFree) {
        fl.blocks.push_back(p);
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

}  // namespace tandem
