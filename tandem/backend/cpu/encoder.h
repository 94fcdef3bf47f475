#pragma once
// What CPU kernels use to hand work to their stream: dispatch() queues a
// function that the stream's worker runs once the node's waits are met.
// Kernels capture Refs (buffer + layout), never arrays, so that the graph can
// be freed and buffers donated while the work is queued.
#include <functional>
#include <memory>

#include "tandem/array.h"
#include "tandem/backend/cpu/task.h"

namespace tandem::cpu {

// An empty slot in the task of the node being encoded on this thread.
InlineTask& next_kernel_slot();
// Queues fn for the node being evaluated on the calling thread; it runs on
// the node's stream after the node's waits.
template <typename F>
void dispatch(F&& fn) {
  next_kernel_slot().emplace(std::forward<F>(fn));
}

// Buffers already held by a Ref or Hold of the node being encoded on this thread.
// A task holds each distinct buffer once (see Ref), which the donation test
// in is_donatable relies on. Cleared when the node is submitted.
std::vector<const Buffer*>& node_buffers();

// The buffer of a, for a task of the node being encoded: the first Ref or
// Hold of a node to a buffer owns it, later ones of the same node get null.
std::shared_ptr<Buffer> hold_once(const array& a);

// Keeps a's buffer alive for a kernel that took its data pointer at encode
// time (the compact elementwise paths: a few pointers instead of whole
// layouts, so handing the task to the worker moves fewer cache lines).
struct Hold {
  std::shared_ptr<Buffer> buffer;  // empty when borrowed
  Hold() = default;
  explicit Hold(const array& a) : buffer(hold_once(a)) {}
};

// The parts of an array a kernel reads or writes. The first Ref of a node to
// a buffer keeps it alive; later Refs of the same node to that buffer (an
// output donated from an input) borrow it.
struct Ref {
  std::shared_ptr<Buffer> buffer;  // empty when borrowed
  char* ptr = nullptr;             // element 0
  Shape shape;
  Strides strides;
  Dtype dtype;
  size_t size = 0;
  size_t data_size = 0;
  Flags flags;

  Ref() = default;
  explicit Ref(const array& a)
      : ptr(static_cast<char*>(a.buffer()->host) + a.offset()),
        shape(a.shape()),
        strides(a.strides()),
        dtype(a.dtype()),
        size(a.size()),
        data_size(a.data_size()),
        flags(a.flags()) {
    buffer = hold_once(a);
  }
  template <typename T>
  T* data() const {
    return reinterpret_cast<T*>(ptr);
  }
  int ndim() const { return static_cast<int>(shape.size()); }
};

}  // namespace tandem::cpu
