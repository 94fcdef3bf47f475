"""mx.linalg against numpy.linalg (and SciPy's LU), with MLX's dtypes, shapes and errors.

Inputs are random and well conditioned: symmetric ones are Q diag(s) Q^T with
s in [1, 10], general ones Q1 diag(s) Q2^T, so every factorization is stable
and reconstructions hold to a few ulps times n; tolerances are 1e-4 (float32)
and 1e-10 (float64) relative to the matrices' norms. The linalg routines run
on CPU streams (MLX refuses GPU streams for them): the tests set the CPU as
the default device, and one test checks the refusal on the GPU.
"""
import numpy as np
import pytest
import tandem.core as mx
from test_transforms import check_grads

F32_F64 = [mx.float32, mx.float64]
NP = {mx.float32: np.float32, mx.float64: np.float64}
TOL = {mx.float32: 1e-4, mx.float64: 1e-10}


@pytest.fixture(autouse=True)
def on_cpu(default_device):
    mx.set_default_device(mx.cpu)
    yield
    mx.set_default_device(default_device)


def orth(rng, n, batch=()):
    q, _ = np.linalg.qr(rng.standard_normal(batch + (n, n)))
    return q


def spd(rng, n, batch=()):
    q = orth(rng, n, batch)
    s = rng.uniform(1, 10, batch + (n,))
    return (q * s[..., None, :]) @ np.swapaxes(q, -1, -2)


def general(rng, m, n, batch=()):
    k = min(m, n)
    u = orth(rng, m, batch)[..., :, :k]
    v = orth(rng, n, batch)[..., :, :k]
    s = rng.uniform(1, 10, batch + (k,)) * rng.choice([-1, 1], batch + (k,))
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def lower(rng, n, batch=()):
    x = np.tril(rng.uniform(-1, 1, batch + (n, n)), -1)
    d = rng.uniform(1, 3, batch + (n,)) * rng.choice([-1, 1], batch + (n,))
    return x + d[..., None] * np.eye(n)


def mxa(x, dtype, layout="contiguous"):
    """x as a tandem array of dtype: contiguous, or a transposed view of the same values."""
    x = np.asarray(x, dtype=NP[dtype])
    if layout == "transposed":
        t = np.ascontiguousarray(np.swapaxes(x, -1, -2))
        return mx.swapaxes(mx.array(t, dtype=dtype), -1, -2)
    return mx.array(x, dtype=dtype)


def close(got, want, dtype, scale=None):
    got = np.array(got)
    scale = scale if scale is not None else max(1.0, float(np.abs(want).max(initial=0)))
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL[dtype] * scale)


BATCHES = [(), (3,), (2, 2)]
LAYOUTS = ["contiguous", "transposed"]


# ------------------------------------------------------------- factorizations
@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_inv(rng, dtype, batch, layout):
    a = general(rng, 5, 5, batch)
    got = mx.linalg.inv(mxa(a, dtype, layout))
    assert got.dtype == dtype and got.shape == a.shape
    close(got, np.linalg.inv(a), dtype, 10)


@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_tri_inv_reads_one_triangle(rng, dtype, upper, layout):
    t = lower(rng, 4, (2,))
    t = np.swapaxes(t, -1, -2) if upper else t
    junk = rng.standard_normal(t.shape)  # in the triangle that is not read
    other = np.tril(junk, -1) if upper else np.triu(junk, 1)
    got = mx.linalg.tri_inv(mxa(t + other, dtype, layout), upper=upper)
    close(got, np.linalg.inv(t), dtype, 10)


@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_cholesky(rng, dtype, batch, layout):
    a = spd(rng, 5, batch)
    lo = mx.linalg.cholesky(mxa(a, dtype, layout))
    want = np.linalg.cholesky(a)
    close(lo, want, dtype)
    up = mx.linalg.cholesky(mxa(a, dtype, layout), upper=True)
    close(up, np.swapaxes(want, -1, -2), dtype)
    lo = np.array(lo).astype(np.float64)
    close(lo @ np.swapaxes(lo, -1, -2), a, dtype, 10)
    # Only the triangle read matters.
    junk = np.triu(rng.standard_normal(a.shape), 1)
    close(mx.linalg.cholesky(mxa(np.tril(a) + junk, dtype)), want, dtype)


