#pragma once
// Random bits: Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror, Shaw,
// "Parallel random numbers: as easy as 1, 2, 3", SC 2011), counter based, so
// the same key gives the same bits on every device.
//
// Exact layout (every backend must produce these bits; the CUDA kernel
// included):
//   - A key is a uint32 array of shape (2,): (k0, k1). key(seed) is
//     (seed >> 32, seed & 0xffffffff).
//   - RandomBits of n elements of `width` bytes (1, 2, 4 or 8) fills
//     nbytes = n * width bytes, row-major. Those bytes are a stream of 32-bit
//     words stored little-endian; block j (j = 0, 1, ..., ceil(nbytes / 8) - 1)
//     is the two words 2j and 2j + 1:
//         (word[2j], word[2j + 1]) = threefry2x32_20((k0, k1), (j >> 32, j & 0xffffffff))
//     with j a 64-bit counter. Bytes past nbytes in the last block are
//     dropped. Element i is bytes [i * width, (i + 1) * width), little-endian.
//   - split(key, num) is RandomBits of shape (num, 2), width 4: subkey r is
//     (word[2r], word[2r + 1]) = threefry2x32_20(key, (0, r)) for r < 2^32.
//   - The per-thread global key advances like split(global, 2): the state
//     becomes subkey 0 and the draw uses subkey 1.
#include <cstdint>
#include <utility>

#include "tandem/primitive.h"

#if defined(__CUDACC__)
#define TANDEM_HOST_DEVICE __host__ __device__
#else
#define TANDEM_HOST_DEVICE
#endif

namespace tandem {

namespace detail {

TANDEM_HOST_DEVICE inline uint32_t rotl32(uint32_t x, int r) {
  return (x << r) | (x >> (32 - r));
}

}  // namespace detail

// Threefry-2x32 with 20 rounds on counter (c0, c1) under key (k0, k1).
// Rotations 13, 15, 26, 6, 17, 29, 16, 24; the key schedule appends
// k0 ^ k1 ^ 0x1BD11BDA and injects (ks[s % 3], ks[(s + 1) % 3] + s) after
// every 4 rounds (s = 1..5), with a first injection (k0, k1) before round 1.
TANDEM_HOST_DEVICE inline void threefry2x32_20(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1,
                                               uint32_t& y0, uint32_t& y1) {
  const uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ 0x1BD11BDAu};
  const int rot[8] = {13, 15, 26, 6, 17, 29, 16, 24};
  uint32_t x0 = c0 + ks[0];
  uint32_t x1 = c1 + ks[1];
#if defined(__CUDACC__)
#pragma unroll
#else
#pragma GCC unroll 20
#endif
  for (int i = 0; i < 20; ++i) {
    x0 += x1;
    x1 = detail::rotl32(x1, rot[i % 8]);
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

// Block j of the bit stream of key (k0, k1) (see the layout above).
TANDEM_HOST_DEVICE inline void random_block(uint32_t k0, uint32_t k1, uint64_t j, uint32_t& y0,
                                            uint32_t& y1) {
  threefry2x32_20(k0, k1, static_cast<uint32_t>(j >> 32), static_cast<uint32_t>(j), y0, y1);
}

// Input: the key (uint32, shape (2,)). Output: uint8/16/32/64 for width
// 1/2/4/8, of the output's shape, filled per the layout above.
class RandomBits : public Primitive {
 public:
  RandomBits(Stream s, int width) : Primitive(s), width_(width) {}
  int width() const { return width_; }
  TANDEM_PRIMITIVE(RandomBits)
  void print(std::ostream& os) const override { os << "RandomBits(width=" << width_ << ")"; }

 private:
  int width_;
};

}  // namespace tandem
