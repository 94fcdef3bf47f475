"""Strided layouts read by kernels that copy or read them in place: reshapes
of transposed views (row-major copies, wide units where rows allow),
matmul operands whose batch dims do not collapse, and elementwise chains
whose inputs are broadcast, transposed or strided (fused kernels read them
through strides). Against NumPy, over dtypes, aligned and unaligned rows."""
import numpy as np
import pytest
import tandem.core as mx
from utils import NP_DTYPE

DTYPES = [mx.bool_, mx.int8, mx.float16, mx.bfloat16, mx.int32, mx.float32, mx.float64,
          mx.complex64, mx.int64]


def rand(rng, shape, dtype):
    x = rng.standard_normal(shape) * 50
    if dtype == mx.complex64:
        return (x + 1j * rng.standard_normal(shape)).astype(np.complex64)
    if dtype == mx.bool_:
        return x > 0
    if dtype == mx.bfloat16:
        return x.astype(np.float32)
    return x.astype(NP_DTYPE[dtype])


def as_np(a):
    return np.array(a.astype(mx.float32)) if a.dtype == mx.bfloat16 else np.array(a)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d,start", [(16, 0), (8, 0), (3, 0), (17, 1), (16, 8)])
def test_reshape_of_transposed_heads(rng, dtype, d, start):
    b, t, h = 3, 5, 4
    xn = rand(rng, (b, t, h, d), dtype)
    x = mx.array(xn, dtype=dtype)
    if dtype == mx.bfloat16:
        xn = as_np(x)
    # (B, T, H, D) -> (B, H, T, D[start:]) -> rows: a copy (no view can express it).
    y = x[..., start:].transpose(0, 2, 1, 3).reshape(b * h, -1)
    want = xn[..., start:].transpose(0, 2, 1, 3).reshape(b * h, -1)
    np.testing.assert_array_equal(as_np(y), want)
    # Reversed and strided rows too (no wide units there).
    z = x[:, ::-1, :, ::2].transpose(2, 0, 1, 3).reshape(h, -1)
    np.testing.assert_array_equal(as_np(z), xn[:, ::-1, :, ::2].transpose(2, 0, 1, 3).reshape(h, -1))


@pytest.mark.parametrize("dtype", [mx.float32, mx.bfloat16, mx.float16])
def test_attention_shaped_products(rng, dtype):
    b, t, h, d = 2, 7, 3, 8
    qkv = mx.array(rng.standard_normal((b, t, 3 * h * d)).astype(np.float32)).astype(dtype)
    q, k, v = (z.reshape(b, t, h, d).transpose(0, 2, 1, 3) for z in mx.split(qkv, 3, axis=-1))
    s = q @ k.transpose(0, 1, 3, 2)
    o = (s @ v).transpose(0, 2, 1, 3).reshape(b, t, h * d)
    qn, kn, vn = (np.array(z.astype(mx.float32)).astype(np.float64) for z in (q, k, v))
    sn = qn @ kn.transpose(0, 1, 3, 2)
    on = (np.array(s.astype(mx.float32)).astype(np.float64) @ vn).transpose(0, 2, 1, 3).reshape(b, t, -1)
    tol = {mx.float32: 1e-5, mx.float16: 2e-3, mx.bfloat16: 1e-2}[dtype]
    np.testing.assert_allclose(np.array(s.astype(mx.float32)), sn, rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(np.array(o.astype(mx.float32)), on, rtol=tol, atol=tol * 10)


# Elementwise chains over inputs in other layouts: float32 arithmetic is
# exact per op (no contraction), so NumPy's float32 gives the same bits.
@pytest.mark.parametrize("shape", [(64, 48), (3, 5, 8), (2, 3, 4, 3, 5, 6), (1, 1), (0, 4)])
def test_fused_chains_with_broadcast_and_strided_inputs(rng, shape):
    xn = rng.standard_normal(shape).astype(np.float32)
    last = shape[-1]
    bn = rng.standard_normal(last).astype(np.float32)
    mn = rng.standard_normal(shape[:-1] + (1,)).astype(np.float32)
    tn = rng.standard_normal(shape[::-1]).astype(np.float32)
    x, b, m = mx.array(xn), mx.array(bn), mx.array(mn)
    t = mx.array(tn).transpose(tuple(range(len(shape)))[::-1])
    y = mx.maximum((x - m) * b + t, -1.0) * 0.5 - b
    want = np.maximum((xn - mn) * bn + tn.transpose(tuple(range(len(shape)))[::-1]), np.float32(-1.0)) * np.float32(0.5) - bn
    np.testing.assert_array_equal(np.array(y), want)
    # An input broadcast along alternating dims (more than the kernels read
    # through strides when the rank is high: copied first).
    alt_shape = tuple(s if i % 2 == 0 else 1 for i, s in enumerate(shape))
    an = rng.standard_normal(alt_shape).astype(np.float32)
    z = mx.sqrt(mx.abs(x * mx.array(an) + 1.0))
    np.testing.assert_array_equal(np.array(z), np.sqrt(np.abs(xn * an + np.float32(1.0))))


@pytest.mark.parametrize("dtype", [mx.bfloat16, mx.float16, mx.int32])
def test_fused_chains_other_dtypes(rng, dtype):
    xn = rng.integers(-8, 8, (16, 40)).astype(np.float32)
    bn = rng.integers(-8, 8, (40,)).astype(np.float32)
    x, b = mx.array(xn).astype(dtype), mx.array(bn).astype(dtype)
    y = (x + b) * b - x  # integers below 256: exact in every dtype here
    np.testing.assert_array_equal(np.array(y.astype(mx.float32)), (xn + bn) * bn - xn)
    yt = (x.T + b[:, None]) * 2
    np.testing.assert_array_equal(np.array(yt.astype(mx.float32)), (xn.T + bn[:, None]) * 2)
