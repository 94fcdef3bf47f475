#include "tandem/ops/indexing.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/utils.h"
#include "tandem/primitives/indexing.h"

namespace tandem {

namespace {
std::atomic<bool>& check_indices_flag() {
  static std::atomic<bool> flag = [] {
    const char* e = std::getenv("TANDEM_CHECK_INDICES");
    return e && std::string(e) != "" && std::string(e) != "0";
  }();
  return flag;
}
}  // namespace

bool check_indices() {
  return check_indices_flag().load(std::memory_order_relaxed);
}

void set_check_indices(bool on) {
  check_indices_flag().store(on, std::memory_order_relaxed);
}

void throw_index_out_of_range(const char* op, int64_t index, int axis, int64_t size, int64_t hi) {
  std::ostringstream os;
  os << "[" << op << "] index " << index << " is out of range for axis " << axis << " of size "
     << size << " (valid: " << -size << " to " << hi - size << " and 0 to " << hi;
  if (hi != size - 1) os << ", for blocks of " << size - hi << " elements";
  os << "; indices are checked because TANDEM_CHECK_INDICES is on)";
  throw std::out_of_range(os.str());
}

const char* scatter_reduce_name(ScatterReduce r) {
  switch (r) {
    case ScatterReduce::None:
      return "";
    case ScatterReduce::Sum:
      return "Sum";
    case ScatterReduce::Prod:
      return "Prod";
    case ScatterReduce::Max:
      return "Max";
    default:
      return "Min";
  }
}

namespace {

void check_indices(const char* op, const array& idx) {
  if (!is_integral(idx.dtype())) {
    invalid(op, "indices must be an integer array; got dtype ", idx.dtype(), " with shape ",
            idx.shape());
  }
}

// Normalises each axis (keeping the order) and rejects repeats.
std::vector<int> normalize_axes_ordered(const std::vector<int>& axes, int ndim, const char* op,
                                        const Shape& shape) {
  std::vector<int> out;
  std::vector<char> seen(ndim, 0);
  for (int ax : axes) {
    int a = normalize_axis(ax, ndim, op, shape);
    if (seen[a]++) invalid(op, "repeated axis in ", ints_str(axes), " for shape ", shape);
    out.push_back(a);
  }
  return out;
}

// Python's slice.indices for one axis: the normalised start and the length.
std::pair<int64_t, int64_t> slice_bounds(int64_t n, int64_t b, int64_t e, int64_t st) {
  int64_t len;
  if (st > 0) {
    b = b < 0 ? std::max<int64_t>(b + n, 0) : std::min(b, n);
    e = e < 0 ? std::max<int64_t>(e + n, 0) : std::min(e, n);
    len = e > b ? (e - b + st - 1) / st : 0;
  } else {
    b = b < 0 ? std::max<int64_t>(b + n, -1) : std::min<int64_t>(b, n - 1);
    e = e < 0 ? std::max<int64_t>(e + n, -1) : std::min<int64_t>(e, n - 1);
    len = b > e ? (b - e - st - 1) / (-st) : 0;
  }
  return {len > 0 ? b : 0, len};
}

// Whether an array of shape `from` broadcasts to exactly `to`.
bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  size_t off = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i) {
    if (from[i] != 1 && from[i] != to[off + i]) return false;
  }
  return true;
}

// The integer dtype all index arrays are converted to.
Dtype index_dtype(const std::vector<array>& indices) {
  if (indices.empty()) return int32;
  Dtype t = indices[0].dtype();
  for (auto& i : indices) t = promote_types(t, i.dtype());
  return is_integral(t) ? t : int64;  // e.g. uint64 with int64
}

struct IndexSetup {
  std::vector<int> axes;
  std::vector<array> indices;  // broadcast to shape I, one dtype
  Shape idx_shape;
};

IndexSetup setup_indices(const char* op, const array& a, const std::vector<array>& indices,
                         const std::vector<int>& axes, StreamOrDevice s) {
  if (indices.size() != axes.size()) {
    invalid(op, "got ", indices.size(), " index arrays for ", axes.size(), " axes ",
            ints_str(axes));
  }
  for (auto& i : indices) check_indices(op, i);
  IndexSetup r;
  r.axes = normalize_axes_ordered(axes, a.ndim(), op, a.shape());
  std::vector<Shape> shapes;
  for (auto& i : indices) shapes.push_back(i.shape());
  r.idx_shape = broadcast_shapes(shapes, op);
  Dtype t = index_dtype(indices);
  for (auto& i : indices) r.indices.push_back(broadcast_to(astype(i, t, s), r.idx_shape, s));
  return r;
}

