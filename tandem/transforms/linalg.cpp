// Transform rules of the linalg primitives. Derivatives follow the usual
// matrix-calculus results (inverse, Cholesky, QR, symmetric eigenproblem,
// SVD, LU), written with the ops themselves so they compose with every
// transform. Routines that read one triangle of their input (cholesky, eigh,
// tri_inv) differentiate as functions of that triangle only. vmap moves the
// mapped axis to the front: every primitive is batched over leading axes.
#include "tandem/ops/linalg.h"

#include <string>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/matmul.h"
#include "tandem/ops/reduce.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/sort.h"
#include "tandem/ops/unary.h"
#include "tandem/pool.h"
#include "tandem/primitives/linalg.h"
#include "tandem/transforms/rules.h"

namespace tandem {
namespace {

[[noreturn]] void unsupported(const char* prim, const char* transform, const std::string& why) {
  throw std::invalid_argument(std::string("[") + transform + "] not supported by primitive " +
                              prim + ": " + why);
}

array mT(const array& a, Stream s) {
  return swapaxes(a, -1, -2, s);
}
array mm(const array& a, const array& b, Stream s) {
  return matmul(a, b, s);
}
int dim(const array& a, int i) {
  return a.shape()[a.ndim() + i];
}

// The symmetric matrix a routine reading triangle `upper` of x sees, and the
// adjoint of that map (folds a symmetric-input gradient onto the triangle).
array sym_from_tri(const array& x, bool upper, Stream s) {
  return upper ? add(triu(x, 0, s), mT(triu(x, 1, s), s), s)
               : add(tril(x, 0, s), mT(tril(x, -1, s), s), s);
}
array fold_to_tri(const array& g, bool upper, Stream s) {
  return upper ? add(triu(g, 0, s), triu(mT(g, s), 1, s), s)
               : add(tril(g, 0, s), tril(mT(g, s), -1, s), s);
}

// F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it.
array gap_inverse(const array& w, Stream s) {
  array d = subtract(expand_dims(w, -2, s), expand_dims(w, -1, s), s);
  int n = dim(w, -1);
  array off = logical_not(astype(eye(n, n, 0, bool_, s), bool_, s), s);
  array one = rules::scalar_like(1.0, d);
  return where(off, divide(one, where(off, d, one, s), s), rules::scalar_like(0.0, d), s);
}

array diag_embed(const array& v, Stream s) {
  int n = dim(v, -1);
  return multiply(expand_dims(v, -1, s), eye(n, n, 0, v.dtype(), s), s);
}

// Cholesky factor L (lower) of the symmetric matrix: the jvp and the vjp.
array phi(const array& x, Stream s) {
  return subtract(tril(x, 0, s),
                  multiply(rules::scalar_like(0.5, x), diag_embed(diagonal(x, 0, -2, -1, s), s), s),
                  s);
}

// The outputs of p's node, made again from the primals when the caller
// dropped some: autodiff then passes zeros for them (siblings are held
// weakly), and the rules need the real values.
std::vector<array> live_outputs(const Primitive& p, const std::shared_ptr<Primitive>& again,
                                const std::vector<array>& primals,
                                const std::vector<array>& outputs) {
  bool live = true;
  for (auto& o : outputs) live = live && (!o.has_primitive() || &o.primitive() == &p);
  if (live) return outputs;
  std::vector<Shape> shapes;
  std::vector<Dtype> dtypes;
  for (auto& o : outputs) {
    shapes.push_back(o.shape());
    dtypes.push_back(o.dtype());
  }
  return array::make_arrays(shapes, dtypes, again, primals);
}

std::pair<std::vector<array>, std::vector<int>> batched(Primitive& p,
                                                        const std::shared_ptr<Primitive>& made,
                                                        const std::vector<array>& inputs,
                                                        const std::vector<int>& axes,
                                                        const std::vector<array>& outputs) {
  array x = rules::batch_front(inputs[0], axes[0], 0, p.stream());
  int b = x.shape()[0];
  std::vector<Shape> shapes;
  std::vector<Dtype> dtypes;
  for (auto& o : outputs) {
    Shape sh{b};
    for (auto d : o.shape()) sh.push_back(d);
    shapes.push_back(sh);
    dtypes.push_back(o.dtype());
  }
  std::vector<array> outs;
  if (outputs.size() == 1) {
    outs.push_back(array(shapes[0], dtypes[0], made, {x}));
  } else {
    outs = array::make_arrays(shapes, dtypes, made, {x});
  }
  return {outs, std::vector<int>(outs.size(), 0)};
}

}  // namespace

// --- Inverse ---------------------------------------------------------------
// Y = A^-1: dY = -Y dA Y, so A's cotangent is -Y^T G Y^T (restricted to the
// triangle a triangular inverse reads).

std::vector<array> Inverse::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                                const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  array yt = mT(outputs[0], s);
  array g = negative(mm(mm(yt, cotangents[0], s), yt, s), s);
  if (tri_) g = upper_ ? triu(g, 0, s) : tril(g, 0, s);
  return {g};
}

