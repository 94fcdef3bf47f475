"""Sorting, partitioning and top-k against NumPy, with a hypothesis property."""
import numpy as np
import pytest
import tandem.core as mx
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from utils import assert_close, random_values, to_numpy


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


@settings(max_examples=40, deadline=None)
@given(a=hnp.arrays(np.int32, hnp.array_shapes(min_dims=1, max_dims=2, max_side=8), elements=st.integers(-50, 50)))
def test_hypothesis_sort(a):
    x = mx.array(a)
    np.testing.assert_array_equal(np.asarray(mx.sort(x, axis=-1)), np.sort(a, axis=-1))
    np.testing.assert_array_equal(np.asarray(mx.sum(x)), np.sum(a))