array scatter_impl(const char* op, ScatterReduce reduce, const array& a,
                   const std::vector<array>& indices, const array& updates,
                   const std::vector<int>& axes, StreamOrDevice s) {
  IndexSetup is = setup_indices(op, a, indices, axes, s);
  int k = static_cast<int>(is.idx_shape.size());
  if (updates.ndim() != k + a.ndim()) {
    invalid(op, "updates of shape ", updates.shape(), " must have ndim ", k + a.ndim(),
            " (index shape ", is.idx_shape, " followed by one entry per axis of a, shape ",
            a.shape(), ")");
  }
  Shape full_shape = is.idx_shape;
  for (int d = 0; d < k; ++d) {
    if (updates.shape(d) != is.idx_shape[d] && updates.shape(d) != 1) {
      invalid(op, "updates of shape ", updates.shape(), " do not match the index shape ",
              is.idx_shape);
    }
  }
  for (int d = 0; d < a.ndim(); ++d) {
    ShapeElem u = updates.shape()[k + d];
    if (u > a.shape()[d]) {
      invalid(op, "update blocks of shape ", updates.shape(), " (last ", a.ndim(),
              " dims) exceed the array of shape ", a.shape(), " along axis ", d);
    }
    full_shape.push_back(u);
  }
  if (shape_size(full_shape) == 0 || a.size() == 0) return a;
  array upd = broadcast_to(astype(updates, a.dtype(), s), full_shape, s);
  std::vector<array> inputs{a, upd};
  for (auto& i : is.indices) inputs.push_back(i);
  return array(a.shape(), a.dtype(), make_pooled<Scatter>(to_stream(s), reduce, is.axes),
               std::move(inputs));
}

array scatter_axis_impl(const char* op, ScatterReduce reduce, const array& a, const array& indices,
                        const array& values, int axis, StreamOrDevice s) {
  check_indices(op, indices);
  if (indices.ndim() != a.ndim()) {
    invalid(op, "indices of shape ", indices.shape(), " must have the same ndim as a of shape ",
            a.shape());
  }
  int ax = normalize_axis(axis, a.ndim(), op, a.shape());
  Shape as = a.shape(), is = indices.shape();
  as[ax] = 1;
  is[ax] = 1;
  if (!broadcasts_to(is, as)) {
    invalid(op, "indices of shape ", indices.shape(), " do not broadcast to a of shape ", a.shape(),
            " off axis ", axis);
  }
  Shape upd_shape = a.shape();
  upd_shape[ax] = indices.shape()[ax];
  if (!broadcasts_to(values.shape(), upd_shape)) {
    invalid(op, "values of shape ", values.shape(), " cannot be broadcast to shape ", upd_shape);
  }
  if (shape_size(upd_shape) == 0) return a;
  if (a.shape()[ax] == 0) {
    invalid(op, "cannot index axis ", axis, " of size 0 (shape ", a.shape(), ")");
  }
  array ib = broadcast_to(indices, upd_shape, s);
  array vb = broadcast_to(astype(values, a.dtype(), s), upd_shape, s);
  return array(a.shape(), a.dtype(), make_pooled<ScatterAxis>(to_stream(s), reduce, ax),
               {a, ib, vb});
}

}  // namespace

// ---------------------------------------------------------------- joining

array concatenate(const std::vector<array>& arrays, int axis, StreamOrDevice s) {
  if (arrays.empty()) invalid("concatenate", "needs at least one array");
  const array& a0 = arrays[0];
  if (a0.ndim() == 0) {
    invalid("concatenate", "zero-dimensional arrays cannot be concatenated; got shapes ",
            shapes_str(arrays));
  }
  int nd = a0.ndim();
  int ax = normalize_axis(axis, nd, "concatenate", a0.shape());
  Shape shape = a0.shape();
  shape[ax] = 0;
  Dtype t = a0.dtype();
  int64_t total = 0;
  for (auto& a : arrays) {
    bool ok = a.ndim() == nd;
    for (int d = 0; ok && d < nd; ++d) ok = d == ax || a.shape()[d] == a0.shape()[d];
    if (!ok) {
      invalid("concatenate", "all arrays must have the same shape except along axis ", axis,
              "; got shapes ", shapes_str(arrays));
    }
    total += a.shape()[ax];
    t = promote_types(t, a.dtype());
  }
  if (total > std::numeric_limits<ShapeElem>::max()) {
    invalid("concatenate", "the result would have ", total, " entries along axis ", axis);
  }
  shape[ax] = static_cast<ShapeElem>(total);
  if (arrays.size() == 1) return astype(a0, t, s);
  std::vector<array> inputs;
  for (auto& a : arrays) inputs.push_back(astype(a, t, s));
  return array(std::move(shape), t, make_pooled<Concatenate>(to_stream(s), ax), std::move(inputs));
}

