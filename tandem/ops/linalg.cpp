// mlx.core.linalg. The factorizations validate and make their primitive
// (tandem/primitives/linalg.h); everything else (solves, pinv, det, norms,
// cross, lu's L and U) is built from them and ordinary ops, so it inherits
// their transform rules.
#include "tandem/ops/linalg.h"

#include <cmath>
#include <limits>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/matmul.h"
#include "tandem/ops/reduce.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/ops/utils.h"
#include "tandem/pool.h"
#include "tandem/primitives/linalg.h"

namespace tandem::linalg {

namespace {

// The stream of a factorization: LAPACK runs on the CPU; on a GPU stream the
// op is refused now rather than when the graph is evaluated.
Stream cpu_stream(const char* op, StreamOrDevice s) {
  Stream st = to_stream(s);
  if (st.device.type == Device::gpu) {
    invalid(op,
            "This op is not yet supported on the GPU. Explicitly pass a CPU stream to run it "
            "(stream=mx.cpu).");
  }
  return st;
}

void check_matrix(const char* op, const array& a) {
  if (a.ndim() < 2) {
    invalid(op, "Arrays must have >= 2 dimensions. Received array with ", a.ndim(), " dimensions.");
  }
}

void check_square(const char* op, const array& a, const char* what) {
  check_matrix(op, a);
  if (a.shape()[a.ndim() - 1] != a.shape()[a.ndim() - 2]) {
    invalid(op, what, " only defined for square matrices. Received array with shape ", a.shape(),
            ".");
  }
}

void check_dtype(const char* op, const array& a, bool allow_complex) {
  Dtype t = a.dtype();
  if (t == float32 || t == float64 || (allow_complex && t == complex64)) return;
  invalid(op, "Arrays must have type ",
          allow_complex ? "float32, float64 or complex64" : "float32 or float64",
          ". Received array with type ", t, ".");
}

int rows(const array& a) {
  return a.shape()[a.ndim() - 2];
}
int cols(const array& a) {
  return a.shape()[a.ndim() - 1];
}

// a's shape with the last two dims replaced by r x c (or one dim r when c < 0).
Shape matrix_shape(const array& a, int r, int c = -1) {
  Shape sh(a.shape().begin(), a.shape().end() - 2);
  sh.push_back(r);
  if (c >= 0) sh.push_back(c);
  return sh;
}

Dtype real_of(Dtype t) {
  return t == complex64 ? float32 : t;
}

// The matrix dims (batch..., :r, :c) of a.
array top_left(const array& a, int r, int c, Stream s) {
  Shape start(a.ndim(), 0), stop = a.shape();
  stop[a.ndim() - 2] = r;
  stop[a.ndim() - 1] = c;
  return slice(a, start, stop, s);
}

array mT(const array& a, Stream s) {
  return swapaxes(a, -1, -2, s);
}

}  // namespace

// --- factorizations --------------------------------------------------------

std::pair<array, array> qr(const array& a, StreamOrDevice s) {
  const char* op = "linalg::qr";
  check_matrix(op, a);
  check_dtype(op, a, false);
  Stream st = cpu_stream(op, s);
  int m = rows(a), n = cols(a), k = std::min(m, n);
  auto out = array::make_arrays({matrix_shape(a, m, k), matrix_shape(a, k, n)},
                                {a.dtype(), a.dtype()}, make_pooled<QRF>(st), {a});
  return {out[0], out[1]};
}

std::vector<array> svd(const array& a, bool compute_uv, StreamOrDevice s) {
  const char* op = "linalg::svd";
  check_matrix(op, a);
  check_dtype(op, a, true);
  Stream st = cpu_stream(op, s);
  int m = rows(a), n = cols(a), k = std::min(m, n);
  Dtype rt = real_of(a.dtype());
  if (!compute_uv) {
    return array::make_arrays({matrix_shape(a, k)}, {rt}, make_pooled<SVD>(st, false), {a});
  }
  return array::make_arrays({matrix_shape(a, m, m), matrix_shape(a, k), matrix_shape(a, n, n)},
                            {a.dtype(), rt, a.dtype()}, make_pooled<SVD>(st, true), {a});
}

array inv(const array& a, StreamOrDevice s) {
  const char* op = "linalg::inv";
  check_square(op, a, "Inverses are");
  check_dtype(op, a, false);
  Stream st = cpu_stream(op, s);
  return array(a.shape(), a.dtype(), make_pooled<Inverse>(st, false, false), {a});
}

array tri_inv(const array& a, bool upper, StreamOrDevice s) {
  const char* op = "linalg::tri_inv";
  check_square(op, a, "Inverses are");
  check_dtype(op, a, false);
  Stream st = cpu_stream(op, s);
  return array(a.shape(), a.dtype(), make_pooled<Inverse>(st, true, upper), {a});
}

array cholesky(const array& a, bool upper, StreamOrDevice s) {
  const char* op = "linalg::cholesky";
  check_square(op, a, "Cholesky decomposition is");
  check_dtype(op, a, false);
  Stream st = cpu_stream(op, s);
  return array(a.shape(), a.dtype(), make_pooled<Cholesky>(st, upper), {a});
}

std::pair<array, array> eigh(const array& a, const std::string& UPLO, StreamOrDevice s) {
  const char* op = "linalg::eigh";
  check_square(op, a, "Eigendecomposition is");
  check_dtype(op, a, true);
  if (UPLO != "L" && UPLO != "U") invalid(op, "UPLO must be 'L' or 'U'. Received '", UPLO, "'.");
  Stream st = cpu_stream(op, s);
  int n = rows(a);
  auto out = array::make_arrays({matrix_shape(a, n), a.shape()}, {real_of(a.dtype()), a.dtype()},
                                make_pooled<Eigh>(st, UPLO[0], true), {a});
  return {out[0], out[1]};
}

array eigvalsh(const array& a, const std::string& UPLO, StreamOrDevice s) {
  const char* op = "linalg::eigvalsh";
  check_square(op, a, "Eigendecomposition is");
  check_dtype(op, a, true);
  if (UPLO != "L" && UPLO != "U") invalid(op, "UPLO must be 'L' or 'U'. Received '", UPLO, "'.");
  Stream st = cpu_stream(op, s);
  return array(matrix_shape(a, rows(a)), real_of(a.dtype()), make_pooled<Eigh>(st, UPLO[0], false),
               {a});
}

std::pair<array, array> eig(const array& a, StreamOrDevice s) {
  const char* op = "linalg::eig";
  check_square(op, a, "Eigendecomposition is");
  check_dtype(op, a, true);
  Stream st = cpu_stream(op, s);
  auto out = array::make_arrays({matrix_shape(a, rows(a)), a.shape()}, {complex64, complex64},
                                make_pooled<Eig>(st, true), {a});
  return {out[0], out[1]};
}

array eigvals(const array& a, StreamOrDevice s) {
  const char* op = "linalg::eigvals";
  check_square(op, a, "Eigendecomposition is");
  check_dtype(op, a, true);
  Stream st = cpu_stream(op, s);
  return array(matrix_shape(a, rows(a)), complex64, make_pooled<Eig>(st, false), {a});
}

namespace {
// {packed LU, pivots, permutation} of a.
std::vector<array> luf(const char* op, const array& a, Stream st) {
  int m = rows(a), n = cols(a), k = std::min(m, n);
  return array::make_arrays({a.shape(), matrix_shape(a, k), matrix_shape(a, m)},
                            {a.dtype(), uint32, uint32}, make_pooled<LUF>(st), {a});
}
}  // namespace

std::pair<array, array> lu_factor(const array& a, StreamOrDevice s) {
  const char* op = "linalg::lu_factor";
  check_matrix(op, a);
  check_dtype(op, a, false);
  auto out = luf(op, a, cpu_stream(op, s));
  return {out[0], out[1]};
}

std::vector<array> lu(const array& a, StreamOrDevice s) {
  const char* op = "linalg::lu";
  check_matrix(op, a);
  check_dtype(op, a, false);
  Stream st = cpu_stream(op, s);
  auto out = luf(op, a, st);
  int m = rows(a), n = cols(a), k = std::min(m, n);
  array l = add(tril(top_left(out[0], m, k, st), -1, st), eye(m, k, 0, a.dtype(), st), st);
  array u = triu(top_left(out[0], k, n, st), 0, st);
  return {out[2], l, u};
}

// --- built from the factorizations ----------------------------------------

array cholesky_inv(const array& l, bool upper, StreamOrDevice s) {
  const char* op = "linalg::cholesky_inv";
  check_square(op, l, "Cholesky inverse is");
  check_dtype(op, l, false);
  Stream st = cpu_stream(op, s);
  array li = tri_inv(l, upper, st);
  // A = L L^T: A^-1 = L^-T L^-1; A = U^T U: A^-1 = U^-1 U^-T.
  return upper ? matmul(li, mT(li, st), st) : matmul(mT(li, st), li, st);
}

array pinv(const array& a, StreamOrDevice s) {
  const char* op = "linalg::pinv";
  check_matrix(op, a);
  check_dtype(op, a, false);
  Stream st = cpu_stream(op, s);
  int m = rows(a), n = cols(a), k = std::min(m, n);
  if (k == 0) return zeros(matrix_shape(a, n, m), a.dtype(), st);
  auto usv = svd(a, true, st);
  array u = top_left(usv[0], m, k, st);
  array vt = top_left(usv[2], k, n, st);
  array sv = usv[1];
  // Singular values below max(m, n) * eps * the largest count as zero (NumPy's rcond).
  double eps = a.dtype() == float64 ? std::numeric_limits<double>::epsilon()
                                    : std::numeric_limits<float>::epsilon();
  array cutoff = multiply(max(sv, -1, true, st), array(std::max(m, n) * eps, a.dtype()), st);
  array keep = greater(sv, cutoff, st);
  array sinv =
      where(keep, divide(array(1.0, a.dtype()), where(keep, sv, array(1.0, a.dtype()), st), st),
            array(0.0, a.dtype()), st);
  return matmul(mT(vt, st), multiply(expand_dims(sinv, -1, st), mT(u, st), st), st);
}

namespace {
Dtype solve_dtype(const char* op, const array& a, const array& b) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  if (t != float32 && t != float64) {
    invalid(op, "Input arrays must promote to float32 or float64. Received arrays with type ",
            a.dtype(), " and ", b.dtype(), ".");
  }
  return t;
}

void check_solve_shapes(const char* op, const array& a, const array& b) {
  if (a.ndim() < 2) {
    invalid(op, "First input must have >= 2 dimensions. Received array with ", a.ndim(),
            " dimensions.");
  }
  if (rows(a) != cols(a)) {
    invalid(op, "First input must be a square matrix. Received array with shape ", a.shape(), ".");
  }
  if (b.ndim() < 1) invalid(op, "Second input must have >= 1 dimensions. Received a scalar.");
  int bn = b.ndim() == 1 ? b.shape()[0] : b.shape()[b.ndim() - 2];
  if (bn != cols(a)) {
    invalid(op, "Last dimension of first input with shape ", a.shape(),
            " must match second to last dimension of second input with shape ", b.shape(), ".");
  }
}
}  // namespace

