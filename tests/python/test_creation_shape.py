"""Creation, shape, joining and matmul ops against NumPy."""
import numpy as np
import pytest
import tandem.core as mx
from utils import assert_close, to_numpy


def test_arange():
    assert mx.arange(5).tolist() == list(range(5)) and mx.arange(5).dtype == mx.int32
    assert mx.arange(2, 10, 3).tolist() == [2, 5, 8]
    assert mx.arange(0.5, 2).dtype == mx.float32
    assert_close(mx.arange(0, 1, 0.25), np.arange(0, 1, 0.25))
    assert mx.arange(5, dtype=mx.float16).dtype == mx.float16
    assert mx.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    assert mx.arange(0).shape == (0,)
    assert mx.arange(3, stream=mx.cpu).tolist() == [0, 1, 2]


def test_linspace_full_zeros_ones_eye_tri():
    assert_close(mx.linspace(0, 1, 7), np.linspace(0, 1, 7))
    assert mx.linspace(0, 1, 7, dtype=mx.float64).dtype == mx.float64
    assert mx.full((2, 3), 7).dtype == mx.int32 and mx.full((2, 3), 7).tolist() == [[7] * 3] * 2
    assert mx.full((2,), 1.5, dtype=mx.float16).dtype == mx.float16
    assert mx.full((2, 2), mx.array([1, 2])).tolist() == [[1, 2], [1, 2]]
    assert mx.zeros(3).shape == (3,)
    assert mx.zeros((2, 0)).shape == (2, 0)
    assert mx.ones((2,), dtype=mx.bool_).tolist() == [True, True]
    assert mx.zeros_like(mx.ones((2,), dtype=mx.int8)).dtype == mx.int8
    assert mx.ones_like(mx.zeros((2,))).tolist() == [1.0, 1.0]
    assert mx.full_like(mx.zeros((2,), dtype=mx.float16), 3).dtype == mx.float16
    assert_close(mx.eye(3, 4, k=1), np.eye(3, 4, k=1))
    assert_close(mx.identity(3), np.identity(3))
    assert_close(mx.tri(3, 4, k=-1), np.tri(3, 4, k=-1))
    assert mx.empty((2,)).shape == (2,)


@pytest.mark.parametrize("name", ["bartlett", "hanning", "hamming", "blackman"])
@pytest.mark.parametrize("M", [0, 1, 2, 5, 12, 1001])
def test_windows(name, M):
    assert_close(getattr(mx, name)(M), getattr(np, name)(M), mx.float32, atol=1e-6)


@pytest.mark.parametrize("name", ["bartlett", "hanning", "hamming", "blackman"])
def test_window_past_memory_limit(name):
    # Found by the input fuzzer: blackman(2**31 - 1) filled an 8 GiB host
    # vector past the memory limit, for minutes; now it is a lazy graph whose
    # eval raises MemoryError under the limit and leaves the process usable.
    old = mx.set_memory_limit(64 << 20)
    try:
        w = getattr(mx, name)(2**31 - 1)
        assert w.shape == (2**31 - 1,) and w.dtype == mx.float32
        with pytest.raises(MemoryError):
            mx.eval(w)
    finally:
        mx.set_memory_limit(old)
    assert_close(getattr(mx, name)(7), getattr(np, name)(7), mx.float32, atol=1e-6)


def test_reshape_family(rng):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    x = mx.array(a)
    assert_close(mx.reshape(x, (4, -1)), a.reshape(4, -1))
    assert_close(x.reshape(6, 4), a.reshape(6, 4))
    assert_close(x.reshape((6, 4)), a.reshape(6, 4))
    assert_close(x.T.reshape(-1), a.T.reshape(-1))
    assert_close(mx.flatten(x, 1), a.reshape(2, 12))
    assert_close(x.flatten(), a.reshape(-1))
    assert_close(mx.unflatten(x, 2, (2, 2)), a.reshape(2, 3, 2, 2))
    assert_close(mx.squeeze(mx.expand_dims(x, (0, 2))), a)
    assert mx.expand_dims(x, 1).shape == (2, 1, 3, 4)
    assert_close(mx.transpose(x, (1, 0, 2)), a.transpose(1, 0, 2))
    assert_close(x.transpose(2, 0, 1), a.transpose(2, 0, 1))
    assert_close(mx.permute_dims(x, [2, 1, 0]), a.transpose())
    assert_close(mx.moveaxis(x, 0, -1), np.moveaxis(a, 0, -1))
    assert_close(x.swapaxes(0, 2), np.swapaxes(a, 0, 2))
    assert_close(mx.matrix_transpose(x), np.swapaxes(a, -1, -2))
    assert_close(mx.broadcast_to(mx.array([1.0, 2.0]), (3, 2)), np.broadcast_to([1.0, 2.0], (3, 2)))
    b = mx.broadcast_arrays(mx.zeros((3, 1)), mx.zeros((1, 4)))
    assert [t.shape for t in b] == [(3, 4), (3, 4)]
    assert mx.broadcast_shapes((3, 1), (1, 4), (4,)) == (3, 4)
    assert mx.atleast_2d(mx.array(1)).shape == (1, 1)
    assert [t.shape for t in mx.atleast_3d(mx.zeros(2), mx.zeros((2, 3)))] == [(1, 2, 1), (2, 3, 1)]
    s = mx.as_strided(mx.arange(10), (3, 3), (1, 1))
    assert s.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]