@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inv(rng, dtype, upper):
    a = spd(rng, 4, (3,))
    lo = np.linalg.cholesky(a)
    f = np.swapaxes(lo, -1, -2) if upper else lo
    close(mx.linalg.cholesky_inv(mxa(f, dtype), upper=upper), np.linalg.inv(a), dtype, 10)


@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("shape", [(5, 5), (6, 3), (3, 6), (2, 4, 3), (2, 3, 4)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_qr(rng, dtype, shape, layout):
    m, n = shape[-2:]
    k = min(m, n)
    a = general(rng, m, n, shape[:-2])
    q, r = mx.linalg.qr(mxa(a, dtype, layout))
    assert q.shape == shape[:-2] + (m, k) and r.shape == shape[:-2] + (k, n)
    assert q.dtype == dtype and r.dtype == dtype
    q, r = np.array(q).astype(np.float64), np.array(r).astype(np.float64)
    close(q @ r, a, dtype, 10)
    close(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(k), q.shape[:-2] + (k, k)), dtype, 1)
    assert np.all(np.tril(r, -1) == 0)
    # R agrees with NumPy's up to the signs of its rows.
    rn = np.linalg.qr(a)[1]
    close(np.abs(r), np.abs(rn), dtype, 10)


@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("shape", [(5, 5), (6, 3), (3, 6), (2, 4, 3), (2, 2, 3, 3)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_svd(rng, dtype, shape, layout):
    m, n = shape[-2:]
    a = general(rng, m, n, shape[:-2])
    u, s, vt = mx.linalg.svd(mxa(a, dtype, layout))
    b = shape[:-2]
    assert u.shape == b + (m, m) and s.shape == b + (min(m, n),) and vt.shape == b + (n, n)
    close(s, np.linalg.svd(a, compute_uv=False), dtype, 10)
    u, s, vt = (np.array(x).astype(np.float64) for x in (u, s, vt))
    k = min(m, n)
    close((u[..., :, :k] * s[..., None, :]) @ vt[..., :k, :], a, dtype, 10)
    close(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(m), u.shape), dtype, 1)
    close(vt @ np.swapaxes(vt, -1, -2), np.broadcast_to(np.eye(n), vt.shape), dtype, 1)
    only = mx.linalg.svd(mxa(a, dtype), compute_uv=False)
    assert isinstance(only, mx.array)
    close(only, np.linalg.svd(a, compute_uv=False), dtype, 10)


def test_svd_complex64(rng):
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    u, s, vt = mx.linalg.svd(mx.array(a.astype(np.complex64)))
    assert u.dtype == mx.complex64 and s.dtype == mx.float32 and vt.dtype == mx.complex64
    np.testing.assert_allclose(np.array(s), np.linalg.svd(a, compute_uv=False), atol=1e-4)
    rec = np.array(u) @ np.diag(np.array(s)) @ np.array(vt)
    np.testing.assert_allclose(rec, a, atol=1e-4)


@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(rng, dtype, batch, uplo):
    a = spd(rng, 5, batch) - 5 * np.eye(5)  # eigenvalues of both signs
    junk = rng.standard_normal(a.shape)
    seen = np.tril(a) + np.triu(junk, 1) if uplo == "L" else np.triu(a) + np.tril(junk, -1)
    w, v = mx.linalg.eigh(mxa(seen, dtype), UPLO=uplo)
    assert w.dtype == dtype and w.shape == batch + (5,) and v.shape == a.shape
    close(w, np.linalg.eigvalsh(a), dtype, 10)
    w, v = np.array(w).astype(np.float64), np.array(v).astype(np.float64)
    close(a @ v, v * w[..., None, :], dtype, 10)
    close(mx.linalg.eigvalsh(mxa(seen, dtype), UPLO=uplo), np.linalg.eigvalsh(a), dtype, 10)


def test_eigh_complex64(rng):
    x = rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4))
    h = x + x.conj().T
    w, v = mx.linalg.eigh(mx.array(h.astype(np.complex64)))
    assert w.dtype == mx.float32 and v.dtype == mx.complex64
    np.testing.assert_allclose(np.array(w), np.linalg.eigvalsh(h), atol=1e-4)
    v = np.array(v)
    np.testing.assert_allclose(h @ v, v * np.array(w)[None, :], atol=1e-4)


