"""tandem.nn.init: shapes, dtypes, exact values, and statistics over large draws."""

import math

import numpy as np
import pytest
import tandem.core as mx
from nn_modules import load

init = load("init")

try:
    import mlx.nn.init as init2
except ImportError:
    init2 = None


@pytest.fixture(autouse=True)
def seeded():
    mx.random.seed(20261203)


def stats(x):
    x = np.array(x.astype(mx.float32), dtype=np.float64)
    return x.mean(), x.std()


def test_constant_and_identity(rng):
    value = float(rng.standard_normal())
    out = init.constant(value)(mx.zeros((3, 4)))
    assert out.shape == (3, 4) and out.dtype == mx.float32
    np.testing.assert_array_equal(np.array(out), np.full((3, 4), value, dtype=np.float32))
    half = init.constant(2.5, mx.float16)(mx.zeros((5,)))
    assert half.dtype == mx.float16
    np.testing.assert_array_equal(np.array(half), np.full(5, 2.5, dtype=np.float16))
    eye = init.identity()(mx.zeros((6, 6)))
    np.testing.assert_array_equal(np.array(eye), np.eye(6, dtype=np.float32))
    assert init.identity(mx.int32)(mx.zeros((3, 3))).dtype == mx.int32
    with pytest.raises(ValueError):
        init.identity()(mx.zeros((3, 4)))
    with pytest.raises(ValueError):
        init.identity()(mx.zeros((3,)))


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_normal_and_uniform(dtype):
    dt = getattr(mx, dtype)
    out = init.normal(mean=1.5, std=0.25, dtype=dt)(mx.zeros((400, 500)))
    assert out.shape == (400, 500) and out.dtype == dt
    m, s = stats(out)
    assert abs(m - 1.5) < 0.01 and abs(s - 0.25) < 0.01
    out = init.uniform(low=-2.0, high=1.0, dtype=dt)(mx.zeros((400, 500)))
    assert out.dtype == dt
    x = np.array(out.astype(mx.float32))
    assert x.min() >= -2.0 and x.max() <= 1.0
    m, s = stats(out)
    assert abs(m + 0.5) < 0.02 and abs(s - 3 / math.sqrt(12)) < 0.02


# Shapes in MLX's layout [out, ..., in]: fan_in = in * receptive, fan_out = out * receptive.
SHAPES = [((300, 200), 200, 300), ((64, 5, 5, 16), 400, 1600), ((128, 7, 32), 224, 896)]


@pytest.mark.parametrize("shape,fan_in,fan_out", SHAPES)
def test_glorot(shape, fan_in, fan_out):
    for gain in (1.0, 0.5):
        out = init.glorot_normal()(mx.zeros(shape), gain=gain)
        assert out.shape == shape and out.dtype == mx.float32
        m, s = stats(out)
        std = gain * math.sqrt(2 / (fan_in + fan_out))
        assert abs(m) < 0.02 * std * 10 and abs(s / std - 1) < 0.03
        out = init.glorot_uniform()(mx.zeros(shape), gain)
        limit = gain * math.sqrt(6 / (fan_in + fan_out))
        x = np.array(out)
        assert np.abs(x).max() <= limit * (1 + 1e-6)
        assert abs(x.std() / (limit / math.sqrt(3)) - 1) < 0.03


@pytest.mark.parametrize("shape,fan_in,fan_out", SHAPES)
def test_he(shape, fan_in, fan_out):
    for mode, fan in (("fan_in", fan_in), ("fan_out", fan_out)):
        for gain in (1.0, math.sqrt(2)):
            out = init.he_normal()(mx.zeros(shape), mode=mode, gain=gain)
            assert out.shape == shape
            m, s = stats(out)
            assert abs(s / (gain / math.sqrt(fan)) - 1) < 0.03
            out = init.he_uniform()(mx.zeros(shape), mode, gain)
            limit = gain * math.sqrt(3 / fan)
            x = np.array(out)
            assert np.abs(x).max() <= limit * (1 + 1e-6)
            assert abs(x.std() / (limit / math.sqrt(3)) - 1) < 0.03
    assert init.he_uniform(mx.float16)(mx.zeros(shape)).dtype == mx.float16
    assert init.glorot_normal(mx.bfloat16)(mx.zeros(shape)).dtype == mx.bfloat16


def test_fan_errors():
    for f in (init.glorot_normal(), init.glorot_uniform(), init.he_normal(), init.he_uniform()):
        with pytest.raises(ValueError):
            f(mx.zeros((5,)))
    with pytest.raises(ValueError):
        init.he_normal()(mx.zeros((3, 4)), mode="fan_avg")


@pytest.mark.parametrize("sparsity,shape", [(0.25, (200, 10)), (0.5, (50, 7)), (0.0, (4, 9))])
def test_sparse(sparsity, shape):
    out = init.sparse(sparsity, mean=0.5, std=2.0)(mx.zeros(shape))
    assert out.shape == shape and out.dtype == mx.float32
    x = np.array(out)
    # Every row has exactly ceil(sparsity * cols) zeros, at different places.
    zeros = math.ceil(sparsity * shape[1])
    np.testing.assert_array_equal((x == 0).sum(axis=1), zeros)
    if zeros:
        assert len({tuple(np.flatnonzero(r == 0)) for r in x}) > 1
    nz = x[x != 0]
    if nz.size > 1000:
        assert abs(nz.mean() - 0.5) < 0.2 and abs(nz.std() - 2.0) < 0.2
    assert init.sparse(0.5, dtype=mx.float16)(mx.zeros((3, 4))).dtype == mx.float16
    with pytest.raises(ValueError):
        init.sparse(0.5)(mx.zeros((2, 3, 4)))


@pytest.mark.parametrize("shape", [(8, 8), (5, 12), (12, 5), (1, 4)])
def test_orthogonal(shape):
    gain = 1.7
    out = init.orthogonal(gain)(mx.zeros(shape))
    assert out.shape == shape and out.dtype == mx.float32
    q = np.array(out, dtype=np.float64) / gain
    rows, cols = shape
    gram = q @ q.T if rows <= cols else q.T @ q
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)
    # Draws differ.
    other = np.array(init.orthogonal(gain)(mx.zeros(shape)))
    assert not np.allclose(other, q * gain)
    assert init.orthogonal(dtype=mx.float16)(mx.zeros(shape)).dtype == mx.float16
    with pytest.raises(ValueError):
        init.orthogonal()(mx.zeros((2, 3, 4)))


def test_orthogonal_is_uniform():
    # With R's signs folded in, Q's entries are symmetric about 0 and the
    # diagonal is not biased positive (it would be with raw QR).
    diag = np.concatenate(
        [np.diag(np.array(init.orthogonal()(mx.zeros((6, 6))))) for _ in range(300)]
    )
    assert abs(diag.mean()) < 0.05


@pytest.mark.skipif(init2 is None, reason="mlx is not installed: no reference to compare")
def test_signatures_match_mlx():
    import inspect

    for name in init.__all__:
        ours = inspect.signature(getattr(init, name))
        ref = inspect.signature(getattr(init2, name))
        assert list(ours.parameters) == list(ref.parameters), name
        for k, p in ours.parameters.items():
            d = ref.parameters[k].default
            if not hasattr(d, "size"):  # dtypes differ by library; compare plain defaults
                assert p.default == d, (name, k)
