#pragma once
// array: a cheap handle to a shared descriptor holding shape, strides, dtype,
// the data buffer (once computed) and, until scheduled, the graph node (primitive
// + inputs) that computes it.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <vector>

#include "tandem/allocator.h"
#include "tandem/dtype.h"
#include "tandem/event.h"
#include "tandem/pool.h"
#include "tandem/small_vector.h"

namespace tandem {

class Primitive;
class array;
struct ArrayDesc;

namespace detail {
// Transforms this thread is tracing through (see transforms.h).
inline thread_local int t_tracing = 0;
}  // namespace detail

// One graph node: a primitive applied to inputs, making one or more outputs.
struct Node {
  std::shared_ptr<Primitive> primitive;
  // Its storage is recycled through the thread's stash of input vectors
  // (take_input_vector), so building and dropping a node does not allocate.
  std::vector<array> inputs;
  // For multi-output primitives only: the outputs (siblings), held weakly so
  // they do not keep each other alive.
  std::vector<std::weak_ptr<ArrayDesc>> outputs;
  std::vector<std::pair<Shape, Dtype>> output_specs;  // to remake a dropped output
  uint64_t visit = 0;  // the last eval that visited this node (topological sort)
  // Scheduled but kept: the node of a tracer evaluated inside a transform,
  // which the transform still walks (eval skips it).
  bool scheduled = false;
  // While eval's fusion holds the node in a group: the group's id and the
  // number of the node's value in the group's program (see fusion.h).
  uint64_t fuse_group = 0;
  int32_t fuse_value = 0;
  Node(std::shared_ptr<Primitive> p, std::vector<array> in)
      : primitive(std::move(p)), inputs(std::move(in)) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();
};

// An empty vector with room for a few inputs, from the thread's stash; and
// the way back for one no longer needed (its elements are destroyed first).
std::vector<array> take_input_vector();
void give_input_vector(std::vector<array>&& v);
// The given inputs in a vector from the stash: each is copied or moved in
// once (an initializer list would copy every one, a reference count round
// trip per input on the hot path of building an op).
template <typename... A>
std::vector<array> input_vector(A&&... in) {
  auto v = take_input_vector();
  (v.push_back(std::forward<A>(in)), ...);
  return v;
}

struct Flags {
  bool contiguous = true;      // the elements cover data_size slots densely, in some order
  bool row_contiguous = true;  // C order, no gaps
  bool col_contiguous = true;  // Fortran order, no gaps
};

struct ArrayDesc {
  Shape shape;
  Strides strides;  // in elements
  Dtype dtype;
  size_t size = 1;

  std::shared_ptr<Node> node;  // set until the node is scheduled
  int position = 0;            // which output of node
  // Computed from a transform's inputs while the transform traces: eval
  // keeps its node (see Node::scheduled).
  bool tracer = false;

  std::shared_ptr<Buffer> buffer;
  int64_t offset = 0;    // bytes from buffer->host to element 0
  size_t data_size = 0;  // elements the buffer span covers (for contiguous fast paths)
  Flags flags;

  std::shared_ptr<Event> event;  // set once scheduled; null for leaves

  // Events of the tasks that may still hold a reference to `buffer` because
  // they wrote it: the producer, and the producers of the inputs it was
  // donated from. All of them finish before any consumer of this array runs,
  // so their references do not block donation (see is_donatable). CPU tasks
  // are not listed: they count in the buffer's pending_cpu_writers, which
  // does not saturate when a long donated chain is queued.
  static constexpr int kMaxWriters = 3;
  std::shared_ptr<Event> writers[kMaxWriters];
  int num_writers = 0;

  // Throws (see checked_shape_size) for a negative dimension or a size past
  // int64, naming op: every array's shape passes here.
  ArrayDesc(Shape s, Dtype t, const char* op = "array");
  ~ArrayDesc();  // frees the graph above iteratively
};

// Maps C++ integer spellings that alias no fixed-width type onto one.
template <typename T>
using storage_t =
    std::conditional_t<std::is_same_v<T, long long>, int64_t,
                       std::conditional_t<std::is_same_v<T, unsigned long long>, uint64_t, T>>;

// The dtype of a C++ scalar: like MLX, a double is float32 (ask for float64
// explicitly).
template <typename T>
constexpr Dtype scalar_dtype() {
  return std::is_same_v<T, double> ? float32 : dtype_of<storage_t<T>>::value;
}

// A new descriptor, from the thread's pool.
template <typename... Args>
std::shared_ptr<ArrayDesc> make_desc(Args&&... args) {
  return std::allocate_shared<ArrayDesc>(PoolAllocator<ArrayDesc>(), std::forward<Args>(args)...);
}

class array {
 public:
  // Scalars (0-d).
  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
  array(T v);            // NOLINT
  array(float16_t v);    // NOLINT
  array(bfloat16_t v);   // NOLINT
  array(complex64_t v);  // NOLINT
  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
  array(T v, Dtype t);

