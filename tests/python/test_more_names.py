"""array.mT, mx.matrix_norm, mx.fast.cross_entropy and get_array_buffer_size."""
import numpy as np
import pytest
import tandem.core as mx
from utils import LAYOUTS, make, round_to

try:
    import mlx.core as mlx_core
except ImportError:  # pragma: no cover
    mlx_core = None


def test_mT(rng):
    vals = rng.standard_normal((2, 3, 4))
    for layout in LAYOUTS:
        x = make(vals, mx.float32, layout)
        np.testing.assert_array_equal(np.array(x.mT), np.swapaxes(vals.astype(np.float32), -1, -2))
    assert mx.zeros((5, 0)).mT.shape == (0, 5)
    for bad in (mx.array([1, 2, 3]), mx.array(1)):
        with pytest.raises(ValueError, match=r"\[matrix_transpose\]"):
            bad.mT


def test_matrix_norm_is_linalg_norm(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    x = mx.array(a)
    np.testing.assert_allclose(mx.matrix_norm(x).item(), np.linalg.norm(a), rtol=1e-5)
    np.testing.assert_allclose(mx.matrix_norm(x, 1).item(), np.linalg.norm(a, 1), rtol=1e-5)
    np.testing.assert_allclose(np.array(mx.matrix_norm(x, axis=1)), np.linalg.norm(a, axis=1),
                               rtol=1e-5)


def np_cross_entropy(logits, targets):
    m = logits.max(-1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(-1)) + m[..., 0]
    return lse - np.take_along_axis(logits, targets[..., None], -1)[..., 0]


@pytest.mark.parametrize("dtype", [mx.float32, mx.float16, mx.bfloat16, mx.float64])
def test_cross_entropy(rng, dtype):
    for shape in [(7,), (3, 5), (2, 3, 11)]:
        logits = round_to(rng.standard_normal(shape) * 3, dtype)
        targets = rng.integers(0, shape[-1], shape[:-1])
        for layout in LAYOUTS:
            for tdt in (mx.int32, mx.uint8, mx.int64):
                got = mx.fast.cross_entropy(make(logits, dtype, layout), make(targets, tdt, layout))
                assert got.dtype == mx.float32 and got.shape == shape[:-1]
                np.testing.assert_allclose(np.array(got), np_cross_entropy(logits, targets),
                                           rtol=1e-5, atol=1e-5)
    assert mx.fast.cross_entropy(mx.zeros((0, 4)), mx.zeros((0,), dtype=mx.int32)).shape == (0,)


def test_cross_entropy_grad(rng):
    logits = rng.standard_normal((4, 6)).astype(np.float32)
    t = rng.integers(0, 6, 4)
    g = mx.grad(lambda x: mx.fast.cross_entropy(x, mx.array(t)).sum())(mx.array(logits))
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    p[np.arange(4), t] -= 1
    np.testing.assert_allclose(np.array(g), p, rtol=1e-5, atol=1e-6)


def test_cross_entropy_errors():
    x = mx.zeros((3, 5))
    with pytest.raises(ValueError, match=r"\[cross_entropy\].*integer"):
        mx.fast.cross_entropy(x, mx.zeros((3,)))
    with pytest.raises(ValueError, match=r"\[cross_entropy\].*shape"):
        mx.fast.cross_entropy(x, mx.array([0, 1]))
    with pytest.raises(ValueError, match=r"\[cross_entropy\].*floating"):
        mx.fast.cross_entropy(mx.zeros((3, 5), dtype=mx.int32), mx.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\[cross_entropy\].*0-d"):
        mx.fast.cross_entropy(mx.array(1.0), mx.array(0))
    with pytest.raises(ValueError, match=r"\[cross_entropy\].*empty"):
        mx.fast.cross_entropy(mx.zeros((2, 0)), mx.array([0, 0]))
    with pytest.raises(ValueError, match=r"\[cross_entropy\].*integer"):
        mx.fast.cross_entropy(x, mx.array([True, False, True]))


@pytest.mark.skipif(mlx_core is None, reason="needs MLX")
def test_cross_entropy_matches_mlx(rng):
    logits = rng.standard_normal((4, 9)).astype(np.float32)
    t = rng.integers(0, 9, 4).astype(np.int32)
    want = mlx_core.fast.cross_entropy(mlx_core.array(logits), mlx_core.array(t))
    got = mx.fast.cross_entropy(mx.array(logits), mx.array(t))
    np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-6)


def test_get_array_buffer_size(rng):
    a = mx.array(rng.standard_normal(10).astype(np.float32))
    b = mx.array(np.ones(1000, dtype=np.float32))
    view = a[2:]
    mx.eval(view)
    sa, sb = mx.get_array_buffer_size(a), mx.get_array_buffer_size(b)
    assert sa >= 40 and sb >= 4000
    # Each buffer once, views included; non-array leaves are skipped.
    assert mx.get_array_buffer_size(a, a, [a, {"x": a, "y": (view, 3, "s", None)}]) == sa
    assert mx.get_array_buffer_size(a, b, 3, "x", None) == sa + sb
    assert mx.get_array_buffer_size() == 0
    assert mx.get_array_buffer_size(mx.array([1, 2, 3], dtype=mx.uint8)) >= 3
    with pytest.raises(ValueError, match=r"\[get_array_buffer_size\].*evaluated"):
        mx.get_array_buffer_size(mx.ones((5,)) + 1)
    c = mx.exp(a)
    mx.async_eval(c)
    assert mx.get_array_buffer_size(c) >= 40
