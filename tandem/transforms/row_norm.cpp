// Transform rules of the RowNorm primitive, written with ops in the compute
// type (float32 for half inputs) and cast back to each primal's dtype. The
// derivatives are those of the composites the primitive replaces:
//  softmax      dx = y * (g - sum(g * y))
//  logsumexp    dx = g * softmax(x)
//  layer norm   xh = (x - mean) * rstd, h = g * w:
//               dx = rstd * (h - mean(h) - xh * mean(h * xh)),
//               dw = sum(g * xh), db = sum(g) over the leading axes
//  rms norm     r = rsqrt(mean(x^2) + eps), h = g * w:
//               dx = r * (h - x * r^2 * mean(h * x)), dw = sum(g * x * r)
// (sums and means over the last axis unless said otherwise).
#include "tandem/primitives/row_norm.h"

#include <optional>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/fast.h"
#include "tandem/ops/reduce.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/pool.h"
#include "tandem/transforms/rules.h"

namespace tandem {
namespace {

Dtype compute_type(Dtype t) {
  return t == float16 || t == bfloat16 ? float32 : t;
}

// a summed over every axis but the last.
array sum_leading(const array& a, Stream s) {
  if (a.ndim() <= 1) return a;
  std::vector<int> axes;
  for (int i = 0; i + 1 < a.ndim(); ++i) axes.push_back(i);
  return sum(a, axes, false, s);
}

// The pieces of the normalizations' derivatives, in the compute type t.
struct Norm {
  array xf;     // x
  array scale;  // rstd (layer norm) or r (rms norm), (..., 1)
  array xhat;   // the normalized x before weight and bias
};

Norm norm_parts(RowNormOp op, const array& x, float eps, Stream s) {
  Dtype t = compute_type(x.dtype());
  array xf = astype(x, t, s);
  array e(eps, t);
  if (op == RowNormOp::LayerNorm) {
    array c = subtract(xf, mean(xf, -1, true, s), s);
    array rstd = rsqrt(add(mean(square(c, s), -1, true, s), e, s), s);
    return {xf, rstd, multiply(c, rstd, s)};
  }
  array r = rsqrt(add(mean(square(xf, s), -1, true, s), e, s), s);
  return {xf, r, multiply(xf, r, s)};
}

// d(normalized x) for a cotangent or tangent h of it (the same linear map,
// which is symmetric).
array norm_dx(RowNormOp op, const Norm& p, const array& h, Stream s) {
  if (op == RowNormOp::LayerNorm) {
    array inner = subtract(subtract(h, mean(h, -1, true, s), s),
                           multiply(p.xhat, mean(multiply(h, p.xhat, s), -1, true, s), s), s);
    return multiply(p.scale, inner, s);
  }
  // r * (h - xhat * mean(h * xhat)), the rms form with x * r = xhat.
  array inner = subtract(h, multiply(p.xhat, mean(multiply(h, p.xhat, s), -1, true, s), s), s);
  return multiply(p.scale, inner, s);
}

}  // namespace

std::vector<array> RowNorm::vjp(const std::vector<array>& primals,
                                const std::vector<array>& cotangents,
                                const std::vector<int>& argnums,
                                const std::vector<array>& outputs) {
  Stream s = stream();
  const array& x = primals[0];
  Dtype t = compute_type(x.dtype());
  array g = astype(cotangents[0], t, s);
  std::vector<array> res;
  if (op_ == RowNormOp::Softmax || op_ == RowNormOp::LogSumExp) {
    array dx = g;
    if (op_ == RowNormOp::Softmax) {
      array y = astype(outputs[0], t, s);
      dx = multiply(y, subtract(g, sum(multiply(g, y, s), -1, true, s), s), s);
    } else {
      dx = multiply(g, softmax(astype(x, t, s), std::vector<int>{-1}, false, s), s);
    }
    for (size_t i = 0; i < argnums.size(); ++i) res.push_back(astype(dx, x.dtype(), s));
    return res;
  }
  Norm p = norm_parts(op_, x, eps_, s);
  int wi = has_weight_ ? 1 : -1;  // the bias, when there is one, follows
  for (int a : argnums) {
    if (a == 0) {
      array h = has_weight_ ? multiply(g, primals[wi], s) : g;
      res.push_back(astype(norm_dx(op_, p, h, s), x.dtype(), s));
    } else if (a == wi) {
      res.push_back(astype(sum_leading(multiply(g, p.xhat, s), s), primals[a].dtype(), s));
    } else {
      res.push_back(astype(sum_leading(g, s), primals[a].dtype(), s));
    }
  }
  return res;
}

std::vector<array> RowNorm::jvp(const std::vector<array>& primals,
                                const std::vector<array>& tangents, const std::vector<int>& argnums,
                                const std::vector<array>& outputs) {
  Stream s = stream();
  const array& x = primals[0];
  const array& out = outputs[0];
  Dtype t = compute_type(x.dtype());
  // Only x's tangent matters for softmax and logsumexp (their one input).
  if (op_ == RowNormOp::Softmax || op_ == RowNormOp::LogSumExp) {
    array tx = astype(tangents[0], t, s);
    array r = tx;
    if (op_ == RowNormOp::Softmax) {
      array y = astype(out, t, s);
      r = multiply(y, subtract(tx, sum(multiply(tx, y, s), -1, true, s), s), s);
    } else {
      array sm = softmax(astype(x, t, s), std::vector<int>{-1}, false, s);
      r = sum(multiply(tx, sm, s), -1, true, s);
    }
    return {astype(r, out.dtype(), s)};
  }
  Norm p = norm_parts(op_, x, eps_, s);
  int wi = has_weight_ ? 1 : -1;
  std::optional<array> acc;
  for (size_t i = 0; i < argnums.size(); ++i) {
    int a = argnums[i];
    array ti = astype(tangents[i], t, s);
    array term = ti;
    if (a == 0) {
      term = norm_dx(op_, p, ti, s);
      if (has_weight_) term = multiply(term, primals[wi], s);
    } else if (a == wi) {
      term = multiply(p.xhat, ti, s);
    }
    acc = acc ? add(*acc, term, s) : term;
  }
  return {astype(broadcast_to(*acc, out.shape(), s), out.dtype(), s)};
}

std::pair<std::vector<array>, std::vector<int>> RowNorm::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes,
                                                              const std::vector<array>& outputs) {
  Stream s = stream();
  int b = rules::batch_size(inputs, axes);
  array x = rules::batch_front(inputs[0], axes[0], b, s);
  bool params_batched = false;
  for (size_t i = 1; i < inputs.size(); ++i) params_batched |= axes[i] >= 0;
  if (!params_batched) {
    // The primitive works on the last axis: the batch in front changes nothing.
    std::vector<array> in{x};
    for (size_t i = 1; i < inputs.size(); ++i) in.push_back(inputs[i]);
    Shape shape = x.shape();
    if (op_ == RowNormOp::LogSumExp) shape.back() = 1;
    return {{array(shape, outputs[0].dtype(),
                   make_pooled<RowNorm>(s, op_, eps_, has_weight_, has_bias_, causal_rows_,
                                        causal_offset_),
                   std::move(in))},
            {0}};
  }
  // A weight or bias per batch element: (b, n) read as (b, 1, ..., 1, n)
  // by the composite.
  auto param = [&](size_t i) {
    array p = rules::batch_front(inputs[i], axes[i], b, s);
    Shape sh(x.ndim(), 1);
    sh.front() = b;
    sh.back() = p.shape().back();
    return reshape(p, sh, s);
  };
  std::optional<array> w, bias;
  size_t k = 1;
  if (has_weight_) w = param(k++);
  if (has_bias_) bias = param(k++);
  array y = op_ == RowNormOp::LayerNorm ? fast::detail::layer_norm_composite(x, w, bias, eps_, s)
                                        : fast::detail::rms_norm_composite(x, w, eps_, s);
  return {{y}, {0}};
}

}  // namespace tandem
