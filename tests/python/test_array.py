"""The array class: construction, dtype rules, properties, conversion, printing,
pickling, copying, NumPy (buffer protocol) and DLPack interop."""
import copy
import pickle

import numpy as np
import pytest
import tandem.core as mx
from utils import ALL_DTYPES, NP_DTYPE, assert_close, random_values, to_numpy

# ------------------------------------------------------------ construction


@pytest.mark.parametrize(
    "value, dtype",
    [
        (True, mx.bool_),
        (3, mx.int32),
        (-(2**31), mx.int32),
        (2**31, mx.int64),
        (-(2**40), mx.int64),
        (2**63, mx.uint64),
        (1.5, mx.float32),
        (1 + 2j, mx.complex64),
        ([1, 2, 3], mx.int32),
        ([1, 2.5], mx.float32),
        ([True, False], mx.bool_),
        ([True, 2], mx.int32),
        ([[1, 2], [3, 4]], mx.int32),
        ([1, 2j], mx.complex64),
        ((1, 2), mx.int32),
        ([], mx.float32),
        ([2**40, 1], mx.int64),
    ],
)
def test_python_value_dtypes(value, dtype):
    x = mx.array(value)
    assert x.dtype == dtype
    expected = np.array(value)
    assert x.shape == expected.shape
    if expected.size:
        assert np.array_equal(to_numpy(x).astype(expected.dtype), expected)


def test_numpy_dtypes_follow_mlx():
    # NumPy dtypes are kept, except float64 -> float32 (MLX's rule).
    for t, npt in NP_DTYPE.items():
        if npt is None:
            continue
        a = np.arange(6).reshape(2, 3).astype(npt)
        x = mx.array(a)
        assert x.dtype == (mx.float32 if npt is np.float64 else t)
        np.testing.assert_array_equal(to_numpy(x), a.astype(NP_DTYPE[x.dtype]))
    assert mx.array(np.array([1 + 2j])).dtype == mx.complex64
    assert mx.array(np.float64(2.5)).dtype == mx.float32
    assert mx.array(np.int64(7)).dtype == mx.int64
    assert mx.array(np.array([1.0]), dtype=mx.float64).dtype == mx.float64


def test_explicit_dtype(rng):
    for t in ALL_DTYPES:
        vals = random_values(rng, (3, 4), t)
        x = mx.array(vals.tolist(), dtype=t)
        assert x.dtype == t
        assert_close(x, vals, t)


def test_float64_keeps_digits():
    v = 39.14223403241
    assert mx.array(v, dtype=mx.float64).item() == v
    assert mx.array([v], dtype=mx.float64).tolist() == [v]
    assert mx.full((2,), v, dtype=mx.float64).tolist() == [v, v]


def test_non_contiguous_numpy_input(rng):
    a = rng.standard_normal((5, 6)).astype(np.float32)
    for view in (a.T, a[::2, ::-3], a[:, 1]):
        np.testing.assert_array_equal(np.array(mx.array(view)), view)


def test_nested_list_of_arrays():
    x = mx.array([mx.array([1, 2]), mx.array([3, 4])])
    assert x.dtype == mx.int32 and x.tolist() == [[1, 2], [3, 4]]
    y = mx.array([mx.array(1.5), 2])
    assert y.dtype == mx.float32 and y.tolist() == [1.5, 2.0]


def test_array_of_array_and_astype():
    x = mx.array([1, 2, 3])
    y = mx.array(x)
    assert y.tolist() == [1, 2, 3]
    z = mx.array(x, dtype=mx.float16)
    assert z.dtype == mx.float16 and z.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("bad", [[1, [2, 3]], [[1, 2], [3]], [[1], 2]])
def test_ragged_lists_raise(bad):
    with pytest.raises(ValueError):
        mx.array(bad)


