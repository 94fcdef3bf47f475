"""The fused row normalizations (the RowNorm primitive behind softmax and
logsumexp over trailing axes, fast.layer_norm and fast.rms_norm) against
float64 NumPy references, against the composites they replaced (softmax and
logsumexp over a leading axis still take that path, so a transposed call
checks one against the other), over dtypes, row lengths that hit every
kernel shape, strided inputs and special values; and their vjp, jvp and
vmap rules. Under DEVICE=gpu the same tests run the CUDA kernels."""

import numpy as np
import pytest
import tandem.core as mx

FLOATS = [mx.float32, mx.float16, mx.bfloat16, mx.float64]
# 2056 and 8200: 16-byte packs in register rows where some threads hold
# fewer packs than others.
LENGTHS = [1, 7, 33, 1000, 2056, 4097, 8200, 50000]
# Relative error of the stored result (one rounding) plus compute error.
TOL = {mx.float32: 2e-5, mx.float16: 2e-3, mx.bfloat16: 1.6e-2, mx.float64: 1e-11}


def rows_for(n):
    return 3 if n >= 2056 else 5


def make(rng, shape, dtype, scale=3.0):
    """A random tandem array of dtype and the float64 values it holds."""
    x = mx.array((rng.standard_normal(shape) * scale).astype(np.float32)).astype(dtype)
    return x, np.array(x.astype(mx.float64))


def to64(a):
    return np.array(a.astype(mx.float64))


