"""Reductions, scans and sorting against NumPy, with hypothesis properties."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tandem.core as mx
from utils import FLOATS, INTS, LAYOUTS, assert_close, is_int, make, random_values, to_numpy

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


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin"])
@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("reverse", [False, True])
def test_scans(name, axis, reverse, rng):
    vals = rng.uniform(0.5, 1.5, (4, 5))
    x = mx.array(vals, dtype=mx.float64)
    npfn = {"cumsum": np.cumsum, "cumprod": np.cumprod, "cummax": np.maximum.accumulate,
            "cummin": np.minimum.accumulate}[name]
    v = vals.reshape(-1) if axis is None else vals
    ax = 0 if axis is None else axis
    if reverse:
        ref = np.flip(npfn(np.flip(v, ax), axis=ax), ax)
    else:
        ref = npfn(v, axis=ax)
    assert_close(getattr(mx, name)(x, axis=axis, reverse=reverse), ref)
    if not reverse and name == "cumsum":
        excl = mx.cumsum(x, axis=axis, inclusive=False)
        assert_close(excl, ref - v)


def test_logcumsumexp(rng):
    vals = rng.standard_normal((3, 6))
    x = mx.array(vals, dtype=mx.float64)
    assert_close(mx.logcumsumexp(x, axis=1), np.logaddexp.accumulate(vals, axis=1))


@pytest.mark.parametrize("t", [mx.int32, mx.float32, mx.uint8, mx.float16])
def test_sort_argsort_partition_topk(t, rng):
    vals = random_values(rng, (5, 9), t, 0, 100)
    x = mx.array(vals, dtype=t)
    assert_close(mx.sort(x), np.sort(vals, axis=-1), t)
    assert_close(mx.sort(x, axis=0), np.sort(vals, axis=0), t)
    assert_close(mx.sort(x, axis=None), np.sort(vals, axis=None), t)
    idx = to_numpy(mx.argsort(x, axis=1))
    np.testing.assert_array_equal(np.take_along_axis(vals, idx.astype(np.int64), 1), np.sort(vals, axis=1))
    p = to_numpy(mx.partition(x, 4, axis=1)).astype(np.float64)
    kth = np.sort(vals, axis=1)[:, 4]
    np.testing.assert_allclose(p[:, 4], kth, rtol=1e-2)
    assert (p[:, :4] <= kth[:, None] + 1e-6).all() and (p[:, 5:] >= kth[:, None] - 1e-6).all()
    top = np.sort(to_numpy(mx.topk(x, 3, axis=1)).astype(np.float64), axis=1)
    np.testing.assert_allclose(top, np.sort(vals, axis=1)[:, -3:], rtol=1e-2)


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


@settings(max_examples=40, deadline=None)
@given(a=hnp.arrays(np.int32, hnp.array_shapes(min_dims=1, max_dims=2, max_side=8), elements=st.integers(-50, 50)))
def test_hypothesis_sort(a):
    x = mx.array(a)
    np.testing.assert_array_equal(np.asarray(mx.sort(x, axis=-1)), np.sort(a, axis=-1))
    np.testing.assert_array_equal(np.asarray(mx.sum(x)), np.sum(a))
