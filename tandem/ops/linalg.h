#pragma once
// mlx.core.linalg: factorizations, inverses, solves and norms over the last
// two axes (batched over the leading ones). Factorizations take float32 or
// float64 (svd, eigh and eig also complex64) and run on CPU streams only: a
// GPU stream is refused when the graph is built, naming the op, as MLX does.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::linalg {

// Vector or matrix norms with NumPy's ord values: ord is a number (inf and
// -inf included) or, with matrices, "fro" / "nuc". No ord and no axis: the
// 2-norm of the flattened array.
array norm(const array& a, const std::optional<std::vector<int>>& axis = std::nullopt,
           bool keepdims = false, StreamOrDevice s = {});
array norm(const array& a, double ord, const std::optional<std::vector<int>>& axis = std::nullopt,
           bool keepdims = false, StreamOrDevice s = {});
array norm(const array& a, const std::string& ord,
           const std::optional<std::vector<int>>& axis = std::nullopt, bool keepdims = false,
           StreamOrDevice s = {});
// The norm of the matrices on the last two axes (ord "fro" by default).
array matrix_norm(const array& a, const std::string& ord = "fro", bool keepdims = false,
                  StreamOrDevice s = {});
array matrix_norm(const array& a, double ord, bool keepdims = false, StreamOrDevice s = {});

// Reduced QR: {Q (m x k), R (k x n)}, k = min(m, n).
std::pair<array, array> qr(const array& a, StreamOrDevice s = {});
// {U (m x m), S (k), Vt (n x n)} with compute_uv, else {S}.
std::vector<array> svd(const array& a, bool compute_uv = true, StreamOrDevice s = {});
array inv(const array& a, StreamOrDevice s = {});
// Inverse of a triangular matrix (the other triangle is not read).
array tri_inv(const array& a, bool upper = false, StreamOrDevice s = {});
array cholesky(const array& a, bool upper = false, StreamOrDevice s = {});
// Inverse of A from its Cholesky factor: A = L L^T (or U^T U with upper).
array cholesky_inv(const array& l, bool upper = false, StreamOrDevice s = {});
// Moore-Penrose pseudo-inverse through the SVD.
array pinv(const array& a, StreamOrDevice s = {});
// Cross product along axis (size 2 or 3; size 2 reads as z = 0).
array cross(const array& a, const array& b, int axis = -1, StreamOrDevice s = {});
// Eigenvalues (complex64) and eigenvectors of general square matrices.
std::pair<array, array> eig(const array& a, StreamOrDevice s = {});
array eigvals(const array& a, StreamOrDevice s = {});
// Eigenvalues (ascending, real) and eigenvectors of symmetric (Hermitian)
// matrices, reading the triangle UPLO ("L" or "U").
std::pair<array, array> eigh(const array& a, const std::string& UPLO = "L", StreamOrDevice s = {});
array eigvalsh(const array& a, const std::string& UPLO = "L", StreamOrDevice s = {});
// {P, L, U} with A = L[P] @ U (P: uint32 row indices, length m).
std::vector<array> lu(const array& a, StreamOrDevice s = {});
// {LU packed (L's unit diagonal implied), pivots (uint32, LAPACK's 0-based swaps)}.
std::pair<array, array> lu_factor(const array& a, StreamOrDevice s = {});
// X with A X = B; b is a vector (..., n) or matrices (..., n, k), batch dims broadcast.
array solve(const array& a, const array& b, StreamOrDevice s = {});
array solve_triangular(const array& a, const array& b, bool upper = false, StreamOrDevice s = {});
array det(const array& a, StreamOrDevice s = {});
// {sign, log|det|}.
std::pair<array, array> slogdet(const array& a, StreamOrDevice s = {});

}  // namespace tandem::linalg
