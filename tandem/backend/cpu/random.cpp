// CPU kernel of RandomBits: Threefry-2x32-20 blocks written straight into the
// output (layout in tandem/primitives/random.h), spread over threads.
#include "tandem/primitives/random.h"

#include <cstring>

#include "tandem/backend/cpu/encoder.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/parallel.h"

namespace tandem {

void RandomBits::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  cpu::allocate_row_contiguous(out);
  if (out.size() == 0) return;
  cpu::dispatch([key = cpu::Ref(inputs[0]), out = cpu::Ref(out), width = width_] {
    const uint32_t* kp = key.data<uint32_t>();
    uint32_t k0 = kp[0], k1 = kp[key.strides[0]];
    size_t nbytes = out.size * static_cast<size_t>(width);
    size_t full = nbytes / 8;  // whole blocks
    // The output buffer is 64-byte aligned and row-contiguous from offset 0.
    uint32_t* words = reinterpret_cast<uint32_t*>(out.ptr);
    cpu::parallel_for(full, cpu::kParallelGrain / 4, [&](size_t b, size_t e) {
      for (size_t j = b; j < e; ++j) {
        uint32_t y0, y1;
        random_block(k0, k1, j, y0, y1);
        words[2 * j] = y0;
        words[2 * j + 1] = y1;
      }
    });
    if (size_t rest = nbytes - full * 8) {
      uint32_t y[2];
      random_block(k0, k1, full, y[0], y[1]);
      std::memcpy(out.ptr + full * 8, y, rest);
    }
  });
}

}  // namespace tandem
