#pragma once
// Quantization with MLX's names, arguments and bit layout (affine mode and
// the microscaling modes mxfp4, mxfp8 and nvfp4), so weights quantized by
// MLX load and compute the same here.
//
// Layout (settled by experiment against mlx.core 0.32, not from its source):
// each group of group_size consecutive elements of a row shares a scale and
// a bias; the b-bit codes of a row form one little-endian bit stream, the
// first code in the lowest bits of the first uint32 word, a code that does
// not fit the rest of a word continuing in the low bits of the next (3, 5
// and 6 bits). So a row of K elements takes K * bits / 32 words.
//
// All four are composites of existing ops (min/max reductions, round,
// shifts, sums of disjoint bit fields, astype, matmul, take): every backend
// runs them with its kernels, and grad/jvp/vmap follow from the parts.
// quantized_matmul dequantizes and multiplies; a fused kernel reading the
// packed words directly is still to come for the bandwidth bar.
#include <optional>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

// float8 e4m3 ("fn": no infinities, 0x7f/0xff are NaN, largest finite 448)
// codes in uint8, as MLX's to_fp8/from_fp8. to_fp8 rounds a real floating
// array to nearest even and saturates: values past +-448, infinities and
// NaN (by its sign bit) become +-448. float64 is first rounded to float32.
array to_fp8(const array& x, StreamOrDevice s = {});
// The values of the uint8 codes x in the real floating dtype (bfloat16 by
// default in Python): exact, as every e4m3 value fits each of them.
array from_fp8(const array& x, Dtype dtype, StreamOrDevice s = {});

// {w_q (uint32), scales, biases} of the floating-point array w (two or more
// dims, last divisible by group_size). group_size: 32, 64 (default) or 128;
// bits: 1, 2, 3, 4 (default), 5, 6 or 8. Scales and biases take w's dtype.
// The microscaling modes return {w_q, scales (uint8)}, no biases:
//  - "mxfp4" (group 32, 4 bits): e2m1 codes, an e8m0 scale 2^(s - 127) per
//    group, the smallest power of two that brings the group's largest
//    magnitude within 6;
//  - "mxfp8" (group 32, 8 bits): e4m3 codes (rounded to nearest even), e8m0
//    scales fitting 448;
//  - "nvfp4" (group 16, 4 bits): e2m1 codes, an e4m3 scale per group (the
//    largest magnitude / 6, rounded to nearest even); no global scale yet.
// e2m1 codes are the nearest of 0, 0.5, 1, 1.5, 2, 3, 4, 6 with ties toward
// zero (as MLX's CPU quantize; bit-identical to it on random data).
std::vector<array> quantize(const array& w, std::optional<int> group_size = std::nullopt,
                            std::optional<int> bits = std::nullopt,
                            const std::string& mode = "affine", StreamOrDevice s = {});

// The floating-point matrix w_q, scales and biases stand for:
// scale * code + bias, computed in the output dtype (dtype, else the
// scales'); microscaling modes (biases absent): code * scale, exact in
// float32, then in dtype (default bfloat16).
array dequantize(const array& w, const array& scales, const std::optional<array>& biases,
                 std::optional<int> group_size = std::nullopt,
                 std::optional<int> bits = std::nullopt, const std::string& mode = "affine",
                 std::optional<Dtype> dtype = std::nullopt, StreamOrDevice s = {});

// x @ dequantize(w).T (transpose) or x @ dequantize(w), batch dims broadcast.
array quantized_matmul(const array& x, const array& w, const array& scales,
                       const std::optional<array>& biases, bool transpose = true,
                       std::optional<int> group_size = std::nullopt,
                       std::optional<int> bits = std::nullopt, const std::string& mode = "affine",
                       StreamOrDevice s = {});

// quantized_matmul of x's matrices picked by lhs_indices with w's picked by
// rhs_indices (flat indices over the batch dims; each defaults to all of its
// batch, in order); the indices broadcast and lead the result's shape.
array gather_qmm(const array& x, const array& w, const array& scales,
                 const std::optional<array>& biases,
                 const std::optional<array>& lhs_indices = std::nullopt,
                 const std::optional<array>& rhs_indices = std::nullopt, bool transpose = true,
                 std::optional<int> group_size = std::nullopt,
                 std::optional<int> bits = std::nullopt, const std::string& mode = "affine",
                 bool sorted_indices = false, StreamOrDevice s = {});

// x @ w.T with both operands quantized: x (..., K; float32, float16 or
// bfloat16) is quantized on the fly, w (N, K) too unless it is given
// quantized (uint32 words with their uint8 scales); the product of the
// dequantized values, in x's dtype. mode: "nvfp4" (default) or "mxfp8".
// Gradients pass straight through the quantizers: x's is g @ w_q, w's (when
// w is given unquantized) g.T @ x_q over the batch.
array qqmm(const array& x, const array& w, const std::optional<array>& scales = std::nullopt,
           std::optional<int> group_size = std::nullopt, std::optional<int> bits = std::nullopt,
           const std::string& mode = "nvfp4", StreamOrDevice s = {});

// qqmm of x's matrices picked by lhs_indices with w's picked by
// rhs_indices (flat indices over the batch dims, as gather_qmm).
array gather_qqmm(const array& x, const array& w, const std::optional<array>& scales = std::nullopt,
                  const std::optional<array>& lhs_indices = std::nullopt,
                  const std::optional<array>& rhs_indices = std::nullopt,
                  std::optional<int> group_size = std::nullopt,
                  std::optional<int> bits = std::nullopt, const std::string& mode = "nvfp4",
                  StreamOrDevice s = {});

}  // namespace tandem
