"""Elementwise ops against NumPy: dtypes, shapes, broadcasting, views, empty and
0-d arrays, MLX's weak typing of Python scalars, and hypothesis properties."""
import math

import numpy as np
import pytest
import tandem.core as mx
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from utils import (
    FLOATS,
    INTS,
    LAYOUTS,
    NP_DTYPE,
    SIGNED,
    assert_close,
    is_float,
    is_int,
    make,
    random_values,
    round_to,
    to_numpy,
)

SHAPES = [(), (0,), (7,), (3, 5), (2, 3, 4)]

_erf = np.vectorize(math.erf, otypes=[np.float64])


def to_inexact(t):
    return t if mx.issubdtype(t, mx.inexact) else mx.float32


# name -> (numpy reference on float64, (low, high) input range)
FLOAT_UNARY = {
    "exp": (np.exp, (-5, 5)),
    "expm1": (np.expm1, (-5, 5)),
    "erf": (_erf, (-3, 3)),
    "sin": (np.sin, (-6, 6)),
    "cos": (np.cos, (-6, 6)),
    "tan": (np.tan, (-1.2, 1.2)),
    "arcsin": (np.arcsin, (-1, 1)),
    "arccos": (np.arccos, (-1, 1)),
    "arctan": (np.arctan, (-10, 10)),
    "sinh": (np.sinh, (-4, 4)),
    "cosh": (np.cosh, (-4, 4)),
    "tanh": (np.tanh, (-5, 5)),
    "arcsinh": (np.arcsinh, (-10, 10)),
    "arccosh": (np.arccosh, (1, 10)),
    "arctanh": (np.arctanh, (-0.95, 0.95)),
    "degrees": (np.degrees, (-5, 5)),
    "radians": (np.radians, (-200, 200)),
    "log": (np.log, (0.1, 10)),
    "log2": (np.log2, (0.1, 10)),
    "log10": (np.log10, (0.1, 10)),
    "log1p": (np.log1p, (-0.9, 10)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-8, 8)),
    "sqrt": (np.sqrt, (0, 10)),
    "rsqrt": (lambda x: 1 / np.sqrt(x), (0.1, 10)),
    "reciprocal": (lambda x: 1 / x, (0.5, 10)),
}

SAME_UNARY = {
    "abs": np.abs,
    "negative": np.negative,
    "square": np.square,
    "sign": np.sign,
    "floor": np.floor,
    "ceil": np.ceil,
    "trunc": np.trunc,
    "round": np.round,
    "positive": np.positive,
}

BOOL_UNARY = {
    "isnan": np.isnan,
    "isinf": np.isinf,
    "isfinite": np.isfinite,
    "isposinf": np.isposinf,
    "isneginf": np.isneginf,
}