array concatenate(const std::vector<array>& arrays, StreamOrDevice s) {
  std::vector<array> flat;
  for (auto& a : arrays) flat.push_back(reshape(a, {-1}, s));
  return concatenate(flat, 0, s);
}

array concat(const std::vector<array>& arrays, int axis, StreamOrDevice s) {
  return concatenate(arrays, axis, s);
}
array concat(const std::vector<array>& arrays, StreamOrDevice s) {
  return concatenate(arrays, s);
}

array stack(const std::vector<array>& arrays, int axis, StreamOrDevice s) {
  if (arrays.empty()) invalid("stack", "needs at least one array");
  for (auto& a : arrays) {
    if (a.shape() != arrays[0].shape()) {
      invalid("stack", "all arrays must have the same shape; got shapes ", shapes_str(arrays));
    }
  }
  int ax = normalize_axis(axis, arrays[0].ndim() + 1, "stack", arrays[0].shape());
  std::vector<array> ex;
  for (auto& a : arrays) ex.push_back(expand_dims(a, ax, s));
  return concatenate(ex, ax, s);
}

array stack(const std::vector<array>& arrays, StreamOrDevice s) {
  return stack(arrays, 0, s);
}

std::vector<array> split(const array& a, const Shape& indices, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "split", a.shape());
  std::vector<array> out;
  Shape start(a.ndim(), 0), stop = a.shape();
  int64_t n = a.shape()[ax];
  int64_t prev = 0;
  for (size_t i = 0; i <= indices.size(); ++i) {
    int64_t next = i < indices.size() ? indices[i] : n;
    auto [b, len] = slice_bounds(n, prev, next, 1);
    start[ax] = static_cast<ShapeElem>(b);
    stop[ax] = static_cast<ShapeElem>(b + len);
    out.push_back(slice(a, start, stop, s));
    prev = next;
  }
  return out;
}

std::vector<array> split(const array& a, const Shape& indices, StreamOrDevice s) {
  return split(a, indices, 0, s);
}

std::vector<array> split(const array& a, int num_splits, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "split", a.shape());
  int n = a.shape()[ax];
  if (num_splits <= 0 || n % num_splits != 0) {
    invalid("split", "cannot split axis ", axis, " of size ", n, " (shape ", a.shape(), ") into ",
            num_splits, " equal parts");
  }
  Shape idx;
  for (int i = 1; i < num_splits; ++i) idx.push_back(static_cast<ShapeElem>(i * (n / num_splits)));
  return split(a, idx, ax, s);
}

std::vector<array> split(const array& a, int num_splits, StreamOrDevice s) {
  return split(a, num_splits, 0, s);
}

std::vector<array> unstack(const array& a, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "unstack", a.shape());
  std::vector<array> out;
  Shape start(a.ndim(), 0), stop = a.shape();
  for (int i = 0; i < a.shape()[ax]; ++i) {
    start[ax] = i;
    stop[ax] = i + 1;
    out.push_back(squeeze(slice(a, start, stop, s), ax, s));
  }
  return out;
}

// ---------------------------------------------------------------- gathers

array gather(const array& a, const std::vector<array>& indices, const std::vector<int>& axes,
             const Shape& slice_sizes, StreamOrDevice s) {
  IndexSetup is = setup_indices("gather", a, indices, axes, s);
  if (static_cast<int>(slice_sizes.size()) != a.ndim()) {
    invalid("gather", "slice_sizes ", slice_sizes, " must have one entry per axis of shape ",
            a.shape());
  }
  for (int d = 0; d < a.ndim(); ++d) {
    if (slice_sizes[d] < 0 || slice_sizes[d] > a.shape()[d]) {
      invalid("gather", "slice_sizes ", slice_sizes, " must lie within the shape ", a.shape());
    }
  }
  Shape out_shape = is.idx_shape;
  for (auto d : slice_sizes) out_shape.push_back(d);
  if (shape_size(out_shape) == 0) return zeros(out_shape, a.dtype(), s);
  std::vector<array> inputs{a};
  for (auto& i : is.indices) inputs.push_back(i);
  return array(std::move(out_shape), a.dtype(),
               make_pooled<Gather>(to_stream(s), is.axes, slice_sizes), std::move(inputs));
}

