"""x[idx], x[idx] = v and x.at[idx] against NumPy."""
import numpy as np
import pytest
import tandem.core as mx
from hypothesis import given, settings
from hypothesis import strategies as st

A = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5).astype(np.float32)

BASIC = [
    1,
    -1,
    slice(None),
    slice(1, None),
    slice(None, None, -1),
    slice(None, None, 2),
    slice(-2, 0, -1),
    slice(5, 1, -2),
    slice(10, 20),
    (0, 1),
    (0, slice(None), 2),
    (Ellipsis, 1),
    (Ellipsis, slice(None, None, -2)),
    (1, Ellipsis, 0),
    (None,),
    (None, 0, None, slice(1, 3)),
    (slice(None), None, Ellipsis, None),
    (0, 1, 2, 3),
    (slice(0, 0),),
    (Ellipsis,),
    (),
]


@pytest.mark.parametrize("idx", BASIC, ids=repr)
def test_basic_getitem(idx):
    x = mx.array(A)
    np.testing.assert_array_equal(np.asarray(x[idx]), A[idx])


ADVANCED = [
    np.array([0, 1, 1]),
    (slice(None), np.array([2, 0])),
    (np.array([1, 0]), np.array([2, 1])),
    (np.array([[1], [0]]), np.array([2, 1, 0])),
    (0, slice(None), np.array([3, 0, 1])),
    (np.array([1, 0]), slice(None), np.array([2, 1])),  # separated: index dims first
    (slice(None), np.array([1, 2]), np.array([0, 3])),  # adjacent: in place
    (Ellipsis, np.array([4, 0])),
    (None, np.array([1]), None),
    (slice(None, None, -1), np.array([2, 0]), slice(1, 3)),
    (np.array([-1, -2]),),
    [0, 1],
    (1, np.array([0, 2]), 3),
]


@pytest.mark.parametrize("idx", ADVANCED, ids=repr)
def test_advanced_getitem(idx):
    x = mx.array(A)
    mx_idx = tuple(mx.array(i) if isinstance(i, np.ndarray) else i for i in idx) if isinstance(idx, tuple) else (
        mx.array(idx) if isinstance(idx, np.ndarray) else idx)
    np_idx = idx if not isinstance(idx, list) else np.array(idx)
    np.testing.assert_array_equal(np.asarray(x[mx_idx]), A[np_idx])
    # NumPy arrays and lists work as indices too.
    np.testing.assert_array_equal(np.asarray(x[idx]), A[np_idx])


def test_boolean_masks():
    a = np.arange(12).reshape(3, 4)
    x = mx.array(a)
    m = a % 3 == 0
    np.testing.assert_array_equal(np.asarray(x[mx.array(m)]), a[m])
    r = np.array([True, False, True])
    np.testing.assert_array_equal(np.asarray(x[mx.array(r)]), a[r])
    np.testing.assert_array_equal(np.asarray(x[:, mx.array([True, False, False, True])]), a[:, [True, False, False, True]])
    with pytest.raises(IndexError):
        x[mx.array([True, False])]


def test_getitem_views_and_dtypes():
    for t in (mx.int8, mx.float16, mx.bfloat16, mx.complex64, mx.bool_):
        x = mx.arange(10).astype(t)
        assert x[2:5].dtype == t
        assert x[mx.array([1, 3])].dtype == t
    x = mx.arange(10)
    assert x[3].item() == 3 and x[3].ndim == 0
    assert x[-1].item() == 9


def test_getitem_errors():
    x = mx.arange(10).reshape(2, 5)
    with pytest.raises(IndexError):
        x[2]
    with pytest.raises(IndexError):
        x[0, 5]
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(IndexError):
        x[..., ...]
    with pytest.raises(IndexError):
        x[1.5]
    with pytest.raises(IndexError):
        x[mx.array([1.0])]
    with pytest.raises(IndexError):
        x["a"]


SET_CASES = [
    (1, 7.0),
    ((0, 1), np.arange(4 * 5).reshape(4, 5)),
    (slice(None, None, -1), 3.0),
    ((Ellipsis, 2), np.arange(4)),
    ((0, slice(1, 3), slice(None, None, 2)), np.ones((2, 5))),
    ((slice(None), None, 1), 5.0),
    (np.array([1, 0, 1]), 2.0),
    ((np.array([0, 1]), np.array([2, 0])), np.arange(20).reshape(4, 5)),
    ((slice(None), np.array([2, 0]), slice(1, 4)), -1.0),
    ((np.array([1]), slice(None), np.array([3, 0])), np.arange(2 * 3 * 5).reshape(2, 3, 5)),
    ((0, 0, 0, 0), 100.0),
]


