"""to_fp8 / from_fp8 (float8 e4m3fn in uint8) against a NumPy reference and,
where installed, bit for bit against MLX: every float16 and bfloat16 value,
random float32 bit patterns, ties, subnormals, saturation, NaN."""
import numpy as np
import pytest
import tandem.core as mx
from utils import LAYOUTS, make

try:
    import mlx.core as mlx_core
except ImportError:  # pragma: no cover
    mlx_core = None


def fp8_table():
    """float64 value of each code (NaN for 0x7f, 0xff)."""
    c = np.arange(256)
    e, m = (c >> 3) & 15, c & 7
    v = np.where(e == 0, m * 2.0**-9, (1 + m / 8) * 2.0 ** (e - 7))
    v[(e == 15) & (m == 7)] = np.nan
    return np.where(c & 0x80, -v, v)


POS = fp8_table()[:127]  # finite non-negative values, increasing with the code


def ref_to_fp8(x):
    """Round to nearest (ties to the even code), saturating at 448; NaN -> 448."""
    with np.errstate(invalid="ignore"):  # signalling NaNs among random bit patterns
        x = np.asarray(x, dtype=np.float64)
    sign = np.signbit(x).astype(np.uint8) << 7
    a = np.abs(x)
    a = np.where(np.isnan(a), 448.0, np.minimum(a, 448.0))
    hi = np.clip(np.searchsorted(POS, a), 1, 126)
    lo = hi - 1
    dlo, dhi = a - POS[lo], POS[hi] - a
    code = np.where(dlo < dhi, lo, np.where(dhi < dlo, hi, np.where(lo % 2 == 0, lo, hi)))
    code = np.where(a == 0, 0, code)
    return (code.astype(np.uint8) | sign).astype(np.uint8)


def all_half_values(dtype):
    bits = np.arange(65536, dtype=np.uint16)
    if dtype == mx.float16:
        return mx.array(bits.view(np.float16))
    return mx.array(bits).view(mx.bfloat16)


@pytest.mark.parametrize("dtype", [mx.float16, mx.bfloat16])
def test_to_fp8_every_half_value(dtype):
    x = all_half_values(dtype)
    got = np.array(mx.to_fp8(x))
    want = ref_to_fp8(np.array(x.astype(mx.float32)))
    np.testing.assert_array_equal(got, want)
    if mlx_core is not None:
        bits = mlx_core.array(np.arange(65536, dtype=np.uint16))  # the same bit patterns
        mx_x = bits.view(mlx_core.float16 if dtype == mx.float16 else mlx_core.bfloat16)
        np.testing.assert_array_equal(got, np.array(mlx_core.to_fp8(mx_x)))


def test_to_fp8_float32_random_and_special(rng):
    bits = rng.integers(0, 2**32, 200000, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    # Values near the e4m3 range, ties exactly between codes, and special values.
    near = rng.uniform(-500, 500, 20000).astype(np.float32)
    small = (rng.uniform(-1, 1, 20000) * 2.0 ** rng.integers(-12, 0, 20000)).astype(np.float32)
    ties = ((POS[:-1] + POS[1:]) / 2).astype(np.float32)
    special = np.array([0.0, -0.0, 448, 449, 464, 465, 480, 1e30, np.inf, -np.inf, np.nan, -np.nan,
                        2**-9, 2**-10, 2**-10 * 1.01, 3 * 2**-11, 1e-45], dtype=np.float32)
    allx = np.concatenate([x, near, small, ties, -ties, special])
    got = np.array(mx.to_fp8(mx.array(allx)))
    np.testing.assert_array_equal(got, ref_to_fp8(allx))
    if mlx_core is not None:
        np.testing.assert_array_equal(got, np.array(mlx_core.to_fp8(mlx_core.array(allx))))


def test_to_fp8_float64_layouts_and_shapes(rng):
    vals = rng.uniform(-300, 300, (4, 6))
    for layout in LAYOUTS:
        got = mx.to_fp8(make(vals, mx.float64, layout))
        assert got.dtype == mx.uint8 and got.shape == (4, 6)
        np.testing.assert_array_equal(np.array(got), ref_to_fp8(vals.astype(np.float32)))
    assert mx.to_fp8(mx.zeros((0, 3))).shape == (0, 3)
    assert mx.to_fp8(mx.array(1.0)).item() == 0x38


@pytest.mark.parametrize("dtype", [mx.float16, mx.bfloat16, mx.float32, mx.float64])
def test_from_fp8_every_code(dtype):
    codes = mx.arange(256).astype(mx.uint8)
    got = mx.from_fp8(codes, dtype)
    assert got.dtype == dtype
    np.testing.assert_array_equal(np.array(got.astype(mx.float64)), fp8_table())
    if mlx_core is not None and dtype != mx.float64:
        mdt = {mx.float16: mlx_core.float16, mx.bfloat16: mlx_core.bfloat16,
               mx.float32: mlx_core.float32}[dtype]
        want = mlx_core.from_fp8(mlx_core.array(np.arange(256, dtype=np.uint8)), mdt)
        np.testing.assert_array_equal(np.array(got.astype(mx.float32)),
                                      np.array(want.astype(mlx_core.float32)))
    # Default dtype bfloat16; every finite code survives a round trip.
    assert mx.from_fp8(codes).dtype == mx.bfloat16
    finite = np.array([c for c in range(256) if c not in (0x7F, 0xFF)], dtype=np.uint8)
    back = mx.to_fp8(mx.from_fp8(mx.array(finite), dtype))
    np.testing.assert_array_equal(np.array(back), finite)


def test_from_fp8_layouts(rng):
    codes = rng.integers(0, 256, (5, 4)).astype(np.uint8)
    for layout in LAYOUTS:
        got = mx.from_fp8(make(codes, mx.uint8, layout), mx.float32)
        np.testing.assert_array_equal(np.array(got), fp8_table()[codes].astype(np.float32))
    assert mx.from_fp8(mx.zeros((2, 0), dtype=mx.uint8)).shape == (2, 0)


def test_fp8_errors():
    with pytest.raises(ValueError, match=r"\[to_fp8\].*int32"):
        mx.to_fp8(mx.array([1, 2]))
    with pytest.raises(ValueError, match=r"\[to_fp8\]"):
        mx.to_fp8(mx.array([1 + 2j]))
    with pytest.raises(ValueError, match=r"\[from_fp8\].*uint8"):
        mx.from_fp8(mx.array([1, 2]), mx.float32)
    with pytest.raises(ValueError, match=r"\[from_fp8\].*int32"):
        mx.from_fp8(mx.array([1, 2], dtype=mx.uint8), mx.int32)
