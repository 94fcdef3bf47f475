// Transform rules of the Reduce and ArgReduce primitives. Reduce keeps the
// reduced axes as size 1, so a cotangent broadcasts straight back.
#include "tandem/ops/reduce.h"

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/scan.h"
#include "tandem/ops/shape.h"
#include "tandem/pool.h"
#include "tandem/primitives/reduce.h"
#include "tandem/transforms/rules.h"

namespace tandem {
namespace {

// d prod / d x_i: the product of the other elements of x_i's reduction,
// as products of the elements before and after it (exact with zeros).
array prod_factor(const array& x, const std::vector<int>& axes, Stream s) {
  int nd = x.ndim();
  std::vector<int> perm;
  std::vector<bool> reduced(nd, false);
  for (int a : axes) reduced[a] = true;
  Shape kept;
  ShapeElem r = 1;
  for (int i = 0; i < nd; ++i) {
    if (!reduced[i]) {
      perm.push_back(i);
      kept.push_back(x.shape()[i]);
    }
  }
  for (int a : axes) {
    perm.push_back(a);
    r *= x.shape()[a];
  }
  array xt = transpose(x, perm, s);
  Shape tshape = xt.shape();
  Shape flat = kept;
  flat.push_back(r);
  array xf = reshape(xt, flat, s);
  int last = static_cast<int>(flat.size()) - 1;
  array f = multiply(cumprod(xf, last, false, false, s), cumprod(xf, last, true, false, s), s);
  std::vector<int> inverse(nd);
  for (int i = 0; i < nd; ++i) inverse[perm[i]] = i;
  return transpose(reshape(f, tshape, s), inverse, s);
}

// d out / d x as a factor of x's shape for the differentiable reductions.
std::optional<array> reduce_factor(ReduceOp op, const array& x, const array& out,
                                   const std::vector<int>& axes, Stream s) {
  switch (op) {
    case ReduceOp::Prod:
      return prod_factor(x, axes, s);
    case ReduceOp::Max:
    case ReduceOp::Min: {
      // Ties share the derivative equally (as MLX).
      array hit = astype(equal(x, out, s), x.dtype(), s);
      return divide(hit, sum(hit, axes, true, s), s);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

std::vector<array> Reduce::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>& outputs) {
  Stream s = stream();
  const array& x = primals[0];
  if (op_ == ReduceOp::And || op_ == ReduceOp::Or) return rules::zero_vjps(primals, argnums, s);
  array g = broadcast_to(astype(cotangents[0], x.dtype(), s), x.shape(), s);
  if (op_ == ReduceOp::Sum) return {g};
  auto f = reduce_factor(op_, x, outputs[0], axes_, s);
  return {multiply(g, rules::conj_if_complex(*f, s), s)};
}

std::vector<array> Reduce::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents, const std::vector<int>&,
                               const std::vector<array>& outputs) {
  Stream s = stream();
  const array& x = primals[0];
  const array& out = outputs[0];
  if (op_ == ReduceOp::And || op_ == ReduceOp::Or) return rules::zero_jvps(outputs, s);
  array t = tangents[0];
  if (op_ != ReduceOp::Sum) t = multiply(t, *reduce_factor(op_, x, out, axes_, s), s);
  return {astype(sum(t, axes_, true, s), out.dtype(), s)};
}

std::vector<array> ArgReduce::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                  const std::vector<int>& argnums, const std::vector<array>&) {
  return rules::zero_vjps(primals, argnums, stream());
}

std::vector<array> ArgReduce::jvp(const std::vector<array>&, const std::vector<array>&,
                                  const std::vector<int>&, const std::vector<array>& outputs) {
  return rules::zero_jvps(outputs, stream());
}

std::pair<std::vector<array>, std::vector<int>> Reduce::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes,
                                                             const std::vector<array>& outputs) {
  Stream s = stream();
  array x = rules::batch_front(inputs[0], axes[0], 0, s);
  std::vector<int> ax;
  for (int a : axes_) ax.push_back(a + 1);
  Shape shape = outputs[0].shape();
  shape.insert(shape.begin(), x.shape()[0]);
  return {{array(shape, outputs[0].dtype(), make_pooled<Reduce>(s, op_, ax), {x})}, {0}};
}

std::pair<std::vector<array>, std::vector<int>> ArgReduce::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes,
                                                                const std::vector<array>& outputs) {
  Stream s = stream();
  array x = rules::batch_front(inputs[0], axes[0], 0, s);
  Shape shape = outputs[0].shape();
  shape.insert(shape.begin(), x.shape()[0]);
  return {{array(shape, outputs[0].dtype(), make_pooled<ArgReduce>(s, op_, axis_ + 1), {x})}, {0}};
}

}  // namespace tandem