@pytest.mark.parametrize("idx, value", SET_CASES, ids=lambda v: repr(v)[:30])
def test_setitem(idx, value):
    expected = A.copy()
    expected[idx] = value
    x = mx.array(A)
    mx_idx = tuple(mx.array(i) if isinstance(i, np.ndarray) else i for i in idx) if isinstance(idx, tuple) else (
        mx.array(idx) if isinstance(idx, np.ndarray) else idx)
    x[mx_idx] = mx.array(value) if isinstance(value, np.ndarray) else value
    np.testing.assert_array_equal(np.asarray(x), expected)
    assert x.dtype == mx.float32


def test_setitem_masks_and_dtypes():
    a = np.arange(12).reshape(3, 4)
    x = mx.array(a)
    m = a > 5
    x[mx.array(m)] = 0
    b = a.copy()
    b[m] = 0
    np.testing.assert_array_equal(np.asarray(x), b)
    x = mx.array(a)
    x[mx.array(m)] = mx.arange(6) * 10
    b = a.copy()
    b[m] = np.arange(6) * 10
    np.testing.assert_array_equal(np.asarray(x), b)
    # Values are cast to the array's dtype.
    y = mx.zeros((3,), dtype=mx.int32)
    y[1] = 2.7
    assert y.dtype == mx.int32 and y.tolist() == [0, 2, 0]
    z = mx.zeros((2, 2), dtype=mx.float16)
    z[0] = mx.array([1.5, 2.5], dtype=mx.float32)
    assert z.dtype == mx.float16 and z.tolist() == [[1.5, 2.5], [0, 0]]


def test_setitem_keeps_other_arrays():
    x = mx.arange(5)
    y = x[1:3]
    view = np.asarray(x)
    x[0] = 10
    assert y.tolist() == [1, 2]
    assert view.tolist() == [0, 1, 2, 3, 4]
    assert x.tolist() == [10, 1, 2, 3, 4]


def test_setitem_errors():
    x = mx.zeros((2, 3))
    with pytest.raises(ValueError):
        x[0] = mx.ones((4,))
    with pytest.raises(IndexError):
        x[5] = 1


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "divide", "maximum", "minimum"])
def test_at_repeated_indices(op):
    a = np.arange(1, 7, dtype=np.float32)
    idx = np.array([0, 2, 2, 5, 0, 0])
    v = np.array([2.0, 3.0, 4.0, 5.0, 6.0, 7.0], np.float32)
    expected = a.copy()
    ufunc = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply,
             "divide": np.divide, "maximum": np.maximum, "minimum": np.minimum}[op]
    ufunc.at(expected, idx, v)
    x = mx.array(a)
    y = getattr(x.at[mx.array(idx)], op)(mx.array(v))
    np.testing.assert_allclose(np.asarray(y), expected, rtol=1e-6)
    assert x.tolist() == a.tolist()  # out of place


def test_at_basic_and_2d():
    x = mx.zeros((3, 4))
    y = x.at[1:, ::2].add(1.5)
    e = np.zeros((3, 4), np.float32)
    e[1:, ::2] += 1.5
    np.testing.assert_array_equal(np.asarray(y), e)
    rows = mx.array([0, 0, 2])
    z = x.at[rows, 1].add(mx.array([1.0, 2.0, 3.0]))
    e = np.zeros((3, 4), np.float32)
    np.add.at(e, (np.array([0, 0, 2]), 1), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(np.asarray(z), e)
    w = x.at[rows].add(1)
    e = np.zeros((3, 4), np.float32)
    np.add.at(e, np.array([0, 0, 2]), 1)
    np.testing.assert_array_equal(np.asarray(w), e)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_hypothesis_slices(data):
    shape = data.draw(st.lists(st.integers(0, 5), min_size=1, max_size=3))
    a = np.arange(int(np.prod(shape))).reshape(shape)
    idx = tuple(
        data.draw(st.slices(n) | st.integers(-n, n - 1) if n > 0 else st.slices(n)) for n in shape
    )
    x = mx.array(a)
    np.testing.assert_array_equal(np.asarray(x[idx]), a[idx])
    b = a.copy()
    b[idx] = -1
    x[idx] = -1
    np.testing.assert_array_equal(np.asarray(x), b)
