// NumPy-style indexing: x[idx] (ints, slices, None, Ellipsis, integer arrays,
// boolean masks), x[idx] = v and x.at[idx].add/subtract/multiply/divide/
// maximum/minimum.
//
// Basic indices (ints, slices, None, Ellipsis) give views (slice + squeeze +
// expand_dims); integer arrays gather. A boolean mask is turned into integer
// indices, which needs its values: the mask is evaluated (a sync), except for
// `x[mask] = scalar` with a mask of x's shape, which is a lazy `where`.
#include <limits>

#include "python/src/ops_common.h"

namespace tandem::py {
namespace {

[[noreturn]] void index_error(const std::string& msg) {
  throw nb::index_error(msg.c_str());
}

struct Entry {
  enum Kind { Int, Slice, NewAxis, Arr } kind;
  int64_t i = 0;
  nb::handle slice;          // Kind::Slice (borrowed from the index tuple)
  std::optional<array> arr;  // Kind::Arr: an integer index array
  bool full = false;         // a slice(None) added for Ellipsis / trailing axes
};

struct Parsed {
  std::vector<Entry> entries;  // one per consumed axis plus NewAxis entries
  bool has_array = false;
};

bool is_int_index(nb::handle h) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o)) return false;
  if (PyLong_Check(o)) return true;
  // NumPy integer scalars.
  return !is_array(h) && !PyFloat_Check(o) && PyIndex_Check(o) && !PySequence_Check(o);
}

// The integer coordinates of the true elements of a boolean mask (evaluates it).
std::vector<array> mask_to_indices(array mask) {
  eval_nogil(mask);
  auto vals = mask.to_vector<uint8_t>();
  int nd = mask.ndim();
  size_t count = 0;
  for (uint8_t b : vals) count += b != 0;
  std::vector<std::vector<int32_t>> coords(nd, std::vector<int32_t>(count));
  std::vector<int32_t> idx(nd, 0);
  size_t k = 0;
  for (size_t e = 0; e < vals.size(); ++e) {
    if (vals[e]) {
      for (int d = 0; d < nd; ++d) coords[d][k] = idx[d];
      ++k;
    }
    for (int d = nd - 1; d >= 0; --d) {
      if (++idx[d] < mask.shape(d)) break;
      idx[d] = 0;
    }
  }
  std::vector<array> out;
  for (int d = 0; d < nd; ++d) {
    out.emplace_back(coords[d].data(), Shape{static_cast<ShapeElem>(count)}, int32);
  }
  return out;
}

