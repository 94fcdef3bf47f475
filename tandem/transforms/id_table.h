#pragma once
// Flat hash tables keyed by array or node identity (a non-zero address), for
// the transforms' walks over a graph: one allocation per table instead of one
// per entry (std::unordered_*), which was a large part of the host cost of
// building a backward graph. No erase: the walks only add.
#include <cstdint>
#include <utility>
#include <vector>

#include "tandem/array.h"

namespace tandem::detail {

// An IdMap value: an array or nothing (an array with no descriptor).
struct MaybeArray {
  array a = array(std::shared_ptr<ArrayDesc>());
};

template <typename V>
class IdMap {
 public:
  explicit IdMap(size_t expected = 16) { rehash(capacity_for(expected)); }

  // The value for key, default-constructed on first use; `fresh` says which.
  V& get(uintptr_t key, bool& fresh) {
    if (2 * (size_ + 1) > slots_.size()) rehash(2 * slots_.size());
    size_t i = slot(key);
    fresh = slots_[i].key == 0;
    if (fresh) {
      slots_[i].key = key;
      ++size_;
    }
    return slots_[i].value;
  }
  // The value for key, or nullptr.
  V* find(uintptr_t key) {
    size_t i = slot(key);
    return slots_[i].key == 0 ? nullptr : &slots_[i].value;
  }
  bool contains(uintptr_t key) const { return slots_[slot(key)].key != 0; }

 private:
  struct Slot {
    uintptr_t key = 0;
    V value{};
  };
  static size_t capacity_for(size_t n) {
    size_t c = 16;
    while (c < 2 * n) c *= 2;
    return c;
  }
  // The slot holding key, or the empty slot where it would go.
  size_t slot(uintptr_t key) const {
    size_t mask = slots_.size() - 1;
    // Fibonacci hashing of the address (its low bits are alignment zeros).
    size_t i = static_cast<size_t>((key >> 4) * 0x9E3779B97F4A7C15ull >> 20) & mask;
    while (slots_[i].key != 0 && slots_[i].key != key) i = (i + 1) & mask;
    return i;
  }
  void rehash(size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    for (auto& s : old) {
      if (s.key != 0) {
        Slot& t = slots_[slot(s.key)];
        t.key = s.key;
        t.value = std::move(s.value);
      }
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

// A set of identities: IdMap without values.
class IdSet {
 public:
  explicit IdSet(size_t expected = 16) : map_(expected) {}
  // True if key was not in the set.
  bool insert(uintptr_t key) {
    bool fresh;
    map_.get(key, fresh);
    return fresh;
  }
  bool contains(uintptr_t key) const { return map_.contains(key); }

 private:
  struct Empty {};
  IdMap<Empty> map_;
};

}  // namespace tandem::detail
