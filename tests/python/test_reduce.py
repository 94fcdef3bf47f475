"""Reductions against NumPy, with hypothesis properties (scans: test_scan.py,
sorts: test_sort.py)."""
import numpy as np
import pytest
import tandem.core as mx
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from utils import FLOATS, LAYOUTS, assert_close, is_int, make, random_values, to_numpy

AXES = [None, 0, 1, -1, (0, 1), (0, 2), ()]


def sum_dtype(t):
    if t == mx.bool_ or (is_int(t) and t.size < 4):
        return mx.uint32 if mx.issubdtype(t, mx.unsignedinteger) else mx.int32
    return t


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean"])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_float32(name, axis, keepdims, rng):
    vals = random_values(rng, (3, 4, 5), mx.float32, -2, 2)
    x = mx.array(vals, dtype=mx.float32)
    y = getattr(mx, name)(x, axis=axis, keepdims=keepdims)
    ref = getattr(np, name)(vals, axis=axis, keepdims=keepdims)
    assert_close(y, ref, mx.float32, rtol=1e-4, atol=1e-5)
    m = getattr(x, name)(axis, keepdims)
    assert_close(m, ref, mx.float32, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["sum", "max", "min", "prod"])
@pytest.mark.parametrize("t", [mx.bool_, mx.uint8, mx.int16, mx.int32, mx.int64, mx.uint32, mx.float16, mx.float64, mx.bfloat16])
def test_reduction_dtypes(name, t, rng):
    vals = random_values(rng, (4, 6), t, -3, 3)
    y = getattr(mx, name)(mx.array(vals, dtype=t), axis=1)
    if name in ("sum", "prod"):
        assert y.dtype == sum_dtype(t)
    else:
        assert y.dtype == t
    ref = getattr(np, name)(vals, axis=1)
    assert_close(y, ref, t if t in FLOATS else mx.float64, rtol=3e-2 if t in (mx.float16, mx.bfloat16) else None,
                 atol=3e-2 if t in (mx.float16, mx.bfloat16) else None)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_reductions_views(layout, axis, rng):
    vals = random_values(rng, (6, 5), mx.float32)
    x = make(vals, mx.float32, layout)
    assert_close(mx.sum(x, axis=axis), vals.sum(axis=axis), rtol=1e-5, atol=1e-4)
    assert_close(mx.max(x, axis=axis), vals.max(axis=axis))
    assert_close(mx.argmax(x, axis=axis), np.argmax(vals, axis=axis))


def test_empty_and_scalar_reductions():
    e = mx.zeros((0, 3))
    assert mx.sum(e).item() == 0
    assert mx.sum(e, axis=0).tolist() == [0, 0, 0]
    assert mx.prod(e).item() == 1
    assert np.isnan(mx.mean(e).item())
    assert mx.sum(mx.array(3.5)).item() == 3.5
    with pytest.raises(ValueError):
        mx.max(e, axis=0)


def test_all_any_count_nonzero(rng):
    vals = rng.random((4, 5)) < 0.3
    x = mx.array(vals)
    for axis in (None, 0, 1):
        assert to_numpy(mx.all(x, axis=axis)).tolist() == np.all(vals, axis=axis).tolist()
        assert to_numpy(mx.any(x, axis=axis)).tolist() == np.any(vals, axis=axis).tolist()
        assert to_numpy(mx.count_nonzero(x, axis=axis)).tolist() == np.count_nonzero(vals, axis=axis).tolist()
    assert x.all().dtype == mx.bool_


@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("axis", [None, 0, (0, 1)])
def test_var_std(ddof, axis, rng):
    vals = rng.standard_normal((5, 4, 3))
    x = mx.array(vals, dtype=mx.float64)
    assert_close(mx.var(x, axis=axis, ddof=ddof), np.var(vals, axis=axis, ddof=ddof))
    assert_close(mx.std(x, axis=axis, ddof=ddof), np.std(vals, axis=axis, ddof=ddof))
    assert_close(x.var(axis, ddof=ddof), np.var(vals, axis=axis, ddof=ddof))


def test_logsumexp_median_softmax(rng):
    vals = rng.standard_normal((4, 7))
    x = mx.array(vals, dtype=mx.float64)
    ref = np.log(np.sum(np.exp(vals), axis=1))
    assert_close(mx.logsumexp(x, axis=1), ref)
    assert_close(mx.median(x, axis=1), np.median(vals, axis=1))
    sm = np.exp(vals) / np.exp(vals).sum(axis=-1, keepdims=True)
    assert_close(mx.softmax(x, axis=-1), sm)
    assert_close(mx.softmax(mx.array(vals, dtype=mx.float32), axis=-1, precise=True), sm, mx.float32)


def test_allclose_array_equal_diff_trace(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    x = mx.array(a)
    assert mx.allclose(x, x + 1e-7).item()
    assert not mx.allclose(x, x + 1).item()
    assert mx.array_equal(x, mx.array(a)).item()
    assert not mx.array_equal(x, x[:2]).item()
    assert mx.array_equal(mx.array([1, 2]), mx.array([1.0, 2.0])).item()
    assert_close(mx.diff(x, axis=1), np.diff(a, axis=1))
    assert_close(mx.diff(x, n=2, axis=0), np.diff(a, n=2, axis=0))
    assert_close(mx.trace(x), np.trace(a))
    assert_close(mx.trace(x, offset=1), np.trace(a, offset=1))


def test_argmin_argmax(rng):
    vals = rng.standard_normal((4, 6, 3))
    x = mx.array(vals, dtype=mx.float32)
    for axis in (0, 1, 2):
        assert to_numpy(mx.argmin(x, axis=axis)).tolist() == np.argmin(vals, axis=axis).tolist()
        assert to_numpy(mx.argmax(x, axis=axis, keepdims=True)).tolist() == np.argmax(vals, axis=axis, keepdims=True).tolist()
    assert mx.argmax(x).item() == np.argmax(vals)


# -------------------------------------------------------------- hypothesis


@settings(max_examples=60, deadline=None)
@given(
    a=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
                 elements=st.floats(-100, 100)),
    data=st.data(),
)
def test_hypothesis_reductions(a, data):
    axis = data.draw(st.none() | st.integers(-a.ndim, a.ndim - 1))
    keepdims = data.draw(st.booleans())
    x = mx.array(a, dtype=mx.float64)
    np.testing.assert_allclose(np.asarray(mx.sum(x, axis=axis, keepdims=keepdims)),
                               np.sum(a, axis=axis, keepdims=keepdims), rtol=1e-10, atol=1e-9)
    np.testing.assert_array_equal(np.asarray(mx.max(x, axis=axis, keepdims=keepdims)),
                                  np.max(a, axis=axis, keepdims=keepdims))
    np.testing.assert_array_equal(np.asarray(mx.min(x, axis=axis, keepdims=keepdims)),
                                  np.min(a, axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(np.asarray(mx.mean(x, axis=axis, keepdims=keepdims)),
                               np.mean(a, axis=axis, keepdims=keepdims), rtol=1e-10, atol=1e-9)
    ax = -1 if axis is None else axis
    np.testing.assert_allclose(np.asarray(mx.cumsum(x, axis=ax)), np.cumsum(a, axis=ax), rtol=1e-10, atol=1e-8)