// X = A^-1 B: the inverse carries the gradient rules, and the product
// broadcasts the batch dims (and a vector b) as matmul does.
array solve(const array& a, const array& b, StreamOrDevice s) {
  const char* op = "linalg::solve";
  check_solve_shapes(op, a, b);
  Dtype t = solve_dtype(op, a, b);
  Stream st = cpu_stream(op, s);
  return matmul(inv(astype(a, t, st), st), astype(b, t, st), st);
}

array solve_triangular(const array& a, const array& b, bool upper, StreamOrDevice s) {
  const char* op = "linalg::solve_triangular";
  check_solve_shapes(op, a, b);
  Dtype t = solve_dtype(op, a, b);
  Stream st = cpu_stream(op, s);
  return matmul(tri_inv(astype(a, t, st), upper, st), astype(b, t, st), st);
}

namespace {
// det and slogdet compute in float32 / float64; 16-bit floats return to
// their dtype, integers stay float32 (as MLX).
Dtype det_compute(Dtype t) {
  return t == float64 ? float64 : float32;
}
Dtype det_result(Dtype t) {
  return (t == float16 || t == bfloat16 || t == float64) ? t : float32;
}

// The diagonal of U and the sign of the row permutation, from an LU.
std::pair<array, array> lu_diag_parity(const char* op, const array& a, Stream st) {
  array x = astype(a, det_compute(a.dtype()), st);
  auto f = luf(op, x, st);
  int n = rows(a);
  array d = diagonal(f[0], 0, -2, -1, st);
  array steps = arange(0, n, 1, uint32, st);
  array swaps = sum(astype(not_equal(f[1], steps, st), int32, st), -1, false, st);
  // (-1)^swaps
  array parity = subtract(
      array(1.0, x.dtype()),
      multiply(array(2.0, x.dtype()), astype(remainder(swaps, array(2), st), x.dtype(), st), st),
      st);
  return {d, parity};
}
}  // namespace

