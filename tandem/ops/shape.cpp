#include "tandem/ops/shape.h"

#include <algorithm>

#include "tandem/ops/creation.h"
#include "tandem/ops/utils.h"
#include "tandem/primitives/custom.h"
#include "tandem/primitives/shape.h"

namespace tandem {

namespace {
// Decimal digits of a 128-bit integer (streams have no operator for it).
std::string i128_str(__int128 v) {
  unsigned __int128 u = v < 0 ? -static_cast<unsigned __int128>(v) : v;
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  } while (u);
  return v < 0 ? "-" + s : s;
}
}  // namespace

array reshape(const array& a, Shape shape, StreamOrDevice s) {
  int infer = -1;
  size_t known = 1;
  bool overflow = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) invalid("reshape", "only one dimension can be -1; got shape ", shape);
      infer = static_cast<int>(i);
    } else if (shape[i] < 0) {
      invalid("reshape", "negative dimension ", shape[i], " in shape ", shape,
              " (only a single -1 is allowed, to infer that dimension)");
    } else {
      overflow |= __builtin_mul_overflow(known, static_cast<size_t>(shape[i]), &known);
    }
  }
  if (overflow) {
    invalid("reshape", "cannot reshape an array of shape ", a.shape(), " (size ", a.size(),
            ") into shape ", shape, ": its size overflows 64 bits");
  }
  if (infer >= 0) {
    if (known == 0 || a.size() % known != 0) {
      invalid("reshape", "cannot reshape an array of shape ", a.shape(), " (size ", a.size(),
              ") into shape ", shape);
    }
    shape[infer] = static_cast<ShapeElem>(a.size() / known);
    known = a.size();
  }
  if (known != a.size()) {
    invalid("reshape", "cannot reshape an array of shape ", a.shape(), " (size ", a.size(),
            ") into shape ", shape);
  }
  if (shape == a.shape()) return a;
  return array(std::move(shape), a.dtype(), make_pooled<Reshape>(to_stream(s)), {a});
}

array flatten(const array& a, int start_axis, int end_axis, StreamOrDevice s) {
  int nd = a.ndim();
  if (nd == 0) return reshape(a, {1}, s);
  int st = normalize_axis(start_axis, nd, "flatten", a.shape());
  int en = normalize_axis(end_axis, nd, "flatten", a.shape());
  if (st > en) {
    invalid("flatten", "start_axis ", start_axis, " comes after end_axis ", end_axis, " for shape ",
            a.shape());
  }
  Shape shape;
  for (int i = 0; i < st; ++i) shape.push_back(a.shape()[i]);
  int64_t m = 1;
  for (int i = st; i <= en; ++i) m *= a.shape()[i];  // fits: the size does
  if (m > INT32_MAX) {
    invalid("flatten", "flattening axes ", st, " to ", en, " of shape ", a.shape(),
            " gives a dimension of ", m, ", past the 32-bit limit 2147483647");
  }
  shape.push_back(static_cast<ShapeElem>(m));
  for (int i = en + 1; i < nd; ++i) shape.push_back(a.shape()[i]);
  return reshape(a, std::move(shape), s);
}

array unflatten(const array& a, int axis, Shape shape, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "unflatten", a.shape());
  if (shape.empty()) invalid("unflatten", "shape must not be empty");
  Shape out;
  for (int i = 0; i < ax; ++i) out.push_back(a.shape()[i]);
  for (auto d : shape) out.push_back(d);
  for (int i = ax + 1; i < a.ndim(); ++i) out.push_back(a.shape()[i]);
  int infer = -1;
  size_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) invalid("unflatten", "only one dimension can be -1; got ", shape);
      infer = static_cast<int>(i);
    } else if (shape[i] < 0) {
      invalid("unflatten", "negative dimension ", shape[i], " in shape ", shape,
              " (only a single -1 is allowed)");
    } else if (__builtin_mul_overflow(known, static_cast<size_t>(shape[i]), &known)) {
      invalid("unflatten", "cannot split axis ", axis, " of size ", a.shape()[ax], " into ", shape);
    }
  }
  if (infer >= 0) {
    if (known == 0 || a.shape()[ax] % known != 0) {
      invalid("unflatten", "cannot split axis ", axis, " of size ", a.shape()[ax], " into ", shape);
    }
    out[ax + infer] = static_cast<ShapeElem>(a.shape()[ax] / known);
  } else if (known != static_cast<size_t>(a.shape()[ax])) {
    invalid("unflatten", "cannot split axis ", axis, " of size ", a.shape()[ax], " into ", shape);
  }
  return reshape(a, std::move(out), s);
}

