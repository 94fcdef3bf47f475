#include "tandem/primitives/reduce.h"
#include "tandem/primitives/scan.h"
#include "tandem/primitives/sort.h"

#include "tandem/backend/no_gpu/no_gpu.h"

namespace tandem {

TANDEM_NO_GPU(Reduce)
TANDEM_NO_GPU(ArgReduce)
TANDEM_NO_GPU(Scan)
TANDEM_NO_GPU(Sort)
TANDEM_NO_GPU(ArgSort)
TANDEM_NO_GPU(Partition)
TANDEM_NO_GPU(ArgPartition)

}  // namespace tandem