def test_bad_types_raise():
    with pytest.raises(TypeError):
        mx.array("hello")
    with pytest.raises(TypeError):
        mx.array({1: 2})
    with pytest.raises(ValueError):
        mx.array(300, dtype=mx.uint8)
    with pytest.raises(OverflowError):
        mx.array(2**70)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x ** (5, 2**64),
        lambda x: x + 2**64,
        lambda x: x.__radd__([1, 2**70]),
        lambda x: x * [-(2**64), 1],
    ],
)
def test_operator_with_too_large_int_raises_overflow_error(call):
    # Found by the input fuzzer: operators went through set_python_error,
    # which turned std::overflow_error into RuntimeError.
    x = mx.ones((2,))
    with pytest.raises(OverflowError, match="too (large|small)"):
        call(x)
    assert (x + 1).tolist() == [2.0, 2.0]


# -------------------------------------------------------------- properties


def test_properties():
    x = mx.zeros((2, 3, 4), dtype=mx.float16)
    assert x.shape == (2, 3, 4)
    assert x.ndim == 3
    assert x.size == 24
    assert x.itemsize == 2
    assert x.nbytes == 48
    assert x.dtype == mx.float16 and x.dtype is mx.float16
    assert x.T.shape == (4, 3, 2)
    assert len(x) == 2
    s = mx.array(5)
    assert s.shape == () and s.ndim == 0 and s.size == 1
    with pytest.raises(TypeError):
        len(s)


def test_real_imag():
    x = mx.array([1 + 2j, -3.5 - 1j])
    assert x.real.tolist() == [1.0, -3.5]
    assert x.imag.tolist() == [2.0, -1.0]
    assert x.real.dtype == mx.float32


def test_dtype_objects():
    assert mx.float32.size == 4 and mx.bool_.size == 1 and mx.complex64.size == 8
    assert repr(mx.int8) == "tandem.core.int8"
    assert mx.float32 == mx.float32 and mx.float32 != mx.float16
    assert len({mx.float32, mx.float32, mx.int32}) == 2
    assert pickle.loads(pickle.dumps(mx.bfloat16)) == mx.bfloat16


def test_dtype_categories():
    assert mx.issubdtype(mx.float32, mx.floating)
    assert mx.issubdtype(mx.float16, mx.inexact)
    assert mx.issubdtype(mx.complex64, mx.inexact)
    assert not mx.issubdtype(mx.int32, mx.floating)
    assert mx.issubdtype(mx.uint8, mx.unsignedinteger)
    assert mx.issubdtype(mx.int8, mx.signedinteger)
    assert mx.issubdtype(mx.int8, mx.integer)
    assert mx.issubdtype(mx.int8, mx.number)
    assert not mx.issubdtype(mx.bool_, mx.number)
    assert mx.issubdtype(mx.bool_, mx.generic)
    assert mx.issubdtype(mx.floating, mx.inexact)
    assert not mx.issubdtype(mx.inexact, mx.floating)
    assert mx.issubdtype(mx.float32, mx.float32)
    assert not mx.issubdtype(mx.float32, mx.float16)


def test_finfo_iinfo():
    assert mx.finfo(mx.float32).eps == np.finfo(np.float32).eps
    assert mx.finfo(mx.float16).max == float(np.finfo(np.float16).max)
    assert mx.finfo(mx.float64).min == float(np.finfo(np.float64).min)
    assert mx.finfo(mx.bfloat16).eps == 2.0**-7
    assert mx.finfo(mx.bfloat16).max == pytest.approx(3.3895313892515355e38)
    assert mx.finfo(mx.float32).dtype == mx.float32
    for t in (mx.int8, mx.uint16, mx.int32, mx.uint64, mx.int64):
        ni = np.iinfo(NP_DTYPE[t])
        assert (mx.iinfo(t).min, mx.iinfo(t).max) == (ni.min, ni.max)
    with pytest.raises(ValueError):
        mx.finfo(mx.int32)
    with pytest.raises(ValueError):
        mx.iinfo(mx.float32)


def test_constants():
    assert mx.pi == np.pi and mx.e == np.e
    assert mx.inf == np.inf and np.isnan(mx.nan)
    assert mx.newaxis is None
    assert mx.euler_gamma == pytest.approx(0.5772156649015329)