def softmax_ref(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def lse_ref(x, axis=-1, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    r = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


def layer_norm_ref(x, w=None, b=None, eps=1e-5):
    y = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


def rms_norm_ref(x, w=None, eps=1e-5):
    y = x / np.sqrt((x * x).mean(-1, keepdims=True) + eps)
    return y * w if w is not None else y


def check(got, ref, dtype, scale=1.0):
    assert got.dtype == dtype
    tol = TOL[dtype]
    np.testing.assert_allclose(to64(got), ref, rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_and_logsumexp(rng, dtype, n):
    x, x64 = make(rng, (rows_for(n), n), dtype)
    sm = mx.softmax(x, axis=-1)
    # Softmax values are at most 1: their absolute error is what counts.
    check(sm, softmax_ref(x64), dtype, scale=1.0 / max(n, 8) if dtype != mx.float64 else 1.0)
    ref = lse_ref(x64)
    check(mx.logsumexp(x, axis=-1), ref, dtype, scale=np.abs(ref).max())
    check(mx.logsumexp(x, axis=1, keepdims=True), ref[:, None], dtype, scale=np.abs(ref).max())


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("params", ["none", "weight", "both"])
def test_layer_norm(rng, dtype, n, params):
    x, x64 = make(rng, (rows_for(n), n), dtype)
    w, w64 = make(rng, (n,), dtype, 1.0)
    b, b64 = make(rng, (n,), dtype, 1.0)
    use_w, use_b = params != "none", params == "both"
    y = mx.fast.layer_norm(x, w if use_w else None, b if use_b else None, 1e-5)
    ref = layer_norm_ref(x64, w64 if use_w else None, b64 if use_b else None)
    # n == 1: x - mean is exactly 0, so y is the bias (or 0).
    check(y, ref, dtype, scale=4.0)


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("with_weight", [False, True])
def test_rms_norm(rng, dtype, n, with_weight):
    x, x64 = make(rng, (rows_for(n), n), dtype)
    w, w64 = make(rng, (n,), dtype, 1.0)
    y = mx.fast.rms_norm(x, w if with_weight else None, 1e-5)
    check(y, rms_norm_ref(x64, w64 if with_weight else None), dtype, scale=4.0)


def test_weight_in_another_dtype(rng):
    # The weight and bias are used in x's compute type; the output keeps x's dtype.
    x, x64 = make(rng, (4, 40), mx.float16)
    w, w64 = make(rng, (40,), mx.float64, 1.0)
    b, b64 = make(rng, (40,), mx.bfloat16, 1.0)
    y = mx.fast.layer_norm(x, w, b, 1e-4)
    check(y, layer_norm_ref(x64, w64, b64, 1e-4), mx.float16, scale=4.0)
    y = mx.fast.rms_norm(x.astype(mx.float32), w.astype(mx.float16), 1e-4)
    check(y, rms_norm_ref(x64, np.array(w.astype(mx.float16).astype(mx.float64)), 1e-4), mx.float32, 4)


# Layouts a row kernel must read in place: strided rows, transposed data,
# broadcast rows, offsets that break 16-byte alignment, a 3-d view.
LAYOUTS = {
    "strided": lambda a: a[:, ::2],
    "transposed": lambda a: a.T,
    "offset": lambda a: a[1:, 1:],
    "broadcast": lambda a: mx.broadcast_to(a[1:2], a.shape),
    "reversed_rows": lambda a: a[::-1],
    "3d_view": lambda a: a.reshape(4, a.shape[0] // 4, a.shape[1]).transpose(1, 0, 2),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("n", [33, 1024, 5000])
@pytest.mark.parametrize("dtype", [mx.float32, mx.bfloat16])
def test_non_contiguous(rng, layout, n, dtype):
    base, _ = make(rng, (8, n), dtype)
    x = LAYOUTS[layout](base)
    x64 = to64(x)
    w, w64 = make(rng, (x.shape[-1],), mx.float32, 1.0)
    check(mx.softmax(x, axis=-1), softmax_ref(x64), dtype, scale=0.1)
    lse = lse_ref(x64)
    check(mx.logsumexp(x, axis=-1), lse, dtype, scale=np.abs(lse).max())
    check(mx.fast.layer_norm(x, w, w, 1e-5), layer_norm_ref(x64, w64, w64), dtype, scale=4.0)
    check(mx.fast.rms_norm(x, w[::-1], 1e-5), rms_norm_ref(x64, w64[::-1]), dtype, scale=4.0)


def test_strided_weight(rng):
    x, x64 = make(rng, (6, 64), mx.float32)
    wb, wb64 = make(rng, (128,), mx.float32, 1.0)
    y = mx.fast.layer_norm(x, wb[::2], wb[1::2], 1e-5)
    check(y, layer_norm_ref(x64, wb64[::2], wb64[1::2]), mx.float32, scale=4.0)


@pytest.mark.parametrize("dtype", FLOATS)
def test_matches_the_composite(rng, dtype):
    # Over axis 0 of the transpose the ops still build the composite.
    x, _ = make(rng, (37, 300), dtype)
    tol = TOL[dtype]
    for fused, comp in [
        (mx.softmax(x, axis=-1), mx.softmax(x.T, axis=0).T),
        (mx.logsumexp(x, axis=-1), mx.logsumexp(x.T, axis=0)),
    ]:
        assert fused.dtype == comp.dtype == dtype
        np.testing.assert_allclose(to64(fused), to64(comp), rtol=2 * tol, atol=2 * tol)


def test_special_values_match_the_composite():
    inf, nan = np.inf, np.nan
    rows = np.array(
        [
            [1.0, 2.0, -inf, 0.5, 3.0],
            [-inf, -inf, -inf, -inf, -inf],
            [inf, 1.0, 2.0, -inf, 0.0],
            [inf, inf, 1.0, 1.0, 1.0],
            [nan, 1.0, 2.0, 3.0, 4.0],
            [1e30, -1e30, 0.0, 88.0, -88.0],
            [1.0, nan, inf, -inf, 2.0],
        ],
        np.float32,
    )
    for n_rep in (1, 7000):  # short rows, and long ones (the looped GPU kernel)
        x = mx.array(np.tile(rows, (1, n_rep)))
        for fused, comp in [
            (mx.softmax(x, axis=-1), mx.softmax(x.T, axis=0).T),
            (mx.logsumexp(x, axis=-1), mx.logsumexp(x.T, axis=0)),
        ]:
            np.testing.assert_allclose(np.array(fused), np.array(comp), rtol=1e-5, atol=1e-7)
    # The documented meaning: no finite max shifts by 0.
    sm = np.array(mx.softmax(mx.array(rows[1:4]), axis=-1))
    assert np.isnan(sm[0]).all()  # only -inf: 0 / 0
    assert np.isnan(sm[1, 0]) and (sm[1, 1:] == 0).all()
    lse = np.array(mx.logsumexp(mx.array(rows), axis=-1))
    assert lse[1] == -inf and lse[2] == inf and np.isnan(lse[4])


def test_trailing_axes_and_defaults(rng):
    x, x64 = make(rng, (3, 4, 50), mx.float32)
    e = np.exp(x64 - x64.max(axis=(1, 2), keepdims=True))
    check(mx.softmax(x, axis=(1, 2)), e / e.sum(axis=(1, 2), keepdims=True), mx.float32, 0.1)
    check(mx.softmax(x, axis=(-1, -2)), e / e.sum(axis=(1, 2), keepdims=True), mx.float32, 0.1)
    e = np.exp(x64 - x64.max())
    check(mx.softmax(x), e / e.sum(), mx.float32, 0.1)
    lse = lse_ref(x64, axis=(1, 2))
    check(mx.logsumexp(x, axis=(1, 2)), lse, mx.float32, np.abs(lse).max())
    check(mx.logsumexp(x, axis=(1, 2), keepdims=True), lse[:, None, None], mx.float32, 10)
    check(mx.logsumexp(x), lse_ref(x64.ravel()), mx.float32, 10)
    # A leading axis (the composite) and a middle one.
    check(mx.softmax(x, axis=1), softmax_ref(x64, 1), mx.float32, 0.1)
    check(mx.softmax(x, axis=0), softmax_ref(x64, 0), mx.float32, 0.1)
    check(mx.softmax(x, axis=(0, 2)), np.exp(x64 - lse_ref(x64, (0, 2), True)), mx.float32, 0.1)


def test_integer_input():
    a = np.array([[1, 5, -3, 2], [0, 0, 0, 7]], np.int32)
    sm = mx.softmax(mx.array(a), axis=-1)
    assert sm.dtype == mx.float32
    np.testing.assert_allclose(np.array(sm), softmax_ref(a.astype(np.float64)), rtol=1e-6)
    lse = mx.logsumexp(mx.array(a), axis=-1)
    assert lse.dtype == mx.float32
    np.testing.assert_allclose(np.array(lse), lse_ref(a.astype(np.float64)), rtol=1e-6)


def test_empty_and_0d(rng):
    for shape in [(0, 5), (3, 0), (0,), (2, 0, 4)]:
        x = mx.zeros(shape, mx.float32)
        assert mx.softmax(x, axis=-1).shape == shape
        assert mx.fast.layer_norm(x, None, None, 1e-5).shape == shape
        assert mx.fast.rms_norm(x, None, 1e-5).shape == shape
    assert mx.fast.layer_norm(mx.zeros((0, 5)), mx.ones(5), mx.ones(5), 1e-5).shape == (0, 5)
    lse = mx.logsumexp(mx.zeros((3, 0)), axis=-1)
    assert lse.shape == (3,) and (np.array(lse) == -np.inf).all()
    assert mx.logsumexp(mx.zeros((0, 4)), axis=-1).shape == (0,)
    v = float(rng.standard_normal())
    assert mx.softmax(mx.array(v)).item() == 1.0
    assert mx.logsumexp(mx.array(v)).item() == pytest.approx(v, rel=1e-6)
    with pytest.raises(ValueError):
        mx.fast.layer_norm(mx.array(v), None, None, 1e-5)
    with pytest.raises(ValueError):
        mx.fast.rms_norm(mx.array(v), None, 1e-5)


def test_validation():
    x = mx.ones((2, 4))
    with pytest.raises(ValueError):
        mx.fast.layer_norm(x, mx.ones(3), None, 1e-5)
    with pytest.raises(ValueError):
        mx.fast.layer_norm(x, None, mx.ones((1, 4)), 1e-5)
    with pytest.raises(ValueError):
        mx.fast.rms_norm(x, mx.ones(5), 1e-5)
    with pytest.raises(ValueError):
        mx.fast.rms_norm(mx.ones((2, 4), mx.int32), None, 1e-5)
    with pytest.raises(ValueError):
        mx.softmax(mx.ones((2, 4), mx.complex64), axis=-1)
    with pytest.raises(ValueError):
        mx.softmax(x, axis=2)


# ---- transforms ----


def composite_layer_norm(x, w, b, eps=1e-5):
    m = mx.mean(x, axis=-1, keepdims=True)
    c = x - m
    y = c * mx.rsqrt(mx.mean(c * c, axis=-1, keepdims=True) + eps)
    return y * w + b


def composite_rms_norm(x, w, eps=1e-5):
    return x * mx.rsqrt(mx.mean(x * x, axis=-1, keepdims=True) + eps) * w


def fused_and_composite():
    """(fused fn, composite fn) pairs of (x, w, b) -> array."""
    return {
        "softmax": (
            lambda x, w, b: mx.softmax(x, axis=-1),
            lambda x, w, b: mx.softmax(x.T, axis=0).T,
        ),
        "logsumexp": (
            lambda x, w, b: mx.logsumexp(x, axis=-1, keepdims=True),
            lambda x, w, b: mx.logsumexp(x.T, axis=0)[:, None],
        ),
        "layer_norm": (
            lambda x, w, b: mx.fast.layer_norm(x, w, b, 1e-5),
            lambda x, w, b: composite_layer_norm(x, w, b),
        ),
        "rms_norm": (
            lambda x, w, b: mx.fast.rms_norm(x, w, 1e-5),
            lambda x, w, b: composite_rms_norm(x, w),
        ),
    }


OPS = list(fused_and_composite())


def f64(a):
    return mx.array(a, dtype=mx.float64)


def inputs64(rng, n=13, rows=6):
    return f64(rng.standard_normal((rows, n))), f64(rng.standard_normal(n)), f64(rng.standard_normal(n))


@pytest.mark.parametrize("op", OPS)
def test_vjp_matches_the_composite(rng, op):
    fused, comp = fused_and_composite()[op]
    x, w, b = inputs64(rng)
    g = f64(rng.standard_normal(fused(x, w, b).shape))
    _, vf = mx.vjp(lambda *a: [fused(*a)], [x, w, b], [g])
    _, vc = mx.vjp(lambda *a: [comp(*a)], [x, w, b], [g])
    for a, c in zip(vf, vc):
        np.testing.assert_allclose(np.array(a), np.array(c), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", OPS)
def test_jvp_matches_the_composite(rng, op):
    fused, comp = fused_and_composite()[op]
    x, w, b = inputs64(rng)
    t = [f64(rng.standard_normal(a.shape)) for a in (x, w, b)]
    _, jf = mx.jvp(lambda *a: [fused(*a)], [x, w, b], t)
    _, jc = mx.jvp(lambda *a: [comp(*a)], [x, w, b], t)
    np.testing.assert_allclose(np.array(jf[0]), np.array(jc[0]), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", OPS)
def test_grad_matches_finite_differences(rng, op):
    fused, _ = fused_and_composite()[op]
    x, w, b = inputs64(rng, n=5, rows=3)
    c = f64(rng.standard_normal(fused(x, w, b).shape))

    def loss(x, w, b):
        return mx.sum(fused(x, w, b) * c)

    grads = mx.grad(loss, argnums=(0, 1, 2))(x, w, b)
    h = 1e-6
    for k, a in enumerate((x, w, b)):
        base = np.array(a)
        num = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            for sgn in (1, -1):
                p = base.copy()
                p[i] += sgn * h
                args = [x, w, b]
                args[k] = f64(p)
                num[i] += sgn * loss(*args).item() / (2 * h)
        np.testing.assert_allclose(np.array(grads[k]), num, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [mx.float32, mx.float16, mx.bfloat16])
def test_grad_dtypes(rng, dtype):
    x, x64 = make(rng, (4, 24), dtype, 1.0)
    w, _ = make(rng, (24,), dtype, 1.0)
    for f in (
        lambda x, w: mx.sum(mx.softmax(x, axis=-1) * w),
        lambda x, w: mx.sum(mx.logsumexp(x, axis=-1)) + mx.sum(w),
        lambda x, w: mx.sum(mx.fast.layer_norm(x, w, w, 1e-5) * w),
        lambda x, w: mx.sum(mx.fast.rms_norm(x, w, 1e-5) * w),
    ):
        gx, gw = mx.grad(f, argnums=(0, 1))(x, w)
        assert gx.dtype == dtype and gw.dtype == dtype
        rx, rw = mx.grad(f, argnums=(0, 1))(x.astype(mx.float64), w.astype(mx.float64))
        tol = 4 * TOL[dtype]
        np.testing.assert_allclose(to64(gx), to64(rx), rtol=tol, atol=tol * 4)
        np.testing.assert_allclose(to64(gw), to64(rw), rtol=tol, atol=tol * 40)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_vmap_over_x(rng, op, axis):
    fused, _ = fused_and_composite()[op]
    x = mx.array(rng.standard_normal((3, 4, 5)).astype(np.float32))
    w = mx.array(rng.standard_normal(5 if axis != 2 else 4).astype(np.float32))
    b = mx.array(rng.standard_normal(w.shape).astype(np.float32))
    got = mx.vmap(lambda x: fused(x, w, b), in_axes=axis)(x)
    ref = mx.stack([fused(mx.take(x, i, axis=axis), w, b) for i in range(x.shape[axis])])
    np.testing.assert_allclose(np.array(got), np.array(ref), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", ["layer_norm", "rms_norm"])
def test_vmap_over_weight_and_bias(rng, op):
    fused, _ = fused_and_composite()[op]
    x = mx.array(rng.standard_normal((4, 6)).astype(np.float32))
    w = mx.array(rng.standard_normal((3, 6)).astype(np.float32))
    b = mx.array(rng.standard_normal((6, 3)).astype(np.float32))
    got = mx.vmap(fused, in_axes=(None, 0, 1))(x, w, b)
    ref = mx.stack([fused(x, w[i], b[:, i]) for i in range(3)])
    np.testing.assert_allclose(np.array(got), np.array(ref), rtol=1e-5, atol=1e-6)
    got = mx.vmap(fused, in_axes=(1, 0, None))(mx.stack([x] * 3, axis=1), w, b[:, 0])
    ref = mx.stack([fused(x, w[i], b[:, 0]) for i in range(3)])
    np.testing.assert_allclose(np.array(got), np.array(ref), rtol=1e-5, atol=1e-6)


def test_vmap_of_grad(rng):
    x = mx.array(rng.standard_normal((3, 4, 7)).astype(np.float32))
    w = mx.array(rng.standard_normal(7).astype(np.float32))

    def f(x):
        return mx.sum(mx.fast.layer_norm(x, w, None, 1e-5) ** 2 + mx.softmax(x, axis=-1) * w)

    got = mx.vmap(mx.grad(f))(x)
    ref = mx.stack([mx.grad(f)(x[i]) for i in range(3)])
    np.testing.assert_allclose(np.array(got), np.array(ref), rtol=1e-4, atol=1e-5)


def test_on_both_devices(rng):
    # The CPU and (when there is one) the GPU give the same values.
    x, _ = make(rng, (16, 3000), mx.float32)
    w, _ = make(rng, (3000,), mx.float32, 1.0)
    devices = [mx.cpu] + ([mx.gpu] if mx.is_available(mx.gpu) else [])
    outs = [
        [
            mx.softmax(x, axis=-1, stream=d),
            mx.logsumexp(x, axis=-1, stream=d),
            mx.fast.layer_norm(x, w, w, 1e-5, stream=d),
            mx.fast.rms_norm(x, w, 1e-5, stream=d),
        ]
        for d in devices
    ]
    for other in outs[1:]:
        for a, c in zip(outs[0], other):
            np.testing.assert_allclose(np.array(a), np.array(c), rtol=1e-5, atol=1e-6)
