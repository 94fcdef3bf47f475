// GPU kernels of the reduce family.
#include "tandem/primitives/reduce.h"

#include "tandem/backend/cuda/todo.h"

namespace tandem {

TANDEM_GPU_TODO(Reduce)
TANDEM_GPU_TODO(ArgReduce)
TANDEM_GPU_TODO(Scan)
TANDEM_GPU_TODO(Sort)
TANDEM_GPU_TODO(ArgSort)
TANDEM_GPU_TODO(Partition)
TANDEM_GPU_TODO(ArgPartition)

}  // namespace tandem