Parsed parse_index(const array& a, nb::handle idx) {
  std::vector<nb::handle> items;
  if (PyTuple_Check(idx.ptr())) {
    for (nb::handle h : nb::borrow<nb::tuple>(idx)) items.push_back(h);
  } else {
    items.push_back(idx);
  }
  Parsed p;
  int ndim = a.ndim();
  int consumed = 0;
  int ellipsis_at = -1;
  std::vector<Entry> entries;
  std::vector<std::pair<size_t, array>> masks;  // entry position, mask
  for (nb::handle h : items) {
    PyObject* o = h.ptr();
    if (o == Py_None) {
      entries.push_back({Entry::NewAxis});
    } else if (o == Py_Ellipsis) {
      if (ellipsis_at >= 0) index_error("an index can only have a single ellipsis ('...')");
      ellipsis_at = static_cast<int>(entries.size());
    } else if (PySlice_Check(o)) {
      Entry e{Entry::Slice};
      e.slice = h;
      entries.push_back(e);
      ++consumed;
    } else if (is_int_index(h)) {
      Entry e{Entry::Int};
      e.i = PyLong_AsLongLong(nb::int_(h).ptr());
      if (e.i == -1 && PyErr_Occurred()) throw nb::python_error();
      entries.push_back(e);
      ++consumed;
    } else {
      array x = is_array(h) ? as_array(h) : ([&] {
        if (PyBool_Check(o) || PyFloat_Check(o) || PyComplex_Check(o) || PyUnicode_Check(o)) {
          index_error(std::string("only integers, slices (`:`), ellipsis (`...`), None and "
                                  "integer or boolean arrays are valid indices; got ") +
                      nb::type_name(h.type()).c_str());
        }
        try {
          return to_array(h);
        } catch (const nb::python_error&) {
          throw;
        } catch (const std::exception& ex) {
          index_error(std::string("invalid index: ") + ex.what());
        }
      })();
      if (x.dtype() == bool_) {
        masks.emplace_back(entries.size(), x);
        Entry e{Entry::Arr};
        entries.push_back(e);  // placeholder, expanded below
        consumed += x.ndim();
      } else {
        if (!is_integral(x.dtype())) {
          index_error(std::string("arrays used as indices must be of integer or boolean type; "
                                  "got ") +
                      dtype_name(x.dtype()));
        }
        Entry e{Entry::Arr};
        e.arr = x;
        entries.push_back(e);
        ++consumed;
      }
      p.has_array = true;
    }
  }
  if (consumed > ndim) {
    index_error("too many indices for array: array is " + std::to_string(ndim) +
                "-dimensional, but " + std::to_string(consumed) + " were indexed");
  }
  // Expand masks into one index array per mask axis.
  if (!masks.empty()) {
    std::vector<Entry> expanded;
    size_t mi = 0;
    int axis = 0;
    for (size_t k = 0; k < entries.size(); ++k) {
      if (static_cast<int>(k) == ellipsis_at) axis += ndim - consumed;
      if (mi < masks.size() && masks[mi].first == k) {
        const array& mask = masks[mi].second;
        for (int d = 0; d < mask.ndim(); ++d) {
          if (mask.shape(d) != a.shape(axis + d)) {
            index_error("boolean index of shape " + shape_str(mask.shape()) +
                        " does not match the indexed axes of shape " + shape_str(a.shape()) +
                        " at axis " + std::to_string(axis + d));
          }
        }
        for (auto& ix : mask_to_indices(mask)) {
          Entry e{Entry::Arr};
          e.arr = std::move(ix);
          expanded.push_back(std::move(e));
        }
        if (mask.ndim() == 0) {
          // A 0-d mask adds an axis of length 1 (true) or 0 (false): rare; keep NumPy's result.
          index_error("0-d boolean indices are not supported");
        }
        axis += mask.ndim();
        ++mi;
        continue;
      }
      if (entries[k].kind != Entry::NewAxis) ++axis;
      expanded.push_back(std::move(entries[k]));
    }
    if (ellipsis_at == static_cast<int>(entries.size())) {
      // Ellipsis at the end: nothing to adjust (handled below).
    }
    // Ellipsis position shifts by the extra entries the masks added before it.
    if (ellipsis_at >= 0) {
      int shift = 0;
      for (auto& [pos, mask] : masks) {
        if (static_cast<int>(pos) < ellipsis_at) shift += mask.ndim() - 1;
      }
      ellipsis_at += shift;
    }
    entries = std::move(expanded);
  }
  // Ellipsis and the trailing axes become full slices.
  int fill = ndim - consumed;
  std::vector<Entry> out;
  out.reserve(entries.size() + fill);
  for (size_t k = 0; k <= entries.size(); ++k) {
    if (static_cast<int>(k) == ellipsis_at) {
      for (int f = 0; f < fill; ++f) out.push_back({Entry::Slice, 0, nb::handle(), {}, true});
      fill = 0;
    }
    if (k < entries.size()) out.push_back(std::move(entries[k]));
  }
  for (int f = 0; f < fill; ++f) out.push_back({Entry::Slice, 0, nb::handle(), {}, true});
  p.entries = std::move(out);
  return p;
}

// Python slice -> (start, stop, step) as tandem::slice expects for an axis of size n.
void slice_bounds(nb::handle sl, int n, ShapeElem& start, ShapeElem& stop, ShapeElem& step) {
  Py_ssize_t b, e, st;
  if (PySlice_Unpack(sl.ptr(), &b, &e, &st) < 0) throw nb::python_error();
  Py_ssize_t len = PySlice_AdjustIndices(n, &b, &e, st);
  if (st > std::numeric_limits<ShapeElem>::max()) st = std::numeric_limits<ShapeElem>::max();
  if (st < -std::numeric_limits<ShapeElem>::max()) st = -std::numeric_limits<ShapeElem>::max();
  if (len == 0) {
    start = 0;
    stop = 0;
    step = 1;
    return;
  }
  start = static_cast<ShapeElem>(b);
  // A negative step ending before element 0 has stop -1 here; tandem::slice
  // reads negative stops from the end, so pass one that maps below 0.
  stop = e < 0 ? static_cast<ShapeElem>(-n - 1) : static_cast<ShapeElem>(e);
  step = static_cast<ShapeElem>(st);
}

