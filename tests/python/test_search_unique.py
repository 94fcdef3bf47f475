"""searchsorted, unique and minmax against NumPy (and MLX where installed) on
random inputs: dtypes, duplicates, NaN, non-contiguous views, empty arrays."""
import numpy as np
import pytest
import tandem.core as mx
from utils import FLOATS, INTS, LAYOUTS, make, random_values, round_to, to_numpy

try:
    import mlx.core as mlx_core
except ImportError:  # pragma: no cover
    mlx_core = None


def np_searchsorted(seq, vals, side):
    # NumPy orders NaN last too; compare in float64 (exact for every dtype here).
    return np.searchsorted(seq, vals, side=side).astype(np.uint32)


@pytest.mark.parametrize("dtype", INTS + FLOATS)
@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_random(rng, dtype, side):
    for n in [0, 1, 2, 3, 7, 64, 257]:
        seq = np.sort(random_values(rng, (n,), dtype, -5, 5))  # many repeats
        vals = random_values(rng, (3, 5), dtype, -6, 6)
        if n:
            vals.flat[:4] = rng.choice(seq, 4)  # values present in the sequence
        got = mx.searchsorted(mx.array(seq, dtype=dtype), mx.array(vals, dtype=dtype), side=side)
        assert got.dtype == mx.uint32 and got.shape == (3, 5)
        np.testing.assert_array_equal(np.array(got), np_searchsorted(seq, vals, side))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_searchsorted_layouts(rng, layout):
    seq = np.sort(rng.integers(-20, 20, 33)).astype(np.float64)
    vals = rng.integers(-25, 25, (4, 6)).astype(np.float64)
    s = mx.array(seq, dtype=mx.float32)[::-1][::-1]  # a reversed-view of a reversed view
    v = make(vals, mx.float32, layout)
    for side in ("left", "right"):
        np.testing.assert_array_equal(np.array(mx.searchsorted(s, v, side=side)),
                                      np_searchsorted(seq, vals, side))


def test_searchsorted_nan_promotion_and_empty():
    nan = float("nan")
    seq = mx.array([1.0, 2.0, 2.0, nan])
    vals = mx.array([nan, 0.0, 2.0, 5.0])
    np.testing.assert_array_equal(np.array(mx.searchsorted(seq, vals)), [3, 0, 1, 3])
    np.testing.assert_array_equal(np.array(mx.searchsorted(seq, vals, side="right")), [4, 0, 3, 3])
    # Compared in the promoted dtype: int sequence, float values; uint8 vs int32.
    np.testing.assert_array_equal(np.array(mx.searchsorted(mx.array([1, 2, 3]), mx.array([1.5, 2.5]))),
                                  [1, 2])
    np.testing.assert_array_equal(
        np.array(mx.searchsorted(mx.array([1, 2, 3], dtype=mx.uint8), mx.array([-1, 300]))), [0, 3])
    assert mx.searchsorted(mx.array([], dtype=mx.float32), mx.array([1.0, 2.0])).tolist() == [0, 0]
    assert mx.searchsorted(mx.array([1.0]), mx.array([], dtype=mx.float32)).shape == (0,)
    assert mx.searchsorted(mx.array([1, 3]), mx.array(2)).tolist() == 1  # 0-d values


def test_searchsorted_errors():
    with pytest.raises(ValueError, match=r"\[searchsorted\].*1-d"):
        mx.searchsorted(mx.ones((2, 2)), mx.ones(2))
    with pytest.raises(ValueError, match=r"\[searchsorted\].*1-d"):
        mx.searchsorted(mx.array(1.0), mx.ones(2))
    with pytest.raises(ValueError, match=r"\[searchsorted\].*side"):
        mx.searchsorted(mx.ones(2), mx.ones(2), side="mid")