  // 1-d from a list, in its natural dtype or converted to t.
  template <typename T>
  array(std::initializer_list<T> data);
  template <typename T>
  array(std::initializer_list<T> data, Dtype t);
  // From data of type T laid out in row-major order with the given shape.
  template <typename T>
  array(const T* data, Shape shape, Dtype t = dtype_of<storage_t<T>>::value);
  template <typename T>
  array(const std::vector<T>& data, Shape shape, Dtype t = dtype_of<storage_t<T>>::value)
      : array(checked(data.data(), data.size(), shape), shape, t) {}
  template <typename T>
  array(std::initializer_list<T> data, Shape shape, Dtype t = dtype_of<storage_t<T>>::value)
      : array(checked(data.begin(), data.size(), shape), shape, t) {}
  // From raw bytes already in dtype t's layout (copied).
  static array from_bytes(const void* bytes, Shape shape, Dtype t);
  // Wraps an existing buffer (no copy).
  array(std::shared_ptr<Buffer> buf, Shape shape, Dtype t, Strides strides = {},
        int64_t offset_bytes = 0);

  // A lazy array computed by primitive p from inputs.
  array(Shape shape, Dtype t, std::shared_ptr<Primitive> p, std::vector<array> inputs);
  array(Shape shape, Dtype t, std::shared_ptr<Primitive> p, std::initializer_list<array> inputs);
  // The outputs of one multi-output primitive.
  static std::vector<array> make_arrays(std::vector<Shape> shapes, const std::vector<Dtype>& dtypes,
                                        std::shared_ptr<Primitive> p, std::vector<array> inputs);

  array(const array&) = default;
  array(array&&) noexcept = default;
  array& operator=(const array&) = default;
  array& operator=(array&&) noexcept = default;

  Dtype dtype() const { return desc_->dtype; }
  size_t itemsize() const { return desc_->dtype.size(); }
  size_t size() const { return desc_->size; }
  size_t nbytes() const { return size() * itemsize(); }
  int ndim() const { return static_cast<int>(desc_->shape.size()); }
  const Shape& shape() const { return desc_->shape; }
  // Size of dimension dim; negative dims count from the end.
  ShapeElem shape(int dim) const;
  const Strides& strides() const { return desc_->strides; }
  int64_t strides(int dim) const;
  const Flags& flags() const { return desc_->flags; }
  size_t data_size() const { return desc_->data_size; }
  int64_t offset() const { return desc_->offset; }
  const std::shared_ptr<Buffer>& buffer() const { return desc_->buffer; }

  // Evaluates this array (see tandem::eval).
  void eval();
  // Evaluates, then makes the data readable on the host through data<T>()
  // (copying it from the GPU once, if it was computed there).
  void sync_host();
  // Evaluates, then reads the only element as T (converting).
  template <typename T>
  T item();
  // Pointer to element 0 (host copy). Only valid once evaluated.
  template <typename T>
  T* data() {
    return reinterpret_cast<T*>(static_cast<char*>(desc_->buffer->host) + desc_->offset);
  }
  template <typename T>
  const T* data() const {
    return reinterpret_cast<const T*>(static_cast<const char*>(desc_->buffer->host) +
                                      desc_->offset);
  }
  // Copies the evaluated elements, in row-major order and converted to T.
  template <typename T>
  std::vector<T> to_vector();

  // Graph.
  bool has_primitive() const { return desc_->node != nullptr; }
  Primitive& primitive() const { return *desc_->node->primitive; }
  std::shared_ptr<Primitive> primitive_ptr() const {
    return desc_->node ? desc_->node->primitive : nullptr;
  }
  std::vector<array>& inputs() const;
  // All outputs of this array's node (this one included), in order.
  std::vector<array> outputs() const;
  // The other outputs of this array's node.
  std::vector<array> siblings() const;
  int position() const { return desc_->position; }
  const std::shared_ptr<Node>& node() const { return desc_->node; }

  enum class Status { unscheduled, scheduled, available };
  Status status() const;
  // Whether the data can be read now without waiting.
  bool is_available() const;
  const std::shared_ptr<Event>& event() const { return desc_->event; }
  void set_event(std::shared_ptr<Event> e) { desc_->event = std::move(e); }
  // Blocks until computed; rethrows if the computation failed.
  void wait() const;
  // Drops the graph node (primitive and inputs).
  void detach();

