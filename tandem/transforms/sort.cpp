// Transform rules of the sort family: a sorted (or partitioned) output is a
// permutation of its input, so derivatives follow the permutation.
#include "tandem/ops/sort.h"

#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/pool.h"
#include "tandem/primitives/sort.h"
#include "tandem/transforms/rules.h"

namespace tandem {
namespace {

// Cotangent g of x[perm] back at x's positions; tangent t of x moved to the output's.
array unpermute(const array& g, const array& perm, int axis, Stream s) {
  return put_along_axis(zeros_like(g, s), perm, g, axis, s);
}

}  // namespace

std::vector<array> Sort::vjp(const std::vector<array>& primals,
                             const std::vector<array>& cotangents, const std::vector<int>&,
                             const std::vector<array>&) {
  Stream s = stream();
  return {unpermute(cotangents[0], argsort(primals[0], axis_, s), axis_, s)};
}

std::vector<array> Sort::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>&, const std::vector<array>&) {
  Stream s = stream();
  return {take_along_axis(tangents[0], argsort(primals[0], axis_, s), axis_, s)};
}

std::vector<array> Partition::vjp(const std::vector<array>& primals,
                                  const std::vector<array>& cotangents, const std::vector<int>&,
                                  const std::vector<array>&) {
  Stream s = stream();
  return {unpermute(cotangents[0], argpartition(primals[0], kth_, axis_, s), axis_, s)};
}

std::vector<array> Partition::jvp(const std::vector<array>& primals,
                                  const std::vector<array>& tangents, const std::vector<int>&,
                                  const std::vector<array>&) {
  Stream s = stream();
  return {take_along_axis(tangents[0], argpartition(primals[0], kth_, axis_, s), axis_, s)};
}

// Indices carry no derivative.
std::vector<array> ArgSort::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                const std::vector<int>& argnums, const std::vector<array>&) {
  return rules::zero_vjps(primals, argnums, stream());
}

std::vector<array> ArgSort::jvp(const std::vector<array>&, const std::vector<array>&,
                                const std::vector<int>&, const std::vector<array>& outputs) {
  return rules::zero_jvps(outputs, stream());
}

std::vector<array> ArgPartition::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                     const std::vector<int>& argnums, const std::vector<array>&) {
  return rules::zero_vjps(primals, argnums, stream());
}

std::vector<array> ArgPartition::jvp(const std::vector<array>&, const std::vector<array>&,
                                     const std::vector<int>&, const std::vector<array>& outputs) {
  return rules::zero_jvps(outputs, stream());
}

namespace {
template <class P, class... A>
std::pair<std::vector<array>, std::vector<int>> along_axis(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes,
                                                           const std::vector<array>& outputs,
                                                           Stream s, A... args) {
  array x = rules::batch_front(inputs[0], axes[0], 0, s);
  return {{array(x.shape(), outputs[0].dtype(), make_pooled<P>(s, args...), {x})}, {0}};
}
}  // namespace

std::pair<std::vector<array>, std::vector<int>> Sort::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes,
                                                           const std::vector<array>& outputs) {
  return along_axis<Sort>(inputs, axes, outputs, stream(), axis_ + 1);
}

std::pair<std::vector<array>, std::vector<int>> ArgSort::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes,
                                                              const std::vector<array>& outputs) {
  return along_axis<ArgSort>(inputs, axes, outputs, stream(), axis_ + 1);
}

std::pair<std::vector<array>, std::vector<int>> Partition::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes,
                                                                const std::vector<array>& outputs) {
  return along_axis<Partition>(inputs, axes, outputs, stream(), kth_, axis_ + 1);
}

std::pair<std::vector<array>, std::vector<int>> ArgPartition::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes,
    const std::vector<array>& outputs) {
  return along_axis<ArgPartition>(inputs, axes, outputs, stream(), kth_, axis_ + 1);
}

}  // namespace tandem