# ------------------------------------------------------------- conversion


@pytest.mark.parametrize("t", ALL_DTYPES)
def test_item_and_tolist(t, rng):
    vals = random_values(rng, (2, 3), t)
    x = mx.array(vals.tolist(), dtype=t)
    lst = x.tolist()
    assert len(lst) == 2 and len(lst[0]) == 3
    expected_type = (
        bool if t == mx.bool_ else int if t in NP_DTYPE and np.issubdtype(NP_DTYPE[t] or np.float32, np.integer)
        else complex if t == mx.complex64 else float
    )
    assert type(lst[1][2]) is expected_type
    assert type(x[1, 2].item()) is expected_type
    np.testing.assert_allclose(np.array(lst, dtype=np.complex128), vals, rtol=1e-2)
    assert x[0, 0].item() == lst[0][0]


def test_tolist_views_and_empty():
    x = mx.arange(12).reshape(3, 4)
    assert x.T.tolist() == np.arange(12).reshape(3, 4).T.tolist()
    assert x[::-1, 1::2].tolist() == np.arange(12).reshape(3, 4)[::-1, 1::2].tolist()
    assert mx.zeros((0, 3)).tolist() == []
    assert mx.zeros((2, 0)).tolist() == [[], []]
    assert mx.array(7).tolist() == 7


def test_item_errors():
    with pytest.raises(ValueError):
        mx.array([1, 2]).item()
    with pytest.raises(ValueError):
        bool(mx.array([1, 2]))
    assert bool(mx.array([3])) is True
    assert int(mx.array(3.7)) == 3
    assert float(mx.array(2)) == 2.0
    assert [10, 20, 30][mx.array(1)] == 20


def test_repr():
    assert repr(mx.array([1, 2, 3])) == "array([1, 2, 3], dtype=int32)"
    assert repr(mx.array(True)) == "array(True, dtype=bool)"
    assert "dtype=float32" in repr(mx.array([1.5]))
    assert str(mx.array([[1, 2], [3, 4]])) == "array([[1, 2],\n       [3, 4]], dtype=int32)"


def test_iteration():
    x = mx.arange(6).reshape(3, 2)
    rows = list(x)
    assert len(rows) == 3 and rows[2].tolist() == [4, 5]
    a, b = mx.array([1, 2])
    assert a.item() == 1 and b.item() == 2
    with pytest.raises(TypeError):
        iter(mx.array(1))


# ---------------------------------------------------------------- NumPy


def test_buffer_protocol_shares_memory():
    x = mx.arange(12, dtype=mx.float32).reshape(3, 4)
    mx.eval(x)
    a = np.asarray(x)
    b = np.asarray(x)
    assert a.dtype == np.float32 and a.shape == (3, 4)
    assert np.shares_memory(a, b)
    assert a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    m = memoryview(x)
    assert m.readonly and m.format == "f" and m.shape == (3, 4)
    assert np.shares_memory(np.asarray(m), a)
    np.testing.assert_array_equal(a, np.arange(12).reshape(3, 4))
    # np.array copies (NumPy's own rule for copy=True), into a writable array.
    c = np.array(x)
    assert not np.shares_memory(c, a) and c.flags.writeable
    # The view keeps the data alive after the array is gone.
    del x, m
    import gc

    gc.collect()
    np.testing.assert_array_equal(a, np.arange(12).reshape(3, 4))


def test_buffer_of_views_and_lazy():
    x = mx.arange(20, dtype=mx.float32).reshape(4, 5)
    expected = np.arange(20, dtype=np.float32).reshape(4, 5)
    np.testing.assert_array_equal(np.asarray(x.T), expected.T)
    np.testing.assert_array_equal(np.asarray(x[::-1, 1::2]), expected[::-1, 1::2])
    lazy = mx.exp(x) * 0  # not evaluated yet
    np.testing.assert_array_equal(np.asarray(lazy), np.zeros((4, 5), np.float32))
    b = mx.broadcast_to(mx.array([1.0, 2.0]), (3, 2))
    np.testing.assert_array_equal(np.asarray(b), np.broadcast_to([1.0, 2.0], (3, 2)))


