"""Convolutions (conv1d/2d/3d, conv_transpose*, conv_general, convolve)
against a float64 NumPy reference written from the definition: over dtypes,
strides, padding (negative too), dilations, groups, flips, non-contiguous
inputs and empty batches; their gradients against finite differences; and
the errors for bad shapes."""
import itertools

import numpy as np
import pytest
import tandem.core as mx
from test_transforms import check_grads
from utils import NP_DTYPE


def ref_conv(x, w, stride, lo, hi, kdil, idil, groups, flip):
    """out[n, o..., c] = sum over taps k and input channels of the dilated,
    padded input at o * stride + k * kdil times w[c, k..., ci]."""
    d = x.ndim - 2
    if any(v > 1 for v in idil):
        shape = [x.shape[0]] + [(n - 1) * v + 1 if n else 0 for n, v in zip(x.shape[1:-1], idil)]
        z = np.zeros(shape + [x.shape[-1]], x.dtype)
        z[(slice(None),) + tuple(slice(None, None, v) for v in idil)] = x
        x = z
    crop = tuple(slice(max(-a, 0), n - max(-b, 0)) for a, b, n in zip(lo, hi, x.shape[1:-1]))
    x = x[(slice(None),) + crop]
    x = np.pad(x, [(0, 0)] + [(max(a, 0), max(b, 0)) for a, b in zip(lo, hi)] + [(0, 0)])
    if flip:
        w = w[(slice(None),) + (slice(None, None, -1),) * d]
    kshape = w.shape[1:-1]
    out_sp = [(x.shape[1 + i] - ((kshape[i] - 1) * kdil[i] + 1)) // stride[i] + 1 for i in range(d)]
    cout, cg = w.shape[0], w.shape[-1]
    co = cout // groups
    out = np.zeros([x.shape[0]] + out_sp + [cout])
    for k in itertools.product(*[range(n) for n in kshape]):
        sl = tuple(
            slice(k[i] * kdil[i], k[i] * kdil[i] + (out_sp[i] - 1) * stride[i] + 1, stride[i])
            for i in range(d)
        )
        win = x[(slice(None),) + sl]
        for g in range(groups):
            out[..., g * co:(g + 1) * co] += (
                win[..., g * cg:(g + 1) * cg] @ w[(slice(g * co, (g + 1) * co),) + k].T
            )
    return out


def tol(dtype, depth):
    eps = {mx.float16: 1e-3, mx.bfloat16: 8e-3, mx.float32: 1.2e-7, mx.float64: 2.3e-16}[dtype]
    return 4 * eps * depth


def run_case(rng, dtype, xshape, wshape, layout="c", **kw):
    x = rng.uniform(-1, 1, xshape)
    w = rng.uniform(-1, 1, wshape)
    npdt = NP_DTYPE[dtype] or np.float32
    x, w = x.astype(npdt).astype(np.float64), w.astype(npdt).astype(np.float64)
    if layout == "T":  # a transposed view with the same logical values
        perm = list(range(x.ndim))[::-1]
        xm = mx.transpose(mx.array(np.ascontiguousarray(x.transpose(perm)), dtype=dtype), perm)
    elif layout == "s":  # a strided view
        big = np.zeros(tuple(2 * n for n in x.shape))
        big[tuple(slice(None, None, 2) for _ in x.shape)] = x
        xm = mx.array(big, dtype=dtype)[tuple(slice(None, None, 2) for _ in x.shape)]
    else:
        xm = mx.array(x, dtype=dtype)
    return x, w, xm, mx.array(w, dtype=dtype)


CASES_2D = [
    # (x shape, w shape, stride, padding, dilation, groups)
    ((2, 7, 6, 4), (5, 3, 3, 4), (1, 1), (0, 0), (1, 1), 1),
    ((1, 9, 8, 6), (4, 3, 2, 3), (2, 3), (1, 2), (2, 1), 2),
    ((3, 5, 5, 3), (6, 1, 1, 1), (1, 2), (0, 1), (1, 1), 3),
    ((2, 4, 6, 2), (3, 4, 6, 2), (1, 1), (0, 0), (1, 1), 1),  # kernel as large as the input
    ((0, 6, 6, 2), (3, 3, 3, 2), (1, 1), (1, 1), (1, 1), 1),  # empty batch
]


@pytest.mark.parametrize("dtype", [mx.float32, mx.float16, mx.bfloat16, mx.float64])
@pytest.mark.parametrize("case", range(len(CASES_2D)))
@pytest.mark.parametrize("layout", ["c", "T", "s"])
def test_conv2d(dtype, case, layout):
    rng = np.random.default_rng(case)
    xs, ws, stride, pad, dil, groups = CASES_2D[case]
    x, w, xm, wm = run_case(rng, dtype, xs, ws, layout)
    out = mx.conv2d(xm, wm, stride=stride, padding=pad, dilation=dil, groups=groups)
    want = ref_conv(x, w, stride, pad, pad, dil, (1, 1), groups, False)
    assert out.dtype == dtype and out.shape == want.shape
    depth = int(np.prod(ws[1:]))
    got = np.array(out.astype(mx.float64) if dtype == mx.bfloat16 else out).astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=tol(dtype, depth), atol=tol(dtype, depth))