array squeeze(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  auto ax = normalize_axes(axes, a.ndim(), "squeeze", a.shape());
  Shape shape;
  size_t j = 0;
  for (int i = 0; i < a.ndim(); ++i) {
    if (j < ax.size() && ax[j] == i) {
      if (a.shape()[i] != 1) {
        invalid("squeeze", "cannot squeeze axis ", i, " of size ", a.shape()[i], " in shape ",
                a.shape());
      }
      ++j;
      continue;
    }
    shape.push_back(a.shape()[i]);
  }
  return reshape(a, std::move(shape), s);
}

array squeeze(const array& a, int axis, StreamOrDevice s) {
  return squeeze(a, std::vector<int>{axis}, s);
}

array squeeze(const array& a, StreamOrDevice s) {
  std::vector<int> axes;
  for (int i = 0; i < a.ndim(); ++i) {
    if (a.shape()[i] == 1) axes.push_back(i);
  }
  return squeeze(a, axes, s);
}

array expand_dims(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  int out_nd = a.ndim() + static_cast<int>(axes.size());
  auto ax = normalize_axes(axes, out_nd, "expand_dims", a.shape());
  Shape shape;
  size_t j = 0, k = 0;
  for (int i = 0; i < out_nd; ++i) {
    if (j < ax.size() && ax[j] == i) {
      shape.push_back(1);
      ++j;
    } else {
      shape.push_back(a.shape()[k++]);
    }
  }
  return reshape(a, std::move(shape), s);
}

array expand_dims(const array& a, int axis, StreamOrDevice s) {
  return expand_dims(a, std::vector<int>{axis}, s);
}

array transpose(const array& a, std::vector<int> axes, StreamOrDevice s) {
  int nd = a.ndim();
  if (static_cast<int>(axes.size()) != nd) {
    std::ostringstream os;
    for (size_t i = 0; i < axes.size(); ++i) os << (i ? ", " : "") << axes[i];
    invalid("transpose", "axes (", os.str(), ") do not match an array of shape ", a.shape());
  }
  std::vector<int> seen(nd, 0);
  for (auto& ax : axes) {
    ax = normalize_axis(ax, nd, "transpose", a.shape());
    if (seen[ax]++) invalid("transpose", "repeated axis ", ax, " for shape ", a.shape());
  }
  bool identity = true;
  for (int i = 0; i < nd; ++i) identity &= axes[i] == i;
  if (identity) return a;
  Shape shape;
  for (int ax : axes) shape.push_back(a.shape()[ax]);
  return array(std::move(shape), a.dtype(), make_pooled<Transpose>(to_stream(s), axes), {a});
}

array transpose(const array& a, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  for (int i = 0; i < a.ndim(); ++i) axes[i] = a.ndim() - 1 - i;
  return transpose(a, std::move(axes), s);
}

array moveaxis(const array& a, int source, int destination, StreamOrDevice s) {
  int nd = a.ndim();
  int src = normalize_axis(source, nd, "moveaxis", a.shape());
  int dst = normalize_axis(destination, nd, "moveaxis", a.shape());
  std::vector<int> axes;
  for (int i = 0; i < nd; ++i) {
    if (i != src) axes.push_back(i);
  }
  axes.insert(axes.begin() + dst, src);
  return transpose(a, std::move(axes), s);
}

