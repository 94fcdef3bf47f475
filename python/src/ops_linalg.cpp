// tandem.core.linalg: mlx.core.linalg's names and signatures (tandem/ops/linalg.h).
#include <cmath>
#include <string>

#include "python/src/ops_common.h"
#include "tandem/ops/linalg.h"

namespace tandem::py {
namespace {

nb::tuple tuple_of(const std::vector<array>& xs) {
  nb::list l;
  for (auto& x : xs) l.append(nb::cast(x));
  return nb::tuple(l);
}

// ord: None, a number (int, float, inf) or a string ("fro", "nuc").
array py_norm(const array& a, nb::handle ord, const Axes& axis, bool keepdims, StreamOrDevice s) {
  if (ord.is_none()) return linalg::norm(a, axis.axes, keepdims, s);
  if (PyUnicode_Check(ord.ptr())) {
    return linalg::norm(a, nb::cast<std::string>(ord), axis.axes, keepdims, s);
  }
  if (PyBool_Check(ord.ptr()) || !(PyLong_Check(ord.ptr()) || PyFloat_Check(ord.ptr()))) {
    throw nb::type_error("[linalg::norm] ord must be None, a number or a string");
  }
  return linalg::norm(a, nb::cast<double>(ord), axis.axes, keepdims, s);
}

}  // namespace

void init_ops_linalg(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("linalg", "Linear algebra (mlx.core.linalg).");
  m.def(
      "norm",
      [](ArrayLike a, nb::handle ord, const Axes& axis, bool keepdims, StreamOrDevice s) {
        return py_norm(to_array(a), ord, axis, keepdims, s);
      },
      "a"_a, "ord"_a = nb::none(), "axis"_a = nb::none(), "keepdims"_a = false, nb::kw_only(), S,
      nb::sig("def norm(a: tandem.core.array, ord: int | float | str | None = None, axis: int | "
              "list[int] | None = None, keepdims: bool = False, *, stream: tandem.core.Stream | "
              "tandem.core.Device | tandem.core.DeviceType | None = None) -> "
              "tandem.core.array"),
      "Matrix or vector norm (NumPy's ord values; no ord and no axis: the 2-norm of the flattened "
      "array).\n"
      "\n"
      "Args:\n"
      "    a: input array.\n"
      "    ord: the norm: None (2-norm, Frobenius for matrices), a number (inf and -inf\n"
      "        included) or \"fro\" / \"nuc\" for matrices.\n"
      "    axis: one axis (a vector norm) or two (a matrix norm); None uses a's\n"
      "        1 or 2 dimensions, or flattens it when ord is None.\n"
      "    keepdims: keep the reduced axes with size 1.\n"
      "\n"
      "Returns:\n"
      "    The norms, a real array.");
  // mlx.core.matrix_norm is mlx.core.linalg.norm itself.
  parent.attr("matrix_norm") = m.attr("norm");
  m.def(
      "matrix_norm",
      [](ArrayLike a, nb::handle ord, bool keepdims, StreamOrDevice s) {
        return py_norm(to_array(a), ord.is_none() ? nb::str("fro") : ord,
                       Axes{std::vector<int>{-2, -1}}, keepdims, s);
      },
      "a"_a, "ord"_a = "fro", "keepdims"_a = false, nb::kw_only(), S,
      nb::sig(
          "def matrix_norm(a: tandem.core.array, ord: int | float | str = 'fro', keepdims: bool = "
          "False, *, stream: tandem.core.Stream | tandem.core.Device | tandem.core.DeviceType | "
          "None = None) -> "
          "tandem.core.array"),
      "The norm of the matrices on the last two axes.\n"
      "\n"
      "Args:\n"
      "    a: a matrix, or a stack of them on the last two axes.\n"
      "    ord: \"fro\" (default), \"nuc\", or a number as for norm.\n"
      "    keepdims: keep the two reduced axes with size 1.\n"
      "\n"
      "Returns:\n"
      "    The norms, a real array.");
  m.def(
      "qr",
      [](ArrayLike a, StreamOrDevice s) {
        auto [q, r] = linalg::qr(to_array(a), s);
        return nb::make_tuple(q, r);
      },
      "a"_a, nb::kw_only(), S,
      nb::sig("def qr(a: tandem.core.array, *, stream: tandem.core.Stream | tandem.core.Device | "
              "None = None) -> tuple[tandem.core.array, tandem.core.array]"),
      "Reduced QR factorization: (Q, R) with Q (m, k) orthonormal, R (k, n) upper, k = min(m, n).\n"
      "\n"
      "Args:\n"
      "    a: a matrix, or a stack of them on the last two axes.\n"
      "\n"
      "Returns:\n"
      "    The tuple (Q, R).");
  m.def(
      "svd",
      [](ArrayLike a, bool compute_uv, StreamOrDevice s) -> nb::object {
        auto out = linalg::svd(to_array(a), compute_uv, s);
        if (!compute_uv) return nb::cast(out[0]);
        return tuple_of(out);
      },
      "a"_a, "compute_uv"_a = true, nb::kw_only(), S,
      nb::sig("def svd(a: tandem.core.array, compute_uv: bool = True, *, stream: "
              "tandem.core.Stream | tandem.core.Device | tandem.core.DeviceType | None = None) -> "
              "tuple[tandem.core.array, tandem.core.array, tandem.core.array] | tandem.core.array"),
      "Singular value decomposition: (U, S, Vt) with full U and Vt, or S alone.\n"
      "\n"
      "Args:\n"
      "    a: a matrix, or a stack of them on the last two axes.\n"
      "    compute_uv: return U and Vt too (default True).\n"
      "\n"
      "Returns:\n"
      "    (U, S, Vt) with a = U @ diag(S) @ Vt[:k], or S (descending) alone.");
  m.def(
      "inv", [](ArrayLike a, StreamOrDevice s) { return linalg::inv(to_array(a), s); }, "a"_a,
      nb::kw_only(), S,
      "Inverse of square matrices.\n"
      "\n"
      "Args:\n"
      "    a: a square matrix, or a stack of them on the last two axes.\n"
      "\n"
      "Returns:\n"
      "    An array of a's shape.");
  m.def(
      "tri_inv",
      [](ArrayLike a, bool upper, StreamOrDevice s) {
        return linalg::tri_inv(to_array(a), upper, s);
      },
      "a"_a, "upper"_a = false, nb::kw_only(), S,
      "Inverse of triangular matrices (only the lower, or upper, triangle is read).\n"
      "\n"
      "Args:\n"
      "    a: a square matrix, or a stack of them on the last two axes.\n"
      "    upper: read the upper triangle instead of the lower one.\n"
      "\n"
      "Returns:\n"
      "    An array of a's shape.");
  m.def(
      "cholesky",
      [](ArrayLike a, bool upper, StreamOrDevice s) {
        return linalg::cholesky(to_array(a), upper, s);
      },
      "a"_a, "upper"_a = false, nb::kw_only(), S,
      "Cholesky factor of symmetric positive definite matrices (lower, or upper).\n"
      "\n"
      "Args:\n"
      "    a: a square matrix, or a stack of them on the last two axes.\n"
      "    upper: return U with a = U^T U instead of L with a = L L^T.\n"
      "\n"
      "Returns:\n"
      "    The triangular factor, of a's shape.");
  m.def(
      "cholesky_inv",
      [](ArrayLike a, bool upper, StreamOrDevice s) {
        return linalg::cholesky_inv(to_array(a), upper, s);
      },
      "a"_a, "upper"_a = false, nb::kw_only(), S,
      "Inverse of A given its Cholesky factor (A = L L^T, or U^T U with upper=True).\n"
      "\n"
      "Args:\n"
      "    a: the Cholesky factor (or a stack of them).\n"
      "    upper: a is the upper factor U instead of the lower L.\n"
      "\n"
      "Returns:\n"
      "    The inverse of A, of a's shape.");
  m.def(
      "pinv", [](ArrayLike a, StreamOrDevice s) { return linalg::pinv(to_array(a), s); }, "a"_a,
      nb::kw_only(), S,
      "Moore-Penrose pseudo-inverse (through the SVD).\n"
      "\n"
      "Args:\n"
      "    a: a matrix, or a stack of them on the last two axes.\n"
      "\n"
      "Returns:\n"
      "    An array with a's last two axes swapped in size.");
  m.def(
      "cross",
      [](ArrayLike a, ArrayLike b, int axis, StreamOrDevice s) {
        return linalg::cross(to_array(a), to_array(b), axis, s);
      },
      "a"_a, "b"_a, "axis"_a = -1, nb::kw_only(), S,
      "Cross product of 3-vectors (2-vectors read with z = 0) along axis.\n"
      "\n"
      "Args:\n"
      "    a, b: the vectors, broadcast against each other.\n"
      "    axis: the axis holding the vectors' components (default the last).\n"
      "\n"
      "Returns:\n"
      "    The cross products.");
  m.def(
      "eigvals", [](ArrayLike a, StreamOrDevice s) { return linalg::eigvals(to_array(a), s); },
      "a"_a, nb::kw_only(), S,
      "Eigenvalues of general square matrices (complex64).\n"
      "\n"
      "Args:\n"
      "    a: a square matrix, or a stack of them on the last two axes.\n"
      "\n"
      "Returns:\n"
      "    The eigenvalues, a complex64 array of a's shape without the last axis.");
  m.def(
      "eig",
      [](ArrayLike a, StreamOrDevice s) {
        auto [w, v] = linalg::eig(to_array(a), s);
        return nb::make_tuple(w, v);
      },
      "a"_a, nb::kw_only(), S,
      nb::sig("def eig(a: tandem.core.array, *, stream: tandem.core.Stream | tandem.core.Device | "
              "None = None) -> tuple[tandem.core.array, tandem.core.array]"),
      "Eigenvalues and right eigenvectors (columns) of general square matrices (complex64).\n"
      "\n"
      "Args:\n"
      "    a: a square matrix, or a stack of them on the last two axes.\n"
      "\n"
      "Returns:\n"
      "    (w, v) with a @ v[..., :, i] = w[..., i] * v[..., :, i].");
  m.def(
      "eigvalsh",
      [](ArrayLike a, const std::string& uplo, StreamOrDevice s) {
        return linalg::eigvalsh(to_array(a), uplo, s);
      },
      "a"_a, "UPLO"_a = "L", nb::kw_only(), S,
      "Eigenvalues (ascending) of symmetric or Hermitian matrices, reading triangle UPLO.\n"
      "\n"
      "Args:\n"
      "    a: a square matrix, or a stack of them on the last two axes.\n"
      "    UPLO: \"L\" (default) reads the lower triangle, \"U\" the upper one.\n"
      "\n"
      "Returns:\n"
      "    The real eigenvalues, ascending.");
  m.def(
      "eigh",
      [](ArrayLike a, const std::string& uplo, StreamOrDevice s) {
        auto [w, v] = linalg::eigh(to_array(a), uplo, s);
        return nb::make_tuple(w, v);
      },
      "a"_a, "UPLO"_a = "L", nb::kw_only(), S,
      nb::sig("def eigh(a: tandem.core.array, UPLO: str = 'L', *, stream: tandem.core.Stream | "
              "tandem.core.Device | tandem.core.DeviceType | None = None) -> "
              "tuple[tandem.core.array, tandem.core.array]"),
      "Eigenvalues (ascending) and eigenvectors (columns) of symmetric or Hermitian matrices.\n"
      "\n"
      "Args:\n"
      "    a: a square matrix, or a stack of them on the last two axes.\n"
      "    UPLO: \"L\" (default) reads the lower triangle, \"U\" the upper one.\n"
      "\n"
      "Returns:\n"
      "    (w, v): the eigenvalues, ascending, and the eigenvectors as columns.");
  m.def(
      "lu", [](ArrayLike a, StreamOrDevice s) { return tuple_of(linalg::lu(to_array(a), s)); },
      "a"_a, nb::kw_only(), S,
      nb::sig("def lu(a: tandem.core.array, *, stream: tandem.core.Stream | tandem.core.Device | "
              "None = None) -> tuple[tandem.core.array, tandem.core.array, tandem.core.array]"),
      "LU factorization with partial pivoting: (P, L, U) with A = L[P] @ U.\n"
      "\n"
      "Args:\n"
      "    a: a square matrix, or a stack of them on the last two axes.\n"
      "\n"
      "Returns:\n"
      "    (P, L, U): the row permutation as indices, unit lower L and upper U.");
  m.def(
      "lu_factor",
      [](ArrayLike a, StreamOrDevice s) {
        auto [lu, piv] = linalg::lu_factor(to_array(a), s);
        return nb::make_tuple(lu, piv);
      },
      "a"_a, nb::kw_only(), S,
      nb::sig("def lu_factor(a: tandem.core.array, *, stream: tandem.core.Stream | "
              "tandem.core.Device | tandem.core.DeviceType | None = None) -> "
              "tuple[tandem.core.array, tandem.core.array]"),
      "Packed LU factors and LAPACK's (0-based) pivots.\n"
      "\n"
      "Args:\n"
      "    a: a square matrix, or a stack of them on the last two axes.\n"
      "\n"
      "Returns:\n"
      "    (LU, pivots): L below the diagonal (unit diagonal implied) and U on and\n"
      "    above it; row i was swapped with row pivots[i].");
  m.def(
      "solve",
      [](ArrayLike a, ArrayLike b, StreamOrDevice s) {
        return linalg::solve(to_array(a), to_array(b), s);
      },
      "a"_a, "b"_a, nb::kw_only(), S,
      "Solution X of A X = B (b a vector or matrices).\n"
      "\n"
      "Args:\n"
      "    a: square matrices A.\n"
      "    b: the right-hand sides: a vector, or matrices broadcast against a.\n"
      "\n"
      "Returns:\n"
      "    X, of b's shape (broadcast).");
  m.def(
      "solve_triangular",
      [](ArrayLike a, ArrayLike b, bool upper, StreamOrDevice s) {
        return linalg::solve_triangular(to_array(a), to_array(b), upper, s);
      },
      "a"_a, "b"_a, nb::kw_only(), "upper"_a = false, S,
      "Solution X of A X = B for triangular A.\n"
      "\n"
      "Args:\n"
      "    a: triangular matrices A (only the triangle is read).\n"
      "    b: the right-hand sides.\n"
      "    upper: a is upper triangular (default lower).\n"
      "\n"
      "Returns:\n"
      "    X, of b's shape (broadcast).");
  m.def(
      "det", [](ArrayLike a, StreamOrDevice s) { return linalg::det(to_array(a), s); }, "a"_a,
      nb::kw_only(), S,
      "Determinant of square matrices.\n"
      "\n"
      "Args:\n"
      "    a: a square matrix, or a stack of them on the last two axes.\n"
      "\n"
      "Returns:\n"
      "    The determinants, a's shape without the last two axes.");
  m.def(
      "slogdet",
      [](ArrayLike a, StreamOrDevice s) {
        auto [sign, logdet] = linalg::slogdet(to_array(a), s);
        return nb::make_tuple(sign, logdet);
      },
      "a"_a, nb::kw_only(), S,
      nb::sig("def slogdet(a: tandem.core.array, *, stream: tandem.core.Stream | "
              "tandem.core.Device | tandem.core.DeviceType | None = None) -> "
              "tuple[tandem.core.array, tandem.core.array]"),
      "Sign and natural log of the absolute value of the determinant.\n"
      "\n"
      "Args:\n"
      "    a: a square matrix, or a stack of them on the last two axes.\n"
      "\n"
      "Returns:\n"
      "    (sign, logabsdet) with det = sign * exp(logabsdet).");
}

}  // namespace tandem::py
