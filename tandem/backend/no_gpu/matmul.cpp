#include "tandem/primitives/matmul.h"

#include "tandem/backend/no_gpu/no_gpu.h"

namespace tandem {

TANDEM_NO_GPU(Matmul)
TANDEM_NO_GPU(AddMM)

}  // namespace tandem