@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("batch", [(), (3,)])
def test_eig(rng, dtype, batch):
    a = rng.standard_normal(batch + (5, 5))  # real, so complex pairs appear
    w, v = mx.linalg.eig(mxa(a, dtype))
    assert w.dtype == mx.complex64 and v.dtype == mx.complex64
    w, v = np.array(w), np.array(v)
    want = np.linalg.eigvals(a)
    np.testing.assert_allclose(np.sort_complex(w), np.sort_complex(want.astype(np.complex64)),
                               atol=1e-4)
    np.testing.assert_allclose(a @ v, v * w[..., None, :], atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1, atol=1e-5)
    np.testing.assert_allclose(np.sort_complex(np.array(mx.linalg.eigvals(mxa(a, dtype)))),
                               np.sort_complex(want), atol=1e-4)


def test_eig_complex64(rng):
    a = rng.standard_normal((2, 3, 3)) + 1j * rng.standard_normal((2, 3, 3))
    w, v = mx.linalg.eig(mx.array(a.astype(np.complex64)))
    w, v = np.array(w), np.array(v)
    np.testing.assert_allclose(a @ v, v * w[..., None, :], atol=1e-4)
    np.testing.assert_allclose(np.sort_complex(w), np.sort_complex(np.linalg.eigvals(a)),
                               atol=1e-4)


def test_eig_rotation():
    w = np.array(mx.linalg.eigvals(mx.array([[0.0, -1.0], [1.0, 0.0]])))
    np.testing.assert_allclose(np.sort_complex(w), [-1j, 1j], atol=1e-6)


@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("shape", [(5, 5), (2, 4, 4), (5, 3), (3, 5)])
def test_lu(rng, dtype, shape):
    scipy_linalg = pytest.importorskip("scipy.linalg")
    m, n = shape[-2:]
    a = rng.standard_normal(shape)
    p, lo, up = mx.linalg.lu(mxa(a, dtype))
    k = min(m, n)
    assert p.dtype == mx.uint32 and p.shape == shape[:-2] + (m,)
    assert lo.shape == shape[:-2] + (m, k) and up.shape == shape[:-2] + (k, n)
    p, lo, up = np.array(p), np.array(lo).astype(np.float64), np.array(up).astype(np.float64)
    rec = np.take_along_axis(lo, p[..., :, None].astype(np.int64), axis=-2) @ up
    close(rec, a, dtype, 10)
    assert np.all(np.triu(lo, 1) == 0) and np.allclose(np.diagonal(lo, 0, -2, -1), 1)
    assert np.all(np.tril(up, -1) == 0)
    packed, piv = mx.linalg.lu_factor(mxa(a, dtype))
    assert piv.dtype == mx.uint32 and piv.shape == shape[:-2] + (k,)
    for idx in np.ndindex(*shape[:-2]):
        lu_sp, piv_sp = scipy_linalg.lu_factor(a[idx])
        np.testing.assert_array_equal(np.array(piv)[idx], piv_sp)
        close(np.array(packed)[idx], lu_sp, dtype, 10)


def test_lu_matches_mlx_convention():
    # A = L[P] @ U with P = [2, 0, 1] for this matrix (MLX's answer).
    p, lo, up = mx.linalg.lu(mx.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]))
    assert np.array(p).tolist() == [2, 0, 1]
    np.testing.assert_allclose(np.array(up)[0], [2, 4, 6])


# ------------------------------------------------------------- composites
@pytest.mark.parametrize("dtype", F32_F64)
def test_solve(rng, dtype):
    a = general(rng, 4, 4, (3,))
    b = rng.standard_normal((3, 4, 2))
    close(mx.linalg.solve(mxa(a, dtype), mxa(b, dtype)), np.linalg.solve(a, b), dtype, 10)
    v = rng.standard_normal(4)
    close(mx.linalg.solve(mxa(a[0], dtype), mxa(v, dtype)), np.linalg.solve(a[0], v), dtype, 10)
    # Batch dims broadcast (a better answer than MLX 0.32, which raises here).
    bb = rng.standard_normal((5, 1, 4, 2))
    got = mx.linalg.solve(mxa(a, dtype), mxa(bb, dtype))
    assert got.shape == (5, 3, 4, 2)
    close(got, np.linalg.solve(a, bb), dtype, 10)
    # Integer right-hand sides promote.
    out = mx.linalg.solve(mxa(a[0], dtype), mx.array([1, 2, 3, 4]))
    assert out.dtype == dtype


