// Device code of RandomBits: Threefry-2x32-20 blocks written straight into
// the output, per the layout specified in tandem/primitives/random.h (that
// header cannot be compiled by NVRTC, so the cipher is restated here; both
// must give the same bits, which the tests check against the CPU).
#pragma once
#include "common.cuh"

namespace tandem {

__device__ __forceinline__ uint32_t random_rotl32(uint32_t x, int r) {
  return (x << r) | (x >> (32 - r));
}

// Threefry-2x32 with 20 rounds on counter (c0, c1) under key (k0, k1):
// rotations 13, 15, 26, 6, 17, 29, 16, 24; key injection after every fourth
// round s = 1..5 adds (ks[s % 3], ks[(s + 1) % 3] + s), ks[2] = k0 ^ k1 ^ 0x1BD11BDA.
__device__ __forceinline__ void random_threefry2x32_20(uint32_t k0, uint32_t k1, uint32_t c0,
                                                       uint32_t c1, uint32_t& y0, uint32_t& y1) {
  const uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ 0x1BD11BDAu};
  const int rot[8] = {13, 15, 26, 6, 17, 29, 16, 24};
  uint32_t x0 = c0 + ks[0];
  uint32_t x1 = c1 + ks[1];
#pragma unroll
  for (int i = 0; i < 20; ++i) {
    x0 += x1;
    x1 = random_rotl32(x1, rot[i % 8]);
    x1 ^= x0;
    if (i % 4 == 3) {
      const uint32_t s = static_cast<uint32_t>(i / 4 + 1);
      x0 += ks[s % 3];
      x1 += ks[(s + 1) % 3] + s;
    }
  }
  y0 = x0;
  y1 = x1;
}

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
    random_threefry2x32_20(k0, k1, static_cast<uint32_t>(j >> 32), static_cast<uint32_t>(j), y0,
                           y1);
    blocks[j] = make_uint2(y0, y1);
  }
  const uint64_t rest = nbytes - full * 8;
  if (rest != 0 && blockIdx.x == 0 && threadIdx.x == 0) {
    uint32_t y[2];
    random_threefry2x32_20(k0, k1, static_cast<uint32_t>(full >> 32), static_cast<uint32_t>(full),
                           y[0], y[1]);
    unsigned char* tail = reinterpret_cast<unsigned char*>(out) + full * 8;
    for (uint64_t b = 0; b < rest; ++b) {
      tail[b] = static_cast<unsigned char>(y[b / 4] >> (8 * (b % 4)));
    }
  }
}

}  // namespace tandem
