#include "tandem/array.h"

#include <iomanip>
#include <sstream>

#include "tandem/backend.h"
#include "tandem/primitive.h"
#include "tandem/task_scope.h"
#include "tandem/thread_local_or_null.h"
#include "tandem/transforms.h"

namespace tandem {

size_t shape_size(const Shape& shape) {
  size_t n = 1;
  for (auto d : shape) n *= static_cast<size_t>(d);
  return n;
}

size_t checked_shape_size(const Shape& shape, Dtype t, const char* op) {
  uint64_t n = 1;
  bool zero = false, overflow = false;
  for (auto d : shape) {
    if (d < 0) {
      std::ostringstream msg;
      msg << "[" << op << "] negative dimension " << d << " in shape " << shape;
      throw std::invalid_argument(msg.str());
    }
    if (d == 0) {
      zero = true;
    } else {
      overflow |= __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n);
    }
  }
  uint64_t bytes = 0;
  overflow |= __builtin_mul_overflow(n, static_cast<uint64_t>(t.size()), &bytes);
  if (overflow || bytes > static_cast<uint64_t>(INT64_MAX)) {
    std::ostringstream msg;
    msg << "[" << op << "] an array of shape " << shape << " and dtype " << t
        << " is too big: its size in bytes does not fit in 64 bits (int64)";
    throw std::invalid_argument(msg.str());
  }
  return zero ? 0 : static_cast<size_t>(n);
}

Strides row_major_strides(const Shape& shape) {
  Strides st(shape.size(), 0);
  int64_t s = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

Flags compute_flags(const Shape& shape, const Strides& strides, size_t* data_size) {
  Flags f;
  size_t n = shape_size(shape);
  // Row / column contiguity ignore dims of size 1, whose stride is meaningless.
  int64_t expect = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    if (strides[i] != expect) f.row_contiguous = false;
    expect *= shape[i];
  }
  expect = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (strides[i] != expect) f.col_contiguous = false;
    expect *= shape[i];
  }
  // Dense in some order: sorting the non-trivial (stride, size) pairs gives a
  // row-major layout with no gaps and no broadcast (zero) strides.
  std::vector<std::pair<int64_t, int64_t>> dims;
  bool has_negative = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (strides[i] < 0) has_negative = true;
    dims.push_back({strides[i], shape[i]});
  }
  std::sort(dims.begin(), dims.end());
  bool dense = !has_negative;
  expect = 1;
  for (auto& [st, sz] : dims) {
    if (st != expect) dense = false;
    expect *= sz;
  }
  f.contiguous = dense || n == 0;
  if (n == 0) f.row_contiguous = f.col_contiguous = true;
  if (data_size) {
    if (f.contiguous) {
      *data_size = n;
    } else {
      // Span of the elements from the lowest to the highest address.
      int64_t span = 0;
      for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] > 1) span += std::abs(strides[i]) * (shape[i] - 1);
      }
      *data_size = n == 0 ? 0 : static_cast<size_t>(span + 1);
    }
  }
  return f;
}

ArrayDesc::ArrayDesc(Shape s, Dtype t, const char* op) : shape(std::move(s)), dtype(t) {
  size = checked_shape_size(shape, t, op);
  strides = row_major_strides(shape);
  data_size = size;
}

namespace {

// Emptied input vectors of dead nodes. Nodes are built and dropped in bursts
// on the evaluating thread, so each vector is reused many times.
struct InputStash {
  static constexpr size_t kMax = 4096;
  std::vector<std::vector<array>> free;
};

// This thread's stash, or null once it has been destroyed (a node may die
// while thread_local objects are destroyed).
InputStash* stash() {
  return thread_local_or_null<InputStash>();
}

}  // namespace

std::vector<array> take_input_vector() {
  if (auto* st = stash(); st && !st->free.empty()) {
    std::vector<array> v = std::move(st->free.back());
    st->free.pop_back();
    return v;
  }
  std::vector<array> v;
  v.reserve(4);
  return v;
}

