// GPU side of the linalg primitives. The ops refuse GPU streams when the
// graph is built (tandem/ops/linalg.cpp), as MLX does for routines it lacks
// on the GPU, so these are reached only by a primitive made by hand.
#include "tandem/primitives/linalg.h"

#include <stdexcept>
#include <string>

namespace tandem {

#define TANDEM_LINALG_CPU_ONLY(NAME)                                                            \
  void NAME::eval_gpu(const std::vector<array>&, std::vector<array>&) {                         \
    throw std::invalid_argument(std::string("[") + name() +                                     \
                                "] This op is not yet supported on the GPU. Explicitly pass a " \
                                "CPU stream to run it (stream=mx.cpu).");                       \
  }

TANDEM_LINALG_CPU_ONLY(Inverse)
TANDEM_LINALG_CPU_ONLY(Cholesky)
TANDEM_LINALG_CPU_ONLY(QRF)
TANDEM_LINALG_CPU_ONLY(SVD)
TANDEM_LINALG_CPU_ONLY(Eigh)
TANDEM_LINALG_CPU_ONLY(Eig)
TANDEM_LINALG_CPU_ONLY(LUF)

}  // namespace tandem
