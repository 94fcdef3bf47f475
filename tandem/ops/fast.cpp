#include "tandem/ops/fast.h"

#include <cmath>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/matmul.h"
#include "tandem/ops/reduce.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/ops/utils.h"
#include "tandem/pool.h"
#include "tandem/primitives/row_norm.h"

namespace tandem {

void RowNorm::print(std::ostream& os) const {
  os << "RowNorm" << row_norm_op_name(op_);
  if (op_ == RowNormOp::LayerNorm || op_ == RowNormOp::RmsNorm) {
    os << "(eps=" << eps_ << (has_weight_ ? ", weight" : "") << (has_bias_ ? ", bias" : "") << ")";
  }
  if (causal_rows_ > 0)
    os << "(causal rows=" << causal_rows_ << ", offset=" << causal_offset_ << ")";
}

const char* row_norm_op_name(RowNormOp op) {
  static const char* names[] = {"Softmax", "LogSumExp", "LayerNorm", "RmsNorm"};
  return names[static_cast<int>(op)];
}

}  // namespace tandem

namespace tandem::fast {
namespace {

// The dtype these ops compute in: float32 for the half types.
Dtype compute_type(Dtype t) {
  return t == float16 || t == bfloat16 ? float32 : t;
}

void check_last_axis(const char* op, const char* what, const array& x, const array& p) {
  if (x.ndim() == 0) invalid(op, "x must have at least one dimension; got a 0-d array");
  if (p.ndim() != 1 || p.shape()[0] != x.shape(-1)) {
    invalid(op, what, " must be 1-d with the last axis's size ", x.shape(-1), "; got shape ",
            p.shape());
  }
}

}  // namespace

namespace detail {

array rms_norm_composite(const array& x, const std::optional<array>& weight, float eps,
                         StreamOrDevice s) {
  Dtype t = compute_type(x.dtype());
  array xf = astype(x, t, s);
  array r = rsqrt(add(mean(square(xf, s), -1, true, s), array(eps, t), s), s);
  array y = multiply(xf, r, s);
  if (weight) y = multiply(y, astype(*weight, t, s), s);
  return astype(y, x.dtype(), s);
}

array layer_norm_composite(const array& x, const std::optional<array>& weight,
                           const std::optional<array>& bias, float eps, StreamOrDevice s) {
  Dtype t = compute_type(x.dtype());
  array xf = astype(x, t, s);
  array m = mean(xf, -1, true, s);
  array c = subtract(xf, m, s);
  array v = mean(square(c, s), -1, true, s);
  array y = multiply(c, rsqrt(add(v, array(eps, t), s), s), s);
  if (weight) y = multiply(y, astype(*weight, t, s), s);
  if (bias) y = add(y, astype(*bias, t, s), s);
  return astype(y, x.dtype(), s);
}

}  // namespace detail

namespace {

// The fused node of a normalization of x with optional weight and bias
// (1-d, checked), both taken in x's compute type.
array row_norm_node(RowNormOp op, const array& x, const std::optional<array>& weight,
                    const std::optional<array>& bias, float eps, StreamOrDevice s) {
  Dtype t = compute_type(x.dtype());
  std::vector<array> inputs{x};
  if (weight) inputs.push_back(astype(*weight, t, s));
  if (bias) inputs.push_back(astype(*bias, t, s));
  return array(x.shape(), x.dtype(),
               make_pooled<RowNorm>(to_stream(s), op, eps, weight.has_value(), bias.has_value()),
               std::move(inputs));
}

}  // namespace

array rms_norm(const array& x, const std::optional<array>& weight, float eps, StreamOrDevice s) {
  if (weight) check_last_axis("rms_norm", "weight", x, *weight);
  if (x.ndim() == 0) invalid("rms_norm", "x must have at least one dimension; got a 0-d array");
  if (!is_floating_point(x.dtype())) {
    invalid("rms_norm", "needs a floating-point array; got ", x.dtype());
  }
  if (x.size() == 0) return detail::rms_norm_composite(x, weight, eps, s);
  return row_norm_node(RowNormOp::RmsNorm, x, weight, std::nullopt, eps, s);
}

array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s) {
  if (weight) check_last_axis("layer_norm", "weight", x, *weight);
  if (bias) check_last_axis("layer_norm", "bias", x, *bias);
  if (x.ndim() == 0) invalid("layer_norm", "x must have at least one dimension; got a 0-d array");
  if (!is_floating_point(x.dtype())) {
    invalid("layer_norm", "needs a floating-point array; got ", x.dtype());
  }
  if (x.size() == 0) return detail::layer_norm_composite(x, weight, bias, eps, s);
  return row_norm_node(RowNormOp::LayerNorm, x, weight, bias, eps, s);
}

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const std::variant<int, array>& offset, const std::optional<array>& freqs,
           StreamOrDevice s) {
  if (x.ndim() < 2)
    invalid("rope", "x must have at least 2 dimensions (T, D); got shape ", x.shape());
  int D = x.shape(-1), T = x.shape(-2);
  if (dims <= 0 || dims > D || dims % 2) {
    invalid("rope", "dims must be even and within the last axis (", D, "); got ", dims);
  }
  if (base.has_value() == freqs.has_value()) {
    invalid("rope", "exactly one of base and freqs must be given");
  }
  int half = dims / 2;
  if (freqs && (freqs->ndim() != 1 || freqs->shape()[0] != half)) {
    invalid("rope", "freqs must be 1-d of size dims / 2 = ", half, "; got shape ", freqs->shape());
  }
  Dtype t = compute_type(x.dtype());
  if (!is_floating_point(t)) invalid("rope", "needs a floating-point array; got ", x.dtype());
  // Positions (T,) or, for per-example offsets, (B, 1, ..., T).
  array pos = arange(0.0, static_cast<double>(T), 1.0, float32, s);
  if (auto* o = std::get_if<int>(&offset)) {
    pos = add(pos, array(static_cast<float>(*o)), s);
  } else {
    const array& oa = std::get<array>(offset);
    if (oa.size() == 1) {
      pos = add(pos, reshape(astype(oa, float32, s), {}, s), s);
    } else if (oa.ndim() == 1 && oa.shape()[0] == x.shape(0)) {
      Shape sh(x.ndim() - 1, 1);
      sh[0] = x.shape(0);
      pos = add(reshape(astype(oa, float32, s), sh, s), pos, s);
    } else {
      invalid("rope", "offset must be one value or one per batch element (", x.shape(0),
              "); got shape ", oa.shape());
    }
  }
  array inv = freqs ? reciprocal(astype(*freqs, float32, s), s)
                    : exp(multiply(arange(0.0, static_cast<double>(half), 1.0, float32, s),
                                   array(static_cast<float>(-2.0 * std::log(*base) / dims)), s),
                          s);
  // angles: (..., T, half)
  array ang = multiply(multiply(expand_dims(pos, -1, s), array(scale), s), inv, s);
  array c = astype(cos(ang, s), t, s), sn = astype(sin(ang, s), t, s);
  array xf = astype(x, t, s);
  Shape start(x.ndim(), 0), stop = x.shape(), step(x.ndim(), 1);
  auto part = [&](int from, int to, int stride) {
    Shape a = start, b = stop, st = step;
    a.back() = from;
    b.back() = to;
    st.back() = stride;
    return slice(xf, a, b, st, s);
  };
  array x1 = traditional ? part(0, dims, 2) : part(0, half, 1);
  array x2 = traditional ? part(1, dims, 2) : part(half, dims, 1);
  array o1 = subtract(multiply(x1, c, s), multiply(x2, sn, s), s);
  array o2 = add(multiply(x1, sn, s), multiply(x2, c, s), s);
  array rotated = traditional ? reshape(
                                    stack({o1, o2}, -1, s),
                                    [&] {
                                      Shape sh = o1.shape();
                                      sh.back() = dims;
                                      return sh;
                                    }(),
                                    s)
                              : concatenate({o1, o2}, -1, s);
  if (dims < D) rotated = concatenate({rotated, part(dims, D, 1)}, -1, s);
  return astype(rotated, x.dtype(), s);
}