  // For kernels: attach data to an output.
  void set_data(std::shared_ptr<Buffer> buf);  // row-contiguous, offset 0
  void set_data(std::shared_ptr<Buffer> buf, size_t data_size, Strides strides, Flags flags,
                int64_t offset_bytes = 0);
  // Shares other's buffer with new strides/flags (a view).
  void copy_shared_buffer(const array& other, Strides strides, Flags flags, size_t data_size,
                          int64_t offset_bytes = 0);
  void copy_shared_buffer(const array& other);
  // Takes other's buffer (donation) with other's layout.
  void move_shared_buffer(array other);

  // Identity of the underlying descriptor.
  uintptr_t id() const { return reinterpret_cast<uintptr_t>(desc_.get()); }
  const std::shared_ptr<ArrayDesc>& desc() const { return desc_; }
  explicit array(std::shared_ptr<ArrayDesc> d) : desc_(std::move(d)) {}

  // Iterating yields slices along the first axis (like Python).
 private:
  void init_from(const void* src, Dtype src_type, Dtype t);
  // Returns data after checking that n values fill shape (before any is read).
  template <typename T>
  static const T* checked(const T* data, size_t n, const Shape& shape) {
    check_count(n, shape);
    return data;
  }
  static void check_count(size_t n, const Shape& shape);
  std::shared_ptr<ArrayDesc> desc_;
};

// An axis argument outside [-ndim, ndim): a std::invalid_argument (so a
// ValueError in Python) that the bindings also make an IndexError, like
// NumPy's AxisError.
class AxisError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Row-major strides for shape.
Strides row_major_strides(const Shape& shape);
size_t shape_size(const Shape& shape);
// The element count of an array of `shape` and dtype t. Throws
// std::invalid_argument "[op] ..." naming the shape and dtype when a dimension
// is negative, or when the product of the non-zero dimensions times the item
// size does not fit in int64 (NumPy's "array is too big"; it also keeps every
// stride and byte offset within int64).
size_t checked_shape_size(const Shape& shape, Dtype t, const char* op);
// Recomputes contiguity flags and data_size from shape and strides.
Flags compute_flags(const Shape& shape, const Strides& strides, size_t* data_size);
std::ostream& operator<<(std::ostream& os, const Shape& s);
std::string shape_str(const Shape& s);
// Prints like MLX: array([[1, 2], [3, 4]], dtype=int32). Evaluates a.
std::ostream& operator<<(std::ostream& os, array a);
// Decimal places of printed floating-point values (fixed notation), or -1
// for the default (6 significant digits, %g). Process-wide, as MLX's.
// Precisions above 100 throw std::invalid_argument.
void set_print_precision(int precision);
int get_print_precision();

// Whether out may take in's buffer: nothing else can read in afterwards (only
// the node being evaluated holds in, and the only other references to the
// buffer are held by in's writers' pending tasks), and the buffer is exactly
// in's dense data.
bool is_donatable(const array& in, const array& out);

// Allocates out's buffer (bytes, or out.nbytes()); an OutOfMemory names
// out's shape, dtype and the device.
std::shared_ptr<Buffer> allocate_for(const array& out, size_t bytes, const char* device);

// Copies the evaluated elements of a, in row-major order, to dst as dtype t.
void copy_to_row_major(const array& a, void* dst, Dtype t);

// Converts n elements from src_type to dst_type (host memory, contiguous).
void convert_elements(const void* src, Dtype src_type, void* dst, Dtype dst_type, size_t n);

// ---- template definitions ----

template <typename T, typename>
array::array(T v) : array(&v, Shape{}, scalar_dtype<T>()) {}

template <typename T, typename>
array::array(T v, Dtype t) : array(&v, Shape{}, t) {}

template <typename T>
array::array(std::initializer_list<T> data)
    : array(data.begin(), Shape{static_cast<ShapeElem>(data.size())},
            dtype_of<storage_t<T>>::value) {}

template <typename T>
array::array(std::initializer_list<T> data, Dtype t)
    : array(data.begin(), Shape{static_cast<ShapeElem>(data.size())}, t) {}

template <typename T>
array::array(const T* data, Shape shape, Dtype t) : desc_(make_desc(std::move(shape), t)) {
  init_from(data, dtype_of<storage_t<T>>::value, t);
}

template <typename T>
T array::item() {
  sync_host();
  if (size() != 1) {
    throw std::invalid_argument(
        "[item] only arrays of one element can be read as a scalar; shape is " +
        shape_str(shape()));
  }
  T out;
  convert_elements(data<void>(), dtype(), &out, dtype_of<T>::value, 1);
  return out;
}

template <typename T>
std::vector<T> array::to_vector() {
  sync_host();
  size_t n = size();
  // Stored as T so that std::vector<bool> works too.
  using S = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;
  std::vector<S> tmp(n);
  if (n) copy_to_row_major(*this, tmp.data(), dtype_of<T>::value);
  return std::vector<T>(tmp.begin(), tmp.end());
}

}  // namespace tandem
