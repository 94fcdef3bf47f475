// GPU kernels of the Unary primitive (device/unary.cuh).
#include "tandem/primitives/unary.h"

#include "tandem/backend/cuda/elementwise.h"
#include "tandem/backend/cuda/jit.h"

namespace tandem {

void Unary::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& in = inputs[0];
  array& out = outputs[0];
  auto functor = [&] {
    return "tandem::UnaryFn<" + std::to_string(static_cast<int>(op_)) + ", " +
           gpu::device_type(in.dtype()) + ", " + gpu::device_type(out.dtype()) + ">";
  };
  uint64_t key = (uint64_t(op_) << 16) | (uint64_t(in.dtype().index()) << 8) | out.dtype().index();
  gpu::launch_map1(enc, "unary.cuh", functor, key, cache, in, out, in.dtype() == out.dtype());
}

}  // namespace tandem
