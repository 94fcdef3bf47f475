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

#include "tandem/kernels/threefry.h"
#include "tandem/primitive.h"

namespace tandem {

// The generator itself: tandem/kernels/threefry.h, shared with the GPU.
using k::random_block;
using k::threefry2x32_20;

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