@pytest.mark.skipif(mlx_core is None, reason="needs MLX")
def test_searchsorted_matches_mlx(rng):
    for _ in range(20):
        seq = np.sort(rng.integers(-4, 4, rng.integers(0, 20))).astype(np.float32)
        seq[rng.random(seq.shape) < 0.1] = np.nan
        seq = np.sort(seq)
        vals = rng.integers(-5, 5, (7,)).astype(np.float32)
        vals[rng.random(vals.shape) < 0.2] = np.nan
        for side in ("left", "right"):
            want = np.array(mlx_core.searchsorted(mlx_core.array(seq), mlx_core.array(vals), side=side))
            got = np.array(mx.searchsorted(mx.array(seq), mx.array(vals), side=side))
            np.testing.assert_array_equal(got, want)


def np_unique(a, size, fill=None):
    """What mx.unique returns, from numpy.unique."""
    flat = a.reshape(-1)
    vals, index, inverse, counts = np.unique(flat, return_index=True, return_inverse=True,
                                             return_counts=True, equal_nan=False)
    k = len(vals)
    if fill is None:
        fill = vals[0] if k else 0
    out_v = np.full(size, fill, dtype=flat.dtype)
    out_i = np.full(size, index[0] if k else 0, dtype=np.uint32)
    out_c = np.zeros(size, dtype=np.int32)
    m = min(k, size)
    out_v[:m], out_i[:m], out_c[:m] = vals[:m], index[:m], counts[:m]
    inv = np.clip(inverse.reshape(-1), 0, max(size - 1, 0)).astype(np.uint32).reshape(a.shape)
    return out_v, out_i, inv, out_c


@pytest.mark.parametrize("dtype", [mx.bool_, mx.uint8, mx.int16, mx.int32, mx.int64, mx.float16,
                                   mx.float32, mx.float64, mx.bfloat16])
def test_unique_random(rng, dtype):
    for shape in [(1,), (7,), (3, 4), (2, 3, 5)]:
        vals = random_values(rng, shape, dtype, -4, 4)
        n_unique = len(np.unique(vals))
        for size in {0, 1, n_unique - 1, n_unique, n_unique + 3}:
            if size < 0:
                continue
            x = mx.array(vals, dtype=dtype)
            got = mx.unique(x, size, True, True, True)
            want = np_unique(np.asarray(vals), size)
            names = ["values", "index", "inverse", "counts"]
            for g, w, name in zip(got, want, names):
                assert g.shape == w.shape, name
                np.testing.assert_array_equal(to_numpy(g).astype(np.float64),
                                              np.asarray(w).astype(np.float64), err_msg=name)
            assert [g.dtype for g in got[1:]] == [mx.uint32, mx.uint32, mx.int32]
            assert got[0].dtype == dtype


def test_unique_fill_layouts_nan(rng):
    vals = rng.integers(-3, 3, (4, 6)).astype(np.float64)
    for layout in LAYOUTS:
        x = make(vals, mx.float32, layout)
        v, c = mx.unique(x, 9, return_counts=True, fill_value=-100)
        w = np_unique(vals.astype(np.float32), 9, fill=-100)
        np.testing.assert_array_equal(np.array(v), w[0])
        np.testing.assert_array_equal(np.array(c), w[3])
    # Each NaN is its own element; -0.0 and 0.0 are one (the first in sort order kept).
    x = mx.array([1.0, float("nan"), float("nan"), -0.0, 0.0])
    v, i, inv, c = mx.unique(x, 5, True, True, True)
    np.testing.assert_array_equal(np.array(v), [0.0, 1.0, np.nan, np.nan, 0.0])
    assert np.signbit(np.array(v)[0])
    assert i.tolist() == [3, 0, 1, 2, 3] and inv.tolist() == [1, 2, 3, 0, 0]
    assert c.tolist() == [2, 1, 1, 1, 0]
    # Fill values: a 1-element array, cast to a's dtype.
    assert mx.unique(mx.array([3, 1]), 3, fill_value=mx.array([7.9])).tolist() == [1, 3, 7]


