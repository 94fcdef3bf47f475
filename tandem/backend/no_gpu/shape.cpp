#include "tandem/backend/no_gpu/no_gpu.h"
#include "tandem/primitives/shape.h"

namespace tandem {

TANDEM_NO_GPU(Reshape)

}  // namespace tandem