int64_t check_int(int64_t i, int n, int axis) {
  if (i < -n || i >= n) {
    index_error("index " + std::to_string(i) + " is out of bounds for axis " +
                std::to_string(axis) + " with size " + std::to_string(n));
  }
  return i < 0 ? i + n : i;
}

// Applies the slices and ints of p (array entries keep their full axis).
// Returns the sliced array (same ndim as a) and the starts/stops/steps used.
struct Sliced {
  array y;
  Shape start, stop, step;
  bool trivial = true;
};

Sliced apply_slices(const array& a, const Parsed& p) {
  int nd = a.ndim();
  Sliced r{a, Shape(nd, 0), a.shape(), Shape(nd, 1)};
  int axis = 0;
  for (const Entry& e : p.entries) {
    if (e.kind == Entry::NewAxis) continue;
    int n = a.shape(axis);
    if (e.kind == Entry::Int && !p.has_array) {
      int64_t i = check_int(e.i, n, axis);
      r.start[axis] = static_cast<ShapeElem>(i);
      r.stop[axis] = static_cast<ShapeElem>(i + 1);
      r.trivial = false;
    } else if (e.kind == Entry::Slice && !e.full) {
      slice_bounds(e.slice, n, r.start[axis], r.stop[axis], r.step[axis]);
      if (r.start[axis] != 0 || r.stop[axis] != n || r.step[axis] != 1) r.trivial = false;
    }
    ++axis;
  }
  if (!r.trivial) r.y = slice(a, r.start, r.stop, r.step);
  return r;
}

// Basic indexing: slice, drop int axes, add new axes.
array basic_index(const array& a, const Parsed& p) {
  Sliced s = apply_slices(a, p);
  std::vector<int> drop, add;
  int axis = 0, out_axis = 0;
  for (const Entry& e : p.entries) {
    switch (e.kind) {
      case Entry::Int:
        drop.push_back(axis++);
        break;
      case Entry::Slice:
        ++axis;
        ++out_axis;
        break;
      case Entry::NewAxis:
        add.push_back(out_axis++);
        break;
      default:
        break;
    }
  }
  array y = s.y;
  if (!drop.empty()) y = squeeze(y, drop);
  if (!add.empty()) y = expand_dims(y, add);
  return y;
}

// Advanced indexing (some integer arrays).
array advanced_index(const array& a, const Parsed& p) {
  Sliced s = apply_slices(a, p);
  const array& y = s.y;
  std::vector<array> idx;
  std::vector<int> axes;
  std::vector<size_t> adv_entries;
  int axis = 0;
  for (size_t k = 0; k < p.entries.size(); ++k) {
    const Entry& e = p.entries[k];
    if (e.kind == Entry::NewAxis) continue;
    if (e.kind == Entry::Arr) {
      idx.push_back(*e.arr);
      axes.push_back(axis);
      adv_entries.push_back(k);
    } else if (e.kind == Entry::Int) {
      check_int(e.i, a.shape(axis), axis);
      idx.push_back(array(static_cast<int32_t>(e.i)));
      axes.push_back(axis);
      adv_entries.push_back(k);
    }
    ++axis;
  }
  int nd = y.ndim();
  // One integer array along one axis: take.
  array g = [&] {
    if (idx.size() == 1 && nd >= 1) return take(y, idx[0], axes[0]);
    Shape sizes = y.shape();
    for (int ax : axes) sizes[ax] = 1;
    array r = gather(y, idx, axes, sizes);
    int ni = r.ndim() - nd;
    std::vector<int> sq;
    for (int ax : axes) sq.push_back(ni + ax);
    r = squeeze(r, sq);
    // take puts the index dims at the axis; gather puts them first: move
    // them to the first indexed axis so both agree (fixed below).
    return r;
  }();
  bool via_take = idx.size() == 1 && nd >= 1;
  int ni = g.ndim() - (nd - static_cast<int>(axes.size()));  // index dims
  bool adjacent = adv_entries.back() - adv_entries.front() + 1 == adv_entries.size();
  // Current layout of g: take: [pre..., I..., post...] with pre = axes before
  // axes[0]; gather: [I..., non-indexed axes...].
  // Wanted: the entries' order (new axes inserted), I at the first indexed
  // entry when adjacent, else first.
  std::vector<int> order;       // dims of g; -1 for a new axis
  std::vector<int> nonadv_pos;  // g dim of each non-indexed axis, in order
  int n_nonadv = nd - static_cast<int>(axes.size());
  for (int j = 0; j < n_nonadv; ++j) {
    if (via_take) {
      nonadv_pos.push_back(j < axes[0] ? j : j + ni);
    } else {
      nonadv_pos.push_back(ni + j);
    }
  }
  int i_start = via_take ? axes[0] : 0;
  auto push_I = [&] {
    for (int d = 0; d < ni; ++d) order.push_back(i_start + d);
  };
  bool placed = false;
  if (!adjacent) {
    push_I();
    placed = true;
  }
  int j = 0;
  for (const Entry& e : p.entries) {
    if (e.kind == Entry::NewAxis) {
      order.push_back(-1);
    } else if (e.kind == Entry::Slice) {
      order.push_back(nonadv_pos[j++]);
    } else if (!placed) {
      push_I();
      placed = true;
    }
  }
  while (j < n_nonadv) order.push_back(nonadv_pos[j++]);
  std::vector<int> perm, add;
  for (size_t k = 0; k < order.size(); ++k) {
    if (order[k] < 0) {
      add.push_back(static_cast<int>(k));
    } else {
      perm.push_back(order[k]);
    }
  }
  bool identity = true;
  for (size_t k = 0; k < perm.size(); ++k) identity &= perm[k] == static_cast<int>(k);
  if (!identity) g = transpose(g, perm);
  if (!add.empty()) g = expand_dims(g, add);
  return g;
}

