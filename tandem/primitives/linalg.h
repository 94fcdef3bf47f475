#pragma once
// Dense linear algebra on the last two axes, batched over the leading ones.
// The CPU runs LAPACK (OpenBLAS's); GPU streams are refused when the graph is
// built (tandem/ops/linalg.cpp), as MLX does for the routines it lacks there.
#include "tandem/primitive.h"

namespace tandem {

// Inverse of square matrices; with tri, of triangular ones (only the upper or
// lower triangle is read, the other one of the result is zero).
class Inverse : public Primitive {
 public:
  Inverse(Stream s, bool tri, bool upper) : Primitive(s), tri_(tri), upper_(upper) {}
  bool tri() const { return tri_; }
  bool upper() const { return upper_; }
  TANDEM_PRIMITIVE(Inverse)

 private:
  bool tri_;
  bool upper_;
};

// Cholesky factor L (A = L L^T) or U (A = U^T U) of symmetric positive
// definite matrices; only the lower (upper) triangle of A is read.
class Cholesky : public Primitive {
 public:
  Cholesky(Stream s, bool upper) : Primitive(s), upper_(upper) {}
  bool upper() const { return upper_; }
  TANDEM_PRIMITIVE(Cholesky)

 private:
  bool upper_;
};

// Reduced QR: outputs Q (m x k) and R (k x n), k = min(m, n).
class QRF : public Primitive {
 public:
  explicit QRF(Stream s) : Primitive(s) {}
  TANDEM_PRIMITIVE(QRF)
};

// Singular values S (k, descending) and, with compute_uv, the full U (m x m)
// and Vt (n x n) first: outputs {U, S, Vt} or {S}.
class SVD : public Primitive {
 public:
  SVD(Stream s, bool compute_uv) : Primitive(s), compute_uv_(compute_uv) {}
  bool compute_uv() const { return compute_uv_; }
  TANDEM_PRIMITIVE(SVD)

 private:
  bool compute_uv_;
};

// Eigenvalues (ascending) and, with vectors, eigenvectors (columns) of
// symmetric matrices, reading the triangle uplo ('L' or 'U').
class Eigh : public Primitive {
 public:
  Eigh(Stream s, char uplo, bool vectors) : Primitive(s), uplo_(uplo), vectors_(vectors) {}
  char uplo() const { return uplo_; }
  bool vectors() const { return vectors_; }
  TANDEM_PRIMITIVE(Eigh)

 private:
  char uplo_;
  bool vectors_;
};

// Eigenvalues and, with vectors, right eigenvectors (unit columns) of general
// real matrices, as complex64.
class Eig : public Primitive {
 public:
  Eig(Stream s, bool vectors) : Primitive(s), vectors_(vectors) {}
  bool vectors() const { return vectors_; }
  TANDEM_PRIMITIVE(Eig)

 private:
  bool vectors_;
};

// LU with partial pivoting (P A = L U): outputs the packed factors (m x n,
// L's unit diagonal implied), LAPACK's 0-based row swaps (k, uint32) and the
// row permutation they make (m, uint32: row i of A is row perm[i] of L U).
class LUF : public Primitive {
 public:
  explicit LUF(Stream s) : Primitive(s) {}
  TANDEM_PRIMITIVE(LUF)
};

}  // namespace tandem