array swapaxes(const array& a, int axis1, int axis2, StreamOrDevice s) {
  int nd = a.ndim();
  int x = normalize_axis(axis1, nd, "swapaxes", a.shape());
  int y = normalize_axis(axis2, nd, "swapaxes", a.shape());
  std::vector<int> axes = all_axes(nd);
  std::swap(axes[x], axes[y]);
  return transpose(a, std::move(axes), s);
}

array matrix_transpose(const array& a, StreamOrDevice s) {
  if (a.ndim() < 2) {
    invalid("matrix_transpose", "needs an array of at least 2 dimensions; got shape ", a.shape());
  }
  return swapaxes(a, -1, -2, s);
}

array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s) {
  if (a.shape() == shape) return a;
  checked_shape_size(shape, a.dtype(), "broadcast_to");
  Shape out = broadcast_shapes(a.shape(), shape, "broadcast_to");
  if (out != shape) {
    invalid("broadcast_to", "cannot broadcast an array of shape ", a.shape(), " to shape ", shape);
  }
  return array(shape, a.dtype(), make_pooled<Broadcast>(to_stream(s)), {a});
}

std::vector<array> broadcast_arrays(const std::vector<array>& inputs, StreamOrDevice s) {
  std::vector<Shape> shapes;
  for (auto& a : inputs) shapes.push_back(a.shape());
  Shape shape = broadcast_shapes(shapes, "broadcast_arrays");
  std::vector<array> out;
  for (auto& a : inputs) out.push_back(broadcast_to(a, shape, s));
  return out;
}

array slice(const array& a, Shape start, Shape stop, Shape strides, StreamOrDevice s) {
  int nd = a.ndim();
  if (static_cast<int>(start.size()) != nd || static_cast<int>(stop.size()) != nd ||
      static_cast<int>(strides.size()) != nd) {
    invalid("slice", "start ", start, ", stop ", stop, " and strides ", strides,
            " must each have one entry per axis of shape ", a.shape());
  }
  Shape shape(nd, 0);
  for (int i = 0; i < nd; ++i) {
    int64_t n = a.shape()[i], st = strides[i];
    if (st == 0) invalid("slice", "step must not be 0 (axis ", i, ")");
    int64_t b = start[i], e = stop[i];
    // Python's slice.indices.
    if (st > 0) {
      b = b < 0 ? std::max<int64_t>(b + n, 0) : std::min(b, n);
      e = e < 0 ? std::max<int64_t>(e + n, 0) : std::min(e, n);
      shape[i] = static_cast<ShapeElem>(e > b ? (e - b + st - 1) / st : 0);
    } else {
      b = b < 0 ? std::max<int64_t>(b + n, -1) : std::min<int64_t>(b, n - 1);
      e = e < 0 ? std::max<int64_t>(e + n, -1) : std::min<int64_t>(e, n - 1);
      shape[i] = static_cast<ShapeElem>(b > e ? (b - e - st - 1) / (-st) : 0);
    }
    start[i] = static_cast<ShapeElem>(shape[i] > 0 ? b : 0);
  }
  if (shape == a.shape()) {
    bool trivial = true;
    for (int i = 0; i < nd; ++i) trivial &= start[i] == 0 && strides[i] == 1;
    if (trivial) return a;
  }
  return array(std::move(shape), a.dtype(),
               make_pooled<Slice>(to_stream(s), std::move(start), std::move(strides)), {a});
}

array slice(const array& a, Shape start, Shape stop, StreamOrDevice s) {
  return slice(a, std::move(start), std::move(stop), Shape(a.ndim(), 1), s);
}

