#include <stdexcept>

#include "tandem/backend.h"

namespace tandem::gpu {

bool is_available() { return false; }
int device_count() { return 0; }

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

}  // namespace tandem::gpu
