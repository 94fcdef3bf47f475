#pragma once
// Matrix products: matmul and the ops built on it. Inputs must be floating
// point or complex64 (integer and bool inputs are rejected, as in MLX), except
// for outer and kron, which multiply elementwise and take any dtype.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

// Matrix product with NumPy semantics: batch dims broadcast; a 1-d a is a row
// vector and a 1-d b a column vector, and the added dim is removed after.
array matmul(const array& a, const array& b, StreamOrDevice s = {});
// alpha * (a @ b) + beta * c, with c broadcast to the product's shape.
array addmm(const array& c, const array& a, const array& b, const float& alpha = 1.f,
            const float& beta = 1.f, StreamOrDevice s = {});
// Sums products over the last `axes` dims of a and the first `axes` of b.
array tensordot(const array& a, const array& b, const int axes = 2, StreamOrDevice s = {});
// Sums products over axes_a of a paired with axes_b of b.
array tensordot(const array& a, const array& b, const std::vector<int>& axes_a,
                const std::vector<int>& axes_b, StreamOrDevice s = {});
// Sums products over the last dim of a and b (a plain product if either is 0-d).
array inner(const array& a, const array& b, StreamOrDevice s = {});
// The outer product of a and b, both flattened: shape (a.size(), b.size()).
array outer(const array& a, const array& b, StreamOrDevice s = {});
// sum(conj(a) * b) along axis, with a and b broadcast against each other.
array vecdot(const array& a, const array& b, int axis = -1, StreamOrDevice s = {});
// The Kronecker product of a and b.
array kron(const array& a, const array& b, StreamOrDevice s = {});
// Einstein summation, e.g. "ij,jk->ik", "bij,bjk->bik", "ii->i", "ij->".
// Without "->" the output holds the indices seen once, in alphabetical order.
// Supports "..." for leading broadcast dims.
array einsum(const std::string& subscripts, const std::vector<array>& operands,
             StreamOrDevice s = {});

// a @ b with blocks of block_size x block_size masked: mask_lhs (..., ceil(M
// / bs), ceil(K / bs)) masks blocks of a, mask_rhs (..., ceil(K / bs),
// ceil(N / bs)) blocks of b and mask_out (..., ceil(M / bs), ceil(N / bs))
// blocks of the product. A bool mask keeps its true blocks (masked blocks
// count as zero, whatever they hold); a numeric one scales each block. Mask
// batch dims broadcast into the product's.
array block_masked_mm(const array& a, const array& b, int block_size = 64,
                      const std::optional<array>& mask_out = std::nullopt,
                      const std::optional<array>& mask_lhs = std::nullopt,
                      const std::optional<array>& mask_rhs = std::nullopt, StreamOrDevice s = {});

// For a (M, K), b (K, N) and integer segments (..., 2) holding [start, end)
// ranges of the inner dim: out[..., i, :, :] = a[:, start:end] @ b[start:end]
// (zeros for an empty range), shape segments.shape[:-1] + (M, N). Ranges are
// clamped to [0, K].
array segmented_mm(const array& a, const array& b, const array& segments, StreamOrDevice s = {});

// NumPy's greedy contraction order for einsum(subscripts, operands): the
// pairs of operand positions contracted in turn (a contraction's result is
// appended to the operands), and a report of the naive and optimized
// scaling and FLOP counts, as mx.einsum_path.
std::pair<std::vector<std::vector<int>>, std::string> einsum_path(
    const std::string& subscripts, const std::vector<array>& operands);

// Matrix products of gathered matrices: for a (A..., M, K) and b (B..., K, N),
// out[i] = a_flat[lhs_indices[i]] @ b_flat[rhs_indices[i]], where a_flat and
// b_flat index the flattened batch dims and the two index arrays broadcast
// (an absent one is the arange of its operand's batch dims, in their shape).
// Out-of-range indices are clamped, as take's.
array gather_mm(const array& a, const array& b, const std::optional<array>& lhs_indices,
                const std::optional<array>& rhs_indices, bool sorted_indices = false,
                StreamOrDevice s = {});

// The Walsh-Hadamard transform along the last axis, (H_n @ x) * scale with
// H_n in Sylvester's order; scale defaults to 1/sqrt(n). n must be a power
// of two (MLX's m * 2^k sizes with m in 12, 20, 28 are not supported yet).
array hadamard_transform(const array& a, std::optional<float> scale = std::nullopt,
                         StreamOrDevice s = {});

}  // namespace tandem
