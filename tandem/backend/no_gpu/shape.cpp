#include "tandem/backend/no_gpu/no_gpu.h"
#include "tandem/primitives/shape.h"

namespace tandem {

TANDEM_NO_GPU(Reshape)
TANDEM_NO_GPU(Transpose)
TANDEM_NO_GPU(Broadcast)
TANDEM_NO_GPU(Slice)
TANDEM_NO_GPU(AsStrided)

}  // namespace tandem