array gather(const array& a, const array& indices, int axis, const Shape& slice_sizes,
             StreamOrDevice s) {
  return gather(a, std::vector<array>{indices}, std::vector<int>{axis}, slice_sizes, s);
}

array take(const array& a, const array& indices, int axis, StreamOrDevice s) {
  check_indices("take", indices);
  int ax = normalize_axis(axis, a.ndim(), "take", a.shape());
  Shape out_shape;
  for (int d = 0; d < ax; ++d) out_shape.push_back(a.shape()[d]);
  for (auto d : indices.shape()) out_shape.push_back(d);
  for (int d = ax + 1; d < a.ndim(); ++d) out_shape.push_back(a.shape()[d]);
  if (a.shape()[ax] == 0 && indices.size() > 0) {
    invalid("take", "cannot take from axis ", axis, " of size 0 (shape ", a.shape(), ")");
  }
  if (shape_size(out_shape) == 0) return zeros(out_shape, a.dtype(), s);
  int64_t pre = 1, post = 1;
  for (int d = 0; d < ax; ++d) pre *= a.shape()[d];
  for (int d = ax + 1; d < a.ndim(); ++d) post *= a.shape()[d];
  if (post < 64 && pre <= std::numeric_limits<ShapeElem>::max()) {
    // Short rows: a take_along_axis over (pre, n, post) with the indices
    // broadcast writes the output in order with a tight inner loop.
    auto m = static_cast<ShapeElem>(indices.size());
    Shape a3{static_cast<ShapeElem>(pre), a.shape()[ax], static_cast<ShapeElem>(post)};
    Shape o3{a3[0], m, a3[2]};
    array i3 = broadcast_to(reshape(indices, {1, m, 1}, s), o3, s);
    array g =
        array(o3, a.dtype(), make_pooled<GatherAxis>(to_stream(s), 1), {reshape(a, a3, s), i3});
    return reshape(g, out_shape, s);
  }
  // Long rows: gather whole (pre, 1, post) blocks (contiguous runs are memcpy'd).
  Shape sizes = a.shape();
  sizes[ax] = 1;
  array g = gather(a, indices, ax, sizes, s);
  // g: indices.shape + a.shape with 1 at ax -> drop that 1, then move the
  // index dims to position ax.
  int k = indices.ndim();
  Shape gs = indices.shape();
  for (int d = 0; d < a.ndim(); ++d) {
    if (d != ax) gs.push_back(a.shape()[d]);
  }
  g = reshape(g, gs, s);
  std::vector<int> perm;
  for (int d = 0; d < ax; ++d) perm.push_back(k + d);
  for (int d = 0; d < k; ++d) perm.push_back(d);
  for (int d = k + ax; d < static_cast<int>(gs.size()); ++d) perm.push_back(d);
  return transpose(g, perm, s);
}

array take(const array& a, const array& indices, StreamOrDevice s) {
  return take(reshape(a, {-1}, s), indices, 0, s);
}

array take(const array& a, int index, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "take", a.shape());
  int n = a.shape()[ax];
  int i = index < 0 ? index + n : index;
  if (i < 0 || i >= n) {
    invalid("take", "index ", index, " is out of bounds for axis ", axis, " of size ", n,
            " (shape ", a.shape(), ")");
  }
  Shape start(a.ndim(), 0), stop = a.shape();
  start[ax] = i;
  stop[ax] = i + 1;
  return squeeze(slice(a, start, stop, s), ax, s);
}

array take(const array& a, int index, StreamOrDevice s) {
  return take(reshape(a, {-1}, s), index, 0, s);
}

