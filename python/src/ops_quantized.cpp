// Module-level ops of the quantization family (tandem/ops/quantized.h).
#include "python/src/ops_common.h"
#include "tandem/ops/quantized.h"

namespace tandem::py {
namespace {

// None or an array-like argument.
std::optional<array> opt_array(nb::handle h) {
  if (h.is_none()) return std::nullopt;
  return is_array(h) ? as_array(h) : to_array(h);
}

// MLX's global_scale (nvfp4's second-level float32 scale) is not here yet:
// nvfp4 runs with its per-group e4m3 scales alone.
void no_global_scale(const char* op, nb::handle g) {
  if (!g.is_none()) {
    throw std::invalid_argument(std::string("[") + op +
                                "] global_scale is not supported yet (nvfp4 quantizes with its "
                                "per-group scales alone); pass global_scale=None.");
  }
}

}  // namespace

void init_ops_quantized(nb::module_& m) {
  m.def(
      "to_fp8", [](ArrayLike x, StreamOrDevice s) { return to_fp8(to_array(x), s); }, "x"_a,
      nb::kw_only(), S,
      "float8 e4m3 codes (uint8) of a real floating array: rounded to nearest even, "
      "saturating at +-448 (infinities and NaN too, by sign), as MLX's.");
  m.def(
      "from_fp8",
      [](ArrayLike x, Dtype dtype, StreamOrDevice s) { return from_fp8(to_array(x), dtype, s); },
      "x"_a, "dtype"_a = bfloat16, nb::kw_only(), S,
      "The values of float8 e4m3 codes (uint8) in a real floating dtype (bfloat16 by "
      "default); 0x7f and 0xff are NaN.");
  m.def(
      "quantize",
      [](ArrayLike w, std::optional<int> group_size, std::optional<int> bits,
         const std::string& mode, nb::handle global_scale, StreamOrDevice s) {
        no_global_scale("quantize", global_scale);
        auto out = quantize(to_array(w), group_size, bits, mode, s);
        nb::list l;
        for (auto& a : out) l.append(wrap(a));
        return nb::tuple(l);
      },
      "w"_a, "group_size"_a = nb::none(), "bits"_a = nb::none(), "mode"_a = "affine", nb::kw_only(),
      "global_scale"_a = nb::none(), S,
      "Quantizes groups of group_size elements of each row of w to bits bits each: returns "
      "(w_q, scales, biases) for mode 'affine', (w_q, scales) for the microscaling modes "
      "'mxfp4', 'mxfp8' and 'nvfp4' (uint8 scales), w_q packed little-endian into uint32 "
      "words as MLX packs them.");
  m.def(
      "dequantize",
      [](ArrayLike w, ArrayLike scales, nb::handle biases, std::optional<int> group_size,
         std::optional<int> bits, const std::string& mode, nb::handle global_scale,
         std::optional<Dtype> dtype, StreamOrDevice s) {
        no_global_scale("dequantize", global_scale);
        return dequantize(to_array(w), to_array(scales), opt_array(biases), group_size, bits, mode,
                          dtype, s);
      },
      "w"_a, "scales"_a, "biases"_a = nb::none(), "group_size"_a = nb::none(),
      "bits"_a = nb::none(), "mode"_a = "affine", "global_scale"_a = nb::none(),
      "dtype"_a = nb::none(), nb::kw_only(), S,
      "The matrix w_q stands for: scale * code + bias per group (affine), code * scale "
      "(microscaling modes), in dtype (default: the scales' dtype for affine, bfloat16 "
      "otherwise).");
  m.def(
      "quantized_matmul",
      [](ArrayLike x, ArrayLike w, ArrayLike scales, nb::handle biases, bool transpose,
         std::optional<int> group_size, std::optional<int> bits, const std::string& mode,
         StreamOrDevice s) {
        return quantized_matmul(to_array(x), to_array(w), to_array(scales), opt_array(biases),
                                transpose, group_size, bits, mode, s);
      },
      "x"_a, "w"_a, "scales"_a, "biases"_a = nb::none(), "transpose"_a = true,
      "group_size"_a = nb::none(), "bits"_a = nb::none(), "mode"_a = "affine", nb::kw_only(), S,
      "x @ dequantize(w).T (transpose=True) or x @ dequantize(w).");
  m.def(
      "gather_qmm",
      [](ArrayLike x, ArrayLike w, ArrayLike scales, nb::handle biases, nb::handle lhs_indices,
         nb::handle rhs_indices, bool transpose, std::optional<int> group_size,
         std::optional<int> bits, const std::string& mode, nb::handle global_scale,
         bool sorted_indices, StreamOrDevice s) {
        no_global_scale("gather_qmm", global_scale);
        return gather_qmm(to_array(x), to_array(w), to_array(scales), opt_array(biases),
                          opt_array(lhs_indices), opt_array(rhs_indices), transpose, group_size,
                          bits, mode, sorted_indices, s);
      },
      "x"_a, "w"_a, "scales"_a, "biases"_a = nb::none(), "lhs_indices"_a = nb::none(),
      "rhs_indices"_a = nb::none(), "transpose"_a = true, "group_size"_a = nb::none(),
      "bits"_a = nb::none(), "mode"_a = "affine", "global_scale"_a = nb::none(), nb::kw_only(),
      "sorted_indices"_a = false, S,
      "quantized_matmul of the matrices of x and w picked by flat batch indices.");
  m.def(
      "qqmm",
      [](ArrayLike x, ArrayLike w, nb::handle scales, std::optional<int> group_size,
         std::optional<int> bits, const std::string& mode, nb::handle global_scale_x,
         nb::handle global_scale_w, StreamOrDevice s) {
        no_global_scale("qqmm", global_scale_x);
        no_global_scale("qqmm", global_scale_w);
        return qqmm(to_array(x), to_array(w), opt_array(scales), group_size, bits, mode, s);
      },
      "x"_a, "w"_a, "scales"_a = nb::none(), "group_size"_a = nb::none(), "bits"_a = nb::none(),
      "mode"_a = "nvfp4", "global_scale_x"_a = nb::none(), "global_scale_w"_a = nb::none(),
      nb::kw_only(), S,
      "x @ w.T with x quantized on the fly and w quantized on the fly unless given quantized "
      "(uint32 words with scales); modes 'nvfp4' (default) and 'mxfp8'. Gradients pass "
      "straight through the quantizers (w takes one only when given unquantized).");
  m.def(
      "gather_qqmm",
      [](ArrayLike x, ArrayLike w, nb::handle scales, nb::handle lhs_indices,
         nb::handle rhs_indices, std::optional<int> group_size, std::optional<int> bits,
         const std::string& mode, nb::handle global_scale_x, nb::handle global_scale_w,
         bool /*sorted_indices*/, StreamOrDevice s) {
        no_global_scale("gather_qqmm", global_scale_x);
        no_global_scale("gather_qqmm", global_scale_w);
        return gather_qqmm(to_array(x), to_array(w), opt_array(scales), opt_array(lhs_indices),
                           opt_array(rhs_indices), group_size, bits, mode, s);
      },
      "x"_a, "w"_a, "scales"_a = nb::none(), "lhs_indices"_a = nb::none(),
      "rhs_indices"_a = nb::none(), "group_size"_a = nb::none(), "bits"_a = nb::none(),
      "mode"_a = "nvfp4", "global_scale_x"_a = nb::none(), "global_scale_w"_a = nb::none(),
      nb::kw_only(), "sorted_indices"_a = false, S,
      "qqmm of the matrices of x and w picked by flat batch indices.");
}

}  // namespace tandem::py