array det(const array& a, StreamOrDevice s) {
  const char* op = "linalg::det";
  check_square(op, a, "Determinants are");
  Stream st = cpu_stream(op, s);
  auto [d, parity] = lu_diag_parity(op, a, st);
  return astype(multiply(prod(d, -1, false, st), parity, st), det_result(a.dtype()), st);
}

std::pair<array, array> slogdet(const array& a, StreamOrDevice s) {
  const char* op = "linalg::slogdet";
  check_square(op, a, "Determinants are");
  Stream st = cpu_stream(op, s);
  auto [d, parity] = lu_diag_parity(op, a, st);
  array sgn = multiply(prod(sign(d, st), -1, false, st), parity, st);
  array logabs = sum(log(abs(d, st), st), -1, false, st);
  Dtype rt = det_result(a.dtype());
  return {astype(sgn, rt, st), astype(logabs, rt, st)};
}

// --- cross -----------------------------------------------------------------

array cross(const array& a, const array& b, int axis, StreamOrDevice s) {
  const char* op = "linalg::cross";
  Stream st = to_stream(s);
  int ax_a = normalize_axis(axis, a.ndim(), op, a.shape());
  int ax_b = normalize_axis(axis, b.ndim(), op, b.shape());
  int na = a.shape()[ax_a], nb = b.shape()[ax_b];
  if ((na != 2 && na != 3) || (nb != 2 && nb != 3)) {
    invalid(op, "The specified axis must have size 2 or 3. Received shapes ", a.shape(), " and ",
            b.shape(), " with axis ", axis, ".");
  }
  Dtype t = promote_types(a.dtype(), b.dtype());
  auto comps = [&](const array& x, int ax, int n) {
    std::vector<array> c;
    for (int i = 0; i < n; ++i) c.push_back(astype(take(x, i, ax, st), t, st));
    if (n == 2) c.push_back(zeros_like(c[0], st));
    return c;
  };
  auto ca = comps(a, ax_a, na), cb = comps(b, ax_b, nb);
  auto term = [&](int i, int j) {
    return subtract(multiply(ca[i], cb[j], st), multiply(ca[j], cb[i], st), st);
  };
  std::vector<array> out = {term(1, 2), term(2, 0), term(0, 1)};
  out = broadcast_arrays(out, st);
  // The component axis goes where axis names it in the (broadcast) result.
  int out_ndim = out[0].ndim() + 1;
  int ax = axis < 0 ? axis + out_ndim : axis;
  if (ax < 0 || ax >= out_ndim) ax = out_ndim - 1;
  return stack(out, ax, st);
}

