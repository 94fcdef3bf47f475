// Module-level ops of the indexing family (tandem/ops/indexing.h), with the
// dynamic `slice` (start positions given as an array), which shares
// slice_update's bounds.
#include "python/src/ops_common.h"
#include "tandem/ops/indexing.h"

namespace tandem::py {
namespace {

// Integer start positions (evaluates an array of them).
std::vector<int64_t> read_starts(nb::handle h) {
  array a = to_array(h);
  if (!is_integral(a.dtype())) {
    throw std::invalid_argument("[slice] start_indices must be integers; got " +
                                std::string(dtype_name(a.dtype())));
  }
  eval_nogil(a);
  return a.to_vector<int64_t>();
}

// The static slice of a dynamic one: start positions clamped so the slice fits.
void dynamic_bounds(const array& a, nb::handle start_indices, const std::vector<int>& axes,
                    const Shape* sizes, Shape& start, Shape& stop, const char* op) {
  auto st = read_starts(start_indices);
  if (st.size() != axes.size()) {
    throw std::invalid_argument(std::string("[") + op + "] got " + std::to_string(st.size()) +
                                " start indices for " + std::to_string(axes.size()) + " axes");
  }
  start = Shape(a.ndim(), 0);
  stop = a.shape();
  for (size_t k = 0; k < axes.size(); ++k) {
    int ax = axes[k] < 0 ? axes[k] + a.ndim() : axes[k];
    if (ax < 0 || ax >= a.ndim()) {
      throw std::invalid_argument(std::string("[") + op + "] axis " + std::to_string(axes[k]) +
                                  " is out of range for shape " + shape_str(a.shape()));
    }
    int n = a.shape(ax);
    int size = sizes ? (*sizes)[ax] : n;
    int64_t b = st[k] < 0 ? st[k] + n : st[k];
    b = std::max<int64_t>(0, std::min<int64_t>(b, n - size));
    start[ax] = static_cast<ShapeElem>(b);
    stop[ax] = static_cast<ShapeElem>(b + size);
  }
}

}  // namespace

void init_ops_indexing(nb::module_& m) {
  m.def(
      "concatenate",
      [](nb::handle arrays, std::optional<int> axis, StreamOrDevice s) {
        auto v = to_array_list(arrays);
        return axis ? concatenate(v, *axis, s) : concatenate(v, s);
      },
      "arrays"_a, "axis"_a = 0, nb::kw_only(), S, "Joins arrays along an existing axis.");
  m.def(
      "concat",
      [](nb::handle arrays, std::optional<int> axis, StreamOrDevice s) {
        auto v = to_array_list(arrays);
        return axis ? concatenate(v, *axis, s) : concatenate(v, s);
      },
      "arrays"_a, "axis"_a = 0, nb::kw_only(), S, "Alias of concatenate.");
  m.def(
      "stack",
      [](nb::handle arrays, int axis, StreamOrDevice s) {
        return stack(to_array_list(arrays), axis, s);
      },
      "arrays"_a, "axis"_a = 0, nb::kw_only(), S, "Joins arrays along a new axis.");
  m.def(
      "split",
      [](ArrayLike a, nb::handle ios, int axis, StreamOrDevice s) {
        return as_list(py_split(to_array(a), ios, axis, s));
      },
      "a"_a, "indices_or_sections"_a, "axis"_a = 0, nb::kw_only(), S,
      "Equal parts (an int) or parts at the given indices.");
  m.def(
      "unstack",
      [](ArrayLike a, int axis, StreamOrDevice s) {
        return as_list(unstack(to_array(a), axis, s));
      },
      "a"_a, "axis"_a = 0, nb::kw_only(), S, "The slices along axis.");
  m.def(
      "take",
      [](ArrayLike a, ArrayLike indices, std::optional<int> axis, StreamOrDevice s) {
        array x = to_array(a);
        if (PyLong_Check(indices.h.ptr()) && !PyBool_Check(indices.h.ptr())) {
          int i = nb::cast<int>(indices.h);
          return axis ? take(x, i, *axis, s) : take(x, i, s);
        }
        array idx = to_array(indices);
        return axis ? take(x, idx, *axis, s) : take(x, idx, s);
      },
      "a"_a, "indices"_a, "axis"_a = nb::none(), nb::kw_only(), S,
      "Elements at indices along axis (of the flattened array when axis is None).");
  m.def(
      "take_along_axis",
      [](ArrayLike a, ArrayLike indices, std::optional<int> axis, StreamOrDevice s) {
        array x = to_array(a), idx = to_array(indices);
        if (!axis) return take_along_axis(reshape(x, {-1}, s), reshape(idx, {-1}, s), 0, s);
        return take_along_axis(x, idx, *axis, s);
      },
      "a"_a, "indices"_a, "axis"_a = nb::none(), nb::kw_only(), S,
      "out[..i..] = a[.., indices[..i..], ..] along axis.");
  m.def(
      "put_along_axis",
      [](ArrayLike a, ArrayLike indices, ArrayLike values, std::optional<int> axis,
         StreamOrDevice s) {
        array x = to_array(a), idx = to_array(indices);
        array v = to_array_weak(values.h, x.dtype());
        if (!axis) {
          array flat = put_along_axis(reshape(x, {-1}, s), reshape(idx, {-1}, s), v, 0, s);
          return reshape(flat, x.shape(), s);
        }
        return put_along_axis(x, idx, v, *axis, s);
      },
      "a"_a, "indices"_a, "values"_a, "axis"_a = nb::none(), nb::kw_only(), S,
      "a with values written at indices along axis.");
  m.def(
      "pad",
      [](ArrayLike a, nb::handle pad_width, const std::string& mode, ArrayLike constant_values,
         StreamOrDevice s) {
        array x = to_array(a);
        array cv = to_array_weak(constant_values.h, x.dtype());
        PyObject* pw = pad_width.ptr();
        if (PyLong_Check(pw)) return pad(x, nb::cast<int>(pad_width), cv, mode, s);
        auto seq = nb::borrow<nb::sequence>(pad_width);
        size_t n = nb::len(seq);
        if (n > 0 && PyLong_Check(seq[0].ptr())) {
          if (n == 1) return pad(x, nb::cast<int>(seq[0]), cv, mode, s);
          if (n == 2) {
            return pad(x, std::pair<int, int>(nb::cast<int>(seq[0]), nb::cast<int>(seq[1])), cv,
                       mode, s);
          }
          throw std::invalid_argument(
              "[pad] pad_width must be an int, a (low, high) pair or one "
              "pair per axis");
        }
        std::vector<std::pair<int, int>> widths;
        for (nb::handle h : seq) {
          auto t = nb::borrow<nb::sequence>(h);
          if (nb::len(t) == 1) {
            widths.emplace_back(nb::cast<int>(t[0]), nb::cast<int>(t[0]));
          } else {
            widths.emplace_back(nb::cast<int>(t[0]), nb::cast<int>(t[1]));
          }
        }
        if (widths.size() == 1 && x.ndim() != 1) return pad(x, widths[0], cv, mode, s);
        return pad(x, widths, cv, mode, s);
      },
      "a"_a, "pad_width"_a, "mode"_a = "constant", "constant_values"_a = 0, nb::kw_only(), S,
      "Pads with a constant or the edge values.");
  m.def(
      "tile",
      [](ArrayLike a, nb::handle reps, StreamOrDevice s) {
        std::vector<int> r;
        if (PyLong_Check(reps.ptr())) {
          r.push_back(nb::cast<int>(reps));
        } else {
          r = nb::cast<std::vector<int>>(reps);
        }
        return tile(to_array(a), r, s);
      },
      "a"_a, "reps"_a, nb::kw_only(), S, "a repeated reps times along each axis.");
  m.def(
      "repeat",
      [](ArrayLike a, int repeats, std::optional<int> axis, StreamOrDevice s) {
        array x = to_array(a);
        return axis ? repeat(x, repeats, *axis, s) : repeat(x, repeats, s);
      },
      "array"_a, "repeats"_a, "axis"_a = nb::none(), nb::kw_only(), S,
      "Each element repeated along axis.");
  m.def(
      "flip",
      [](ArrayLike a, const Axes& axis, StreamOrDevice s) {
        array x = to_array(a);
        return axis.axes ? flip(x, *axis.axes, s) : flip(x, s);
      },
      "a"_a, "axis"_a = nb::none(), nb::kw_only(), S, "Reverses the order along axes.");
  m.def(
      "roll",
      [](ArrayLike a, nb::handle shift, const Axes& axis, StreamOrDevice s) {
        array x = to_array(a);
        Shape sh = nb::cast<Shape>(shift);
        if (!axis.axes) {
          if (sh.size() != 1) {
            throw std::invalid_argument("[roll] a sequence of shifts needs axes");
          }
          return roll(x, sh[0], s);
        }
        if (sh.size() == 1) return roll(x, sh[0], *axis.axes, s);
        return roll(x, sh, *axis.axes, s);
      },
      "a"_a, "shift"_a, "axis"_a = nb::none(), nb::kw_only(), S,
      "Shifts elements cyclically along axes.");
  m.def(
      "tril", [](ArrayLike x, int k, StreamOrDevice s) { return tril(to_array(x), k, s); }, "x"_a,
      "k"_a = 0, nb::kw_only(), S, "Zeroes the elements above diagonal k.");
  m.def(
      "triu", [](ArrayLike x, int k, StreamOrDevice s) { return triu(to_array(x), k, s); }, "x"_a,
      "k"_a = 0, nb::kw_only(), S, "Zeroes the elements below diagonal k.");
  m.def(
      "diagonal",
      [](ArrayLike a, int offset, int axis1, int axis2, StreamOrDevice s) {
        return diagonal(to_array(a), offset, axis1, axis2, s);
      },
      "a"_a, "offset"_a = 0, "axis1"_a = 0, "axis2"_a = 1, nb::kw_only(), S,
      "A diagonal of the (axis1, axis2) planes.");
  m.def(
      "diag", [](ArrayLike a, int k, StreamOrDevice s) { return diag(to_array(a), k, s); }, "a"_a,
      "k"_a = 0, nb::kw_only(), S, "Diagonal matrix from a vector, or a matrix's diagonal.");
  m.def(
      "meshgrid",
      [](nb::args arrays, bool sparse, const std::string& indexing, StreamOrDevice s) {
        return as_list(meshgrid(to_array_list(arrays), sparse, indexing, s));
      },
      "arrays"_a, "sparse"_a = false, "indexing"_a = "xy", S,
      "Coordinate grids from 1-d coordinate arrays.");
  m.def(
      "slice",
      [](ArrayLike a, ArrayLike start_indices, std::vector<int> axes, Shape slice_size,
         StreamOrDevice s) {
        array x = to_array(a);
        if (slice_size.size() != axes.size()) {
          throw std::invalid_argument("[slice] slice_size must have one entry per axis");
        }
        Shape sizes = x.shape();
        for (size_t k = 0; k < axes.size(); ++k) {
          int ax = axes[k] < 0 ? axes[k] + x.ndim() : axes[k];
          if (ax >= 0 && ax < x.ndim()) sizes[ax] = slice_size[k];
        }
        Shape start, stop;
        dynamic_bounds(x, start_indices.h, axes, &sizes, start, stop, "slice");
        return slice(x, start, stop, s);
      },
      "a"_a, "start_indices"_a, "axes"_a, "slice_size"_a, nb::kw_only(), S,
      "The slice of slice_size starting at start_indices along axes (start_indices are read "
      "eagerly).");
  m.def(
      "slice_update",
      [](ArrayLike a, ArrayLike update, ArrayLike start_indices, std::vector<int> axes,
         StreamOrDevice s) {
        array x = to_array(a);
        array u = to_array_weak(update.h, x.dtype());
        Shape sizes = x.shape();
        if (u.ndim() == x.ndim()) sizes = u.shape();
        Shape start, stop;
        dynamic_bounds(x, start_indices.h, axes, &sizes, start, stop, "slice_update");
        return slice_update(x, u, start, stop, s);
      },
      "a"_a, "update"_a, "start_indices"_a, "axes"_a, nb::kw_only(), S,
      "a with update written at start_indices along axes (start_indices are read eagerly).");
}

}  // namespace tandem::py
