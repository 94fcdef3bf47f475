#include "tandem/primitives/indexing.h"

#include "tandem/backend/no_gpu/no_gpu.h"

namespace tandem {

TANDEM_NO_GPU(Concatenate)
TANDEM_NO_GPU(Gather)
TANDEM_NO_GPU(Scatter)
TANDEM_NO_GPU(GatherAxis)
TANDEM_NO_GPU(ScatterAxis)
TANDEM_NO_GPU(SliceUpdate)

}  // namespace tandem
