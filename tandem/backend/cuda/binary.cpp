// GPU kernels of the binary family.
#include "tandem/primitives/binary.h"

#include "tandem/backend/cuda/todo.h"

namespace tandem {

TANDEM_GPU_TODO(Binary)
TANDEM_GPU_TODO(Select)

}  // namespace tandem