std::vector<array> Inverse::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  array t = tangents[0];
  if (tri_) t = upper_ ? triu(t, 0, s) : tril(t, 0, s);
  const array& y = outputs[0];
  return {negative(mm(mm(y, t, s), y, s), s)};
}

std::pair<std::vector<array>, std::vector<int>> Inverse::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes,
                                                              const std::vector<array>& outputs) {
  return batched(*this, make_pooled<Inverse>(stream(), tri_, upper_), inputs, axes, outputs);
}

// --- Cholesky --------------------------------------------------------------
// A = L L^T: dL = L phi(L^-1 dA L^-T), phi = lower triangle with the
// diagonal halved; the vjp is its adjoint, L^-T phi(L^T G) L^-1.

std::vector<array> Cholesky::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                                 const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  array l = upper_ ? mT(outputs[0], s) : outputs[0];
  array gl = upper_ ? mT(cotangents[0], s) : cotangents[0];
  array li = linalg::tri_inv(l, false, s);
  array p = phi(mm(mT(l, s), gl, s), s);
  array g = mm(mm(mT(li, s), p, s), li, s);
  return {fold_to_tri(g, upper_, s)};
}

std::vector<array> Cholesky::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                 const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  array l = upper_ ? mT(outputs[0], s) : outputs[0];
  array li = linalg::tri_inv(l, false, s);
  array da = sym_from_tri(tangents[0], upper_, s);
  array dl = mm(l, phi(mm(mm(li, da, s), mT(li, s), s), s), s);
  return {upper_ ? mT(dl, s) : dl};
}

std::pair<std::vector<array>, std::vector<int>> Cholesky::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes,
                                                               const std::vector<array>& outputs) {
  return batched(*this, make_pooled<Cholesky>(stream(), upper_), inputs, axes, outputs);
}

// --- QR (m >= n) -----------------------------------------------------------
// A = Q R with Q^T Q = I and R upper: X = Q^T dA R^-1 splits into the skew
// Q^T dQ and the upper dR R^-1.

std::vector<array> QRF::vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  const array& a = primals[0];
  if (dim(a, -2) < dim(a, -1)) {
    unsupported(name(), "vjp",
                "QR gradients need rows >= columns; received shape " + shape_str(a.shape()));
  }
  auto out = live_outputs(*this, make_pooled<QRF>(s), primals, outputs);
  const array &q = out[0], &r = out[1];
  const array &gq = cotangents[0], &gr = cotangents[1];
  array m = subtract(mm(r, mT(gr, s), s), mm(mT(gq, s), q, s), s);
  array copyltu = add(tril(m, 0, s), mT(tril(m, -1, s), s), s);
  array b = add(gq, mm(q, copyltu, s), s);
  // b R^-T
  array rinv = linalg::tri_inv(r, true, s);
  return {mm(b, mT(rinv, s), s)};
}

std::vector<array> QRF::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  const array& a = primals[0];
  if (dim(a, -2) < dim(a, -1)) {
    unsupported(name(), "jvp",
                "QR derivatives need rows >= columns; received shape " + shape_str(a.shape()));
  }
  auto out = live_outputs(*this, make_pooled<QRF>(s), primals, outputs);
  const array &q = out[0], &r = out[1];
  array rinv = linalg::tri_inv(r, true, s);
  array dar = mm(tangents[0], rinv, s);
  array x = mm(mT(q, s), dar, s);
  array low = tril(x, -1, s);
  array upper = subtract(x, subtract(low, mT(low, s), s), s);  // X - Omega
  return {subtract(dar, mm(q, upper, s), s), mm(upper, r, s)};
}

std::pair<std::vector<array>, std::vector<int>> QRF::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes,
                                                          const std::vector<array>& outputs) {
  return batched(*this, make_pooled<QRF>(stream()), inputs, axes, outputs);
}

