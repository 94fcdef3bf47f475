// GPU kernel of RandomBits (device/random.cuh): the same Threefry-2x32-20
// byte stream as the CPU (layout in tandem/primitives/random.h), written
// straight into the output. The key is read on the device, so keys computed
// on the GPU (split) never come back to the host.
#include "tandem/primitives/random.h"

#include "tandem/backend/cuda/encoder.h"
#include "tandem/backend/cuda/jit.h"

namespace tandem {

void RandomBits::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& key = inputs[0];
  array& out = outputs[0];
  // Row-contiguous from a fresh buffer: element 0 is 256-byte aligned, so the
  // kernel stores whole 8-byte blocks.
  void* dst = enc.out(out);
  enc.mark_used();
  if (out.size() == 0) return;
  const void* kp = enc.in(key);
  int64_t key_stride = key.strides()[0];
  uint64_t nbytes = static_cast<uint64_t>(out.size()) * static_cast<uint64_t>(width_);
  auto& ks = cache.get(0, [] {
    return gpu::KernelCache::Program{"random.cuh", {"tandem::random_bits"}};
  });
  unsigned threads = 256;
  unsigned blocks = gpu::blocks_for((nbytes + 7) / 8, threads);
  enc.launch(ks[0], blocks, threads, 0, kp, key_stride, dst, nbytes);
}

}  // namespace tandem
