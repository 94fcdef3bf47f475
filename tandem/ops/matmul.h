#pragma once
// Matrix products: matmul and the ops built on it. Inputs must be floating
// point or complex64 (integer and bool inputs are rejected, as in MLX), except
// for outer and kron, which multiply elementwise and take any dtype.
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

}  // namespace tandem