void give_input_vector(std::vector<array>&& v) {
  v.clear();
  if (v.capacity() == 0 || v.capacity() > 64) return;
  auto* st = stash();
  if (st && st->free.size() < InputStash::kMax) st->free.push_back(std::move(v));
}

Node::~Node() {
  give_input_vector(std::move(inputs));
}

// A long chain would recurse through Node -> inputs -> ArrayDesc -> Node.
// Instead, steal the inputs of every descriptor about to die into a worklist.
ArrayDesc::~ArrayDesc() {
  if (!node || node.use_count() > 1) return;
  std::vector<array> work;
  work.swap(node->inputs);
  node.reset();
  while (!work.empty()) {
    array a = std::move(work.back());
    work.pop_back();
    auto& d = a.desc();
    if (d.use_count() == 1 && d->node && d->node.use_count() == 1) {
      auto& in = d->node->inputs;
      for (auto& x : in) work.push_back(std::move(x));
      in.clear();
    }
  }
  give_input_vector(std::move(work));
}

void array::check_count(size_t n, const Shape& shape) {
  if (n != shape_size(shape)) {
    std::ostringstream msg;
    msg << "[array] " << n << " values cannot fill an array of shape " << shape;
    throw std::invalid_argument(msg.str());
  }
}

void array::init_from(const void* src, Dtype src_type, Dtype t) {
  auto buf = allocator::malloc(nbytes());
  convert_elements(src, src_type, buf->host, t, size());
  set_data(std::move(buf));
}

array array::from_bytes(const void* bytes, Shape shape, Dtype t) {
  array a(make_desc(std::move(shape), t));
  auto buf = allocator::malloc(a.nbytes());
  if (a.nbytes()) std::memcpy(buf->host, bytes, a.nbytes());
  a.set_data(std::move(buf));
  return a;
}

array::array(float16_t v) : array(&v, Shape{}, float16) {}
array::array(bfloat16_t v) : array(&v, Shape{}, bfloat16) {}
array::array(complex64_t v) : array(&v, Shape{}, complex64) {}

array::array(std::shared_ptr<Buffer> buf, Shape shape, Dtype t, Strides strides,
             int64_t offset_bytes)
    : desc_(make_desc(std::move(shape), t)) {
  if (strides.empty() && desc_->shape.size() > 0) strides = desc_->strides;
  size_t ds = 0;
  auto f = compute_flags(desc_->shape, strides, &ds);
  set_data(std::move(buf), ds, std::move(strides), f, offset_bytes);
}

namespace {
// A node's output computed from a tracer is one.
void mark_tracer(ArrayDesc& d) {
  for (auto& in : d.node->inputs) {
    if (in.desc()->tracer) {
      d.tracer = true;
      return;
    }
  }
}
}  // namespace

array::array(Shape shape, Dtype t, std::shared_ptr<Primitive> p, std::vector<array> inputs)
    : desc_(make_desc(std::move(shape), t, p->name())) {
  desc_->node = std::allocate_shared<Node>(PoolAllocator<Node>(), std::move(p), std::move(inputs));
  if (detail::t_tracing) mark_tracer(*desc_);
}

array::array(Shape shape, Dtype t, std::shared_ptr<Primitive> p,
             std::initializer_list<array> inputs)
    : desc_(make_desc(std::move(shape), t, p->name())) {
  auto node = std::allocate_shared<Node>(PoolAllocator<Node>(), std::move(p), take_input_vector());
  node->inputs.assign(inputs.begin(), inputs.end());
  desc_->node = std::move(node);
  if (detail::t_tracing) mark_tracer(*desc_);
}

