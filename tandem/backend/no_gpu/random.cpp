#include "tandem/primitives/random.h"

#include "tandem/backend/no_gpu/no_gpu.h"

namespace tandem {

TANDEM_NO_GPU(RandomBits)

}  // namespace tandem
