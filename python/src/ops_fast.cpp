// tandem.core.fast: mlx.core.fast's composite ops (tandem/ops/fast.h).
#include <nanobind/stl/variant.h>

#include "python/src/common.h"
#include "tandem/ops/fast.h"

namespace tandem::py {
namespace {
const auto S = "stream"_a = nb::none();

std::optional<array> opt_array(const std::optional<ArrayLike>& a) {
  if (!a) return std::nullopt;
  return to_array(*a);
}
}  // namespace

void init_ops_fast(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("fast", "Fused composite operations (mlx.core.fast).");
  m.def(
      "rms_norm",
      [](ArrayLike x, std::optional<ArrayLike> weight, float eps, StreamOrDevice s) {
        return fast::rms_norm(to_array(x), opt_array(weight), eps, s);
      },
      "x"_a, "weight"_a.none(), "eps"_a, nb::kw_only(), S,
      "x * rsqrt(mean(x**2, axis=-1) + eps) * weight (weight may be None).");
  m.def(
      "layer_norm",
      [](ArrayLike x, std::optional<ArrayLike> weight, std::optional<ArrayLike> bias, float eps,
         StreamOrDevice s) {
        return fast::layer_norm(to_array(x), opt_array(weight), opt_array(bias), eps, s);
      },
      "x"_a, "weight"_a.none(), "bias"_a.none(), "eps"_a, nb::kw_only(), S,
      "Layer normalization over the last axis, with optional weight and bias.");
  m.def(
      "rope",
      [](ArrayLike a, int dims, bool traditional, std::optional<float> base, float scale,
         nb::handle offset, std::optional<ArrayLike> freqs, StreamOrDevice s) {
        std::variant<int, array> off;
        if (PyLong_Check(offset.ptr())) {
          off = nb::cast<int>(offset);
        } else {
          off = to_array(offset);
        }
        return fast::rope(to_array(a), dims, traditional, base, scale, off, opt_array(freqs), s);
      },
      "a"_a, "dims"_a, nb::kw_only(), "traditional"_a, "base"_a.none(), "scale"_a, "offset"_a,
      "freqs"_a = nb::none(), S,
      nb::sig(
          "def rope(a: tandem.core.array, dims: int, *, traditional: bool, base: float | None, "
          "scale: "
          "float, offset: int | tandem.core.array, freqs: tandem.core.array | None = None, stream: "
          "tandem.core.Stream | tandem.core.Device | tandem.core.DeviceType | None = None) "
          "-> tandem.core.array"),
      "Rotary positional encoding of the first dims features of the last axis.");
  m.def(
      "scaled_dot_product_attention",
      [](ArrayLike q, ArrayLike k, ArrayLike v, float scale, nb::handle mask,
         std::optional<ArrayLike> sinks, StreamOrDevice s) {
        if (sinks) {
          throw nb::value_error("[scaled_dot_product_attention] sinks are not supported yet");
        }
        std::variant<std::monostate, std::string, array> m;
        if (PyUnicode_Check(mask.ptr())) {
          m = nb::cast<std::string>(mask);
        } else if (!mask.is_none()) {
          m = to_array(mask);
        }
        return fast::scaled_dot_product_attention(to_array(q), to_array(k), to_array(v), scale, m,
                                                  s);
      },
      "q"_a, "k"_a, "v"_a, nb::kw_only(), "scale"_a, "mask"_a = nb::none(), "sinks"_a = nb::none(),
      S,
      nb::sig("def scaled_dot_product_attention(q: tandem.core.array, k: tandem.core.array, v: "
              "tandem.core.array, *, scale: float, "
              "mask: None | str | tandem.core.array = None, sinks: tandem.core.array | None = "
              "None, stream: tandem.core.Stream | tandem.core.Device | tandem.core.DeviceType | "
              "None = None) -> tandem.core.array"),
      "softmax(q @ k.T * scale + mask) @ v, with grouped-query heads; the softmax in float32.");
  m.def(
      "cross_entropy",
      [](ArrayLike logits, ArrayLike targets, StreamOrDevice s) {
        return fast::cross_entropy(to_array(logits), to_array(targets), s);
      },
      "logits"_a, "targets"_a, nb::kw_only(), S,
      "logsumexp(logits, axis=-1) - logits[..., targets]: the cross entropy of logits against "
      "integer class indices targets (logits' shape without the last axis), in float32.");
}

}  // namespace tandem::py