std::vector<array> depends(const std::vector<array>& inputs, const std::vector<array>& dependencies,
                           StreamOrDevice s) {
  if (inputs.empty()) invalid("depends", "needs at least one input");
  if (dependencies.empty()) return inputs;
  std::vector<Shape> shapes;
  std::vector<Dtype> dtypes;
  for (auto& a : inputs) {
    shapes.push_back(a.shape());
    dtypes.push_back(a.dtype());
  }
  std::vector<array> all = inputs;
  all.insert(all.end(), dependencies.begin(), dependencies.end());
  return array::make_arrays(std::move(shapes), dtypes,
                            make_pooled<Depends>(to_stream(s), static_cast<int>(inputs.size())),
                            std::move(all));
}

array view(const array& a, Dtype dtype, StreamOrDevice s) {
  const size_t from = a.itemsize(), to = dtype.size();
  Shape shape = a.shape();
  if (from != to) {
    if (a.ndim() == 0) {
      invalid("view",
              "a 0-d array can only change to a dtype of the same size: ", dtype_name(a.dtype()),
              " (", from, " bytes) to ", dtype_name(dtype), " (", to, " bytes)");
    }
    int64_t bytes = int64_t(shape.back()) * int64_t(from);
    if (to > from && bytes % int64_t(to) != 0) {
      invalid("view", "the last dim of shape ", a.shape(), " holds ", bytes, " bytes of ",
              dtype_name(a.dtype()), ", not a multiple of ", dtype_name(dtype), "'s ", to);
    }
    shape.back() = static_cast<ShapeElem>(bytes / int64_t(to));
  }
  if (dtype == a.dtype()) return a;
  return array(std::move(shape), dtype, make_pooled<View>(to_stream(s)), {contiguous(a, false, s)});
}

array as_strided(const array& a, Shape shape, Strides strides, int64_t offset, StreamOrDevice s) {
  if (shape.size() != strides.size()) {
    invalid("as_strided", "shape ", shape, " and strides (", strides.size(),
            " entries) must have the same length");
  }
  size_t n = checked_shape_size(shape, a.dtype(), "as_strided");
  if (n > 0) {
    // The view reads elements offset + sum(i_k * strides_k) of the row-major
    // copy of a, whose size is known now even when a is not evaluated: the
    // lowest and highest must lie inside it (else the kernels would read
    // outside the buffer). In 128 bits: huge strides must not wrap.
    __int128 lo = offset, hi = offset;
    for (size_t i = 0; i < shape.size(); ++i) {
      __int128 reach = static_cast<__int128>(strides[i]) * (shape[i] - 1);
      (reach < 0 ? lo : hi) += reach;
    }
    if (lo < 0 || hi >= static_cast<__int128>(a.size())) {
      std::ostringstream st;
      for (size_t i = 0; i < strides.size(); ++i) st << (i ? ", " : "") << strides[i];
      if (strides.size() == 1) st << ",";
      invalid("as_strided", "shape ", shape, " with strides (", st.str(), ") and offset ", offset,
              " reaches elements ", i128_str(lo), " to ", i128_str(hi), " of an array of ",
              a.size(), " elements (shape ", a.shape(), "); a view must stay within [0, ", a.size(),
              ")");
    }
  }
  return array(std::move(shape), a.dtype(),
               make_pooled<AsStrided>(to_stream(s), std::move(strides), offset),
               {contiguous(a, false, s)});
}

array atleast_1d(const array& a, StreamOrDevice s) {
  return a.ndim() >= 1 ? a : reshape(a, {1}, s);
}
array atleast_2d(const array& a, StreamOrDevice s) {
  if (a.ndim() >= 2) return a;
  return a.ndim() == 0 ? reshape(a, {1, 1}, s) : expand_dims(a, 0, s);
}
array atleast_3d(const array& a, StreamOrDevice s) {
  switch (a.ndim()) {
    case 0:
      return reshape(a, {1, 1, 1}, s);
    case 1:
      return reshape(a, {1, a.shape()[0], 1}, s);
    case 2:
      return expand_dims(a, 2, s);
    default:
      return a;
  }
}

}  // namespace tandem