@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("upper", [False, True])
def test_solve_triangular(rng, dtype, upper):
    t = lower(rng, 4, (2,))
    t = np.swapaxes(t, -1, -2) if upper else t
    b = rng.standard_normal((2, 4, 3))
    got = mx.linalg.solve_triangular(mxa(t, dtype), mxa(b, dtype), upper=upper)
    close(got, np.linalg.solve(t, b), dtype, 10)


@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3)])
def test_pinv(rng, dtype, shape):
    a = general(rng, shape[-2], shape[-1], shape[:-2])
    close(mx.linalg.pinv(mxa(a, dtype)), np.linalg.pinv(a), dtype, 10)


def test_pinv_singular():
    a = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])
    np.testing.assert_allclose(np.array(mx.linalg.pinv(mx.array(a))), np.linalg.pinv(a), atol=1e-5)


@pytest.mark.parametrize("dtype", [mx.float16, mx.float32, mx.float64, mx.int32])
def test_det_slogdet(rng, dtype):
    a = general(rng, 4, 4, (3,)) / 3
    if dtype == mx.int32:
        a = rng.integers(-3, 4, (3, 4, 4))
    x = mx.array(a, dtype=dtype)
    d = mx.linalg.det(x)
    want_dtype = mx.float32 if dtype == mx.int32 else dtype
    assert d.dtype == want_dtype and d.shape == (3,)
    xa = np.array(x).astype(np.float64)
    tol = 1e-2 if dtype == mx.float16 else 1e-4
    np.testing.assert_allclose(np.array(d).astype(np.float64), np.linalg.det(xa), rtol=tol,
                               atol=tol)
    sgn, logabs = mx.linalg.slogdet(x)
    ws, wl = np.linalg.slogdet(xa)
    np.testing.assert_array_equal(np.array(sgn).astype(np.float64), ws)
    ok = np.isfinite(wl)
    np.testing.assert_allclose(np.array(logabs).astype(np.float64)[ok], wl[ok], rtol=tol, atol=tol)


def fails_at_eval(x, match):
    """eval(x) raises RuntimeError; the stream reports a failed task to the
    next synchronize too, so that is drained here (not in a later test)."""
    with pytest.raises(RuntimeError, match=match):
        mx.eval(x)
    try:
        mx.synchronize()
    except RuntimeError:
        pass


def test_singular_matrices():
    sing = mx.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])
    assert float(mx.linalg.det(sing)) == 0.0
    s, la = mx.linalg.slogdet(sing)
    assert float(s) == 0.0 and float(la) == -np.inf
    fails_at_eval(mx.linalg.inv(sing), r"\[linalg::inv\].*singular")
    fails_at_eval(mx.linalg.tri_inv(mx.array([[1.0, 0], [1, 0]])), r"\[linalg::tri_inv\].*singular")
    fails_at_eval(mx.linalg.solve(sing, mx.ones((3,))), "singular")
    # LU of a singular matrix is fine (U has a zero pivot).
    p, lo, up = mx.linalg.lu(sing)
    assert abs(float(up[2, 2])) < 1e-6
    # The stream stays usable.
    assert float(mx.linalg.det(mx.eye(3) * 2)) == 8.0


def test_svd_nan_raises():
    fails_at_eval(mx.linalg.svd(mx.array([[np.nan, 1.0], [1.0, 1.0]])), r"\[linalg::svd\]")


@pytest.mark.parametrize("ord_", [None, 1, 2, 3, 0.5, -1, 0, np.inf, -np.inf])
def test_vector_norm(rng, ord_):
    x = rng.standard_normal((3, 5))
    x[0, 1] = 0.0
    for axis in [0, 1, -1]:
        for keepdims in [False, True]:
            got = mx.linalg.norm(mx.array(x.astype(np.float32)), ord_, axis, keepdims)
            with np.errstate(divide="ignore"):  # NumPy's negative ords meet the zero
                want = np.linalg.norm(x, ord_, axis, keepdims)
            np.testing.assert_allclose(np.array(got), want, rtol=1e-5, atol=1e-6)
    v = x[1]
    np.testing.assert_allclose(np.array(mx.linalg.norm(mx.array(v, dtype=mx.float32), ord_)),
                               np.linalg.norm(v, ord_), rtol=1e-5)


