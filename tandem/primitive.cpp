#include "tandem/primitive.h"

#include <stdexcept>

namespace tandem {

// Transforms arrive in a later milestone; until a primitive overrides these,
// asking for them is an error that names the primitive.
std::vector<array> Primitive::vjp(const std::vector<array>&, const std::vector<array>&,
                                  const std::vector<int>&, const std::vector<array>&) {
  throw std::invalid_argument(std::string("[vjp] not supported by primitive ") + name());
}

std::vector<array> Primitive::jvp(const std::vector<array>&, const std::vector<array>&,
                                  const std::vector<int>&) {
  throw std::invalid_argument(std::string("[jvp] not supported by primitive ") + name());
}

std::pair<std::vector<array>, std::vector<int>> Primitive::vmap(const std::vector<array>&,
                                                                const std::vector<int>&) {
  throw std::invalid_argument(std::string("[vmap] not supported by primitive ") + name());
}

}  // namespace tandem
