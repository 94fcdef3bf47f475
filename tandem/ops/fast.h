#pragma once
// tandem::fast: the composite operations of mlx.core.fast (normalizations,
// rotary embeddings, attention). Built from the core ops, so every transform
// applies; they compute in float32 for half-precision inputs, as MLX's.
#include <optional>
#include <string>
#include <variant>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::fast {

// x * rsqrt(mean(x^2 over the last axis) + eps) * weight (weight: the last
// axis's size, or none).
array rms_norm(const array& x, const std::optional<array>& weight, float eps,
               StreamOrDevice s = {});

// (x - mean) / sqrt(var + eps) over the last axis, times weight plus bias
// (either may be left out).
array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s = {});

// Rotary positional encoding of the first `dims` features of the last axis
// of x, shaped (B, ..., T, D); position t of axis -2 turns pair j by angle
// (offset + t) * scale * base^(-2j/dims), or (offset + t) * scale / freqs[j]
// when freqs is given (then base must be none). traditional: pairs are
// adjacent features; else feature j pairs with j + dims/2. offset: an int,
// or an array holding one offset or one per batch element.
array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const std::variant<int, array>& offset, const std::optional<array>& freqs = std::nullopt,
           StreamOrDevice s = {});

// softmax(q k^T * scale + mask) v with q (B, Hq, Tq, D), k and v (B, Hkv,
// Tkv, D), Hq a multiple of Hkv (grouped-query attention). mask: none,
// "causal", a bool array (true keeps) or an additive array, broadcasting to
// (B, Hq, Tq, Tkv). The softmax is taken in float32.
array scaled_dot_product_attention(
    const array& q, const array& k, const array& v, float scale,
    const std::variant<std::monostate, std::string, array>& mask = {}, StreamOrDevice s = {});

// logsumexp(logits, -1) - logits[..., targets]: the cross entropy of logits
// (..., C) against class indices targets (...), computed and returned in
// float32. Indices outside [0, C) give unspecified values.
array cross_entropy(const array& logits, const array& targets, StreamOrDevice s = {});

namespace detail {
// The composite forms of rms_norm and layer_norm (core ops, any weight and
// bias that broadcast against x): the empty-array path, and the vmap rule's
// when the weight or bias is batched.
array rms_norm_composite(const array& x, const std::optional<array>& weight, float eps,
                         StreamOrDevice s = {});
array layer_norm_composite(const array& x, const std::optional<array>& weight,
                           const std::optional<array>& bias, float eps, StreamOrDevice s = {});
}  // namespace detail

}  // namespace tandem::fast
