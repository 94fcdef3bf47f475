"""view (bytes read as another dtype) against NumPy's ndarray.view over dtype
pairs, layouts, batches and errors; vmap over a non-last axis; zero gradient."""
import numpy as np
import pytest
import tandem.core as mx
from utils import NP_DTYPE

PAIRS = [
    (mx.float32, mx.int32), (mx.float32, mx.uint8), (mx.float32, mx.float16),
    (mx.float32, mx.float64), (mx.int64, mx.int16), (mx.uint8, mx.int32),
    (mx.float16, mx.uint16), (mx.complex64, mx.float32), (mx.int8, mx.uint8),
]


@pytest.mark.parametrize("src,dst", PAIRS)
@pytest.mark.parametrize("layout", ["c", "T", "s"])
def test_view_matches_numpy(src, dst, layout):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, size=(4, 16), dtype=np.uint8).view(NP_DTYPE[src])
    if layout == "T":
        x, xn = mx.array(np.ascontiguousarray(base.T)).T, base
    elif layout == "s":
        x, xn = mx.array(base)[:, ::2], base[:, ::2]
    else:
        x, xn = mx.array(base), base
    out = mx.view(x, dst)
    want = np.ascontiguousarray(xn).view(NP_DTYPE[dst])
    assert out.dtype == dst and out.shape == want.shape
    got = np.array(out)
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))


def test_view_scalars_empty_and_same_dtype():
    assert mx.view(mx.array(1.0), mx.int32).item() == 1065353216
    assert mx.view(mx.zeros((2, 0)), mx.uint8).shape == (2, 0)
    x = mx.array([1.5, 2.5])
    assert mx.view(x, mx.float32) is x or np.array_equal(np.array(mx.view(x, mx.float32)), [1.5, 2.5])


def test_view_vmap_and_grad():
    a = mx.array([[1.0, 2.0], [3.0, 4.0]])
    out = mx.vmap(lambda x: mx.view(x, mx.uint8), in_axes=1)(a)
    want = np.ascontiguousarray(np.array(a).T).view(np.uint8)
    np.testing.assert_array_equal(np.array(out), want)
    g = mx.grad(lambda x: mx.view(x, mx.int32).astype(mx.float32).sum())(a)
    np.testing.assert_array_equal(np.array(g), np.zeros((2, 2)))


def test_view_errors():
    with pytest.raises(ValueError, match="multiple"):
        mx.view(mx.array([1.0, 2.0, 3.0]), mx.float64)
    with pytest.raises(ValueError, match="0-d"):
        mx.view(mx.array(1.0), mx.float16)
