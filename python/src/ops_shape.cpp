// Module-level ops of the shape family (tandem/ops/shape.h).
#include "python/src/ops_common.h"
#include "tandem/ops/shape.h"

namespace tandem::py {

void init_ops_shape(nb::module_& m) {
  m.def(
      "reshape",
      [](ArrayLike a, Shape shape, StreamOrDevice s) { return reshape(to_array(a), shape, s); },
      "a"_a, "shape"_a, nb::kw_only(), S, "a with a new shape (one dim may be -1).");
  m.def(
      "flatten",
      [](ArrayLike a, int start_axis, int end_axis, StreamOrDevice s) {
        return flatten(to_array(a), start_axis, end_axis, s);
      },
      "a"_a, "start_axis"_a = 0, "end_axis"_a = -1, nb::kw_only(), S,
      "Merges axes start_axis..end_axis.");
  m.def(
      "unflatten",
      [](ArrayLike a, int axis, Shape shape, StreamOrDevice s) {
        return unflatten(to_array(a), axis, shape, s);
      },
      "a"_a, "axis"_a, "shape"_a, nb::kw_only(), S, "Splits axis into shape.");
  m.def(
      "squeeze",
      [](ArrayLike a, const Axes& axis, StreamOrDevice s) {
        array x = to_array(a);
        return axis.axes ? squeeze(x, *axis.axes, s) : squeeze(x, s);
      },
      "a"_a, "axis"_a = nb::none(), nb::kw_only(), S, "Removes size-1 axes.");
  m.def(
      "expand_dims",
      [](ArrayLike a, const Axes& axis, StreamOrDevice s) {
        if (!axis.axes) throw std::invalid_argument("[expand_dims] axis cannot be None");
        return expand_dims(to_array(a), *axis.axes, s);
      },
      "a"_a, "axis"_a, nb::kw_only(), S, "Inserts size-1 axes.");
  m.def(
      "transpose",
      [](ArrayLike a, std::optional<std::vector<int>> axes, StreamOrDevice s) {
        return axes ? transpose(to_array(a), *axes, s) : transpose(to_array(a), s);
      },
      "a"_a, "axes"_a = nb::none(), nb::kw_only(), S, "Permutes axes (reverses by default).");
  m.def(
      "permute_dims",
      [](ArrayLike a, std::optional<std::vector<int>> axes, StreamOrDevice s) {
        return axes ? transpose(to_array(a), *axes, s) : transpose(to_array(a), s);
      },
      "a"_a, "axes"_a = nb::none(), nb::kw_only(), S,
      "The array with its axes reordered as axes says (reversed when None); the\n"
      "same as transpose.");
  m.def(
      "moveaxis",
      [](ArrayLike a, int src, int dst, StreamOrDevice s) {
        return moveaxis(to_array(a), src, dst, s);
      },
      "a"_a, "source"_a, "destination"_a, nb::kw_only(), S, "Moves one axis.");
  m.def(
      "swapaxes",
      [](ArrayLike a, int a1, int a2, StreamOrDevice s) {
        return swapaxes(to_array(a), a1, a2, s);
      },
      "a"_a, "axis1"_a, "axis2"_a, nb::kw_only(), S, "Swaps two axes.");
  m.def(
      "matrix_transpose",
      [](ArrayLike a, StreamOrDevice s) { return matrix_transpose(to_array(a), s); }, "a"_a,
      nb::kw_only(), S, "Swaps the last two axes.");
  m.def(
      "broadcast_to",
      [](ArrayLike a, Shape shape, StreamOrDevice s) {
        return broadcast_to(to_array(a), shape, s);
      },
      "a"_a, "shape"_a, nb::kw_only(), S, "a broadcast to shape.");
  m.def(
      "broadcast_arrays",
      [](nb::args arrays, StreamOrDevice s) {
        return as_list(broadcast_arrays(to_array_list(arrays), s));
      },
      "arrays"_a, S, "The arrays broadcast against each other.");
  m.def(
      "broadcast_shapes",
      [](nb::args shapes) {
        std::vector<Shape> v;
        for (nb::handle h : shapes) v.push_back(nb::cast<Shape>(h));
        if (v.empty()) throw std::invalid_argument("[broadcast_shapes] no shapes given");
        return broadcast_shapes(v);
      },
      "shapes"_a, "The broadcast of the shapes.");
  m.def(
      "as_strided",
      [](ArrayLike a, std::optional<Shape> shape, std::optional<std::vector<int64_t>> strides,
         int64_t offset, StreamOrDevice s) {
        array x = to_array(a);
        Shape sh = shape.value_or(x.shape());
        Strides st = strides ? Strides(*strides) : row_major_strides(sh);
        return as_strided(x, sh, st, offset, s);
      },
      "a"_a, "shape"_a = nb::none(), "strides"_a = nb::none(), "offset"_a = 0, nb::kw_only(), S,
      "A view of a's row-major elements with the given shape and strides (elements).");
  m.def(
      "depends",
      [](nb::handle inputs, nb::handle dependencies) -> nb::object {
        auto list = [](nb::handle h) {
          if (nb::isinstance<array>(h)) return std::vector<array>{nb::cast<array>(h)};
          return to_array_list(nb::borrow<nb::sequence>(h));
        };
        auto outs = depends(list(inputs), list(dependencies));
        if (nb::isinstance<array>(inputs)) return nb::cast(outs[0]);
        return nb::cast(outs);
      },
      "inputs"_a, "dependencies"_a,
      "inputs unchanged, but evaluating them also evaluates dependencies.");
  m.def(
      "view",
      [](ArrayLike a, Dtype dtype, StreamOrDevice s) { return view(to_array(a), dtype, s); }, "a"_a,
      "dtype"_a, S,
      "a's bytes read as dtype (no copy for row-contiguous a); the last dim is rescaled.");
#define TANDEM_ATLEAST(NAME, N)                                            \
  m.def(                                                                   \
      #NAME,                                                               \
      [](nb::args arys, StreamOrDevice s) -> nb::object {                  \
        if (arys.size() == 1) return nb::cast(NAME(to_array(arys[0]), s)); \
        nb::list out;                                                      \
        for (nb::handle h : arys) out.append(NAME(to_array(h), s));        \
        return out;                                                        \
      },                                                                   \
      "arys"_a, S,                                                         \
      "The arguments as arrays of at least " N                             \
      " dimensions; arrays that\n"                                         \
      "have fewer get axes of size 1 added.\n\n"                           \
      "Args:\n"                                                            \
      "    *arys: arrays or values convertible to arrays.\n\n"             \
      "Returns:\n"                                                         \
      "    One array for one argument, else a list of arrays.");
  TANDEM_ATLEAST(atleast_1d, "1")
  TANDEM_ATLEAST(atleast_2d, "2")
  TANDEM_ATLEAST(atleast_3d, "3")
#undef TANDEM_ATLEAST
}

}  // namespace tandem::py