def test_join_split(rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((2, 3)).astype(np.float32)
    x, y = mx.array(a), mx.array(b)
    assert_close(mx.concatenate([x, y]), np.concatenate([a, b]))
    assert_close(mx.concatenate([x, y], axis=1), np.concatenate([a, b], axis=1))
    assert_close(mx.concatenate([x, y], axis=None), np.concatenate([a, b], axis=None))
    assert_close(mx.concat((x, y), axis=-1), np.concatenate([a, b], axis=-1))
    assert_close(mx.stack([x, y], axis=1), np.stack([a, b], axis=1))
    parts = mx.split(mx.arange(10), [3, 7])
    assert [p.tolist() for p in parts] == [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9]]
    assert [p.shape for p in mx.split(x, 3, axis=1)] == [(2, 1)] * 3
    assert [p.shape for p in x.split(2)] == [(1, 3)] * 2
    assert [p.tolist() for p in mx.unstack(mx.arange(4).reshape(2, 2))] == [[0, 1], [2, 3]]


def test_take_pad_tile_repeat_roll_tri_diag(rng):
    a = rng.standard_normal((4, 5)).astype(np.float32)
    x = mx.array(a)
    i = np.array([3, 0, 0])
    assert_close(mx.take(x, mx.array(i), axis=1), np.take(a, i, axis=1))
    assert_close(mx.take(x, mx.array(i)), np.take(a, i))
    assert_close(mx.take(x, 2, axis=0), a[2])
    ti = rng.integers(0, 5, (4, 2))
    assert_close(mx.take_along_axis(x, mx.array(ti), axis=1), np.take_along_axis(a, ti, axis=1))
    e = a.copy()
    np.put_along_axis(e, ti, 9.0, axis=1)
    assert_close(mx.put_along_axis(x, mx.array(ti), 9.0, axis=1), e)
    assert_close(mx.pad(x, 1), np.pad(a, 1))
    assert_close(mx.pad(x, (1, 2)), np.pad(a, (1, 2)))
    assert_close(mx.pad(x, [(0, 1), (2, 0)], constant_values=3), np.pad(a, [(0, 1), (2, 0)], constant_values=3))
    assert_close(mx.pad(x, 2, mode="edge"), np.pad(a, 2, mode="edge"))
    assert_close(mx.tile(x, (2, 1)), np.tile(a, (2, 1)))
    assert_close(mx.tile(x, 2), np.tile(a, 2))
    assert_close(mx.repeat(x, 2, axis=0), np.repeat(a, 2, axis=0))
    assert_close(mx.repeat(x, 3), np.repeat(a, 3))
    assert_close(mx.roll(x, 2), np.roll(a, 2))
    assert_close(mx.roll(x, -1, axis=1), np.roll(a, -1, axis=1))
    assert_close(mx.roll(x, (1, 2), axis=(0, 1)), np.roll(a, (1, 2), axis=(0, 1)))
    assert_close(mx.flip(x, 1), np.flip(a, 1))
    assert_close(mx.tril(x, -1), np.tril(a, -1))
    assert_close(mx.triu(x, 1), np.triu(a, 1))
    assert_close(mx.diagonal(x, 1), np.diagonal(a, 1))
    assert_close(x.diagonal(-1), np.diagonal(a, -1))
    assert_close(mx.diag(x), np.diag(a))
    assert_close(mx.diag(mx.array([1.0, 2.0]), k=1), np.diag([1.0, 2.0], k=1))
    gx, gy = mx.meshgrid(mx.arange(3), mx.arange(2))
    nx, ny = np.meshgrid(np.arange(3), np.arange(2))
    assert gx.tolist() == nx.tolist() and gy.tolist() == ny.tolist()


def test_dynamic_slice_and_update():
    x = mx.arange(20).reshape(4, 5)
    s = mx.slice(x, mx.array([1, 2]), [0, 1], [2, 2])
    assert s.tolist() == [[7, 8], [12, 13]]
    u = mx.slice_update(x, mx.zeros((2, 2), dtype=mx.int32), mx.array([1, 2]), [0, 1])
    e = np.arange(20).reshape(4, 5)
    e[1:3, 2:4] = 0
    assert u.tolist() == e.tolist()


