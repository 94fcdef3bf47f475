// GPU kernels of the matmul family.
#include "tandem/primitives/matmul.h"

#include "tandem/backend/cuda/todo.h"

namespace tandem {

TANDEM_GPU_TODO(Matmul)
TANDEM_GPU_TODO(AddMM)

}  // namespace tandem
