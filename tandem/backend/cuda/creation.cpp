// GPU kernels of the creation family.
#include "tandem/primitives/creation.h"

#include "tandem/backend/cuda/todo.h"

namespace tandem {

TANDEM_GPU_TODO(Arange)
TANDEM_GPU_TODO(AsType)

}  // namespace tandem