// v as an update for an indexed region of shape r: cast to dtype, leading
// size-1 axes beyond r's ndim dropped, broadcast to r.
array fit_update(array v, const Shape& r, Dtype dtype) {
  if (v.dtype() != dtype) v = astype(v, dtype);
  while (v.ndim() > static_cast<int>(r.size()) && v.shape(0) == 1) v = squeeze(v, 0);
  if (v.shape() != r) v = broadcast_to(v, r);
  return v;
}

enum class ScatterOp { set, add, prod, max, min };

array scatter_with(ScatterOp op, const array& a, const std::vector<array>& idx, const array& upd,
                   const std::vector<int>& axes) {
  switch (op) {
    case ScatterOp::set:
      return scatter(a, idx, upd, axes);
    case ScatterOp::add:
      return scatter_add(a, idx, upd, axes);
    case ScatterOp::prod:
      return scatter_prod(a, idx, upd, axes);
    case ScatterOp::max:
      return scatter_max(a, idx, upd, axes);
    default:
      return scatter_min(a, idx, upd, axes);
  }
}

// Writes v (already of dtype a.dtype()) at a[p] with a scatter.
array scatter_index(const array& a, nb::handle index, const Parsed& p, array v, ScatterOp op) {
  // Leading integer indices only (x[i_arr], x[i_arr, j_arr], x[0, i_arr]):
  // scatter along those axes directly.
  size_t k = 0;
  std::vector<array> idx;
  std::vector<int> axes;
  int axis = 0;
  for (; k < p.entries.size(); ++k) {
    const Entry& e = p.entries[k];
    if (e.kind == Entry::Arr) {
      idx.push_back(*e.arr);
    } else if (e.kind == Entry::Int) {
      idx.push_back(array(static_cast<int32_t>(check_int(e.i, a.shape(axis), axis))));
    } else {
      break;
    }
    axes.push_back(axis++);
  }
  bool direct = !idx.empty();
  for (size_t r = k; r < p.entries.size(); ++r) {
    const Entry& e = p.entries[r];
    if (e.kind != Entry::Slice) {
      direct = false;
      break;
    }
    if (!e.full) {
      // A real slice after the indices: only full ones keep the direct path.
      int n = a.shape(axis + static_cast<int>(r - k));
      ShapeElem b, st, sp;
      slice_bounds(e.slice, n, b, st, sp);
      if (n > 0 && !(b == 0 && st == n && sp == 1)) {
        direct = false;
        break;
      }
    }
  }
  if (direct) {
    Shape ishape;
    {
      std::vector<Shape> shapes;
      for (auto& i : idx) shapes.push_back(i.shape());
      ishape = broadcast_shapes(shapes, "setitem");
    }
    Shape r = ishape, u;
    for (int d = 0; d < a.ndim(); ++d) {
      if (d < static_cast<int>(axes.size())) {
        u.push_back(1);
      } else {
        r.push_back(a.shape(d));
        u.push_back(a.shape(d));
      }
    }
    array upd = fit_update(v, r, a.dtype());
    Shape us = ishape;
    for (auto d : u) us.push_back(d);
    upd = reshape(upd, us);
    return scatter_with(op, a, idx, upd, axes);
  }
  // General case: index a grid of linear positions the same way, then
  // scatter into the flattened array.
  Dtype it = a.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()) ? int64 : int32;
  array lin = reshape(arange(0.0, static_cast<double>(a.size()), 1.0, it), a.shape());
  array pos = p.has_array ? advanced_index(lin, p) : basic_index(lin, p);
  array upd = fit_update(v, pos.shape(), a.dtype());
  array flat = scatter_with(op, reshape(a, {-1}), {reshape(pos, {-1})}, reshape(upd, {-1, 1}), {0});
  return reshape(flat, a.shape());
}

}  // namespace