// --- SVD -------------------------------------------------------------------
namespace {
// The first min(m, n) left and right singular vectors of a: (U_k, Vt_k).
std::pair<array, array> thin_singular_vectors(const array& a, Stream s) {
  int k = std::min(dim(a, -2), dim(a, -1));
  auto usv = linalg::svd(a, true, s);
  Shape st(a.ndim(), 0), su = usv[0].shape(), sv = usv[2].shape();
  su[a.ndim() - 1] = k;
  sv[a.ndim() - 2] = k;
  return {slice(usv[0], st, su, s), slice(usv[2], st, sv, s)};
}
}  // namespace

// Values only: dS = diag(U^T dA V). With U and Vt (square matrices, distinct
// values): the classic result with F[i, j] = 1 / (s_j^2 - s_i^2).

std::vector<array> SVD::vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  const array& a = primals[0];
  if (is_complex(a.dtype())) unsupported(name(), "vjp", "complex inputs are not supported");
  int m = dim(a, -2), n = dim(a, -1);
  if (!compute_uv_) {
    auto [u, vt] = thin_singular_vectors(a, s);
    return {mm(multiply(u, expand_dims(cotangents[0], -2, s), s), vt, s)};
  }
  if (m != n) {
    unsupported(name(), "vjp",
                "with compute_uv=True only square matrices are supported; received shape " +
                    shape_str(a.shape()));
  }
  auto out = live_outputs(*this, make_pooled<SVD>(s, true), primals, outputs);
  const array &u = out[0], &sv = out[1], &vt = out[2];
  array v = mT(vt, s);
  array gu = cotangents[0], gs = cotangents[1], gv = mT(cotangents[2], s);
  array f = gap_inverse(square(sv, s), s);
  array j = mm(mT(u, s), gu, s), kk = mm(mT(v, s), gv, s);
  array sm = diag_embed(sv, s);
  array inner = add(diag_embed(gs, s),
                    add(mm(multiply(f, subtract(j, mT(j, s), s), s), sm, s),
                        mm(sm, multiply(f, subtract(kk, mT(kk, s), s), s), s), s),
                    s);
  return {mm(mm(u, inner, s), vt, s)};
}

std::vector<array> SVD::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  const array& a = primals[0];
  if (is_complex(a.dtype())) unsupported(name(), "jvp", "complex inputs are not supported");
  int m = dim(a, -2), n = dim(a, -1);
  if (!compute_uv_) {
    auto [u, vt] = thin_singular_vectors(a, s);
    return {diagonal(mm(mm(mT(u, s), tangents[0], s), mT(vt, s), s), 0, -2, -1, s)};
  }
  if (m != n) {
    unsupported(name(), "jvp",
                "with compute_uv=True only square matrices are supported; received shape " +
                    shape_str(a.shape()));
  }
  auto out = live_outputs(*this, make_pooled<SVD>(s, true), primals, outputs);
  const array &u = out[0], &sv = out[1], &vt = out[2];
  array v = mT(vt, s);
  array dp = mm(mm(mT(u, s), tangents[0], s), v, s);
  array sm = diag_embed(sv, s);
  array f = gap_inverse(square(sv, s), s);
  array du = mm(u, multiply(f, add(mm(dp, sm, s), mm(sm, mT(dp, s), s), s), s), s);
  array dv = mm(v, multiply(f, add(mm(sm, dp, s), mm(mT(dp, s), sm, s), s), s), s);
  return {du, diagonal(dp, 0, -2, -1, s), mT(dv, s)};
}

std::pair<std::vector<array>, std::vector<int>> SVD::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes,
                                                          const std::vector<array>& outputs) {
  return batched(*this, make_pooled<SVD>(stream(), compute_uv_), inputs, axes, outputs);
}

// --- Eigh ------------------------------------------------------------------
// M = V^T dA V: dw = diag(M), dV = V (F o M), F[i, j] = 1 / (w_j - w_i).

std::vector<array> Eigh::vjp(const std::vector<array>& primals,
                             const std::vector<array>& cotangents, const std::vector<int>&,
                             const std::vector<array>& outputs) {
  Stream s = stream();
  const array& a = primals[0];
  if (is_complex(a.dtype())) unsupported(name(), "vjp", "complex inputs are not supported");
  std::string uplo(1, uplo_);
  auto out = live_outputs(*this, make_pooled<Eigh>(s, uplo_, vectors_), primals, outputs);
  array w = out[0];
  array v = vectors_ ? out[1] : linalg::eigh(a, uplo, s).second;
  array inner = diag_embed(cotangents[0], s);
  if (vectors_) {
    inner = add(inner, multiply(gap_inverse(w, s), mm(mT(v, s), cotangents[1], s), s), s);
  }
  array g = mm(mm(v, inner, s), mT(v, s), s);
  return {fold_to_tri(g, uplo_ == 'U', s)};
}

