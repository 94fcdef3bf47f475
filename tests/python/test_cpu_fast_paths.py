"""The CPU fast paths of sort/partition/topk (integer keys, vqsort, radix
selection), take (contiguous gather) and last-axis max/min (vectorised):
random inputs with NaN, -0.0, ties and every real dtype, against NumPy and
against the strided (scalar) paths bit for bit."""
import numpy as np
import pytest
import tandem.core as mx
from utils import FLOATS, INTS, NP_DTYPE, make, to_numpy

REAL = [mx.bool_] + INTS + FLOATS


@pytest.fixture(autouse=True)
def on_cpu(default_device):
    # CPU kernels under test (the GPU orders -0.0 / +0.0 and NaN payloads its own way).
    mx.set_default_device(mx.cpu)
    yield
BITS = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def values(rng, shape, t, nan=True, few=False):
    """Random values of dtype t (float64 or int64 numpy): ties when few, NaN
    and signed zeros among floats."""
    if t == mx.bool_:
        return rng.random(shape) < 0.5
    if t in INTS:
        info = mx.iinfo(t)
        lo, hi = (0, 3) if few else (info.min, info.max)
        if t in (mx.int64, mx.uint64):  # keep within what float64 round trips
            lo, hi = max(lo, -(2**52)), min(hi, 2**52)
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(np.int64)
    v = rng.integers(-3, 4, size=shape).astype(np.float64) if few else rng.standard_normal(shape) * 100
    flat = v.reshape(-1)
    if flat.size:
        k = max(1, flat.size // 10)
        flat[rng.integers(0, flat.size, k)] = 0.0
        flat[rng.integers(0, flat.size, k)] = -0.0
        if nan:
            flat[rng.integers(0, flat.size, k)] = np.nan
        flat[rng.integers(0, flat.size, 1)] = np.inf
        flat[rng.integers(0, flat.size, 1)] = -np.inf
    return v


def host(x):
    """numpy values of x (bfloat16 as float32, exactly)."""
    return to_numpy(x)


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view(BITS[a.dtype.itemsize]) if a.dtype != np.bool_ else a.view(np.uint8)


def ref_dtype(t):
    return np.float32 if t == mx.bfloat16 else NP_DTYPE[t]


def check_sorted_line(got, src):
    """got is src sorted: NaN last, -0.0 before +0.0, the same bits."""
    np.testing.assert_array_equal(got, np.sort(src))
    np.testing.assert_array_equal(np.sort(bits(got)), np.sort(bits(src)))
    if got.dtype.kind == "f":
        z = got[got == 0]
        assert not np.any(np.signbit(z)[1:] > np.signbit(z)[:-1]), "-0.0 must come first"
        nan = np.isnan(got)
        assert not np.any(nan[:-1] > nan[1:]), "NaN must be last"


@pytest.mark.parametrize("t", REAL)
@pytest.mark.parametrize("n", [1, 2, 7, 65, 1000, 20000])
def test_sort_lines(t, n, rng):
    vals = values(rng, (3, n), t, few=n > 100 and t not in (mx.bool_,))
    x = mx.array(vals, dtype=t)
    src = host(x)
    got = host(mx.sort(x, axis=-1))
    for r in range(3):
        check_sorted_line(got[r], src[r])
    got0 = host(mx.sort(x.T, axis=0)).T  # lines along a non-innermost axis
    np.testing.assert_array_equal(bits(got0), bits(got))


@pytest.mark.parametrize("t", [mx.float32, mx.float16, mx.int32, mx.uint8, mx.bfloat16])
@pytest.mark.parametrize("layout", ["transposed", "strided", "reversed"])
def test_sort_layouts(t, layout, rng):
    vals = values(rng, (40, 33), t)
    x = make(np.asarray(vals, dtype=np.float64), t, layout)
    ref = host(mx.sort(mx.array(np.asarray(vals, dtype=np.float64), dtype=t), axis=1))
    np.testing.assert_array_equal(bits(host(mx.sort(x, axis=1))), bits(ref))


def test_sort_empty_and_0d():
    assert mx.sort(mx.zeros((0, 4))).shape == (0, 4)
    assert mx.sort(mx.zeros((4, 0)), axis=0).shape == (4, 0)
    assert mx.sort(mx.array([3.0, 1.0])[1:]).tolist() == [1.0]
    assert mx.topk(mx.array([1.0, 5.0, 2.0]), 0).shape == (0,)
    assert mx.sort(mx.array(3.0), axis=None).tolist() == [3.0]  # 0-d: flattened
    assert mx.argsort(mx.array(np.float32(2)), axis=None).tolist() == [0]
    assert mx.argsort(mx.zeros((3, 0))).shape == (3, 0)


def check_partition_line(got, src, kth):
    srt = np.sort(src)
    np.testing.assert_array_equal(np.sort(bits(got)), np.sort(bits(src)))
    if np.isnan(srt[kth]) if got.dtype.kind == "f" else False:
        assert np.isnan(got[kth:]).all()
        return
    assert got[kth] == srt[kth]
    if got.dtype.kind == "f":
        assert not np.isnan(got[:kth]).any()
        assert (got[:kth] <= got[kth]).all()
        after = got[kth + 1:]
        assert (np.isnan(after) | (after >= got[kth])).all()
    else:
        assert (got[:kth] <= got[kth]).all() and (got[kth + 1:] >= got[kth]).all()


@pytest.mark.parametrize("t", REAL)
@pytest.mark.parametrize("n", [5, 64, 65, 3000])
def test_partition_lines(t, n, rng):
    for few in (False, True):
        vals = values(rng, (4, n), t, few=few)
        x = mx.array(vals, dtype=t)
        src = host(x)
        for kth in sorted({0, 1, n // 3, n // 2, n - 2, n - 1}):
            got = host(mx.partition(x, kth, axis=-1))
            for r in range(4):
                check_partition_line(got[r], src[r], kth)


@pytest.mark.parametrize("t", [mx.float32, mx.float64, mx.float16, mx.int64, mx.uint16])
def test_partition_all_equal_and_all_nan(t):
    n = 500
    x = mx.full((n,), 7, dtype=t)
    assert (host(mx.partition(x, 250)) == 7).all()
    if t in FLOATS:
        x = mx.full((n,), float("nan"), dtype=t)
        assert np.isnan(host(mx.partition(x, 3))).all()
        v = np.full(n, np.nan)
        v[::7] = -0.0
        v[3::7] = 0.0
        z = int((v == 0).sum())
        got = host(mx.partition(mx.array(v, dtype=t), 100))
        assert np.isnan(got[z:]).all() and (got[:z] == 0).all()


@pytest.mark.parametrize("t", [mx.float32, mx.float16, mx.bfloat16, mx.int32, mx.int8])
@pytest.mark.parametrize("k", [1, 32, 700])
def test_topk_large(t, k, rng):
    vals = values(rng, (3, 5000), t, nan=False)
    x = mx.array(vals, dtype=t)
    src = host(x)
    got = np.sort(host(mx.topk(x, k, axis=-1)), axis=-1)
    np.testing.assert_array_equal(got, np.sort(src, axis=-1)[:, -k:])
    got1 = np.sort(host(mx.topk(mx.array(vals[0], dtype=t), k)))
    np.testing.assert_array_equal(got1, np.sort(src[0])[-k:])


@pytest.mark.parametrize("t", [mx.uint8, mx.int16, mx.float32, mx.float64, mx.bfloat16])
@pytest.mark.parametrize("it", [mx.int32, mx.int64, mx.uint32, mx.int16, mx.uint8])
def test_take_flat(t, it, rng):
    n = 200 if it in (mx.int16, mx.uint8) else 70000
    vals = values(rng, (n,), t)
    x = mx.array(vals, dtype=t)
    lo = 0 if it in (mx.uint32, mx.uint8) else -n
    idx = rng.integers(lo, n, size=3 * n)
    i = mx.array(idx, dtype=it)
    ref = host(x)[idx]
    np.testing.assert_array_equal(bits(host(mx.take(x, i))), bits(ref))
    np.testing.assert_array_equal(bits(host(mx.take(x, i[::3]))), bits(ref[::3]))  # strided indices
    i2 = mx.array(idx[:600].reshape(20, 30), dtype=it)
    np.testing.assert_array_equal(bits(host(mx.take(x, i2))), bits(ref[:600].reshape(20, 30)))
    np.testing.assert_array_equal(bits(host(mx.take(x, mx.array(idx[5], dtype=it)))), bits(ref[5]))
    assert mx.take(x, mx.array(np.zeros(0, dtype=np.int32))).shape == (0,)


def test_take_along_rows(rng):
    a = rng.standard_normal((50, 300)).astype(np.float32)
    idx = rng.integers(-300, 300, size=(50, 400))
    got = mx.take_along_axis(mx.array(a), mx.array(idx, dtype=mx.int32), 1)
    np.testing.assert_array_equal(np.asarray(got), np.take_along_axis(a, idx % 300, 1))
    got = mx.take(mx.array(a), mx.array(idx[0], dtype=mx.int32), axis=1)
    np.testing.assert_array_equal(np.asarray(got), a[:, idx[0] % 300])


@pytest.mark.parametrize("t", FLOATS + [mx.int32, mx.int8, mx.uint64])
@pytest.mark.parametrize("n", [1, 9, 16, 17, 100, 1024, 5001])
def test_max_min_rows_match_strided(t, n, rng):
    vals = values(rng, (6, n), t, few=True)
    if t in FLOATS:
        vals[1] = np.nan  # all NaN
        vals[2, n // 2:] = np.nan
        vals[3] = np.where(rng.random(n) < 0.5, 0.0, -0.0)  # only zeros of both signs
        vals[4, :] = -np.inf
    x = mx.array(vals, dtype=t)
    src = host(x)
    # The strided copy of the same values reduces through the scalar loop.
    xs = make(np.asarray(vals, dtype=np.float64), t, "strided")
    for f, ref in ((mx.max, np.max), (mx.min, np.min)):
        got = host(f(x, axis=-1))
        np.testing.assert_array_equal(bits(got), bits(host(f(xs, axis=-1))))
        np.testing.assert_array_equal(got, ref(src, axis=-1))  # NaN propagates
    for f, ref in ((mx.argmax, np.argmax), (mx.argmin, np.argmin)):
        # The first NaN, else the first extreme (-0.0 ties +0.0), as NumPy.
        np.testing.assert_array_equal(np.asarray(f(x, axis=-1)), ref(src, axis=-1))
        np.testing.assert_array_equal(np.asarray(f(xs, axis=-1)), ref(src, axis=-1))


def test_max_rows_of_1024_large(rng):
    x = rng.standard_normal((4096, 1024)).astype(np.float32)
    x[rng.integers(0, 4096, 50), rng.integers(0, 1024, 50)] = np.nan
    np.testing.assert_array_equal(np.asarray(mx.max(mx.array(x), axis=-1)), np.max(x, axis=-1))
    np.testing.assert_array_equal(np.asarray(mx.min(mx.array(x), axis=-1)), np.min(x, axis=-1))
    assert mx.max(mx.array(np.float32(2.5))).item() == 2.5


@pytest.mark.parametrize("t", REAL)
@pytest.mark.parametrize("n", [2, 9, 100, 5000])
def test_argsort_stable(t, n, rng):
    for few in (False, True):
        vals = values(rng, (3, n), t, few=few)
        x = mx.array(vals, dtype=t)
        src = host(x)
        # Stable, NaN last, -0.0 tied with +0.0: NumPy's stable argsort.
        ref = np.argsort(src, axis=-1, kind="stable")
        np.testing.assert_array_equal(np.asarray(mx.argsort(x, axis=-1)), ref)
        np.testing.assert_array_equal(np.asarray(mx.argsort(x.T, axis=0)).T, ref)
        xs = make(np.asarray(vals, dtype=np.float64), t, "strided")
        np.testing.assert_array_equal(np.asarray(mx.argsort(xs, axis=-1)), ref)


@pytest.mark.parametrize("t", REAL)
@pytest.mark.parametrize("n", [9, 100, 5000])
def test_argpartition(t, n, rng):
    vals = values(rng, (3, n), t, few=True)
    x = mx.array(vals, dtype=t)
    src = host(x)
    order = np.argsort(src, axis=-1, kind="stable")  # the (value, index) order
    for kth in sorted({0, n // 2, n - 1}):
        got = np.asarray(mx.argpartition(x, kth, axis=-1)).astype(np.int64)
        for r in range(3):
            assert sorted(got[r]) == list(range(n))
            # Ties broken by index: the positions before kth hold exactly the
            # kth first of the stable order.
            assert got[r, kth] == order[r, kth]
            assert set(got[r, :kth]) == set(order[r, :kth])


@pytest.mark.parametrize("t", [mx.float32, mx.float64, mx.int32, mx.uint16, mx.float16, mx.int64])
@pytest.mark.parametrize("pattern", ["random", "sorted", "reversed", "few", "binade", "one_outlier"])
def test_partition_long_lines(t, pattern, rng):
    # Long lines pick their first bucket from a sample: inputs where the
    # guess misses (sorted runs, ties, one byte shared) must still partition.
    n = 30000
    if pattern == "few":
        v = rng.integers(0, 3, n).astype(np.float64)
    elif pattern == "binade":
        v = np.round(1 + rng.random(n), 3) if t in FLOATS else rng.integers(256, 512, n).astype(np.float64)
    else:
        v = rng.standard_normal(n) * 1000 if t in FLOATS else rng.integers(0, 60000, n).astype(np.float64)
    if pattern == "sorted":
        v = np.sort(v)
    elif pattern == "reversed":
        v = np.sort(v)[::-1].copy()
    elif pattern == "one_outlier":
        v = np.full(n, 5.0)
        v[rng.integers(0, n)] = 7.0
    x = mx.array(v, dtype=t)
    src = host(x)
    order = np.argsort(src, kind="stable")
    for kth in (0, 1, 4095, n // 2, n - 33, n - 1):
        check_partition_line(host(mx.partition(x, kth)), src, kth)
        got = np.asarray(mx.argpartition(x, kth)).astype(np.int64)
        assert got[kth] == order[kth] and set(got[:kth]) == set(order[:kth])
