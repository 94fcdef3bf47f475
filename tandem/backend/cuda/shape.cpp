// GPU kernels of the shape family.
#include "tandem/primitives/shape.h"

#include "tandem/backend/cuda/todo.h"

namespace tandem {

TANDEM_GPU_TODO(Reshape)
TANDEM_GPU_TODO(Transpose)
TANDEM_GPU_TODO(Broadcast)
TANDEM_GPU_TODO(Slice)
TANDEM_GPU_TODO(AsStrided)

}  // namespace tandem