array take_along_axis(const array& a, const array& indices, int axis, StreamOrDevice s) {
  check_indices("take_along_axis", indices);
  if (indices.ndim() != a.ndim()) {
    invalid("take_along_axis", "indices of shape ", indices.shape(),
            " must have the same ndim as a of shape ", a.shape());
  }
  int ax = normalize_axis(axis, a.ndim(), "take_along_axis", a.shape());
  Shape as = a.shape(), is = indices.shape();
  as[ax] = 1;
  is[ax] = 1;
  Shape bs = broadcast_shapes(as, is, "take_along_axis");
  Shape out_shape = bs, a_shape = bs;
  out_shape[ax] = indices.shape()[ax];
  a_shape[ax] = a.shape()[ax];
  if (shape_size(out_shape) == 0) return zeros(out_shape, a.dtype(), s);
  if (a.shape()[ax] == 0) {
    invalid("take_along_axis", "cannot take from axis ", axis, " of size 0 (shape ", a.shape(),
            ")");
  }
  return array(out_shape, a.dtype(), make_pooled<GatherAxis>(to_stream(s), ax),
               {broadcast_to(a, a_shape, s), broadcast_to(indices, out_shape, s)});
}

// ---------------------------------------------------------------- scatters

array put_along_axis(const array& a, const array& indices, const array& values, int axis,
                     StreamOrDevice s) {
  return scatter_axis_impl("put_along_axis", ScatterReduce::None, a, indices, values, axis, s);
}

array scatter_add_axis(const array& a, const array& indices, const array& values, int axis,
                       StreamOrDevice s) {
  return scatter_axis_impl("scatter_add_axis", ScatterReduce::Sum, a, indices, values, axis, s);
}

