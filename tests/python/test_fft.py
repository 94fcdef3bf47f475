"""mx.fft against numpy.fft, and its transform rules.

Tolerances: a float32 FFT of n points has a rounding error of order
log2(n) * eps * max|X| per output term (eps = 2**-23, X the exact result);
KissFFT's generic radix for prime factors and cuFFT's Bluestein path add a
small constant, so every comparison allows 8 * max(1, log2(n)) * eps * max|X|
(n the product of the transformed sizes) in absolute terms. The reference is
numpy.fft in float64 on the same float32 inputs.
"""

import math

import numpy as np
import pytest
import tandem.core as mx

EPS = np.finfo(np.float32).eps


def npa(x):
    return np.array(x)


def check(got, want, n):
    """got (tandem) against want (numpy float64/complex128) for an n-point transform."""
    got = npa(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    scale = max(1.0, float(np.abs(want).max()) if want.size else 1.0)
    tol = 8 * max(1.0, math.log2(max(n, 1))) * EPS * scale
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)


def cplx(rng, shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)


def real(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


SIZES = [1, 2, 3, 7, 8, 13, 16, 97, 128, 210, 1024]


# ------------------------------------------------------------- 1-D transforms


@pytest.mark.parametrize("n", SIZES)
def test_fft_ifft_sizes(rng, n):
    x = cplx(rng, (3, n))
    check(mx.fft.fft(mx.array(x)), np.fft.fft(x), n)
    check(mx.fft.ifft(mx.array(x)), np.fft.ifft(x), n)


@pytest.mark.parametrize("n", SIZES)
def test_rfft_sizes(rng, n):
    x = real(rng, (2, n))
    out = mx.fft.rfft(mx.array(x))
    assert out.dtype == mx.complex64
    check(out, np.fft.rfft(x), n)


@pytest.mark.parametrize("n", [2, 3, 7, 8, 13, 16, 97, 128, 255])
def test_irfft_even_odd(rng, n):
    c = cplx(rng, (3, n // 2 + 1))
    out = mx.fft.irfft(mx.array(c), n=n)
    assert out.dtype == mx.float32
    check(out, np.fft.irfft(c, n=n), n)
    # Default n: 2 * (m - 1).
    check(mx.fft.irfft(mx.array(c)), np.fft.irfft(c), n)


def test_irfft_ignores_imaginary_dc_and_nyquist(rng):
    c = cplx(rng, (5,))  # imaginary parts at 0 and at the Nyquist term (n = 8)
    check(mx.fft.irfft(mx.array(c)), np.fft.irfft(c), 8)
    check(mx.fft.irfft(mx.array(c), n=9), np.fft.irfft(c, n=9), 9)


def test_round_trip(rng):
    x = real(rng, (4, 97))
    check(mx.fft.irfft(mx.fft.rfft(mx.array(x)), n=97), x, 97)
    z = cplx(rng, (4, 13))
    check(mx.fft.ifft(mx.fft.fft(mx.array(z))), z, 13)


@pytest.mark.parametrize("n", [1, 5, 8, 12, 20])
@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft"])
def test_n_pads_and_crops(rng, name, n):
    x = cplx(rng, (3, 9)) if name in ("fft", "ifft", "irfft") else real(rng, (3, 9))
    got = getattr(mx.fft, name)(mx.array(x), n=n)
    want = getattr(np.fft, name)(x, n=n)
    check(got, want, n)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_axis(rng, axis):
    x = cplx(rng, (4, 5, 6))
    check(mx.fft.fft(mx.array(x), axis=axis), np.fft.fft(x, axis=axis), 6)
    check(mx.fft.ifft(mx.array(x), n=7, axis=axis), np.fft.ifft(x, n=7, axis=axis), 7)
    r = x.real.copy()
    check(mx.fft.rfft(mx.array(r), axis=axis), np.fft.rfft(r, axis=axis), 6)
    check(mx.fft.irfft(mx.array(x), axis=axis), np.fft.irfft(x, axis=axis), 10)


@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
def test_norm(rng, norm):
    z = cplx(rng, (3, 10))
    r = z.real.copy()
    for name, x in [("fft", z), ("ifft", z), ("rfft", r), ("irfft", z)]:
        check(getattr(mx.fft, name)(mx.array(x), norm=norm), getattr(np.fft, name)(x, norm=norm), 10)
    for name, x in [("fftn", z), ("ifftn", z), ("rfftn", r), ("irfftn", z)]:
        check(getattr(mx.fft, name)(mx.array(x), norm=norm), getattr(np.fft, name)(x, norm=norm), 30)


# ------------------------------------------------- layouts, dtypes, batches


def test_non_contiguous_inputs(rng):
    base = cplx(rng, (6, 8, 10))
    views = {
        "transposed": (mx.array(base).transpose(2, 0, 1), base.transpose(2, 0, 1)),
        "strided": (mx.array(base)[::2, :, 1::3], base[::2, :, 1::3]),
        "reversed": (mx.array(base)[:, ::-1], base[:, ::-1]),
        "broadcast": (
            mx.broadcast_to(mx.array(base[:1]), (6, 8, 10)),
            np.broadcast_to(base[:1], (6, 8, 10)),
        ),
    }
    for name, (t, n) in views.items():
        for axis in (0, 1, 2):
            check(mx.fft.fft(t, axis=axis), np.fft.fft(n, axis=axis), n.shape[axis])
            check(mx.fft.rfft(mx.real(t), axis=axis), np.fft.rfft(n.real, axis=axis), n.shape[axis])
            check(mx.fft.irfft(t, axis=axis), np.fft.irfft(n, axis=axis), 2 * n.shape[axis])
        check(mx.fft.fftn(t), np.fft.fftn(n), n.size)
        check(mx.fft.irfftn(t), np.fft.irfftn(n), n.size)


@pytest.mark.parametrize(
    "dtype", [mx.float32, mx.float16, mx.bfloat16, mx.int32, mx.uint8, mx.bool_, mx.complex64]
)
def test_dtypes_promote_to_complex64(rng, dtype):
    x = rng.integers(0, 4, (3, 6)).astype(np.float32)
    a = mx.array(x).astype(dtype)
    ref = np.array(a.astype(mx.complex64))
    out = mx.fft.fft(a)
    assert out.dtype == mx.complex64
    check(out, np.fft.fft(ref), 6)
    out = mx.fft.rfft(a)
    assert out.dtype == mx.complex64
    check(out, np.fft.rfft(ref.real), 6)
    out = mx.fft.irfft(a)
    assert out.dtype == mx.float32
    check(out, np.fft.irfft(ref), 10)


def test_float64_input_gives_complex64(rng):
    # MLX has no complex128: float64 inputs are transformed in single precision.
    x = rng.standard_normal((4, 7))
    with mx.stream(mx.cpu):
        out = mx.fft.fft(mx.array(x, dtype=mx.float64))
        assert out.dtype == mx.complex64
        check(out, np.fft.fft(x.astype(np.float32)), 7)
        assert mx.fft.irfft(mx.array(x, dtype=mx.float64)).dtype == mx.float32


def test_rfft_of_complex_uses_real_part(rng):
    z = cplx(rng, (9,))
    check(mx.fft.rfft(mx.array(z)), np.fft.rfft(z.real), 9)


def test_batched_large(rng):
    x = cplx(rng, (64, 3, 256))
    check(mx.fft.fft(mx.array(x)), np.fft.fft(x), 256)
    check(mx.fft.fft(mx.array(x), axis=0), np.fft.fft(x, axis=0), 64)
    r = real(rng, (300, 50))
    check(mx.fft.rfft(mx.array(r), axis=0), np.fft.rfft(r, axis=0), 300)


def test_empty_arrays():
    out = mx.fft.fft(mx.zeros((0, 4)))
    assert out.shape == (0, 4) and out.dtype == mx.complex64
    out = mx.fft.rfft(mx.zeros((4, 0)), axis=0)
    assert out.shape == (3, 0) and out.dtype == mx.complex64
    out = mx.fft.irfft(mx.zeros((0, 5), dtype=mx.complex64))
    assert out.shape == (0, 8) and out.dtype == mx.float32
    # A zero-size transformed axis padded to n is all zeros.
    out = mx.fft.fft(mx.zeros((3, 0)), n=4)
    assert out.shape == (3, 4)
    assert np.all(npa(out) == 0)


# ------------------------------------------------------------ n-D transforms


@pytest.mark.parametrize(
    "s,axes",
    [
        (None, None),
        (None, (0, 2)),
        (None, (-1, 0)),
        (None, (2, 0, 1)),
        ((3, 8), (2, 0)),
        ((5, 7, 4), (1, 0, 2)),
        ((1, 1), (-2, -1)),
    ],
)
def test_fftn_family(rng, s, axes):
    z = cplx(rng, (4, 5, 6))
    r = z.real.copy()
    kw = {}
    if s is not None:
        kw["s"] = s
    if axes is not None:
        kw["axes"] = axes
    n = math.prod(s) if s is not None else 120
    check(mx.fft.fftn(mx.array(z), **kw), np.fft.fftn(z, **kw), n)
    check(mx.fft.ifftn(mx.array(z), **kw), np.fft.ifftn(z, **kw), n)
    check(mx.fft.rfftn(mx.array(r), **kw), np.fft.rfftn(r, **kw), n)
    check(mx.fft.irfftn(mx.array(z), **kw), np.fft.irfftn(z, **kw), 2 * n)


@pytest.mark.parametrize("axes", [(-2, -1), (0, 1), (1, 0), (0, 2)])
def test_fft2_family(rng, axes):
    z = cplx(rng, (3, 7, 8))
    r = z.real.copy()
    check(mx.fft.fft2(mx.array(z), axes=axes), np.fft.fft2(z, axes=axes), 56)
    check(mx.fft.ifft2(mx.array(z), axes=axes), np.fft.ifft2(z, axes=axes), 56)
    check(mx.fft.rfft2(mx.array(r), axes=axes), np.fft.rfft2(r, axes=axes), 56)
    check(mx.fft.irfft2(mx.array(z), axes=axes), np.fft.irfft2(z, axes=axes), 112)
    check(
        mx.fft.irfft2(mx.array(z), s=(4, 9), axes=axes),
        np.fft.irfft2(z, s=(4, 9), axes=axes),
        36,
    )


def test_fft2_defaults_and_axes_none(rng):
    z = cplx(rng, (2, 3, 4))
    check(mx.fft.fft2(mx.array(z)), np.fft.fft2(z), 12)
    check(mx.fft.fft2(mx.array(z), axes=None), np.fft.fftn(z), 24)


def test_empty_axes_returns_input(rng):
    x = real(rng, (3, 4))
    out = mx.fft.fftn(mx.array(x), axes=[])
    assert out.dtype == mx.float32
    np.testing.assert_array_equal(npa(out), x)


# --------------------------------------------------------------- errors


def test_errors():
    x = mx.array(np.ones((3, 4), np.float32))
    with pytest.raises(IndexError):
        mx.fft.fft(mx.array(1.0))  # 0-d input
    with pytest.raises(IndexError):
        mx.fft.rfft(mx.array(2.0))
    with pytest.raises(IndexError):
        mx.fft.fft(x, axis=2)
    with pytest.raises(IndexError):
        mx.fft.fftn(x, axes=(0, -3))
    with pytest.raises(ValueError, match=r"\[fft\]"):
        mx.fft.fft(x, n=0)
    with pytest.raises(ValueError):
        mx.fft.fft(x, n=-2)
    with pytest.raises(ValueError):
        mx.fft.fft(mx.zeros((3, 0)))
    with pytest.raises(ValueError):
        mx.fft.irfft(mx.zeros((3, 1), dtype=mx.complex64))  # default n = 0
    with pytest.raises(ValueError, match="Duplicated axis"):
        mx.fft.fft2(x, axes=(0, 0))
    with pytest.raises(ValueError, match="different sizes"):
        mx.fft.fftn(x, s=(3,), axes=(0, 1))
    with pytest.raises(ValueError, match="should not be `None`"):
        mx.fft.fftn(x, s=(3, 4))
    with pytest.raises(ValueError, match="norm"):
        mx.fft.fft(x, norm="sideways")
    with pytest.raises(TypeError):
        mx.fft.fft(x, n=2.5)
    with pytest.raises(TypeError):
        mx.fft.fft(x, axis="0")


# ------------------------------------------------------ freq and shift


@pytest.mark.parametrize("n", [1, 2, 5, 8, 13])
@pytest.mark.parametrize("d", [1.0, 0.5, 3.0])
def test_fftfreq(n, d):
    out = mx.fft.fftfreq(n, d)
    assert out.dtype == mx.float32
    np.testing.assert_allclose(npa(out), np.fft.fftfreq(n, d), rtol=1e-6, atol=1e-7)
    out = mx.fft.rfftfreq(n, d=d)
    np.testing.assert_allclose(npa(out), np.fft.rfftfreq(n, d), rtol=1e-6, atol=1e-7)


def test_fftfreq_errors():
    for f in (mx.fft.fftfreq, mx.fft.rfftfreq):
        with pytest.raises(ValueError):
            f(0)
        with pytest.raises(ValueError):
            f(-3)
        with pytest.raises(ValueError):
            f(4, d=0.0)


@pytest.mark.parametrize("axes", [None, 0, 1, -1, (0, 1), [1, 0], (1, 1)])
def test_fftshift(rng, axes):
    x = rng.integers(-50, 50, (5, 6)).astype(np.int32)
    got = mx.fft.fftshift(mx.array(x), axes=axes)
    assert got.dtype == mx.int32
    np.testing.assert_array_equal(npa(got), np.fft.fftshift(x, axes=axes))
    got = mx.fft.ifftshift(mx.array(x), axes=axes)
    np.testing.assert_array_equal(npa(got), np.fft.ifftshift(x, axes=axes))
    y = cplx(rng, (7, 4))
    np.testing.assert_array_equal(
        npa(mx.fft.ifftshift(mx.fft.fftshift(mx.array(y), axes), axes)), y
    )


def test_fftshift_edge_cases():
    assert mx.fft.fftshift(mx.array(1.5)).item() == 1.5
    assert mx.fft.fftshift(mx.zeros((0, 3))).shape == (0, 3)
    with pytest.raises(IndexError):
        mx.fft.fftshift(mx.zeros((2, 3)), axes=2)


# ------------------------------------------------------- streams, lazy


def test_stream_argument(rng):
    z = cplx(rng, (4, 16))
    check(mx.fft.fft(mx.array(z), stream=mx.cpu), np.fft.fft(z), 16)
    s = mx.new_stream(mx.cpu)
    check(mx.fft.ifftn(mx.array(z), stream=s), np.fft.ifftn(z), 64)
    check(mx.fft.irfft2(mx.array(z), stream=mx.cpu), np.fft.irfft2(z), 120)


def test_submodule_import():
    import tandem.core.fft as fft_mod

    assert fft_mod.fft is mx.fft.fft
    names = [
        "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
        "rfftn", "irfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift",
    ]  # fmt: skip
    for n in names:
        assert callable(getattr(mx.fft, n)), n


# ------------------------------------------------------------ transforms
# Every FFT is linear over the reals, so central differences are exact up
# to rounding for any step: check_grads runs with eps = 1e-2 on functions
# that are linear or quadratic in the inputs, whose float32 rounding
# (~1e-6 relative) divided by the step leaves a 1e-3 tolerance ample, while
# a wrong rule is off by O(1).

from test_transforms import check_grads  # noqa: E402

GRAD_KW = dict(eps=1e-2, rtol=2e-3, atol=2e-3)


def as_complex(re, im):
    return re.astype(mx.complex64) + 1j * im.astype(mx.complex64)


def parts(z):
    return [mx.real(z), mx.imag(z)]


@pytest.mark.parametrize("n", [1, 6, 7])
def test_grads_c2c(rng, n):
    xs = [rng.standard_normal((3, n)), rng.standard_normal((3, n))]
    check_grads(lambda a, b: parts(mx.fft.fft(as_complex(a, b))), xs, **GRAD_KW)
    check_grads(lambda a, b: parts(mx.fft.ifft(as_complex(a, b), n=n + 2)), xs, **GRAD_KW)
    check_grads(
        lambda a, b: parts(mx.fft.fftn(as_complex(a, b), s=(2, n), axes=(0, 1), norm="ortho")),
        xs,
        **GRAD_KW,
    )


@pytest.mark.parametrize("n", [1, 6, 7])
def test_grads_real(rng, n):
    x = [rng.standard_normal((3, n))]
    check_grads(lambda a: parts(mx.fft.rfft(a)), x, **GRAD_KW)
    check_grads(lambda a: parts(mx.fft.rfft(a, n=n + 3, axis=0)), x, **GRAD_KW)
    check_grads(lambda a: parts(mx.fft.rfftn(a, norm="forward")), x, **GRAD_KW)
    xs = [rng.standard_normal((3, n)), rng.standard_normal((3, n))]
    for m in (2 * n, 2 * n - 1, 2 * n + 3):
        if m <= 0:
            continue
        check_grads(lambda a, b, m=m: mx.fft.irfft(as_complex(a, b), n=m), xs, **GRAD_KW)
    if n > 1:  # the default output size 2 * (n - 1) must be positive
        check_grads(lambda a, b: mx.fft.irfftn(as_complex(a, b), norm="ortho"), xs, **GRAD_KW)
    check_grads(
        lambda a, b: mx.fft.irfft2(as_complex(a, b), s=(4, 5), axes=(1, 0)), xs, **GRAD_KW
    )


def test_grads_power(rng):
    # Quadratic losses: sum |fft(x)|^2 = n * sum x^2 (Parseval), and a complex input.
    x = [rng.standard_normal((2, 9))]
    check_grads(lambda a: (mx.abs(mx.fft.fft(a)) ** 2).sum(), x, **GRAD_KW)
    check_grads(lambda a: (mx.abs(mx.fft.rfft2(a)) ** 2).sum(), x, **GRAD_KW)
    xs = [rng.standard_normal((4, 5)), rng.standard_normal((4, 5))]
    check_grads(lambda a, b: (mx.abs(mx.fft.fft2(as_complex(a, b))) ** 2).sum(), xs, **GRAD_KW)
    g = mx.grad(lambda a: (mx.abs(mx.fft.fft(a)) ** 2).sum())(mx.array(x[0], dtype=mx.float32))
    np.testing.assert_allclose(npa(g), 2 * 9 * x[0], rtol=1e-4, atol=1e-4)


def test_grad_matches_mlx_convention(rng):
    # The cotangent of a complex value is dL/dre + i dL/dim (MLX's convention).
    z = cplx(rng, (6,))
    g = mx.grad(lambda z: (mx.abs(mx.fft.fft(z)) ** 2).sum())(mx.array(z))
    np.testing.assert_allclose(npa(g), 2 * 6 * z, rtol=1e-4, atol=1e-4)


def test_abs_of_complex_rules(rng):
    # |z| is not holomorphic: grad = z / |z| (as MLX), jvp = re(conj(z) t) / |z|.
    z = cplx(rng, (5,))
    g = mx.grad(lambda a: mx.abs(a).sum())(mx.array(z))
    np.testing.assert_allclose(npa(g), z / np.abs(z), rtol=1e-5, atol=1e-6)
    t = cplx(rng, (5,))
    _, (jt,) = mx.jvp(mx.abs, [mx.array(z)], [mx.array(t)])
    assert jt.dtype == mx.float32
    np.testing.assert_allclose(npa(jt), (np.conj(z) * t).real / np.abs(z), rtol=1e-5, atol=1e-6)


def test_vmap(rng):
    z = cplx(rng, (4, 5, 6))
    for in_axis in (0, 1, 2):
        got = mx.vmap(lambda a: mx.fft.fft(a, axis=0), in_axes=in_axis)(mx.array(z))
        want = np.fft.fft(np.moveaxis(z, in_axis, 0), axis=1)
        check(got, want, 6)
        got = mx.vmap(lambda a: mx.fft.irfft2(a), in_axes=in_axis)(mx.array(z))
        want = np.fft.irfft2(np.moveaxis(z, in_axis, 0))
        check(got, want, 60)
        r = z.real.copy()
        got = mx.vmap(lambda a: mx.fft.rfftn(a, axes=(1, 0)), in_axes=in_axis, out_axes=1)(
            mx.array(r)
        )
        want = np.moveaxis(np.fft.rfftn(np.moveaxis(r, in_axis, 0), axes=(2, 1)), 0, 1)
        check(got, want, 60)


def test_jvp_of_vmap(rng):
    z = cplx(rng, (3, 8))
    t = cplx(rng, (3, 8))
    _, (jt,) = mx.jvp(lambda a: mx.vmap(mx.fft.ifft)(a), [mx.array(z)], [mx.array(t)])
    check(jt, np.fft.ifft(t), 8)


# ------------------------------------------------------- parity with MLX

try:
    import mlx.core as mlx_core
except ImportError:  # pragma: no cover - MLX is optional
    mlx_core = None


@pytest.mark.skipif(mlx_core is None, reason="mlx not installed")
def test_matches_mlx_shapes_dtypes_and_errors(rng):
    x = real(rng, (4, 6))
    z = cplx(rng, (4, 6))
    calls = [
        ("fft", z, {}),
        ("fft", x, {"n": 9, "axis": 0}),
        ("ifft", x.astype(np.int32), {}),
        ("rfft", z, {"n": 5}),
        ("irfft", x, {}),
        ("irfft", z, {"n": 7, "axis": 0}),
        ("fft2", z, {"s": (3, 3), "axes": (0, 1)}),
        ("irfft2", z, {}),
        ("rfftn", x, {"axes": None}),
        ("irfftn", z, {"s": (2, 9), "axes": (1, 0)}),
        ("fftn", x, {"axes": []}),
        ("fft", x, {"n": 0}),
        ("fft", x, {"axis": 2}),
        ("fft2", x, {"axes": (1, 1)}),
        ("fftn", x, {"s": (2, 2)}),
        ("fftn", x, {"s": (2,), "axes": (0, 1)}),
        ("fft", x, {"norm": "bad"}),
        ("irfft", z[:, :1], {}),
    ]
    for name, a, kw in calls:
        try:
            want = getattr(mlx_core.fft, name)(mlx_core.array(a), **kw)
            mlx_core.eval(want)
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            with pytest.raises(type(e)):
                getattr(mx.fft, name)(mx.array(a), **kw)
            continue
        got = getattr(mx.fft, name)(mx.array(a), **kw)
        assert got.shape == want.shape, (name, kw)
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1], (name, kw)
        np.testing.assert_allclose(npa(got), np.array(want), rtol=1e-4, atol=1e-4)