@pytest.mark.parametrize("name", sorted(FLOAT_UNARY))
@pytest.mark.parametrize("t", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
def test_float_unary_dtypes_shapes(name, t, shape, rng):
    ref, (lo, hi) = FLOAT_UNARY[name]
    vals = random_values(rng, shape, t, lo, hi)
    x = make(vals, t)
    y = getattr(mx, name)(x)
    assert y.dtype == t
    rtol, atol = {mx.float16: (4e-3, 4e-3), mx.bfloat16: (3e-2, 3e-2)}.get(t, (None, None))
    if name in ("tan", "expm1", "sinh", "cosh", "exp") and t in (mx.float16, mx.bfloat16):
        rtol = 2 * rtol
    assert_close(y, ref(vals), t, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(FLOAT_UNARY))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_float_unary_layouts(name, layout, rng):
    ref, (lo, hi) = FLOAT_UNARY[name]
    vals = random_values(rng, (4, 6), mx.float32, lo, hi)
    y = getattr(mx, name)(make(vals, mx.float32, layout))
    assert_close(y, ref(vals), mx.float32, rtol=5e-5, atol=5e-6)


@pytest.mark.parametrize("name", ["exp", "sqrt", "log", "sin", "sigmoid"])
@pytest.mark.parametrize("t", INTS + [mx.bool_])
def test_float_unary_of_integers_gives_float32(name, t, rng):
    ref, _ = FLOAT_UNARY[name]
    vals = random_values(rng, (9,), t, 1, 5)
    y = getattr(mx, name)(mx.array(vals, dtype=t))
    assert y.dtype == mx.float32
    with np.errstate(divide="ignore"):  # log(False) = -inf on both sides
        expected = ref(vals.astype(np.float64))
    assert_close(y, expected, mx.float32, rtol=5e-5, atol=5e-6)


def test_erfinv(rng):
    vals = rng.uniform(-0.99, 0.99, 50).astype(np.float32)
    y = mx.erfinv(mx.array(vals))
    np.testing.assert_allclose(_erf(to_numpy(y).astype(np.float64)), vals, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(SAME_UNARY))
@pytest.mark.parametrize("t", [mx.int8, mx.int32, mx.int64, mx.uint8, mx.float16, mx.float32, mx.float64, mx.bfloat16])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "reversed"])
def test_same_dtype_unary(name, t, layout, rng):
    if name in ("negative", "abs", "sign") and t == mx.uint8:
        pytest.skip("NumPy wraps unsigned negatives differently")
    vals = random_values(rng, (3, 4), t, -20, 20)
    if is_float(t):
        vals = round_to(vals * 0.37, t)
    y = getattr(mx, name)(make(vals, t, layout))
    assert y.dtype == t
    expected = SAME_UNARY[name](vals)
    if name == "square":
        expected = round_to(expected, t) if is_float(t) else expected.astype(NP_DTYPE[t]).astype(np.int64)
    assert_close(y, expected, t)


@pytest.mark.parametrize("name", sorted(BOOL_UNARY))
@pytest.mark.parametrize("t", [mx.float16, mx.float32, mx.float64, mx.bfloat16, mx.int32])
def test_bool_unary(name, t):
    vals = np.array([0.0, -1.5, np.inf, -np.inf, np.nan, 3.0])
    if is_int(t):
        vals = np.array([0, -1, 2, 5])
    y = getattr(mx, name)(mx.array(vals, dtype=t))
    assert y.dtype == mx.bool_
    assert to_numpy(y).tolist() == BOOL_UNARY[name](vals).tolist()


def test_logical_not_bitwise_invert():
    assert mx.logical_not(mx.array([True, False])).tolist() == [False, True]
    assert mx.logical_not(mx.array([0, 2])).tolist() == [True, False]
    assert mx.bitwise_invert(mx.array([0, 5], dtype=mx.uint8)).tolist() == [255, 250]
    assert (~mx.array([True, False])).tolist() == [False, True]
    assert (~mx.array([1, -3])).tolist() == [-2, 2]


def test_round_decimals():
    x = mx.array([1.2345, -2.5, 0.5, 1.5, 123.456])
    assert_close(mx.round(x, 2), np.round(np.array([1.2345, -2.5, 0.5, 1.5, 123.456], np.float32), 2))
    assert mx.round(x).tolist() == [1.0, -2.0, 0.0, 2.0, 123.0]
    assert_close(x.round(-1), np.round(np.float32([1.2345, -2.5, 0.5, 1.5, 123.456]), -1))


def test_complex_unary():
    v = np.array([1 + 2j, -0.5 + 0.25j], np.complex64)
    x = mx.array(v)
    assert_close(mx.conj(x), np.conj(v))
    assert_close(mx.conjugate(x), np.conj(v))
    assert_close(mx.exp(x), np.exp(v.astype(np.complex128)))
    assert_close(mx.negative(x), -v)
    assert_close(mx.real(x), v.real)
    assert_close(mx.imag(x), v.imag)


# ---------------------------------------------------------------- binary

