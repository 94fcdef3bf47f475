#pragma once
// Products with few output columns (C = A @ B with B of at most
// kNarrowMaxN columns: matrix-vector products, projections to a handful of
// features). BLAS packs all of A for such a product and runs its small-N
// edge kernels, about three times slower than streaming A once through
// N dot products against B's columns held in cache.
#include <cstdint>

namespace tandem::cpu {

inline constexpr int kNarrowMaxN = 8;

// C[i, j] = alpha * sum_k A[i, k] * BT[j, k] (+ beta * C[i, j] when beta != 0)
// for i < M, j < N <= kNarrowMaxN. A is row-major with leading dimension lda,
// BT is B transposed (N x K, contiguous), C row-major with leading
// dimension ldc. Rows are spread over threads when M * K is large.
void narrow_gemm(int64_t M, int N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* BT, float beta, float* C, int64_t ldc);
void narrow_gemm(int64_t M, int N, int64_t K, double alpha, const double* A, int64_t lda,
                 const double* BT, double beta, double* C, int64_t ldc);

}  // namespace tandem::cpu