std::vector<array> array::make_arrays(std::vector<Shape> shapes, const std::vector<Dtype>& dtypes,
                                      std::shared_ptr<Primitive> p, std::vector<array> inputs) {
  auto node = std::allocate_shared<Node>(PoolAllocator<Node>(), std::move(p), std::move(inputs));
  std::vector<array> outs;
  for (size_t i = 0; i < shapes.size(); ++i) {
    array a(make_desc(std::move(shapes[i]), dtypes[i], node->primitive->name()));
    a.desc_->node = node;
    a.desc_->position = static_cast<int>(i);
    if (detail::t_tracing) mark_tracer(*a.desc_);
    node->outputs.push_back(a.desc_);
    node->output_specs.emplace_back(a.shape(), a.dtype());
    outs.push_back(std::move(a));
  }
  return outs;
}

ShapeElem array::shape(int dim) const {
  int nd = ndim();
  int d = dim < 0 ? dim + nd : dim;
  if (d < 0 || d >= nd) {
    throw AxisError("[shape] axis " + std::to_string(dim) +
                    " is out of bounds for an array of shape " + shape_str(shape()));
  }
  return desc_->shape[d];
}

int64_t array::strides(int dim) const {
  int nd = ndim();
  int d = dim < 0 ? dim + nd : dim;
  if (d < 0 || d >= nd) {
    throw AxisError("[strides] axis " + std::to_string(dim) +
                    " is out of bounds for an array of shape " + shape_str(shape()));
  }
  return desc_->strides[d];
}

std::recursive_mutex& graph_mutex() {
  // Leaked: evals may still run on other threads while statics are destroyed.
  static auto* mu = new std::recursive_mutex();
  return *mu;
}

void array::eval() {
  // Always through eval: whether the node is set may only be read under the
  // graph lock (another thread may be scheduling it), and eval waits too.
  tandem::eval({*this});
}

void array::sync_host() {
  eval();
  auto& buf = desc_->buffer;
  if (buf && !buf->host_valid.load(std::memory_order_acquire)) gpu::copy_to_host(buf);
}

std::vector<array>& array::inputs() const {
  static thread_local std::vector<array> none;
  if (!desc_->node) {
    none.clear();
    return none;
  }
  return desc_->node->inputs;
}

std::vector<array> array::outputs() const {
  if (!desc_->node || desc_->node->outputs.empty()) return {*this};
  std::vector<array> outs;
  for (auto& w : desc_->node->outputs) {
    auto d = w.lock();
    if (d) outs.emplace_back(std::move(d));
  }
  return outs;
}

std::vector<array> array::siblings() const {
  std::vector<array> out;
  if (!desc_->node) return out;
  for (auto& w : desc_->node->outputs) {
    auto d = w.lock();
    if (d && d != desc_) out.emplace_back(std::move(d));
  }
  return out;
}

array::Status array::status() const {
  std::lock_guard lk(graph_mutex());
  if (desc_->node && !desc_->node->scheduled) return Status::unscheduled;
  if (desc_->event && !desc_->event->done()) return Status::scheduled;
  return Status::available;
}

bool array::is_available() const {
  return status() == Status::available;
}

void array::wait() const {
  if (desc_->event) desc_->event->wait_and_check();
}

void array::detach() {
  desc_->node.reset();
}

void array::set_data(std::shared_ptr<Buffer> buf) {
  desc_->buffer = std::move(buf);
  desc_->offset = 0;
  desc_->data_size = desc_->size;
  desc_->strides = row_major_strides(desc_->shape);
  desc_->flags = Flags{};
}

void array::set_data(std::shared_ptr<Buffer> buf, size_t data_size, Strides strides, Flags flags,
                     int64_t offset_bytes) {
  desc_->buffer = std::move(buf);
  desc_->data_size = data_size;
  desc_->strides = std::move(strides);
  desc_->flags = flags;
  desc_->offset = offset_bytes;
}

void array::copy_shared_buffer(const array& other, Strides strides, Flags flags, size_t data_size,
                               int64_t offset_bytes) {
  set_data(other.buffer(), data_size, std::move(strides), flags, offset_bytes);
}

void array::copy_shared_buffer(const array& other) {
  set_data(other.buffer(), other.data_size(), other.strides(), other.flags(), other.offset());
}

