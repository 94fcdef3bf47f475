// GPU kernels of the random family.
#include "tandem/primitives/random.h"

#include "tandem/backend/cuda/todo.h"

namespace tandem {

TANDEM_GPU_TODO(RandomBits)

}  // namespace tandem
