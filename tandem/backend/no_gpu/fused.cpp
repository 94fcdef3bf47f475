#include "tandem/backend/no_gpu/no_gpu.h"
#include "tandem/primitives/fused.h"

namespace tandem {

TANDEM_NO_GPU(Fused)

}  // namespace tandem