def test_buffer_is_read_only():
    a = np.asarray(mx.array([1.0, 2.0]))
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a[0] = 3


@pytest.mark.parametrize("t", ALL_DTYPES)
def test_numpy_round_trip(t, rng):
    vals = random_values(rng, (3, 5), t)
    x = mx.array(vals.tolist(), dtype=t)
    a = np.array(x)
    if t == mx.bfloat16:
        assert a.dtype == np.float32  # NumPy has no bfloat16
    else:
        assert a.dtype == NP_DTYPE[t]
        y = mx.array(a, dtype=t)
        assert y.dtype == t and np.array_equal(np.array(y), a)
    np.testing.assert_allclose(a.astype(np.complex128), vals, rtol=1e-2)


def test_dunder_array():
    x = mx.array([1, 2, 3])
    a = x.__array__()
    assert a.dtype == np.int32 and a.tolist() == [1, 2, 3]
    assert x.__array__(np.float64).dtype == np.float64
    assert x.__array__(copy=True).flags.writeable


def test_empty_and_scalar_numpy():
    assert np.asarray(mx.zeros((0, 4))).shape == (0, 4)
    s = np.asarray(mx.array(2.5))
    assert s.shape == () and s == 2.5


# ---------------------------------------------------------------- DLPack


def test_dlpack_export_to_numpy():
    x = mx.arange(6, dtype=mx.float32).reshape(2, 3)
    assert x.__dlpack_device__() == (1, 0)
    a = np.from_dlpack(x)
    np.testing.assert_array_equal(a, np.arange(6).reshape(2, 3))
    assert np.shares_memory(a, np.asarray(x))
    t = x.T
    np.testing.assert_array_equal(np.from_dlpack(t), np.arange(6).reshape(2, 3).T)


def test_dlpack_import():
    a = np.arange(10, dtype=np.int16).reshape(2, 5)
    x = mx.from_dlpack(a)
    assert x.dtype == mx.int16 and x.tolist() == a.tolist()
    y = mx.array(a.__dlpack__())
    assert y.tolist() == a.tolist()
    z = mx.from_dlpack(mx.array([1.5, 2.5]))
    assert z.tolist() == [1.5, 2.5]
    cap = mx.array([True, False]).__dlpack__()
    assert mx.array(cap).tolist() == [True, False]
    # Unconsumed capsules are freed without a crash.
    for _ in range(10):
        mx.array([1, 2]).__dlpack__()
        mx.array([1, 2]).__dlpack__(max_version=(1, 0))


# ------------------------------------------------------- pickling, copying


@pytest.mark.parametrize("t", ALL_DTYPES)
def test_pickle(t, rng):
    vals = random_values(rng, (3, 2), t)
    x = mx.array(vals.tolist(), dtype=t).T
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype == t and y.shape == (2, 3)
    assert mx.array_equal(x, y).item()


def test_copy_deepcopy():
    x = mx.array([1, 2, 3])
    y = copy.copy(x)
    z = copy.deepcopy({"a": [x]})["a"][0]
    y[0] = 10
    z[1] = 20
    assert x.tolist() == [1, 2, 3]
    assert y.tolist() == [10, 2, 3]
    assert z.tolist() == [1, 20, 3]


def test_hash_and_weakref():
    import weakref

    x = mx.array([1])
    d = {x: 1}
    assert d[x] == 1
    r = weakref.ref(x)
    assert r() is x


def test_reused_array_objects_start_fresh():
    # Freed array objects are pooled and handed back as new results: a
    # reused one must not keep the old weak references or values.
    import weakref

    olds = [mx.array([i]) + 0 for i in range(300)]
    refs = [weakref.ref(a) for a in olds]
    del olds
    assert all(r() is None for r in refs)
    news = [mx.array([i]) * 2 for i in range(300)]
    assert [a.item() for a in news] == [2 * i for i in range(300)]
    assert all(r() is None for r in refs)
    r = weakref.ref(news[0])
    assert r() is news[0]


