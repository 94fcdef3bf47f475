// Device code of RandomBits: Threefry-2x32-20 blocks (tandem/kernels/
// threefry.h, the CPU's definition too) written straight into the output,
// per the layout specified in tandem/primitives/random.h.
#pragma once
#include "common.cuh"
#include "tandem/kernels/threefry.h"

namespace tandem {

// Fills nbytes bytes of out (8-byte aligned) with the bit stream of the key
// (key[0], key[key_stride]): block j is threefry((k0, k1), (j >> 32, j)) as
// two little-endian words; the last partial block keeps its leading bytes.
__global__ void random_bits(const uint32_t* __restrict__ key, int64_t key_stride,
                            uint32_t* __restrict__ out, uint64_t nbytes) {
  const uint32_t k0 = key[0], k1 = key[key_stride];
  const uint64_t full = nbytes / 8;
  const uint64_t step = uint64_t(gridDim.x) * blockDim.x;
  uint2* blocks = reinterpret_cast<uint2*>(out);
  for (uint64_t j = uint64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < full; j += step) {
    uint32_t y0, y1;
    k::random_block(k0, k1, j, y0, y1);
    blocks[j] = make_uint2(y0, y1);
  }
  const uint64_t rest = nbytes - full * 8;
  if (rest != 0 && blockIdx.x == 0 && threadIdx.x == 0) {
    uint32_t y[2];
    k::random_block(k0, k1, full, y[0], y[1]);
    unsigned char* tail = reinterpret_cast<unsigned char*>(out) + full * 8;
    for (uint64_t b = 0; b < rest; ++b) {
      tail[b] = static_cast<unsigned char>(y[b / 4] >> (8 * (b % 4)));
    }
  }
}

}  // namespace tandem