@pytest.mark.parametrize("t", [mx.float32, mx.float64, mx.float16, mx.complex64])
def test_matmul_family(t, rng):
    tol = {mx.float16: 2e-2, mx.float32: 1e-4, mx.float64: 1e-10, mx.complex64: 1e-4}[t]
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal((4, 5))
    if t == mx.complex64:
        a = a + 1j * rng.standard_normal((3, 4))
    x, y = mx.array(a, dtype=t), mx.array(b, dtype=t)
    an, bn = to_numpy(x).astype(np.complex128), to_numpy(y).astype(np.complex128)
    assert_close(x @ y, an @ bn, rtol=tol, atol=tol)
    assert_close(mx.matmul(x, y), an @ bn, rtol=tol, atol=tol)
    assert_close(mx.matmul(x.T.T, y[:, ::-1]), an @ bn[:, ::-1], rtol=tol, atol=tol)


def test_matmul_misc(rng):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((4, 5)).astype(np.float32)
    c = rng.standard_normal((3, 5)).astype(np.float32)
    x, y, z = mx.array(a), mx.array(b), mx.array(c)
    assert_close(x @ y, a @ b, rtol=1e-4, atol=1e-5)
    assert_close(mx.addmm(z, x[0], y, alpha=2.0, beta=0.5), 2 * a[0] @ b + 0.5 * c, rtol=1e-4, atol=1e-5)
    assert_close(mx.tensordot(x, y, axes=1), np.tensordot(a, b, axes=1), rtol=1e-4, atol=1e-5)
    assert_close(mx.tensordot(x, y, axes=([2], [0])), np.tensordot(a, b, axes=([2], [0])), rtol=1e-4, atol=1e-5)
    assert_close(mx.inner(x, x), np.inner(a, a), rtol=1e-4, atol=1e-5)
    assert_close(mx.outer(y[0], y[1]), np.outer(b[0], b[1]), rtol=1e-5)
    assert_close(mx.kron(y[:2, :2], y[:2, :2]), np.kron(b[:2, :2], b[:2, :2]), rtol=1e-5)
    assert_close(mx.einsum("bij,jk->bik", x, y), np.einsum("bij,jk->bik", a, b), rtol=1e-4, atol=1e-5)
    assert_close(mx.vecdot(y, y, axis=0), np.sum(b * b, axis=0), rtol=1e-4)
    with pytest.raises(ValueError):
        mx.matmul(mx.ones((2, 3)), mx.ones((2, 3)))


def test_dtype_utilities():
    assert mx.result_type(mx.array([1]), 1.0) == mx.float32
    assert mx.result_type(mx.int8, mx.array([1], dtype=mx.uint8)) == mx.int16
    assert mx.can_cast(mx.int8, mx.int32) and not mx.can_cast(mx.float32, mx.int32)
    assert mx.isdtype(mx.float32, "real floating") and not mx.isdtype(mx.int32, ("bool", "real floating"))
    assert mx.astype(mx.array([1.7]), mx.int32).tolist() == [1]
    assert mx.array([1, 2]).astype(mx.float16).dtype == mx.float16
    assert mx.asarray([1, 2]).dtype == mx.int32
    c = mx.contiguous(mx.arange(6).reshape(2, 3).T)
    assert np.asarray(c).flags.c_contiguous
    assert mx.array([1.0, 2.0]).view(mx.int32).tolist() == np.array([1.0, 2.0], np.float32).view(np.int32).tolist()
    assert mx.array([1, 2], dtype=mx.int32).view(mx.uint8).shape == (8,)
    assert mx.stop_gradient(mx.array([1.0])).tolist() == [1.0]


@pytest.mark.parametrize(
    "call",
    [
        lambda: mx.ones((2,)).reshape(1, 2, mx.cpu),
        lambda: mx.ones((2, 1)).reshape(mx.default_stream(mx.cpu)),
        lambda: mx.ones((2, 1, 1)).transpose(None, 2**64, None),
        lambda: mx.ones((2, 1)).reshape([2, "a"]),
    ],
)
def test_bad_argument_types_raise_type_error(call):
    # Found by the input fuzzer: nb::cast failures inside bindings leaked as
    # RuntimeError("std::bad_cast").
    with pytest.raises(TypeError, match="wrong type"):
        call()


def test_dimension_past_int32_raises_overflow_error():
    # Dimensions are 32-bit: a larger one is an OverflowError naming it.
    with pytest.raises(OverflowError, match="4294967296"):
        mx.broadcast_shapes((2**32, -(2**31) - 1), [])
