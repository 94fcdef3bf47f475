// Transform rules of Arange and RandomBits: they read no differentiable
// input (RandomBits reads a key), so every derivative is zero.
#include "tandem/primitives/creation.h"

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

}  // namespace tandem