void array::move_shared_buffer(array other) {
  auto& o = *other.desc_;
  set_data(std::move(o.buffer), o.data_size, o.strides, o.flags, o.offset);
}

bool is_donatable(const array& in, const array& out) {
  // A transform still reads its tracers after an eval inside it.
  if (detail::t_tracing && in.desc()->tracer) return false;
  auto& d = in.desc();
  auto& buf = d->buffer;
  if (!buf || d.use_count() != 1 || in.itemsize() != out.itemsize()) return false;
  if (!in.flags().contiguous || in.data_size() != in.size() || in.size() != out.size()) {
    return false;
  }
  if (buf->size != in.nbytes()) return false;
  // A buffer with copies on both sides is never reused: writing one side
  // would leave the other stale.
  if (buf->host && buf->device) return false;
  // Read the count before the writers. A task holds each buffer once and
  // releases it only after signalling (and, on the CPU, lowering the
  // buffer's writer count), so each writer still pending when we look
  // afterwards did hold its reference when we counted. No writer can be
  // added meanwhile: that takes a thread with sole use of the buffer, and
  // this descriptor holds it.
  long refs = buf.use_count();
  if (refs == 1) return true;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  long pending = buf->pending_cpu_writers.load(std::memory_order_seq_cst);
  for (int i = 0; i < d->num_writers; ++i) pending += !d->writers[i]->done();
  return refs == 1 + pending;
}

std::shared_ptr<Buffer> allocate_for(const array& out, size_t bytes, const char* device) {
  try {
    return allocator::malloc(bytes);
  } catch (const OutOfMemory& e) {
    std::ostringstream msg;
    msg << e.what() << " for an array of shape " << out.shape() << " and dtype " << out.dtype()
        << " on " << device;
    throw OutOfMemory(msg.str());
  }
}

std::ostream& operator<<(std::ostream& os, const Shape& s) {
  os << "(";
  for (size_t i = 0; i < s.size(); ++i) {
    os << s[i];
    if (s.size() == 1 || i + 1 < s.size()) os << (i + 1 < s.size() ? ", " : ",");
  }
  return os << ")";
}

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

namespace {

template <typename S, typename D>
void convert_typed(const S* src, D* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = convert_value<D>(src[i]);
}

}  // namespace

void copy_to_row_major(const array& a, void* dst, Dtype t) {
  size_t n = a.size();
  if (n == 0) return;
  if (a.flags().row_contiguous) {
    convert_elements(a.data<void>(), a.dtype(), dst, t, n);
    return;
  }
  int nd = a.ndim();
  const Shape& shape = a.shape();
  const Strides& st = a.strides();
  dispatch_dtype(a.dtype(), [&](auto stag) {
    using S = typename decltype(stag)::type;
    dispatch_dtype(t, [&](auto dtag) {
      using D = typename decltype(dtag)::type;
      const S* src = a.data<S>();
      D* out = static_cast<D*>(dst);
      int64_t inner = shape[nd - 1], is = st[nd - 1];
      std::vector<int64_t> idx(nd, 0);
      int64_t off = 0;
      for (size_t i = 0; i < n; i += inner) {
        for (int64_t j = 0; j < inner; ++j) out[i + j] = convert_value<D>(src[off + j * is]);
        for (int d = nd - 2; d >= 0; --d) {
          off += st[d];
          if (++idx[d] < shape[d]) break;
          off -= st[d] * shape[d];
          idx[d] = 0;
        }
      }
    });
  });
}

void convert_elements(const void* src, Dtype src_type, void* dst, Dtype dst_type, size_t n) {
  if (src_type == dst_type) {
    if (n) std::memcpy(dst, src, n * src_type.size());
    return;
  }
  dispatch_dtype(src_type, [&](auto st) {
    using S = typename decltype(st)::type;
    dispatch_dtype(dst_type, [&](auto dt) {
      using D = typename decltype(dt)::type;
      convert_typed(static_cast<const S*>(src), static_cast<D*>(dst), n);
    });
  });
}

}  // namespace tandem
