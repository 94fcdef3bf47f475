// Module-level ops of the convolution family (tandem/ops/conv.h).
#include "python/src/ops_common.h"
#include "tandem/ops/conv.h"

namespace tandem::py {
namespace {

// An int or a sequence of ints, as MLX's conv arguments take them.
std::vector<int> int_or_list(nb::handle v, const char* what) {
  if (PyLong_Check(v.ptr())) return {nb::cast<int>(v)};
  if (nb::isinstance<nb::sequence>(v)) return nb::cast<std::vector<int>>(v);
  throw nb::type_error(
      (std::string("[conv] ") + what + " must be an int or a sequence of ints").c_str());
}

// conv_general's padding: an int, a list (symmetric), or a pair of lists
// (low, high).
std::pair<std::vector<int>, std::vector<int>> padding_arg(nb::handle v) {
  if (nb::isinstance<nb::tuple>(v) && nb::len(v) == 2 &&
      !PyLong_Check(nb::borrow<nb::tuple>(v)[0].ptr())) {
    auto t = nb::borrow<nb::tuple>(v);
    return {int_or_list(t[0], "padding"), int_or_list(t[1], "padding")};
  }
  auto p = int_or_list(v, "padding");
  return {p, p};
}

}  // namespace

void init_ops_conv(nb::module_& m) {
  m.def(
      "conv_general",
      [](ArrayLike input, ArrayLike weight, nb::handle stride, nb::handle padding,
         nb::handle kernel_dilation, nb::handle input_dilation, int groups, bool flip,
         StreamOrDevice s) {
        auto [x, w] = to_arrays(input.h, weight.h);
        auto [lo, hi] = padding_arg(padding);
        return conv_general(x, w, int_or_list(stride, "stride"), lo, hi,
                            int_or_list(kernel_dilation, "kernel_dilation"),
                            int_or_list(input_dilation, "input_dilation"), groups, flip, s);
      },
      "input"_a, "weight"_a, "stride"_a = 1, "padding"_a = 0, "kernel_dilation"_a = 1,
      "input_dilation"_a = 1, "groups"_a = 1, "flip"_a = false, nb::kw_only(), S,
      "General convolution: input (N, ..., C_in), weight (C_out, ..., C_in / groups). padding "
      "is an int, a list, or a (low, high) pair of lists.");
  for (int d = 1; d <= 3; ++d) {
    std::string name = "conv" + std::to_string(d) + "d";
    m.def(
        name.c_str(),
        [d](ArrayLike input, ArrayLike weight, nb::handle stride, nb::handle padding,
            nb::handle dilation, int groups, StreamOrDevice s) {
          auto [x, w] = to_arrays(input.h, weight.h);
          if (x.ndim() != d + 2) {
            throw std::invalid_argument("[conv" + std::to_string(d) + "d] expects an input of " +
                                        std::to_string(d + 2) + " dims (N, ..., C_in); got " +
                                        shape_str(x.shape()));
          }
          auto p = int_or_list(padding, "padding");
          return conv_general(x, w, int_or_list(stride, "stride"), p, p,
                              int_or_list(dilation, "dilation"), {1}, groups, false, s);
        },
        "input"_a, "weight"_a, "stride"_a = 1, "padding"_a = 0, "dilation"_a = 1, "groups"_a = 1,
        nb::kw_only(), S,
        (std::to_string(d) + "-d cross-correlation over channels-last inputs.").c_str());
    std::string tname = "conv_transpose" + std::to_string(d) + "d";
    m.def(
        tname.c_str(),
        [d](ArrayLike input, ArrayLike weight, nb::handle stride, nb::handle padding,
            nb::handle dilation, nb::handle output_padding, int groups, StreamOrDevice s) {
          auto [x, w] = to_arrays(input.h, weight.h);
          if (x.ndim() != d + 2) {
            throw std::invalid_argument("[conv_transpose" + std::to_string(d) +
                                        "d] expects an input of " + std::to_string(d + 2) +
                                        " dims (N, ..., C_in); got " + shape_str(x.shape()));
          }
          return conv_transpose(x, w, int_or_list(stride, "stride"),
                                int_or_list(padding, "padding"), int_or_list(dilation, "dilation"),
                                int_or_list(output_padding, "output_padding"), groups, s);
        },
        "input"_a, "weight"_a, "stride"_a = 1, "padding"_a = 0, "dilation"_a = 1,
        "output_padding"_a = 0, "groups"_a = 1, nb::kw_only(), S,
        (std::to_string(d) + "-d transposed convolution over channels-last inputs.").c_str());
  }
  m.def(
      "convolve",
      [](ArrayLike a, ArrayLike v, const std::string& mode, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, v.h);
        return convolve(x, y, mode, s);
      },
      "a"_a, "v"_a, "mode"_a = "full", nb::kw_only(), S,
      "Discrete convolution of two 1-d arrays, as NumPy's convolve.");
}

}  // namespace tandem::py