std::vector<array> Eigh::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  const array& a = primals[0];
  if (is_complex(a.dtype())) unsupported(name(), "jvp", "complex inputs are not supported");
  std::string uplo(1, uplo_);
  auto out = live_outputs(*this, make_pooled<Eigh>(s, uplo_, vectors_), primals, outputs);
  array w = out[0];
  array v = vectors_ ? out[1] : linalg::eigh(a, uplo, s).second;
  array da = sym_from_tri(tangents[0], uplo_ == 'U', s);
  array m = mm(mm(mT(v, s), da, s), v, s);
  array dw = diagonal(m, 0, -2, -1, s);
  if (!vectors_) return {dw};
  return {dw, mm(v, multiply(gap_inverse(w, s), m, s), s)};
}

std::pair<std::vector<array>, std::vector<int>> Eigh::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes,
                                                           const std::vector<array>& outputs) {
  return batched(*this, make_pooled<Eigh>(stream(), uplo_, vectors_), inputs, axes, outputs);
}

// --- Eig: no derivatives (as in MLX) ----------------------------------------

std::vector<array> Eig::vjp(const std::vector<array>&, const std::vector<array>&,
                            const std::vector<int>&, const std::vector<array>&) {
  unsupported(name(), "vjp", "derivatives of general eigendecompositions are not implemented");
}

std::vector<array> Eig::jvp(const std::vector<array>&, const std::vector<array>&,
                            const std::vector<int>&, const std::vector<array>&) {
  unsupported(name(), "jvp", "derivatives of general eigendecompositions are not implemented");
}

std::pair<std::vector<array>, std::vector<int>> Eig::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes,
                                                          const std::vector<array>& outputs) {
  return batched(*this, make_pooled<Eig>(stream(), vectors_), inputs, axes, outputs);
}

// --- LU (square) -----------------------------------------------------------
// A[rows] = L U: X = L^-1 dA[rows] U^-1 gives dL = L tril(X, -1) and
// dU = triu(X) U; the pivots and the permutation carry no derivative.

namespace {
std::pair<array, array> lu_factors(const array& packed, Stream s) {
  int n = dim(packed, -1);
  array l = add(tril(packed, -1, s), eye(n, n, 0, packed.dtype(), s), s);
  return {l, triu(packed, 0, s)};
}
void check_square_lu(const char* transform, const char* name, const array& a) {
  if (dim(a, -2) != dim(a, -1)) {
    unsupported(name, transform,
                "LU derivatives need square matrices; received shape " + shape_str(a.shape()));
  }
}
// perm (..., m) as indices for rows of (..., m, n).
array row_index(const array& perm, int n, Stream s) {
  array p = expand_dims(perm, -1, s);
  Shape sh = p.shape();
  sh.back() = n;
  return broadcast_to(p, sh, s);
}
}  // namespace

std::vector<array> LUF::vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  check_square_lu("vjp", name(), primals[0]);
  auto out = live_outputs(*this, make_pooled<LUF>(s), primals, outputs);
  auto [l, u] = lu_factors(out[0], s);
  const array& g = cotangents[0];
  array li = linalg::tri_inv(l, false, s), ui = linalg::tri_inv(u, true, s);
  array inner = add(tril(mm(mT(l, s), tril(g, -1, s), s), -1, s),
                    triu(mm(triu(g, 0, s), mT(u, s), s), 0, s), s);
  array ga_perm = mm(mm(mT(li, s), inner, s), mT(ui, s), s);
  int n = dim(g, -1);
  return {take_along_axis(ga_perm, row_index(out[2], n, s), -2, s)};
}

std::vector<array> LUF::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  check_square_lu("jvp", name(), primals[0]);
  auto out = live_outputs(*this, make_pooled<LUF>(s), primals, outputs);
  auto [l, u] = lu_factors(out[0], s);
  int n = dim(l, -1);
  array rows = argsort(out[2], -1, s);
  array dap = take_along_axis(tangents[0], row_index(rows, n, s), -2, s);
  array li = linalg::tri_inv(l, false, s), ui = linalg::tri_inv(u, true, s);
  array x = mm(mm(li, dap, s), ui, s);
  array dlu = add(mm(l, tril(x, -1, s), s), mm(triu(x, 0, s), u, s), s);
  return {dlu, zeros_like(outputs[1], s), zeros_like(outputs[2], s)};
}

std::pair<std::vector<array>, std::vector<int>> LUF::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes,
                                                          const std::vector<array>& outputs) {
  return batched(*this, make_pooled<LUF>(stream()), inputs, axes, outputs);
}

}  // namespace tandem
