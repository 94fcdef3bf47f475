// Transform rules of Arange and RandomBits: they read no differentiable
// input (RandomBits reads a key), so every derivative is zero.
#include "tandem/primitives/creation.h"

#include "tandem/ops/indexing.h"
#include "tandem/pool.h"
#include "tandem/primitives/random.h"
#include "tandem/transforms/rules.h"

namespace tandem {

std::vector<array> Arange::vjp(const std::vector<array>& primals, const std::vector<array>&,
                               const std::vector<int>& argnums, const std::vector<array>&) {
  return rules::zero_vjps(primals, argnums, stream());
}

std::vector<array> Arange::jvp(const std::vector<array>&, const std::vector<array>&,
                               const std::vector<int>&, const std::vector<array>& outputs) {
  return rules::zero_jvps(outputs, stream());
}

std::vector<array> RandomBits::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                   const std::vector<int>& argnums, const std::vector<array>&) {
  return rules::zero_vjps(primals, argnums, stream());
}

std::vector<array> RandomBits::jvp(const std::vector<array>&, const std::vector<array>&,
                                   const std::vector<int>&, const std::vector<array>& outputs) {
  return rules::zero_jvps(outputs, stream());
}

std::pair<std::vector<array>, std::vector<int>> Arange::vmap(const std::vector<array>&,
                                                             const std::vector<int>&,
                                                             const std::vector<array>& outputs) {
  return {outputs, {-1}};
}

// A batch of keys: one draw per key, stacked.
std::pair<std::vector<array>, std::vector<int>> RandomBits::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes,
    const std::vector<array>& outputs) {
  Stream s = stream();
  array keys = rules::batch_front(inputs[0], axes[0], 0, s);
  std::vector<array> draws;
  for (auto& k : unstack(keys, 0, s)) {
    draws.push_back(
        array(outputs[0].shape(), outputs[0].dtype(), make_pooled<RandomBits>(s, width_), {k}));
  }
  return {{stack(draws, 0, s)}, {0}};
}

}  // namespace tandem
