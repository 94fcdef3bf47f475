// The GPU side of a build without CUDA: no device is available, and every
// primitive's eval_gpu explains that there is no GPU backend.
#include <stdexcept>
#include <string>

#include "tandem/backend.h"
#include "tandem/primitives/binary.h"
#include "tandem/primitives/creation.h"
#include "tandem/primitives/fft.h"
#include "tandem/primitives/fused.h"
#include "tandem/primitives/indexing.h"
#include "tandem/primitives/linalg.h"
#include "tandem/primitives/matmul.h"
#include "tandem/primitives/random.h"
#include "tandem/primitives/reduce.h"
#include "tandem/primitives/row_norm.h"
#include "tandem/primitives/scan.h"
#include "tandem/primitives/shape.h"
#include "tandem/primitives/sort.h"
#include "tandem/primitives/unary.h"

namespace tandem::gpu {

bool is_available() {
  return false;
}
int device_count() {
  return 0;
}

std::unique_ptr<StreamExecutor> make_executor(Stream) {
  throw std::invalid_argument(
      "[gpu] the GPU is not available: Tandem was built without CUDA (configure with "
      "-DTANDEM_CUDA=ON on a machine with the CUDA toolkit)");
}

// Without CUDA no buffer has a device side: host copies are always valid.
std::shared_ptr<Event> copy_to_host_async(const std::shared_ptr<Buffer>&,
                                          const std::shared_ptr<Event>&) {
  return nullptr;
}
void copy_to_host(const std::shared_ptr<Buffer>&) {}
void reclaim_deferred_frees() {}

}  // namespace tandem::gpu

namespace tandem {

#define TANDEM_NO_GPU(NAME)                                                                \
  void NAME::eval_gpu(const std::vector<array>&, std::vector<array>&) {                    \
    throw std::runtime_error(std::string("[") + name() +                                   \
                             "] the GPU is not available: Tandem was built without CUDA"); \
  }

// One line per primitive, by family (tandem/primitives/<family>.h).
TANDEM_NO_GPU(Unary)
TANDEM_NO_GPU(Binary)
TANDEM_NO_GPU(Select)
TANDEM_NO_GPU(Arange)
TANDEM_NO_GPU(AsType)
TANDEM_NO_GPU(Reshape)
TANDEM_NO_GPU(Reduce)
TANDEM_NO_GPU(ArgReduce)
TANDEM_NO_GPU(Scan)
TANDEM_NO_GPU(RowNorm)
TANDEM_NO_GPU(FFT)
TANDEM_NO_GPU(Sort)
TANDEM_NO_GPU(ArgSort)
TANDEM_NO_GPU(Partition)
TANDEM_NO_GPU(ArgPartition)
TANDEM_NO_GPU(Concatenate)
TANDEM_NO_GPU(Gather)
TANDEM_NO_GPU(Scatter)
TANDEM_NO_GPU(GatherAxis)
TANDEM_NO_GPU(ScatterAxis)
TANDEM_NO_GPU(SliceUpdate)
TANDEM_NO_GPU(Matmul)
TANDEM_NO_GPU(AddMM)
TANDEM_NO_GPU(RandomBits)
TANDEM_NO_GPU(Fused)
TANDEM_NO_GPU(Inverse)
TANDEM_NO_GPU(Cholesky)
TANDEM_NO_GPU(QRF)
TANDEM_NO_GPU(SVD)
TANDEM_NO_GPU(Eigh)
TANDEM_NO_GPU(Eig)
TANDEM_NO_GPU(LUF)

#undef TANDEM_NO_GPU

}  // namespace tandem