# ------------------------------------------------------------ float -> int casts

# What NumPy and MLX give on x86 for out-of-range, infinite and NaN values
# (tandem/kernels/cast.h states the rule); Tandem gives it on every device.
CAST_VALUES = [float("nan"), float("inf"), -float("inf"), -1.5, 300.0, 3e9, -3e9, 1e20, -1e20,
               2.0**63, 2.0**64, 70000.0, -70000.0, 2.7, -2.7]
CAST_EXPECTED = {
    mx.int8: [0, 0, 0, -1, 44, 0, 0, 0, 0, 0, 0, 112, -112, 2, -2],
    mx.int16: [0, 0, 0, -1, 300, 0, 0, 0, 0, 0, 0, 4464, -4464, 2, -2],
    mx.int32: [-2**31, -2**31, -2**31, -1, 300, -2**31, -2**31, -2**31, -2**31, -2**31, -2**31,
               70000, -70000, 2, -2],
    mx.int64: [-2**63, -2**63, -2**63, -1, 300, 3000000000, -3000000000, -2**63, -2**63, -2**63,
               -2**63, 70000, -70000, 2, -2],
    mx.uint8: [0, 0, 0, 255, 44, 0, 0, 0, 0, 0, 0, 112, 144, 2, 254],
    mx.uint16: [0, 0, 0, 65535, 300, 0, 0, 0, 0, 0, 0, 4464, 61072, 2, 65534],
    mx.uint32: [2**31, 0, 2**31, 2**32 - 1, 300, 3000000000, 2**31, 0, 2**31, 0, 0, 70000,
                2**32 - 70000, 2, 2**32 - 2],
    mx.uint64: [2**63, 0, 2**63, 2**64 - 1, 300, 3000000000, 2**64 - 3000000000, 0, 2**63, 2**63,
                0, 70000, 2**64 - 70000, 2, 2**64 - 2],
}


@pytest.mark.parametrize("src", [mx.float32, mx.float64])
@pytest.mark.parametrize("dst", list(CAST_EXPECTED))
def test_float_to_int_cast_special_values(src, dst):
    x = mx.array(np.array(CAST_VALUES, dtype=np.float64)).astype(src)
    assert x.astype(dst).tolist() == CAST_EXPECTED[dst]
    # Strided (reversed) input takes the general kernel path.
    assert x[::-1].astype(dst).tolist() == CAST_EXPECTED[dst][::-1]


def test_float16_to_int_cast_and_issue_cases():
    h = mx.array(np.array([np.nan, np.inf, -np.inf, -1.5, 300.0], dtype=np.float16))
    assert h.astype(mx.int8).tolist() == [0, 0, 0, -1, 44]
    assert h.astype(mx.int32).tolist() == [-2**31] * 3 + [-1, 300]
    assert h.astype(mx.uint8).tolist() == [0, 0, 0, 255, 44]
    assert mx.array([-1.5, 300]).astype(mx.uint8).tolist() == [255, 44]
    assert mx.array([np.nan, np.inf, -np.inf]).astype(mx.int32).tolist() == [-2**31] * 3


def test_float_to_int_cast_random_in_range(rng):
    # In range, every cast truncates toward zero like NumPy.
    for dst, np_dst, lim in [(mx.int8, np.int8, 127), (mx.int32, np.int32, 2**31 - 129),
                             (mx.uint16, np.uint16, 65535), (mx.int64, np.int64, 2**40)]:
        v = rng.uniform(-lim if np.iinfo(np_dst).min < 0 else 0, lim, size=(7, 9))
        x = mx.array(v, dtype=mx.float64)
        np.testing.assert_array_equal(np.array(x.astype(dst)), v.astype(np_dst))
