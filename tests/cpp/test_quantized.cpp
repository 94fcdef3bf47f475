// quantize / dequantize / quantized_matmul from their definition: the
// packed words hold the codes as one little-endian bit stream per row, the
// round trip stays within half a step, the matmul equals one with the
// dequantized weight, and bad arguments raise naming the op.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;
using namespace tandem::test;

namespace {

// Code i of a row of words, read as a bit stream.
uint32_t code_at(const std::vector<uint32_t>& row, int bits, int i) {
  const int start = bits * i, j = start / 32, off = start % 32;
  uint64_t v = row[j] >> off;
  if (off + bits > 32) v |= static_cast<uint64_t>(row[j + 1]) << (32 - off);
  return static_cast<uint32_t>(v & ((1u << bits) - 1u));
}

}  // namespace

TEST(Quantized, RoundTripAndLayout) {
  for (int bits : {1, 2, 3, 4, 5, 6, 8}) {
    for (int group : {32, 64, 128}) {
      const int rows = 3, k = 256;
      array w = random_array({rows, k}, float32);
      auto q = quantize(w, group, bits);
      ASSERT_EQ(q.size(), 3u);
      ASSERT_EQ(q[0].dtype(), uint32);
      ASSERT_EQ(q[0].shape(), (Shape{rows, k * bits / 32}));
      ASSERT_EQ(q[1].shape(), (Shape{rows, k / group}));
      auto words = q[0].to_vector<uint32_t>();
      auto scales = to_double(q[1]);
      auto biases = to_double(q[2]);
      auto back = to_double(dequantize(q[0], q[1], q[2], group, bits));
      auto orig = to_double(w);
      for (int r = 0; r < rows; ++r) {
        std::vector<uint32_t> row(words.begin() + r * k * bits / 32,
                                  words.begin() + (r + 1) * k * bits / 32);
        for (int i = 0; i < k; ++i) {
          const int g = r * (k / group) + i / group;
          const uint32_t c = code_at(row, bits, i);
          ASSERT_LE(c, (1u << bits) - 1u);
          const double v = back[r * k + i];
          EXPECT_FLOAT_EQ(v, static_cast<float>(static_cast<float>(c * scales[g]) + biases[g]));
          // Within half a step where w is in the representable range; MLX's
          // zero-exact scale can leave the far end outside it, and such
          // values take the nearest end code.
          const double t = (orig[r * k + i] - biases[g]) / scales[g];
          const double top = (1u << bits) - 1u;
          if (t >= -0.5 && t <= top + 0.5) {
            EXPECT_LE(std::abs(v - orig[r * k + i]), std::abs(scales[g]) / 2 * 1.0001 + 1e-6)
                << "bits " << bits << " group " << group;
          } else {
            EXPECT_EQ(c, t < 0 ? 0u : static_cast<uint32_t>(top));
          }
        }
      }
    }
  }
}

TEST(Quantized, MatmulIsMatmulWithDequantized) {
  array w = random_array({2, 16, 128}, float32);
  auto q = quantize(w, 64, 3);
  array wd = dequantize(q[0], q[1], q[2], 64, 3);
  array x = random_array({2, 5, 128}, float32);
  expect_close(to_double(quantized_matmul(x, q[0], q[1], q[2], true, 64, 3)),
               to_double(matmul(x, swapaxes(wd, -1, -2))), 1e-5, 1e-5, "transpose");
  array x2 = random_array({4, 16}, float32);
  expect_close(to_double(quantized_matmul(x2, q[0], q[1], q[2], false, 64, 3)),
               to_double(matmul(x2, wd)), 1e-5, 1e-5, "no transpose");
}

// Microscaling modes: e2m1 values on the known grid with power-of-two (mx)
// scales, e4m3 values for mxfp8; qqmm is the product of both operands
// quantized.
TEST(Quantized, MicroscalingModes) {
  array w = random_array({4, 64}, float32);
  for (const char* mode : {"mxfp4", "mxfp8", "nvfp4"}) {
    auto q = quantize(w, std::nullopt, std::nullopt, mode);
    ASSERT_EQ(q.size(), 2u) << mode;
    EXPECT_EQ(q[0].dtype(), uint32);
    EXPECT_EQ(q[1].dtype(), uint8);
    array wd = dequantize(q[0], q[1], std::nullopt, std::nullopt, std::nullopt, mode, float32);
    EXPECT_EQ(wd.shape(), w.shape());
    // Every group's largest magnitude survives within the element type's step.
    auto a = to_double(w), b = to_double(wd);
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
    EXPECT_LT(worst, std::string(mode) == "mxfp8" ? 0.3 : 1.6) << mode;
    if (std::string(mode) != "mxfp4") {
      array x = random_array({3, 64}, float32);
      auto qx = quantize(x, std::nullopt, std::nullopt, mode);
      array xd = dequantize(qx[0], qx[1], std::nullopt, std::nullopt, std::nullopt, mode, float32);
      expect_close(to_double(qqmm(x, w, std::nullopt, std::nullopt, std::nullopt, mode)),
                   to_double(matmul(xd, transpose(wd))), 1e-5, 1e-5, mode);
    }
  }
  EXPECT_THROW(quantize(w, 64, std::nullopt, "mxfp4"), std::invalid_argument);
  EXPECT_THROW(qqmm(w, w, std::nullopt, std::nullopt, std::nullopt, "mxfp4"),
               std::invalid_argument);
}

TEST(Quantized, Errors) {
  array w = random_array({8, 96}, float32);
  EXPECT_THROW(quantize(w, 64, 4), std::invalid_argument);
  EXPECT_THROW(quantize(w, 32, 7), std::invalid_argument);
  EXPECT_THROW(quantize(random_array({64}, float32)), std::invalid_argument);
  EXPECT_THROW(quantize(astype(w, int32), 32, 4), std::invalid_argument);
  auto q = quantize(w, 32, 4);
  EXPECT_THROW(dequantize(q[0], q[1], std::nullopt, 32, 4), std::invalid_argument);
  EXPECT_THROW(dequantize(q[0], q[1], q[2], 64, 4), std::invalid_argument);
  EXPECT_THROW(quantized_matmul(random_array({2, 64}, float32), q[0], q[1], q[2], true, 32, 4),
               std::invalid_argument);
}