#define TANDEM_SCATTER_OPS(NAME, REDUCE)                                                 \
  array NAME(const array& a, const std::vector<array>& indices, const array& updates,    \
             const std::vector<int>& axes, StreamOrDevice s) {                           \
    return scatter_impl(#NAME, ScatterReduce::REDUCE, a, indices, updates, axes, s);     \
  }                                                                                      \
  array NAME(const array& a, const array& indices, const array& updates, int axis,       \
             StreamOrDevice s) {                                                         \
    return scatter_impl(#NAME, ScatterReduce::REDUCE, a, {indices}, updates, {axis}, s); \
  }
TANDEM_SCATTER_OPS(scatter, None)
TANDEM_SCATTER_OPS(scatter_add, Sum)
TANDEM_SCATTER_OPS(scatter_prod, Prod)
TANDEM_SCATTER_OPS(scatter_max, Max)
TANDEM_SCATTER_OPS(scatter_min, Min)
#undef TANDEM_SCATTER_OPS

array slice_update(const array& src, const array& update, Shape start, Shape stop, Shape strides,
                   StreamOrDevice s) {
  int nd = src.ndim();
  if (static_cast<int>(start.size()) != nd || static_cast<int>(stop.size()) != nd ||
      static_cast<int>(strides.size()) != nd) {
    invalid("slice_update", "start ", start, ", stop ", stop, " and strides ", strides,
            " must each have one entry per axis of shape ", src.shape());
  }
  Shape shape(nd, 0);
  for (int i = 0; i < nd; ++i) {
    if (strides[i] == 0) invalid("slice_update", "step must not be 0 (axis ", i, ")");
    auto [b, len] = slice_bounds(src.shape()[i], start[i], stop[i], strides[i]);
    start[i] = static_cast<ShapeElem>(b);
    shape[i] = static_cast<ShapeElem>(len);
  }
  if (!broadcasts_to(update.shape(), shape)) {
    invalid("slice_update", "update of shape ", update.shape(),
            " cannot be broadcast to the slice shape ", shape, " of an array of shape ",
            src.shape());
  }
  if (shape_size(shape) == 0) return src;
  array u = broadcast_to(astype(update, src.dtype(), s), shape, s);
  return array(src.shape(), src.dtype(),
               make_pooled<SliceUpdate>(to_stream(s), std::move(start), std::move(strides)),
               {src, u});
}

array slice_update(const array& src, const array& update, Shape start, Shape stop,
                   StreamOrDevice s) {
  Shape st(src.ndim(), 1);
  return slice_update(src, update, std::move(start), std::move(stop), std::move(st), s);
}

// ---------------------------------------------------------------- padding

array pad(const array& a, const std::vector<int>& axes, const Shape& low_pad_size,
          const Shape& high_pad_size, const array& pad_value, const std::string& mode,
          StreamOrDevice s) {
  if (axes.size() != low_pad_size.size() || axes.size() != high_pad_size.size()) {
    invalid("pad", "axes ", ints_str(axes), ", low ", low_pad_size, " and high ", high_pad_size,
            " padding must have the same length");
  }
  auto ax = normalize_axes_ordered(axes, a.ndim(), "pad", a.shape());
  for (size_t i = 0; i < ax.size(); ++i) {
    if (low_pad_size[i] < 0 || high_pad_size[i] < 0) {
      invalid("pad", "padding sizes must be non-negative; got low ", low_pad_size, " and high ",
              high_pad_size);
    }
  }
  if (mode != "constant" && mode != "edge") {
    invalid("pad", "mode must be \"constant\" or \"edge\"; got \"", mode, "\"");
  }
  if (mode == "constant" && pad_value.size() != 1) {
    invalid("pad", "pad_value must be a scalar; got shape ", pad_value.shape());
  }
  Shape out_shape = a.shape();
  Shape low(a.ndim(), 0), high(a.ndim(), 0);
  bool any = false;
  for (size_t i = 0; i < ax.size(); ++i) {
    low[ax[i]] = low_pad_size[i];
    high[ax[i]] = high_pad_size[i];
    out_shape[ax[i]] += low_pad_size[i] + high_pad_size[i];
    any |= low_pad_size[i] || high_pad_size[i];
  }
  if (!any) return a;
  if (mode == "constant") {
    array v = astype(reshape(pad_value, {}, s), a.dtype(), s);
    array out = full(out_shape, v, a.dtype(), s);
    if (a.size() == 0) return out;
    Shape stop = low;
    for (int d = 0; d < a.ndim(); ++d) stop[d] += a.shape()[d];
    return slice_update(out, a, low, stop, s);
  }
  // edge: per padded axis, [first slice repeated, a, last slice repeated].
  array cur = a;
  for (int d = 0; d < a.ndim(); ++d) {
    if (!low[d] && !high[d]) continue;
    int n = cur.shape()[d];
    if (n == 0) {
      invalid("pad", "edge mode cannot extend axis ", d, " of size 0 (shape ", a.shape(), ")");
    }
    std::vector<array> parts;
    Shape start(cur.ndim(), 0), stop = cur.shape();
    if (low[d]) {
      stop[d] = 1;
      Shape bs = cur.shape();
      bs[d] = low[d];
      parts.push_back(broadcast_to(slice(cur, start, stop, s), bs, s));
    }
    parts.push_back(cur);
    if (high[d]) {
      start[d] = n - 1;
      stop[d] = n;
      Shape bs = cur.shape();
      bs[d] = high[d];
      parts.push_back(broadcast_to(slice(cur, start, stop, s), bs, s));
    }
    cur = concatenate(parts, d, s);
  }
  return cur;
}

array pad(const array& a, const std::vector<std::pair<int, int>>& pad_width, const array& pad_value,
          const std::string& mode, StreamOrDevice s) {
  if (pad_width.size() != 1 && static_cast<int>(pad_width.size()) != a.ndim()) {
    invalid("pad", "got ", pad_width.size(), " (low, high) pairs for an array of shape ", a.shape(),
            "; need one per axis (or a single pair)");
  }
  std::vector<int> axes = all_axes(a.ndim());
  Shape lo, hi;
  for (int d = 0; d < a.ndim(); ++d) {
    auto& p = pad_width.size() == 1 ? pad_width[0] : pad_width[d];
    lo.push_back(p.first);
    hi.push_back(p.second);
  }
  return pad(a, axes, lo, hi, pad_value, mode, s);
}

array pad(const array& a, const std::pair<int, int>& pad_width, const array& pad_value,
          const std::string& mode, StreamOrDevice s) {
  return pad(a, std::vector<std::pair<int, int>>(a.ndim(), pad_width), pad_value, mode, s);
}

array pad(const array& a, int pad_width, const array& pad_value, const std::string& mode,
          StreamOrDevice s) {
  return pad(a, std::make_pair(pad_width, pad_width), pad_value, mode, s);
}

// ---------------------------------------------------------------- tile / repeat

array tile(const array& a, std::vector<int> reps, StreamOrDevice s) {
  for (int r : reps) {
    if (r < 0) invalid("tile", "repetitions must be non-negative; got ", ints_str(reps));
  }
  int nd = std::max<int>(a.ndim(), static_cast<int>(reps.size()));
  reps.insert(reps.begin(), nd - reps.size(), 1);
  Shape as(nd - a.ndim(), 1);
  for (auto d : a.shape()) as.push_back(d);
  bool trivial = nd == a.ndim();
  for (int r : reps) trivial &= r == 1;
  if (trivial) return a;
  Shape inter, bshape, out;
  for (int d = 0; d < nd; ++d) {
    inter.push_back(1);
    inter.push_back(as[d]);
    bshape.push_back(reps[d]);
    bshape.push_back(as[d]);
    out.push_back(static_cast<ShapeElem>(reps[d] * as[d]));
  }
  return reshape(broadcast_to(reshape(a, inter, s), bshape, s), out, s);
}

array repeat(const array& a, int repeats, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "repeat", a.shape());
  if (repeats < 0) invalid("repeat", "repeats must be non-negative; got ", repeats);
  if (repeats == 1) return a;
  int64_t post = 1;
  for (int d = ax + 1; d < a.ndim(); ++d) post *= a.shape()[d];
  int64_t total = int64_t(a.shape()[ax]) * repeats;
  if (total > std::numeric_limits<ShapeElem>::max()) {
    invalid("repeat", "the result would have ", total, " entries along axis ", axis);
  }
  if (post < 16 && total > 0 && a.size() > 0) {
    // Short rows: one take with indices i / repeats (tight output-order loop).
    array idx = floor_divide(arange(0, static_cast<int>(total), 1, s), array(repeats), s);
    return take(a, idx, ax, s);
  }
  Shape ex = a.shape(), bs = a.shape(), out = a.shape();
  ex.insert(ex.begin() + ax + 1, 1);
  bs.insert(bs.begin() + ax + 1, repeats);
  out[ax] *= repeats;
  return reshape(broadcast_to(reshape(a, ex, s), bs, s), out, s);
}

array repeat(const array& a, int repeats, StreamOrDevice s) {
  return repeat(reshape(a, {-1}, s), repeats, 0, s);
}

// ---------------------------------------------------------------- flip / roll

array flip(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  auto ax = normalize_axes(axes, a.ndim(), "flip", a.shape());
  if (ax.empty()) return a;
  Shape start(a.ndim(), 0), stop = a.shape(), steps(a.ndim(), 1);
  for (int d : ax) {
    start[d] = a.shape()[d] - 1;
    stop[d] = -a.shape()[d] - 1;
    steps[d] = -1;
  }
  return slice(a, start, stop, steps, s);
}

array flip(const array& a, int axis, StreamOrDevice s) {
  return flip(a, std::vector<int>{axis}, s);
}

array flip(const array& a, StreamOrDevice s) {
  return flip(a, all_axes(a.ndim()), s);
}

array roll(const array& a, const Shape& shift, const std::vector<int>& axes, StreamOrDevice s) {
  if (shift.size() != axes.size() && shift.size() != 1) {
    invalid("roll", "shift ", shift, " and axes ", ints_str(axes),
            " must have the same length (or one shift)");
  }
  std::vector<int64_t> total(a.ndim(), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int d = normalize_axis(axes[i], a.ndim(), "roll", a.shape());
    total[d] += shift.size() == 1 ? shift[0] : shift[i];
  }
  array cur = a;
  for (int d = 0; d < a.ndim(); ++d) {
    int64_t n = a.shape()[d];
    if (n == 0) continue;
    int64_t k = ((total[d] % n) + n) % n;
    if (k == 0) continue;
    Shape start(a.ndim(), 0), stop = a.shape();
    start[d] = static_cast<ShapeElem>(n - k);
    array tail = slice(cur, start, stop, s);
    start[d] = 0;
    stop[d] = static_cast<ShapeElem>(n - k);
    array head = slice(cur, start, stop, s);
    cur = concatenate({tail, head}, d, s);
  }
  return cur;
}

array roll(const array& a, const Shape& shift, StreamOrDevice s) {
  int64_t sum = 0;
  for (auto v : shift) sum += v;
  int64_t n = static_cast<int64_t>(a.size());
  int k = n ? static_cast<int>(((sum % n) + n) % n) : 0;
  return reshape(roll(reshape(a, {-1}, s), Shape{k}, std::vector<int>{0}, s), a.shape(), s);
}

array roll(const array& a, int shift, StreamOrDevice s) {
  return roll(a, Shape{shift}, s);
}

array roll(const array& a, int shift, int axis, StreamOrDevice s) {
  return roll(a, Shape{shift}, std::vector<int>{axis}, s);
}

array roll(const array& a, int shift, const std::vector<int>& axes, StreamOrDevice s) {
  return roll(a, Shape{shift}, axes, s);
}

array roll(const array& a, const Shape& shift, int axis, StreamOrDevice s) {
  if (shift.size() != 1) {
    invalid("roll", "shift ", shift, " must have one entry for the single axis ", axis);
  }
  return roll(a, shift, std::vector<int>{axis}, s);
}

// ---------------------------------------------------------------- triangles, diagonals

array tril(const array& x, int k, StreamOrDevice s) {
  if (x.ndim() < 2)
    invalid("tril", "needs an array of at least 2 dimensions; got shape ", x.shape());
  array mask = tri(x.shape(-2), x.shape(-1), k, bool_, s);
  return where(mask, x, array(0, x.dtype()), s);
}

array triu(const array& x, int k, StreamOrDevice s) {
  if (x.ndim() < 2)
    invalid("triu", "needs an array of at least 2 dimensions; got shape ", x.shape());
  array mask = tri(x.shape(-2), x.shape(-1), k - 1, bool_, s);
  return where(mask, array(0, x.dtype()), x, s);
}

array diagonal(const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  if (a.ndim() < 2) {
    invalid("diagonal", "needs an array of at least 2 dimensions; got shape ", a.shape());
  }
  int ax1 = normalize_axis(axis1, a.ndim(), "diagonal", a.shape());
  int ax2 = normalize_axis(axis2, a.ndim(), "diagonal", a.shape());
  if (ax1 == ax2) {
    invalid("diagonal", "axis1 and axis2 must differ; got ", axis1, " and ", axis2, " for shape ",
            a.shape());
  }
  int64_t n1 = a.shape()[ax1], n2 = a.shape()[ax2], off = offset;
  int64_t len = off >= 0 ? std::min(n1, n2 - off) : std::min(n1 + off, n2);
  len = std::max<int64_t>(len, 0);
  Strides rs = row_major_strides(a.shape());
  Shape shape;
  Strides strides;
  for (int d = 0; d < a.ndim(); ++d) {
    if (d == ax1 || d == ax2) continue;
    shape.push_back(a.shape()[d]);
    strides.push_back(rs[d]);
  }
  shape.push_back(static_cast<ShapeElem>(len));
  strides.push_back(rs[ax1] + rs[ax2]);
  int64_t start = 0;
  if (len > 0 && shape_size(shape) > 0) start = off >= 0 ? off * rs[ax2] : -off * rs[ax1];
  return as_strided(a, shape, strides, start, s);
}

array diag(const array& a, int k, StreamOrDevice s) {
  if (a.ndim() == 2) return diagonal(a, k, 0, 1, s);
  if (a.ndim() != 1) {
    invalid("diag", "needs a 1-d or 2-d array; got shape ", a.shape());
  }
  int64_t n = a.size();
  int64_t m = n + (k < 0 ? -int64_t(k) : int64_t(k));
  if (m * m > std::numeric_limits<ShapeElem>::max()) {
    invalid("diag", "the result of shape (", m, ", ", m, ") is too large");
  }
  auto N = static_cast<ShapeElem>(m);
  if (n == 0) return zeros({N, N}, a.dtype(), s);
  array z = zeros({N * N}, a.dtype(), s);
  int64_t start = k >= 0 ? k : -int64_t(k) * m;
  int64_t step = m + 1;
  array out = slice_update(z, a, {static_cast<ShapeElem>(start)},
                           {static_cast<ShapeElem>(start + (n - 1) * step + 1)},
                           {static_cast<ShapeElem>(step)}, s);
  return reshape(out, {N, N}, s);
}

std::vector<array> meshgrid(const std::vector<array>& arrays, bool sparse,
                            const std::string& indexing, StreamOrDevice s) {
  if (indexing != "xy" && indexing != "ij") {
    invalid("meshgrid", "indexing must be \"xy\" or \"ij\"; got \"", indexing, "\"");
  }
  size_t n = arrays.size();
  bool swap = indexing == "xy" && n >= 2;
  Shape full_shape(n, 1);
  std::vector<array> flat;
  for (size_t i = 0; i < n; ++i) {
    flat.push_back(reshape(arrays[i], {-1}, s));
    size_t p = swap && i < 2 ? 1 - i : i;
    full_shape[p] = flat.back().shape()[0];
  }
  std::vector<array> out;
  for (size_t i = 0; i < n; ++i) {
    size_t p = swap && i < 2 ? 1 - i : i;
    Shape sh(n, 1);
    sh[p] = flat[i].shape()[0];
    array r = reshape(flat[i], sh, s);
    out.push_back(sparse ? r : broadcast_to(r, full_shape, s));
  }
  return out;
}

}  // namespace tandem