array getitem(const array& a, nb::handle idx) {
  PyObject* o = idx.ptr();
  // Fast paths: x[i], x[slice], x[int_array].
  if (a.ndim() >= 1) {
    if (PyLong_Check(o) && !PyBool_Check(o)) {
      long long i = PyLong_AsLongLong(o);
      if (i == -1 && PyErr_Occurred()) throw nb::python_error();
      return take(a, static_cast<int>(check_int(i, a.shape(0), 0)), 0);
    }
    if (is_array(idx) && is_integral(as_array(idx).dtype())) return take(a, as_array(idx), 0);
  }
  Parsed p = parse_index(a, idx);
  return p.has_array ? advanced_index(a, p) : basic_index(a, p);
}

array setitem(const array& a, nb::handle idx, nb::handle value) {
  array v = is_array(value) ? as_array(value) : to_array_weak(value, a.dtype());
  if (v.dtype() != a.dtype()) v = astype(v, a.dtype());
  // x[mask] = scalar with a mask of x's shape: a lazy where.
  if (is_array(idx)) {
    const array& m = as_array(idx);
    if (m.dtype() == bool_ && m.shape() == a.shape() && v.size() == 1) {
      return where(m, reshape(v, {}), a);
    }
  }
  Parsed p = parse_index(a, idx);
  if (p.has_array) return scatter_index(a, idx, p, v, ScatterOp::set);
  // Basic: a slice_update of the sliced region.
  Sliced s = apply_slices(a, p);
  if (v.ndim() == 0) return slice_update(a, v, s.start, s.stop, s.step);
  array r = basic_index(a, p);
  array upd = reshape(fit_update(v, r.shape(), a.dtype()), s.y.shape());
  return slice_update(a, upd, s.start, s.stop, s.step);
}

array at_update_impl(const array& a, nb::handle idx, const array& value, const char* opname) {
  std::string op = opname;
  Parsed p = parse_index(a, idx);
  if (!p.has_array) {
    // No repeated positions: read, combine, write back.
    array cur = basic_index(a, p);
    array nv = op == "add"        ? add(cur, value)
               : op == "subtract" ? subtract(cur, value)
               : op == "multiply" ? multiply(cur, value)
               : op == "divide"   ? divide(cur, value)
               : op == "maximum"  ? maximum(cur, value)
                                  : minimum(cur, value);
    if (nv.dtype() != a.dtype()) nv = astype(nv, a.dtype());
    Sliced s = apply_slices(a, p);
    array upd = reshape(fit_update(nv, cur.shape(), a.dtype()), s.y.shape());
    return slice_update(a, upd, s.start, s.stop, s.step);
  }
  array v = value;
  ScatterOp sop;
  if (op == "add") {
    sop = ScatterOp::add;
  } else if (op == "subtract") {
    sop = ScatterOp::add;
    v = negative(v);
  } else if (op == "multiply") {
    sop = ScatterOp::prod;
  } else if (op == "divide") {
    sop = ScatterOp::prod;
    v = reciprocal(v);
  } else if (op == "maximum") {
    sop = ScatterOp::max;
  } else {
    sop = ScatterOp::min;
  }
  if (v.dtype() != a.dtype()) v = astype(v, a.dtype());
  return scatter_index(a, idx, p, v, sop);
}

}  // namespace tandem::py
