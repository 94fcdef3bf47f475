// GPU kernels of the indexing family.
#include "tandem/primitives/indexing.h"

#include "tandem/backend/cuda/todo.h"

namespace tandem {

TANDEM_GPU_TODO(Concatenate)
TANDEM_GPU_TODO(Gather)
TANDEM_GPU_TODO(Scatter)
TANDEM_GPU_TODO(GatherAxis)
TANDEM_GPU_TODO(ScatterAxis)
TANDEM_GPU_TODO(SliceUpdate)

}  // namespace tandem
