#pragma once
// Threefry-2x32 with 20 rounds, the counter-based generator behind every
// random op (tandem/primitives/random.h gives the bit-stream layout); the
// CPU kernel and the CUDA device code call this one definition, so the same
// key gives the same bits on every device.
#include "tandem/kernels/defines.h"

namespace tandem::k {

TANDEM_HD uint32_t rotl32(uint32_t x, int r) {
  return (x << r) | (x >> (32 - r));
}

// Threefry-2x32 with 20 rounds on counter (c0, c1) under key (k0, k1).
// Rotations 13, 15, 26, 6, 17, 29, 16, 24; the key schedule appends
// k0 ^ k1 ^ 0x1BD11BDA and injects (ks[s % 3], ks[(s + 1) % 3] + s) after
// every 4 rounds (s = 1..5), with a first injection (k0, k1) before round 1.
TANDEM_HD void threefry2x32_20(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t& y0,
                               uint32_t& y1) {
  const uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ 0x1BD11BDAu};
  const int rot[8] = {13, 15, 26, 6, 17, 29, 16, 24};
  uint32_t x0 = c0 + ks[0];
  uint32_t x1 = c1 + ks[1];
#if defined(TANDEM_DEVICE_CODE)
#pragma unroll
#else
#pragma GCC unroll 20
#endif
  for (int i = 0; i < 20; ++i) {
    x0 += x1;
    x1 = rotl32(x1, rot[i % 8]);
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

// Block j of the bit stream of key (k0, k1): the counter is (j >> 32, j).
TANDEM_HD void random_block(uint32_t k0, uint32_t k1, uint64_t j, uint32_t& y0, uint32_t& y1) {
  threefry2x32_20(k0, k1, static_cast<uint32_t>(j >> 32), static_cast<uint32_t>(j), y0, y1);
}

}  // namespace tandem::k
