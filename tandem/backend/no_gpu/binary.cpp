#include "tandem/backend/no_gpu/no_gpu.h"
#include "tandem/primitives/binary.h"

namespace tandem {

TANDEM_NO_GPU(Binary)
TANDEM_NO_GPU(Select)

}  // namespace tandem
