"""gather_mm against NumPy (take then matmul from the definition), with
broadcast indices, default indices, batched operands, gradients and errors."""
import numpy as np
import pytest
import tandem.core as mx
from test_transforms import check_grads


def ref(a, b, li, ri):
    af = a.reshape(-1, *a.shape[-2:])
    bf = b.reshape(-1, *b.shape[-2:])
    if li is None:
        li = np.arange(af.shape[0]).reshape(a.shape[:-2])
    if ri is None:
        ri = np.arange(bf.shape[0]).reshape(b.shape[:-2])
    li, ri = np.broadcast_arrays(li, ri)
    return af[li] @ bf[ri]


@pytest.mark.parametrize(
    "ashape,bshape,li,ri",
    [
        ((2, 3, 4, 5), (6, 5, 7), [[0, 5], [3, 1]], [2, 4]),
        ((3, 4, 5), (3, 5, 7), None, None),
        ((3, 4, 5), (3, 5, 7), None, [2, 0, 1]),
        ((4, 5), (6, 5, 7), None, [1, 2, 5]),
        ((5, 1, 6), (2, 6, 3), [4, 4, 0], [[1], [0]]),
        ((3, 4, 5), (2, 5, 2), np.zeros((0,), np.int32), [1]),
    ],
)
@pytest.mark.parametrize("dtype", [mx.float32, mx.float64])
def test_gather_mm(ashape, bshape, li, ri, dtype):
    rng = np.random.default_rng(len(ashape) + len(bshape))
    a, b = rng.standard_normal(ashape), rng.standard_normal(bshape)
    lim = None if li is None else mx.array(np.array(li), dtype=mx.int32)
    rim = None if ri is None else mx.array(np.array(ri), dtype=mx.uint32)
    out = mx.gather_mm(mx.array(a, dtype=dtype), mx.array(b, dtype=dtype), lim, rim)
    want = ref(a, b, None if li is None else np.array(li), None if ri is None else np.array(ri))
    assert out.shape == want.shape and out.dtype == dtype
    tol = 1e-5 if dtype == mx.float32 else 1e-12
    np.testing.assert_allclose(np.array(out), want, rtol=tol, atol=tol)


def test_gather_mm_transposed_operands():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 5, 4))
    am = mx.array(a, dtype=mx.float64)
    out = mx.gather_mm(mx.swapaxes(am, 1, 2), am, mx.array([2, 0]), mx.array([1, 1]))
    at = np.swapaxes(a, 1, 2)
    np.testing.assert_allclose(np.array(out), at[[2, 0]] @ a[[1, 1]], rtol=1e-12)


def test_gather_mm_gradients():
    rng = np.random.default_rng(2)
    li, ri = mx.array([1, 0, 1]), mx.array([0, 2, 2])

    def f(a, b):
        return mx.gather_mm(a, b, li, ri)

    check_grads(f, [rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4, 2))], rng=rng)


def test_gather_mm_errors():
    a, b = mx.zeros((2, 3, 4)), mx.zeros((2, 4, 5))
    with pytest.raises(ValueError, match="integers"):
        mx.gather_mm(a, b, mx.array([0.5]), None)
    with pytest.raises(ValueError, match="2 dims"):
        mx.gather_mm(mx.zeros((3,)), b)
    with pytest.raises(ValueError, match="gather_mm"):
        mx.gather_mm(a, b, mx.array([0, 1, 1]), mx.array([0, 1]))
