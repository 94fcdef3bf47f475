"""Helpers for the Python tests: dtype tables, random inputs, layouts, comparison."""
import numpy as np
import tandem.core as mx

# tandem dtype -> numpy dtype (bfloat16 has none: compared through float32).
NP_DTYPE = {
    mx.bool_: np.bool_,
    mx.uint8: np.uint8,
    mx.uint16: np.uint16,
    mx.uint32: np.uint32,
    mx.uint64: np.uint64,
    mx.int8: np.int8,
    mx.int16: np.int16,
    mx.int32: np.int32,
    mx.int64: np.int64,
    mx.float16: np.float16,
    mx.float32: np.float32,
    mx.float64: np.float64,
    mx.bfloat16: None,
    mx.complex64: np.complex64,
}
ALL_DTYPES = list(NP_DTYPE)
FLOATS = [mx.float16, mx.float32, mx.float64, mx.bfloat16]
INTS = [mx.uint8, mx.uint16, mx.uint32, mx.uint64, mx.int8, mx.int16, mx.int32, mx.int64]
SIGNED = [mx.int8, mx.int16, mx.int32, mx.int64]
REAL = [mx.bool_] + INTS + FLOATS
NUMERIC = INTS + FLOATS


def is_float(t):
    return mx.issubdtype(t, mx.floating)


def is_int(t):
    return mx.issubdtype(t, mx.integer)


def random_values(rng, shape, dtype, low=-10, high=10):
    """Random float64/int64/complex128/bool numpy values that fit dtype exactly."""
    if dtype == mx.bool_:
        return rng.random(shape) < 0.5
    if is_int(dtype):
        info = mx.iinfo(dtype)
        lo = max(low, info.min)
        hi = min(high, info.max)
        return rng.integers(lo, hi + 1, size=shape).astype(np.int64)
    vals = rng.uniform(low, high, size=shape)
    if dtype == mx.complex64:
        vals = vals + 1j * rng.uniform(low, high, size=shape)
        return vals.astype(np.complex64).astype(np.complex128)
    return round_to(vals, dtype)


def round_to(vals, dtype):
    """vals (float64) rounded to dtype's precision, back in float64."""
    if dtype == mx.bfloat16:
        return np.array(mx.array(vals, dtype=mx.bfloat16).astype(mx.float32)).astype(np.float64)
    return np.asarray(vals).astype(NP_DTYPE[dtype]).astype(np.float64)


def to_numpy(x):
    """A tandem array's values as numpy (bfloat16 as float32)."""
    if x.dtype == mx.bfloat16:
        x = x.astype(mx.float32)
    return np.array(x)


def make(vals, dtype, layout="contiguous"):
    """A tandem array of dtype holding vals, in the given memory layout.

    layouts: contiguous, transposed (a transposed view of the transposed data),
    strided (every other element of a bigger array), reversed (negative steps),
    broadcast (a broadcast view, when vals are constant along axis 0).
    """
    vals = np.asarray(vals)
    if layout == "contiguous" or vals.ndim == 0:
        return mx.array(vals, dtype=dtype)
    if layout == "transposed":
        return mx.array(np.ascontiguousarray(vals.T), dtype=dtype).T
    if layout == "strided":
        big = np.zeros(tuple(2 * d for d in vals.shape), dtype=vals.dtype)
        big[tuple(slice(None, None, 2) for _ in vals.shape)] = vals
        x = mx.array(big, dtype=dtype)
        return x[tuple(slice(None, None, 2) for _ in vals.shape)]
    if layout == "reversed":
        flipped = vals[tuple(slice(None, None, -1) for _ in vals.shape)]
        x = mx.array(np.ascontiguousarray(flipped), dtype=dtype)
        return x[tuple(slice(None, None, -1) for _ in vals.shape)]
    raise ValueError(layout)


LAYOUTS = ["contiguous", "transposed", "strided", "reversed"]


def tolerance(dtype):
    """(rtol, atol) for results computed in dtype."""
    if dtype == mx.bfloat16:
        return 2e-2, 2e-2
    if dtype == mx.float16:
        return 2e-3, 2e-3
    if dtype in (mx.float32, mx.complex64):
        return 2e-5, 2e-6
    if dtype == mx.float64:
        return 1e-12, 1e-13
    return 0, 0


def assert_close(x, expected, dtype=None, rtol=None, atol=None):
    """x (a tandem array) equals expected (numpy) within dtype's tolerance."""
    dtype = dtype or x.dtype
    r, a = tolerance(dtype)
    rtol = r if rtol is None else rtol
    atol = a if atol is None else atol
    got = to_numpy(x)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"shape {got.shape} != {expected.shape}"
    if got.dtype == np.bool_ or np.issubdtype(got.dtype, np.integer):
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(
            got.astype(np.complex128 if np.iscomplexobj(got) else np.float64),
            expected,
            rtol=rtol,
            atol=atol,
            equal_nan=True,
        )