ARITH = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "maximum": np.maximum,
    "minimum": np.minimum,
}
CMP = {
    "equal": np.equal,
    "not_equal": np.not_equal,
    "less": np.less,
    "less_equal": np.less_equal,
    "greater": np.greater,
    "greater_equal": np.greater_equal,
}
BROADCASTS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (3, 4)), ((), (2, 3)), ((0, 3), (1, 3)), ((2, 1, 3), (4, 1))]


@pytest.mark.parametrize("name", sorted(ARITH))
@pytest.mark.parametrize("t", [mx.bool_, mx.uint8, mx.int16, mx.int32, mx.int64, mx.uint64, mx.float16, mx.float32, mx.float64, mx.bfloat16, mx.complex64])
@pytest.mark.parametrize("shapes", BROADCASTS)
def test_arith(name, t, shapes, rng):
    if t == mx.bool_ and name == "subtract":
        pytest.skip("NumPy rejects bool subtract")
    if t == mx.complex64 and name in ("maximum", "minimum"):
        pytest.skip("ordering of complex numbers")
    a = random_values(rng, shapes[0], t, 0, 50)
    b = random_values(rng, shapes[1], t, 0, 50)
    y = getattr(mx, name)(mx.array(a, dtype=t), mx.array(b, dtype=t))
    assert y.dtype == t
    expected = ARITH[name](a, b)
    if is_int(t):
        expected = expected.astype(NP_DTYPE[t])  # wrap like the dtype
    elif t == mx.bool_:
        expected = expected.astype(bool)
    assert_close(y, expected, t, rtol=2 * (1e-2 if t == mx.bfloat16 else 1e-3 if t == mx.float16 else 1e-6))


@pytest.mark.parametrize("name", sorted(ARITH) + ["divide"])
@pytest.mark.parametrize("layouts", [("transposed", "contiguous"), ("strided", "reversed"), ("reversed", "transposed")])
def test_arith_views(name, layouts, rng):
    a = random_values(rng, (4, 6), mx.float32, 1, 9)
    b = random_values(rng, (4, 6), mx.float32, 1, 9)
    ref = ARITH.get(name, np.divide)
    y = getattr(mx, name)(make(a, mx.float32, layouts[0]), make(b, mx.float32, layouts[1]))
    assert_close(y, ref(a, b), mx.float32)


@pytest.mark.parametrize("name", sorted(CMP))
@pytest.mark.parametrize("t", [mx.int32, mx.uint8, mx.float32, mx.float16, mx.bfloat16, mx.int64])
@pytest.mark.parametrize("shapes", BROADCASTS[:4])
def test_comparisons(name, t, shapes, rng):
    a = random_values(rng, shapes[0], t, 0, 5)
    b = random_values(rng, shapes[1], t, 0, 5)
    x, y = mx.array(a, dtype=t), mx.array(b, dtype=t)
    r = getattr(mx, name)(x, y)
    assert r.dtype == mx.bool_
    assert to_numpy(r).tolist() == CMP[name](a, b).tolist()
    op = {"equal": "__eq__", "not_equal": "__ne__", "less": "__lt__", "less_equal": "__le__",
          "greater": "__gt__", "greater_equal": "__ge__"}[name]
    assert to_numpy(getattr(x, op)(y)).tolist() == CMP[name](a, b).tolist()


@pytest.mark.parametrize("t", [mx.float32, mx.float64, mx.float16])
def test_division_family(t, rng):
    a = random_values(rng, (5, 4), t, -20, 20)
    b = random_values(rng, (5, 4), t, 1, 7) * rng.choice([-1, 1], (5, 4))
    x, y = mx.array(a, dtype=t), mx.array(b, dtype=t)
    assert_close(x / y, a / b, t)
    assert_close(mx.floor_divide(x, y), np.floor_divide(a, b), t)
    assert_close(x % y, np.remainder(a, b), t, atol=2e-2 if t == mx.float16 else None)
    q, r = divmod(x, y)
    assert_close(q, np.floor_divide(a, b), t)
    assert_close(r, np.remainder(a, b), t, atol=2e-2 if t == mx.float16 else None)


