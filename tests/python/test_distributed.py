"""mx.distributed for one process: the singleton group, collectives that
return their input's values (any dtype, shape, layout, device), and clear
errors where MLX raises for a group of one process."""
import numpy as np
import pytest
import tandem.core as mx

DTYPES = [mx.float32, mx.float16, mx.bfloat16, mx.int32, mx.uint8, mx.bool_, mx.complex64]
COLLECTIVES = ["all_sum", "all_max", "all_min", "all_gather", "sum_scatter"]


def rand(rng, shape, dtype):
    if dtype == mx.bool_:
        return mx.array(rng.random(shape) < 0.5)
    if dtype in (mx.int32, mx.uint8):
        return mx.array(rng.integers(0, 100, size=shape)).astype(dtype)
    v = rng.standard_normal(shape)
    if dtype == mx.complex64:
        v = v + 1j * rng.standard_normal(shape)
    return mx.array(v.astype(np.complex64 if dtype == mx.complex64 else np.float32)).astype(dtype)


def test_singleton_group():
    assert mx.distributed.is_available() is False
    g = mx.distributed.init()
    assert (g.rank(), g.size()) == (0, 1)
    for backend in ("any", "mpi", "nccl", "ring", "jaccl"):
        assert mx.distributed.init(backend=backend).size() == 1
    import tandem.core.distributed as d  # importable as a module, as mlx.core.distributed

    assert d.Group is mx.distributed.Group


@pytest.mark.parametrize("name", COLLECTIVES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_collectives_return_the_values(name, dtype):
    rng = np.random.default_rng(hash((name, str(dtype))) % 2**32)
    f = getattr(mx.distributed, name)
    g = mx.distributed.init()
    for shape in [(), (0,), (5,), (3, 4), (2, 3, 4)]:
        x = rand(rng, shape, dtype)
        views = [x] if len(shape) < 2 else [x, x.T, x[::2]]
        for v in views:
            y = f(v, group=g)
            assert y.shape == v.shape and y.dtype == v.dtype
            np.testing.assert_array_equal(np.array(y), np.array(v))
    x = rand(rng, (4, 3), dtype)
    y = f(x, stream=mx.cpu)
    np.testing.assert_array_equal(np.array(y), np.array(x))


def test_collectives_differentiate_as_identity():
    rng = np.random.default_rng(0)
    x = mx.array(rng.standard_normal((3, 5)).astype(np.float32))
    g = mx.grad(lambda a: (mx.distributed.all_sum(a) * a).sum())(x)
    np.testing.assert_allclose(np.array(g), 2 * np.array(x), rtol=1e-6)


def test_errors():
    g = mx.distributed.init()
    x = mx.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\[distributed.send\] .*process 1"):
        mx.distributed.send(x, 1)
    with pytest.raises(ValueError, match=r"\[distributed.recv\]"):
        mx.distributed.recv((2,), mx.float32, 0)
    with pytest.raises(ValueError, match=r"\[distributed.recv_like\]"):
        mx.distributed.recv_like(x, 0, group=g)
    with pytest.raises(RuntimeError, match="no communication backend"):
        mx.distributed.init(strict=True)
    with pytest.raises(ValueError, match="backend must be"):
        mx.distributed.init(backend="gloo")
    with pytest.raises(RuntimeError, match="cannot split"):
        g.split(0)
    # The process stays usable.
    assert mx.distributed.all_sum(x).tolist() == [1.0, 2.0]