// --- norms -----------------------------------------------------------------

namespace {

Dtype norm_dtype(Dtype t) {
  if (t == complex64) return float32;
  return is_floating_point(t) ? t : float32;
}

std::vector<int> norm_axes(const char* op, const array& a,
                           const std::optional<std::vector<int>>& axis) {
  if (!axis) return all_axes(a.ndim());
  std::vector<int> ax;
  for (int x : *axis) ax.push_back(normalize_axis(x, a.ndim(), op, a.shape()));
  if (ax.size() == 2 && ax[0] == ax[1]) invalid(op, "Duplicate axes ", ax[0], " in norm.");
  if (ax.size() > 2) invalid(op, "Received too many axes for norm.");
  return ax;
}

array abs_real(const array& a, Stream st) {
  return astype(abs(a, st), norm_dtype(a.dtype()), st);
}

array vector_norm(const array& a, double ord, const std::vector<int>& ax, bool keepdims,
                  Stream st) {
  array x = abs_real(a, st);
  Dtype t = x.dtype();
  if (std::isinf(ord)) return ord > 0 ? max(x, ax, keepdims, st) : min(x, ax, keepdims, st);
  if (ord == 0) return astype(sum(not_equal(x, array(0.0, t), st), ax, keepdims, st), t, st);
  if (ord == 1) return sum(x, ax, keepdims, st);
  if (ord == 2) return sqrt(sum(square(x, st), ax, keepdims, st), st);
  return power(sum(power(x, array(ord, t), st), ax, keepdims, st), array(1.0 / ord, t), st);
}

array singular_values(const array& a, int r, int c, Stream st) {
  // Matrix axes r, c to the end, then the SVD's values.
  array m = a;
  std::vector<int> perm;
  for (int i = 0; i < a.ndim(); ++i) {
    if (i != r && i != c) perm.push_back(i);
  }
  perm.push_back(r);
  perm.push_back(c);
  return svd(transpose(m, perm, st), false, st)[0];
}

// Restores the two reduced axes r, c (as size 1) when keepdims.
array keep_matrix_dims(const array& x, int r, int c, bool keepdims, Stream st) {
  if (!keepdims) return x;
  return expand_dims(x, {std::min(r, c), std::max(r, c)}, st);
}

array matrix_norm_num(const array& a, double ord, int r, int c, bool keepdims, Stream st) {
  const char* op = "linalg::norm";
  if (ord == 2 || ord == -2) {
    array sv = singular_values(a, r, c, st);
    array v = ord > 0 ? max(sv, -1, false, st) : min(sv, -1, false, st);
    return keep_matrix_dims(v, r, c, keepdims, st);
  }
  array x = abs_real(a, st);
  if (ord == 1 || ord == -1) {
    // Largest (smallest) column sum: sum over rows, then reduce over columns.
    array cs = sum(x, r, true, st);
    array v = ord > 0 ? max(cs, c, true, st) : min(cs, c, true, st);
    return keepdims ? v : squeeze(v, {r, c}, st);
  }
  if (std::isinf(ord)) {
    array rs = sum(x, c, true, st);
    array v = ord > 0 ? max(rs, r, true, st) : min(rs, r, true, st);
    return keepdims ? v : squeeze(v, {r, c}, st);
  }
  invalid(op, "Invalid ord ", ord, " for matrix norm.");
}

array matrix_norm_str(const array& a, const std::string& ord, int r, int c, bool keepdims,
                      Stream st) {
  if (ord == "fro") {
    array x = abs_real(a, st);
    return sqrt(sum(square(x, st), {r, c}, keepdims, st), st);
  }
  if (ord == "nuc") {
    return keep_matrix_dims(sum(singular_values(a, r, c, st), -1, false, st), r, c, keepdims, st);
  }
  invalid("linalg::norm", "Invalid ord value '", ord, "' for matrix norm.");
}

}  // namespace