array scaled_dot_product_attention(const array& q, const array& k, const array& v, float scale,
                                   const std::variant<std::monostate, std::string, array>& mask,
                                   StreamOrDevice s) {
  const char* op = "scaled_dot_product_attention";
  if (q.ndim() != 4 || k.ndim() != 4 || v.ndim() != 4) {
    invalid(op, "q, k and v must be 4-d (B, heads, T, D); got shapes ", q.shape(), ", ", k.shape(),
            " and ", v.shape());
  }
  int hq = q.shape(1), hkv = k.shape(1);
  if (v.shape(1) != hkv || k.shape(2) != v.shape(2) || q.shape(-1) != k.shape(-1) || hkv == 0 ||
      hq % hkv) {
    invalid(op,
            "k and v must share heads and length, q's heads must be a multiple of theirs and "
            "q and k must share D; got shapes ",
            q.shape(), ", ", k.shape(), " and ", v.shape());
  }
  int B = q.shape(0), tq = q.shape(2), tkv = k.shape(2), rep = hq / hkv;
  Dtype t = q.dtype();
  // Grouped queries: (B, Hkv, rep * Tq, D) against each key head.
  array qs = multiply(q, array(scale, t), s);
  if (rep > 1) qs = reshape(qs, {B, hkv, rep * tq, q.shape(-1)}, s);
  array product = matmul(qs, swapaxes(k, -1, -2, s), s);
  if (rep > 1) product = reshape(product, {B, hq, tq, tkv}, s);
  auto* name = std::get_if<std::string>(&mask);
  if (name && *name != "causal") {
    invalid(op, "mask must be an array or \"causal\"; got \"", *name, "\"");
  }
  // The probabilities, in v's dtype.
  auto probabilities = [&] {
    Dtype pt = product.dtype();
    if (name && (pt == float32 || pt == bfloat16 || pt == float16) && product.size() > 0) {
      // One pass over the scores: the softmax reads them in q's dtype
      // (computing in float32) and applies the causal mask itself.
      return array(
          product.shape(), pt,
          make_pooled<RowNorm>(to_stream(s), RowNormOp::Softmax, 0.f, false, false, tq, tkv - tq),
          {product});
    }
    array scores = astype(product, float32, s);
    if (name) {
      // Query i (aligned to the end of the keys) sees keys j <= i + tkv - tq.
      array qi = reshape(arange(0, tq, 1, int32, s), {tq, 1}, s);
      array kj = reshape(arange(0, tkv, 1, int32, s), {1, tkv}, s);
      array keep = less_equal(kj, add(qi, array(tkv - tq, int32), s), s);
      scores = where(keep, scores, array(-INFINITY, float32), s);
    } else if (auto* m = std::get_if<array>(&mask)) {
      scores = m->dtype() == bool_ ? where(*m, scores, array(-INFINITY, float32), s)
                                   : add(scores, astype(*m, float32, s), s);
    }
    return softmax(scores, -1, false, s);
  };
  array p = astype(probabilities(), v.dtype(), s);
  if (rep > 1) p = reshape(p, {B, hkv, rep * tq, tkv}, s);
  array out = matmul(p, v, s);
  if (rep > 1) out = reshape(out, {B, hq, tq, v.shape(-1)}, s);
  return out;
}

array cross_entropy(const array& logits, const array& targets, StreamOrDevice s) {
  if (logits.ndim() == 0) {
    invalid("cross_entropy", "logits must have at least one dimension; got a 0-d array");
  }
  if (!is_floating_point(logits.dtype())) {
    invalid("cross_entropy", "logits must be real floating point; got ", logits.dtype());
  }
  if (!is_integral(targets.dtype())) {
    invalid("cross_entropy", "targets must be integer class indices; got ", targets.dtype());
  }
  Shape batch(logits.shape().begin(), logits.shape().end() - 1);
  if (targets.shape() != batch) {
    invalid("cross_entropy", "targets shape ", targets.shape(), " does not match logits shape ",
            logits.shape(), " with the last axis removed");
  }
  if (logits.shape(-1) == 0) {
    invalid("cross_entropy", "the class axis of logits (shape ", logits.shape(), ") is empty");
  }
  array x = astype(logits, float32, s);
  array picked = squeeze(take_along_axis(x, expand_dims(targets, -1, s), -1, s), -1, s);
  return subtract(logsumexp(x, -1, false, s), picked, s);
}

}  // namespace tandem::fast