def test_unique_empty_and_scalar():
    v, i, inv, c = mx.unique(mx.array([], dtype=mx.float32), 3, True, True, True, fill_value=7)
    assert v.tolist() == [7, 7, 7] and i.tolist() == [0, 0, 0] and c.tolist() == [0, 0, 0]
    assert inv.shape == (0,)
    assert mx.unique(mx.zeros((0, 3)), 0).shape == (0,)
    v, i, inv, c = mx.unique(mx.array(5.0), 3, True, True, True)
    assert v.tolist() == [5, 5, 5] and inv.shape == () and inv.item() == 0
    assert c.tolist() == [1, 0, 0]
    # size 0: inverse is all zeros (MLX's convention).
    assert mx.unique(mx.array([[2, 1]]), 0, return_inverse=True)[1].tolist() == [[0, 0]]


def test_unique_errors():
    with pytest.raises(ValueError, match=r"\[unique\].*negative"):
        mx.unique(mx.array([1, 2]), -1)
    with pytest.raises(ValueError, match=r"\[unique\].*fill_value"):
        mx.unique(mx.array([1, 2]), 3, fill_value=mx.array([1, 2]))
    with pytest.raises(ValueError, match=r"\[unique\].*empty"):
        mx.unique(mx.array([], dtype=mx.int32), 2)


def test_unique_grad(rng):
    # values come from take: the gradient lands on each value's first occurrence.
    x = mx.array([3.0, 1.0, 3.0, 2.0])
    g = mx.grad(lambda a: (mx.unique(a, 3) * mx.array([1.0, 10.0, 100.0])).sum())(x)
    assert g.tolist() == [100.0, 1.0, 0.0, 10.0]


@pytest.mark.skipif(mlx_core is None, reason="needs MLX")
def test_unique_matches_mlx(rng):
    for _ in range(20):
        vals = rng.integers(-3, 4, rng.integers(1, 12)).astype(np.float32)
        vals[rng.random(vals.shape) < 0.15] = np.nan
        size = int(rng.integers(0, 10))
        fill = None if rng.random() < 0.5 else float(rng.integers(-9, 9))
        want = mlx_core.unique(mlx_core.array(vals), size, True, True, True, fill_value=fill)
        got = mx.unique(mx.array(vals), size, True, True, True, fill_value=fill)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(np.array(g), np.array(w))


@pytest.mark.parametrize("dtype", [mx.bool_, mx.int8, mx.uint32, mx.float16, mx.float32,
                                   mx.bfloat16])
def test_minmax(rng, dtype):
    vals = random_values(rng, (3, 4, 5), dtype)
    for layout in LAYOUTS:
        x = make(vals, dtype, layout)
        for axis in [None, 0, -1, (0, 2)]:
            for keepdims in (False, True):
                lo, hi = mx.minmax(x, axis=axis, keepdims=keepdims)
                w = round_to(vals, dtype) if dtype != mx.bool_ else vals
                np.testing.assert_array_equal(to_numpy(lo), np.min(w, axis=axis, keepdims=keepdims))
                np.testing.assert_array_equal(to_numpy(hi), np.max(w, axis=axis, keepdims=keepdims))
                assert lo.dtype == dtype and hi.dtype == dtype


def test_minmax_errors_and_empty():
    lo, hi = mx.minmax(mx.zeros((0, 3)), axis=1)
    assert lo.shape == (0,) and hi.shape == (0,)
    with pytest.raises(ValueError, match=r"\[minmax\]"):
        mx.minmax(mx.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"\[minmax\]"):
        mx.minmax(mx.zeros((2, 3)), axis=2)


def test_vmap(rng):
    seq = mx.array(np.sort(rng.standard_normal(9)).astype(np.float32))
    x = rng.integers(-3, 3, (4, 6)).astype(np.float32)
    got = mx.vmap(lambda v: mx.searchsorted(seq, v, side="right"))(mx.array(x))
    np.testing.assert_array_equal(np.array(got), np.searchsorted(np.array(seq), x, side="right"))
    got = mx.vmap(lambda v: mx.unique(v, 4, fill_value=99))(mx.array(x))
    for row, g in zip(x, np.array(got)):
        np.testing.assert_array_equal(g, np_unique(row, 4, fill=99)[0])
    lo, hi = mx.vmap(lambda v: mx.minmax(v))(mx.array(x))
    np.testing.assert_array_equal(np.array(lo), x.min(1))
    np.testing.assert_array_equal(np.array(hi), x.max(1))