@pytest.mark.parametrize("ord_", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", F32_F64)
def test_matrix_norm(rng, ord_, dtype):
    x = rng.standard_normal((2, 4, 3))
    for axis in [(1, 2), (2, 1), (0, 2), (-1, -2)]:
        for keepdims in [False, True]:
            got = mx.linalg.norm(mxa(x, dtype), ord_, axis, keepdims)
            want = np.linalg.norm(x, ord_, axis, keepdims)
            assert got.dtype == dtype and got.shape == want.shape
            close(got, want, dtype, 10)
    got = mx.linalg.norm(mxa(x[0], dtype), ord_)
    close(got, np.linalg.norm(x[0], ord_), dtype, 10)
    if ord_ is not None:
        close(mx.linalg.matrix_norm(mxa(x, dtype), ord_), np.linalg.matrix_norm(x, ord=ord_),
              dtype, 10)


def test_norm_dtypes_and_defaults(rng):
    x = rng.standard_normal((2, 3, 4))
    # No ord: the 2-norm of everything, any rank.
    np.testing.assert_allclose(float(mx.linalg.norm(mx.array(x))), np.linalg.norm(x.ravel()),
                               rtol=1e-5)
    assert mx.linalg.norm(mx.array([1, -2, 3])).dtype == mx.float32
    assert mx.linalg.norm(mx.array([1, 2], dtype=mx.float16)).dtype == mx.float16
    assert float(mx.linalg.norm(mx.array([3 + 4j, 0]))) == pytest.approx(5.0)
    assert float(mx.linalg.norm(mx.zeros((0, 3)))) == 0.0


def test_cross(rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    np.testing.assert_allclose(np.array(mx.linalg.cross(mx.array(a), mx.array(b))),
                               np.cross(a, b), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        np.array(mx.linalg.cross(mx.array(a.T), mx.array(b.T), axis=0)),
        np.cross(a.T, b.T, axis=0), rtol=1e-5, atol=1e-6)
    # Broadcasting, size-2 vectors (z = 0) and integer dtypes.
    np.testing.assert_allclose(np.array(mx.linalg.cross(mx.array(a), mx.array(b[0]))),
                               np.cross(a, b[0]), rtol=1e-5, atol=1e-6)
    got = mx.linalg.cross(mx.array([1, 2]), mx.array([4, 5, 6]))
    assert got.dtype == mx.int32 and np.array(got).tolist() == [12, -6, -3]
    assert np.array(mx.linalg.cross(mx.array([1.0, 2]), mx.array([4.0, 5]))).tolist() == [0, 0, -3]
    with pytest.raises(ValueError, match="size 2 or 3"):
        mx.linalg.cross(mx.ones((4, 3)), mx.ones((3, 4)))
    with pytest.raises(IndexError):
        mx.linalg.cross(mx.ones((3, 4)), mx.ones((3, 4)), axis=2)


# ------------------------------------------------------------- shapes, errors
FACTOR_OPS = {
    "inv": mx.linalg.inv,
    "tri_inv": mx.linalg.tri_inv,
    "cholesky": mx.linalg.cholesky,
    "cholesky_inv": mx.linalg.cholesky_inv,
    "qr": mx.linalg.qr,
    "svd": mx.linalg.svd,
    "eigh": mx.linalg.eigh,
    "eigvalsh": mx.linalg.eigvalsh,
    "eig": mx.linalg.eig,
    "eigvals": mx.linalg.eigvals,
    "lu": mx.linalg.lu,
    "lu_factor": mx.linalg.lu_factor,
    "pinv": mx.linalg.pinv,
    "det": mx.linalg.det,
    "slogdet": mx.linalg.slogdet,
}
SQUARE_ONLY = {"inv", "tri_inv", "cholesky", "cholesky_inv", "eigh", "eigvalsh", "eig", "eigvals",
               "det", "slogdet"}


def outs(r):
    return list(r) if isinstance(r, (list, tuple)) else [r]


@pytest.mark.parametrize("name", sorted(FACTOR_OPS))
def test_empty_batches(name):
    f = FACTOR_OPS[name]
    r = outs(f(mx.zeros((0, 3, 3))))
    mx.eval(*r)
    assert all(x.shape[0] == 0 for x in r)
    r = outs(f(mx.zeros((2, 0, 0))))
    mx.eval(*r)
    assert all(x.shape[0] == 2 for x in r)


@pytest.mark.parametrize("name", sorted(FACTOR_OPS))
def test_shape_and_dtype_errors(name):
    f = FACTOR_OPS[name]
    with pytest.raises(ValueError, match=r"\[linalg::\w+\].*>= 2 dimensions"):
        f(mx.ones((3,)))
    if name in SQUARE_ONLY:
        with pytest.raises(ValueError, match=r"square"):
            f(mx.ones((2, 3)))
    if name not in ("det", "slogdet"):
        for t in (mx.float16, mx.int32):
            with pytest.raises(ValueError, match="float32"):
                f(mx.ones((3, 3), dtype=t))


def test_solve_errors():
    with pytest.raises(ValueError, match="square"):
        mx.linalg.solve(mx.ones((2, 3)), mx.ones((2,)))
    with pytest.raises(ValueError, match="must match"):
        mx.linalg.solve(mx.eye(3), mx.ones((4,)))
    with pytest.raises(ValueError, match="promote to float32 or float64"):
        mx.linalg.solve(mx.eye(3, dtype=mx.int32), mx.ones((3,), dtype=mx.int32))
    with pytest.raises(ValueError, match="UPLO"):
        mx.linalg.eigh(mx.eye(3), UPLO="X")
    with pytest.raises(ValueError, match="too many axes"):
        mx.linalg.norm(mx.ones((2, 2, 2)), ord=2)
    with pytest.raises(ValueError, match="only supported for matrices"):
        mx.linalg.norm(mx.ones((3,)), ord="fro")
    with pytest.raises(ValueError, match="Invalid ord"):
        mx.linalg.norm(mx.ones((3, 3)), ord=3)


@pytest.mark.parametrize("name", sorted(FACTOR_OPS))
def test_gpu_stream_refused(name):
    # MLX runs these on the CPU only; a GPU stream is refused at once (when
    # there is no GPU, the stream itself is).
    with pytest.raises(ValueError, match=r"stream=mx.cpu|not available"):
        FACTOR_OPS[name](mx.eye(3), stream=mx.gpu)


@pytest.mark.skipif(not mx.is_available(mx.gpu), reason="needs a GPU")
def test_gpu_default_device_refused():
    mx.set_default_device(mx.gpu)
    with pytest.raises(ValueError, match=r"\[linalg::inv\].*stream=mx.cpu"):
        mx.linalg.inv(mx.eye(3))
    # Norms and cross products without a factorization run on the GPU.
    assert float(mx.linalg.norm(mx.array([3.0, 4.0]))) == 5.0


# ------------------------------------------------------------- transforms
def rand_spd(rng, n):
    return spd(rng, n)


def test_grad_inv_and_tri_inv(rng):
    check_grads(mx.linalg.inv, [general(rng, 3, 3)])
    check_grads(lambda x: mx.linalg.tri_inv(x), [lower(rng, 3) + np.triu(rng.standard_normal((3, 3)), 1)])
    check_grads(lambda x: mx.linalg.tri_inv(x, upper=True), [lower(rng, 3).T])


@pytest.mark.parametrize("upper", [False, True])
def test_grad_cholesky(rng, upper):
    check_grads(lambda x: mx.linalg.cholesky(x, upper=upper), [rand_spd(rng, 4)])


def test_grad_solve(rng):
    check_grads(mx.linalg.solve, [general(rng, 3, 3), rng.standard_normal((3, 2))])
    check_grads(lambda a, b: mx.linalg.solve_triangular(a, b, upper=True),
                [lower(rng, 3).T, rng.standard_normal((3,))])


@pytest.mark.parametrize("shape", [(3, 3), (5, 3)])
def test_grad_qr(rng, shape):
    check_grads(lambda x: list(mx.linalg.qr(x)), [general(rng, *shape)])


def test_grad_qr_wide_raises():
    with pytest.raises(ValueError, match="QRF"):
        mx.grad(lambda x: mx.linalg.qr(x)[1].sum())(mx.ones((2, 3)) + mx.eye(2, 3))


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_grad_eigh(rng, uplo):
    c = mx.array(rng.uniform(1, 2, 4))

    def f(x):
        w, v = mx.linalg.eigh(x, UPLO=uplo)
        # V diag(c) V^T does not depend on the eigenvectors' signs.
        return [w, (v * c.astype(v.dtype)) @ v.T]

    check_grads(f, [rand_spd(rng, 4)])
    check_grads(lambda x: mx.linalg.eigvalsh(x, UPLO=uplo), [rand_spd(rng, 4)])


def test_grad_svd(rng):
    check_grads(lambda x: mx.linalg.svd(x, compute_uv=False), [general(rng, 4, 3)])
    c = mx.array(rng.uniform(1, 2, 3))

    def f(x):
        u, s, vt = mx.linalg.svd(x)
        cc = c.astype(u.dtype)
        return [s, (u * cc) @ u.T, (vt.T * cc) @ vt]

    check_grads(f, [general(rng, 3, 3)])


def test_grad_det_lu_norm(rng):
    check_grads(mx.linalg.det, [general(rng, 3, 3)])
    check_grads(lambda x: mx.linalg.slogdet(x)[1], [general(rng, 3, 3)])
    check_grads(lambda x: mx.linalg.lu_factor(x)[0], [rng.standard_normal((3, 3))])
    check_grads(lambda x: mx.linalg.norm(x, ord=2), [general(rng, 3, 3)])
    check_grads(lambda x: mx.linalg.norm(x, ord="nuc"), [general(rng, 3, 3)])
    check_grads(mx.linalg.pinv, [general(rng, 3, 3)])


def test_grad_with_dropped_outputs(rng):
    # The rules of multi-output factorizations still see every output when
    # the function keeps only some (siblings are held weakly).
    check_grads(lambda x: mx.linalg.qr(x)[1], [general(rng, 4, 3)])
    check_grads(lambda x: mx.linalg.qr(x)[0], [general(rng, 3, 3)])
    check_grads(lambda x: mx.linalg.svd(x)[1], [general(rng, 3, 3)])
    check_grads(lambda x: mx.linalg.eigh(x)[0], [rand_spd(rng, 3)])
    check_grads(lambda x: mx.linalg.lu(x)[2], [rng.standard_normal((3, 3))])


def test_grad_under_vmap(rng):
    xs = np.stack([general(rng, 3, 3) for _ in range(3)])
    g = mx.vmap(mx.grad(mx.linalg.det))(mx.array(xs, dtype=mx.float64))
    want = np.linalg.det(xs)[:, None, None] * np.swapaxes(np.linalg.inv(xs), -1, -2)
    np.testing.assert_allclose(np.array(g), want, rtol=1e-8, atol=1e-10)


def test_grad_eig_raises():
    with pytest.raises(ValueError, match=r"\[vjp\].*Eig"):
        mx.grad(lambda x: mx.abs(mx.linalg.eigvals(x)).sum())(mx.eye(2))


@pytest.mark.parametrize("name", sorted(FACTOR_OPS))
@pytest.mark.parametrize("in_axis", [0, 1, 2])
def test_vmap(rng, name, in_axis):
    f = FACTOR_OPS[name]
    xs = np.stack([spd(rng, 3) for _ in range(4)])  # valid input for every op
    if name in ("tri_inv", "cholesky_inv"):
        xs = np.linalg.cholesky(xs)
    moved = np.moveaxis(xs, 0, in_axis)
    got = outs(mx.vmap(f, in_axes=in_axis)(mx.array(moved.astype(np.float32))))
    want = [outs(f(mx.array(x.astype(np.float32)))) for x in xs]
    for k, g in enumerate(got):
        ref = np.stack([np.array(w[k]) for w in want])
        np.testing.assert_allclose(np.array(g), ref, rtol=1e-5, atol=1e-5)


def test_every_linalg_name_resolves():
    # API.md's linalg list (MLX 0.32's mx.linalg plus NumPy's matrix_norm).
    names = ("norm qr svd inv tri_inv cholesky cholesky_inv pinv cross eigvals eig eigvalsh eigh "
             "lu lu_factor solve solve_triangular det slogdet matrix_norm").split()
    assert [n for n in names if not callable(getattr(mx.linalg, n, None))] == []
    import tandem.core.linalg as linalg_module

    assert linalg_module.solve is mx.linalg.solve