@pytest.mark.parametrize("dtype", [mx.float32, mx.float64])
def test_conv1d_and_conv3d(dtype):
    rng = np.random.default_rng(3)
    x, w, xm, wm = run_case(rng, dtype, (2, 11, 6), (4, 3, 3))
    out = mx.conv1d(xm, wm, stride=2, padding=2, dilation=3, groups=2)
    want = ref_conv(x, w, (2,), (2,), (2,), (3,), (1,), 2, False)
    np.testing.assert_allclose(np.array(out), want, rtol=tol(dtype, 9), atol=tol(dtype, 9))
    x, w, xm, wm = run_case(rng, dtype, (1, 5, 4, 6, 3), (2, 2, 3, 2, 3))
    out = mx.conv3d(xm, wm, stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2))
    want = ref_conv(x, w, (1, 2, 1), (1, 0, 1), (1, 0, 1), (1, 1, 2), (1, 1, 1), 1, False)
    np.testing.assert_allclose(np.array(out), want, rtol=tol(dtype, 36), atol=tol(dtype, 36))


@pytest.mark.parametrize("flip", [False, True])
def test_conv_general(flip):
    rng = np.random.default_rng(4)
    x, w, xm, wm = run_case(rng, mx.float32, (2, 6, 5, 4), (6, 3, 2, 2))
    kw = dict(stride=[2, 1], padding=([2, -1], [1, 3]), kernel_dilation=[1, 2],
              input_dilation=[2, 3], groups=2, flip=flip)
    out = mx.conv_general(xm, wm, **kw)
    want = ref_conv(x, w, (2, 1), (2, -1), (1, 3), (1, 2), (2, 3), 2, flip)
    np.testing.assert_allclose(np.array(out), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_conv_transpose(d):
    rng = np.random.default_rng(5 + d)
    xs = (2,) + (4, 5, 3)[:d] + (4,)
    ws = (4,) + (3, 2, 2)[:d] + (2,)
    stride, pad, dil, opad = (2, 3, 1)[:d], (1, 0, 1)[:d], (1, 2, 1)[:d], (1, 0, 0)[:d]
    x, w, xm, wm = run_case(rng, mx.float32, xs, ws)
    f = getattr(mx, f"conv_transpose{d}d")
    if d == 1:
        out = f(xm, wm, stride=stride[0], padding=pad[0], dilation=dil[0],
                output_padding=opad[0], groups=2)
    else:
        out = f(xm, wm, stride=stride, padding=pad, dilation=dil, output_padding=opad, groups=2)
    # The definition: a flipped-kernel convolution of the stride-dilated input.
    lo = [di * (k - 1) - p for di, k, p in zip(dil, ws[1:-1], pad)]
    hi = [a + o for a, o in zip(lo, opad)]
    want = ref_conv(x, w, (1,) * d, lo, hi, dil, stride, 2, True)
    expect = [(n - 1) * s - 2 * p + di * (k - 1) + o + 1
              for n, s, p, di, k, o in zip(xs[1:-1], stride, pad, dil, ws[1:-1], opad)]
    assert list(out.shape[1:-1]) == expect
    np.testing.assert_allclose(np.array(out), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n,m", [(9, 4), (4, 9), (6, 6), (7, 1), (1, 1)])
def test_convolve(mode, n, m):
    rng = np.random.default_rng(n * 10 + m)
    a, v = rng.standard_normal(n), rng.standard_normal(m)
    out = mx.convolve(mx.array(a, dtype=mx.float64), mx.array(v, dtype=mx.float64), mode=mode)
    np.testing.assert_allclose(np.array(out), np.convolve(a, v, mode=mode), rtol=1e-12, atol=1e-12)


def test_mixed_dtypes_promote():
    x = mx.array(np.random.default_rng(0).standard_normal((1, 5, 2)), dtype=mx.float16)
    w = mx.array(np.random.default_rng(1).standard_normal((3, 2, 2)), dtype=mx.float32)
    assert mx.conv1d(x, w).dtype == mx.float32


def test_gradients():
    rng = np.random.default_rng(8)
    x, w = rng.uniform(-1, 1, (2, 5, 4, 4)), rng.uniform(-1, 1, (4, 2, 3, 2))

    def f(a, b):
        return mx.conv2d(a, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)

    check_grads(f, [x, w], rng=rng)

    def g(a, b):
        return mx.conv_transpose1d(a, b, stride=2, padding=1, output_padding=1)

    check_grads(g, [rng.uniform(-1, 1, (1, 4, 3)), rng.uniform(-1, 1, (2, 3, 3))], rng=rng)


def test_vmap_over_batch_of_weights():
    rng = np.random.default_rng(9)
    x = mx.array(rng.standard_normal((2, 6, 3)), dtype=mx.float64)
    ws = mx.array(rng.standard_normal((4, 5, 2, 3)), dtype=mx.float64)
    out = mx.vmap(lambda w: mx.conv1d(x, w, padding=1), in_axes=0)(ws)
    for i in range(4):
        np.testing.assert_allclose(np.array(out[i]), np.array(mx.conv1d(x, ws[i], padding=1)),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: mx.conv1d(mx.zeros((1, 5, 2), dtype=mx.int32), mx.zeros((3, 2, 2))), "floating"),
        (lambda: mx.conv1d(mx.zeros((1, 5, 2)), mx.zeros((3, 2, 3))), "channels"),
        (lambda: mx.conv1d(mx.zeros((1, 5, 4)), mx.zeros((3, 2, 2)), groups=2), "divisible"),
        (lambda: mx.conv1d(mx.zeros((1, 1, 2)), mx.zeros((3, 2, 2))), "smaller than"),
        (lambda: mx.conv1d(mx.zeros((5, 2)), mx.zeros((3, 2, 2))), "3 dims"),
        (lambda: mx.conv1d(mx.zeros((1, 5, 2)), mx.zeros((3, 2, 2)), stride=0), "positive"),
        (lambda: mx.conv2d(mx.zeros((1, 5, 5, 2)), mx.zeros((3, 2, 2))), "rank"),
        (lambda: mx.conv2d(mx.zeros((1, 5, 5, 2)), mx.zeros((3, 2, 2, 2)), stride=(1, 1, 1)),
         "3 values for 2"),
        (lambda: mx.conv_transpose1d(mx.zeros((1, 5, 2)), mx.zeros((3, 2, 2)), stride=2,
                                     output_padding=2), "output_padding"),
        (lambda: mx.convolve(mx.zeros((3, 2)), mx.zeros((2,))), "1-d"),
        (lambda: mx.convolve(mx.zeros((3,)), mx.zeros((2,)), mode="middle"), "mode"),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