array norm(const array& a, const std::optional<std::vector<int>>& axis, bool keepdims,
           StreamOrDevice s) {
  Stream st = to_stream(s);
  auto ax = norm_axes("linalg::norm", a, axis);
  return sqrt(sum(square(abs_real(a, st), st), ax, keepdims, st), st);
}

array norm(const array& a, double ord, const std::optional<std::vector<int>>& axis, bool keepdims,
           StreamOrDevice s) {
  const char* op = "linalg::norm";
  Stream st = to_stream(s);
  if (!axis && a.ndim() > 2) invalid(op, "Received too many axes for norm.");
  auto ax = norm_axes(op, a, axis);
  if (ax.size() == 1) return vector_norm(a, ord, ax, keepdims, st);
  if (ax.size() == 2) return matrix_norm_num(a, ord, ax[0], ax[1], keepdims, st);
  invalid(op, "Norms need one or two axes; the array has shape ", a.shape(), ".");
}

array norm(const array& a, const std::string& ord, const std::optional<std::vector<int>>& axis,
           bool keepdims, StreamOrDevice s) {
  const char* op = "linalg::norm";
  Stream st = to_stream(s);
  if (!axis && a.ndim() > 2) invalid(op, "Received too many axes for norm.");
  auto ax = norm_axes(op, a, axis);
  if (ax.size() != 2) {
    invalid(op, "Norm '", ord, "' only supported for matrices, but received ", ax.size(),
            " axis/axes.");
  }
  return matrix_norm_str(a, ord, ax[0], ax[1], keepdims, st);
}

array matrix_norm(const array& a, const std::string& ord, bool keepdims, StreamOrDevice s) {
  check_matrix("linalg::matrix_norm", a);
  return norm(a, ord, std::vector<int>{-2, -1}, keepdims, s);
}

array matrix_norm(const array& a, double ord, bool keepdims, StreamOrDevice s) {
  check_matrix("linalg::matrix_norm", a);
  return norm(a, ord, std::vector<int>{-2, -1}, keepdims, s);
}

}  // namespace tandem::linalg
