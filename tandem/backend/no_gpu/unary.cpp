#include "tandem/backend/no_gpu/no_gpu.h"
#include "tandem/primitives/unary.h"

namespace tandem {

TANDEM_NO_GPU(Unary)

}  // namespace tandem
