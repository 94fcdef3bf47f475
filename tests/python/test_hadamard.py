"""hadamard_transform against H_n (Sylvester's construction, built here by
Kronecker products) over sizes, dtypes, batches and scales; gradients; errors."""
import numpy as np
import pytest
import tandem.core as mx
from test_transforms import check_grads


def hadamard_matrix(n):
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


@pytest.mark.parametrize("n", [1, 2, 4, 16, 128, 1024])
@pytest.mark.parametrize("dtype", [mx.float32, mx.float64, mx.float16])
def test_hadamard_transform(n, dtype):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((3, n))
    out = mx.hadamard_transform(mx.array(x, dtype=dtype))
    want = x @ hadamard_matrix(n).T / np.sqrt(n)
    assert out.dtype == dtype and out.shape == x.shape
    tol = {mx.float32: 1e-5, mx.float64: 1e-12, mx.float16: 2e-2}[dtype] * max(1, np.log2(n))
    np.testing.assert_allclose(np.array(out).astype(np.float64), want, rtol=tol, atol=tol)


def test_scale_ints_scalars_and_views():
    np.testing.assert_array_equal(
        np.array(mx.hadamard_transform(mx.array([0, 1, 2, 3]), scale=1.0)), [6, -2, -4, 0]
    )
    assert mx.hadamard_transform(mx.array([1, 2], dtype=mx.int32)).dtype == mx.float32
    assert mx.hadamard_transform(mx.array(3.0)).item() == 3.0
    x = np.random.default_rng(0).standard_normal((8, 4))
    out = mx.hadamard_transform(mx.array(x, dtype=mx.float64).T, scale=0.5)
    np.testing.assert_allclose(np.array(out), 0.5 * x.T @ hadamard_matrix(8).T, rtol=1e-12)


def test_gradient_is_the_transform():
    rng = np.random.default_rng(3)
    check_grads(lambda a: mx.hadamard_transform(a), [rng.standard_normal((2, 8))], rng=rng)


@pytest.mark.parametrize("n", [3, 6, 12])
def test_sizes_not_power_of_two_raise(n):
    with pytest.raises(ValueError, match="power-of-two"):
        mx.hadamard_transform(mx.zeros((2, n)))
