#include "tandem/primitive.h"

#include <stdexcept>

namespace tandem {

// A primitive without a rule for a transform: an error naming both.
std::vector<array> Primitive::vjp(const std::vector<array>&, const std::vector<array>&,
                                  const std::vector<int>&, const std::vector<array>&) {
  throw std::invalid_argument(std::string("[vjp] not supported by primitive ") + name());
}

std::vector<array> Primitive::jvp(const std::vector<array>&, const std::vector<array>&,
                                  const std::vector<int>&, const std::vector<array>&) {
  throw std::invalid_argument(std::string("[jvp] not supported by primitive ") + name());
}

std::pair<std::vector<array>, std::vector<int>> Primitive::vmap(const std::vector<array>&,
                                                                const std::vector<int>&,
                                                                const std::vector<array>&) {
  throw std::invalid_argument(std::string("[vmap] not supported by primitive ") + name());
}

}  // namespace tandem
