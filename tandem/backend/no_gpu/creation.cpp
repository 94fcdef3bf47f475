#include "tandem/backend/no_gpu/no_gpu.h"
#include "tandem/primitives/creation.h"

namespace tandem {

TANDEM_NO_GPU(Arange)
TANDEM_NO_GPU(AsType)

}  // namespace tandem