@pytest.mark.parametrize("t", SIGNED + [mx.uint8, mx.uint32])
def test_integer_division(t, rng):
    a = random_values(rng, (20,), t, -50, 50)
    b = random_values(rng, (20,), t, 1, 9)
    if t in SIGNED:
        b = b * rng.choice([-1, 1], 20)
    x, y = mx.array(a, dtype=t), mx.array(b, dtype=t)
    assert (x // y).dtype == t
    assert to_numpy(x // y).tolist() == np.floor_divide(a, b).tolist()
    assert to_numpy(x % y).tolist() == np.remainder(a, b).tolist()
    assert (x / y).dtype == mx.float32
    assert_close(x / y, a / b, mx.float32)
    # Division by zero gives 0, never a crash.
    assert (x // mx.zeros_like(x)).shape == x.shape
    mx.eval(x // mx.zeros_like(x), x % mx.zeros_like(x))


def test_power_logaddexp_arctan2(rng):
    a = rng.uniform(0.5, 3, (3, 4))
    b = rng.uniform(-2, 2, (3, 4))
    x, y = mx.array(a, dtype=mx.float64), mx.array(b, dtype=mx.float64)
    assert_close(mx.power(x, y), a**b)
    assert_close(x**y, a**b)
    assert_close(mx.logaddexp(x, y), np.logaddexp(a, b))
    assert_close(mx.arctan2(x, y), np.arctan2(a, b))
    assert mx.power(mx.array([2, 3]), mx.array([3, 2])).tolist() == [8, 9]
    assert (mx.array([2, 3]) ** 2).dtype == mx.int32


def test_logical_and_bitwise(rng):
    a = rng.integers(0, 256, 30).astype(np.uint8)
    b = rng.integers(0, 256, 30).astype(np.uint8)
    x, y = mx.array(a), mx.array(b)
    assert to_numpy(x & y).tolist() == (a & b).tolist()
    assert to_numpy(x | y).tolist() == (a | b).tolist()
    assert to_numpy(x ^ y).tolist() == (a ^ b).tolist()
    assert to_numpy(mx.bitwise_and(x, y)).tolist() == (a & b).tolist()
    s = mx.array(rng.integers(0, 8, 30).astype(np.uint8))
    assert to_numpy(x << s).tolist() == (a << np.asarray(s)).tolist()
    assert to_numpy(x >> s).tolist() == (a >> np.asarray(s)).tolist()
    p = rng.random(10) < 0.5
    q = rng.random(10) < 0.5
    assert to_numpy(mx.logical_and(mx.array(p), mx.array(q))).tolist() == (p & q).tolist()
    assert to_numpy(mx.logical_or(mx.array(p), mx.array(q))).tolist() == (p | q).tolist()
    assert to_numpy(mx.logical_xor(mx.array(p), mx.array(q))).tolist() == (p ^ q).tolist()


def test_promotion():
    cases = [
        (mx.int32, mx.float16, mx.float16),
        (mx.uint8, mx.int8, mx.int16),
        (mx.int64, mx.float32, mx.float32),
        (mx.bool_, mx.int8, mx.int8),
        (mx.float16, mx.bfloat16, mx.float32),
        (mx.float32, mx.complex64, mx.complex64),
        (mx.uint32, mx.int32, mx.int64),
    ]
    for a, b, out in cases:
        assert (mx.zeros((1,), dtype=a) + mx.zeros((1,), dtype=b)).dtype == out, (a, b)
        assert mx.result_type(a, b) == out


# ------------------------------------------------------- weak scalar typing


def test_weak_scalars():
    i32 = mx.array([1, 2], dtype=mx.int32)
    f16 = mx.array([1, 2], dtype=mx.float16)
    i8 = mx.array([1, 2], dtype=mx.int8)
    b = mx.array([True, False])
    assert (i32 + 1.5).dtype == mx.float32 and (i32 + 1.5).tolist() == [2.5, 3.5]
    assert (f16 * 2).dtype == mx.float16
    assert (f16 * 2.5).dtype == mx.float16
    assert (2.5 * f16).dtype == mx.float16
    assert (i8 + 1).dtype == mx.int8
    assert (1 - i8).tolist() == [0, -1] and (1 - i8).dtype == mx.int8
    assert (b + 1).dtype == mx.int32
    assert (b + True).dtype == mx.bool_
    assert (i32 / 2).dtype == mx.float32
    assert (2 ** mx.array([1, 2])).tolist() == [2, 4]
    assert (f16 > 1.5).dtype == mx.bool_
    assert mx.add(i8, 3).dtype == mx.int8
    assert mx.add(3, i8).dtype == mx.int8
    assert mx.add(1, 2).dtype == mx.int32
    assert mx.add(1.0, 2).dtype == mx.float32
    assert (i32 + (1 + 1j)).dtype == mx.complex64
    with pytest.raises(ValueError):
        mx.array([1], dtype=mx.uint8) + 300
    # A Python float next to float64 keeps its digits.
    f64 = mx.array([1.0], dtype=mx.float64)
    assert (f64 * 0.1).dtype == mx.float64 and (f64 * 0.1).item() == 0.1
    # NumPy arrays are strongly typed.
    assert (f16 + np.array([1.0], np.float32)).dtype == mx.float32


def test_inplace_operators():
    x = mx.array([1.0, 2.0])
    alias = x
    x += 1
    assert alias.tolist() == [2.0, 3.0]  # same Python object
    x *= mx.array([2.0, 2.0])
    x -= 1
    x /= 2
    assert x.tolist() == [1.5, 2.5]
    y = mx.array([6, 7])
    y //= 2
    y %= 2
    y **= 2
    assert y.tolist() == [1, 1]
    z = mx.array([1, 2])
    z <<= 2
    z |= 1
    assert z.tolist() == [5, 9]
    m = mx.eye(2)
    m @= mx.array([[1.0, 2.0], [3.0, 4.0]])
    assert m.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_reflected_operators():
    x = mx.array([1.0, 2.0])
    assert (1 - x).tolist() == [0.0, -1.0]
    assert (2 / x).tolist() == [2.0, 1.0]
    assert (5 // x).tolist() == [5.0, 2.0]
    assert (5 % x).tolist() == [0.0, 1.0]
    assert (3 * x).tolist() == [3.0, 6.0]
    assert ([1.0, 1.0] + x).tolist() == [2.0, 3.0]
    assert (-x).tolist() == [-1.0, -2.0]
    assert abs(mx.array([-1, 2])).tolist() == [1, 2]
    assert (+x) is not None


def test_eq_with_non_arrays():
    x = mx.array([1, 2])
    assert (x == None) is False  # noqa: E711
    assert (x != "a") is True
    assert (x == [1, 3]).tolist() == [True, False]


# -------------------------------------------------------------- ternary etc


def test_where_clip_nan_to_num_isclose(rng):
    c = rng.random((3, 4)) < 0.5
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((1, 4)).astype(np.float32)
    assert_close(mx.where(mx.array(c), mx.array(a), mx.array(b)), np.where(c, a, b))
    assert mx.where(mx.array(c), mx.array(a, dtype=mx.float16), 0.0).dtype == mx.float16
    assert_close(mx.clip(mx.array(a), -0.5, 0.5), np.clip(a, -0.5, 0.5))
    assert_close(mx.clip(mx.array(a), None, 0.1), np.clip(a, None, 0.1))
    with pytest.raises(ValueError):
        mx.clip(mx.array(a), None, None)
    v = np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)
    assert_close(mx.nan_to_num(mx.array(v)), np.nan_to_num(v))
    assert mx.nan_to_num(mx.array(v), nan=5.0, posinf=1.0, neginf=-1.0).tolist() == [5.0, 1.0, -1.0, 1.0]
    x = mx.array([1.0, 1.0001, np.nan])
    y = mx.array([1.0, 1.0, np.nan])
    assert mx.isclose(x, y).tolist() == [True, False, False]
    assert mx.isclose(x, y, rtol=1e-3, equal_nan=True).tolist() == [True, True, True]


# -------------------------------------------------------------- hypothesis

float_arrays = hnp.arrays(
    np.float32,
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    elements=st.floats(-1e3, 1e3, width=32),
)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_hypothesis_binary_broadcast(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    a = data.draw(hnp.arrays(np.float32, shapes.input_shapes[0], elements=st.floats(-1e3, 1e3, width=32)))
    b = data.draw(hnp.arrays(np.float32, shapes.input_shapes[1], elements=st.floats(-1e3, 1e3, width=32)))
    x, y = mx.array(a), mx.array(b)
    np.testing.assert_array_equal(np.asarray(x + y), a + b)
    np.testing.assert_array_equal(np.asarray(x * y), a * b)
    np.testing.assert_array_equal(np.asarray(mx.maximum(x, y)), np.maximum(a, b))
    np.testing.assert_array_equal(np.asarray(x - y), a - b)
    np.testing.assert_array_equal(np.asarray(x < y), a < b)


@settings(max_examples=60, deadline=None)
@given(a=float_arrays)
def test_hypothesis_unary_properties(a):
    x = mx.array(a)
    np.testing.assert_array_equal(np.asarray(mx.abs(x)), np.abs(a))
    np.testing.assert_array_equal(np.asarray(-(-x)), a)
    np.testing.assert_allclose(np.asarray(mx.square(x)), np.square(a), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(mx.tanh(x)), np.tanh(a.astype(np.float64)), rtol=1e-5, atol=1e-6)
    # exp(log(|x| + 1)) == |x| + 1
    np.testing.assert_allclose(np.asarray(mx.exp(mx.log(mx.abs(x) + 1))), np.abs(a) + 1, rtol=1e-5)


@settings(max_examples=40, deadline=None)
@given(
    a=hnp.arrays(np.int32, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6), elements=st.integers(-1000, 1000)),
    k=st.integers(1, 50),
)
def test_hypothesis_integer_division(a, k):
    x = mx.array(a)
    np.testing.assert_array_equal(np.asarray(x // k), a // k)
    np.testing.assert_array_equal(np.asarray(x % k), a % k)
    np.testing.assert_array_equal(np.asarray(x // -k), a // -k)
    np.testing.assert_array_equal(np.asarray((x // k) * k + x % k), a)


@pytest.mark.parametrize("dtype", [mx.float32, mx.float64, mx.float16, mx.bfloat16])
def test_unary_results_do_not_depend_on_layout(dtype):
    # A strided input takes the same vector path as a contiguous one (the
    # scalar and vector log1p, say, differ in the last bit), so a value's
    # result does not depend on the layout it sits in, nor on where fusion
    # or a stream change cuts a chain.
    rng = np.random.default_rng(11)
    a = mx.array(rng.uniform(-3, 3, (70, 300)).astype(np.float32)).astype(dtype)
    pos = mx.abs(a) + 0.1
    unit = mx.clip(a, -0.99, 0.99)
    for name in ["exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "tanh",
                 "sinh", "cosh", "arcsin", "arccos", "arctan", "arcsinh", "arctanh", "sqrt",
                 "rsqrt", "sigmoid", "erf", "erfinv", "square", "reciprocal"]:
        x = {"log": pos, "log1p": pos, "log2": pos, "log10": pos, "sqrt": pos, "rsqrt": pos,
             "reciprocal": pos, "arcsin": unit, "arccos": unit, "arctanh": unit, "erfinv": unit}.get(name, a)
        f = getattr(mx, name)
        for view in (x.T, x[:, ::3], x[::-1]):
            got = np.array(f(view, stream=mx.cpu).astype(mx.float64))
            want = np.array(f(mx.contiguous(view), stream=mx.cpu).astype(mx.float64))
            assert np.array_equal(got, want, equal_nan=True), (name, dtype)
