"""Scans (cumsum, cumprod, cummax, cummin, logcumsumexp) against NumPy."""
import numpy as np
import pytest
import tandem.core as mx
from utils import assert_close


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
