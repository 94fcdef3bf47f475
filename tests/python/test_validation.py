"""Argument validation at graph-build time (issue 18): each bad input raises a
clear error naming the op and the values at fault, and wrong-value cases give
NumPy's values. Runs on the default device (DEVICE=cpu|gpu)."""
import os
import subprocess
import sys

import numpy as np
import pytest
import tandem.core as mx

INT_DTYPES = ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"]
FLOAT_DTYPES = ["float16", "float32", "float64", "bfloat16"]


# ------------------------------------------------------------------ arange


def test_arange_past_int32_gives_int64():
    r = mx.arange(2**31 - 3, 2**31 + 2)
    assert r.dtype == mx.int64
    assert r.tolist() == list(range(2**31 - 3, 2**31 + 2))
    r = mx.arange(2**62, 2**62 + 4)
    assert r.dtype == mx.int64 and r.tolist() == [2**62 + i for i in range(4)]
    assert mx.arange(-(2**40), -(2**40) + 3).tolist() == [-(2**40) + i for i in range(3)]
    # Within int32: int32, as MLX.
    assert mx.arange(-(2**31), -(2**31) + 3).dtype == mx.int32


def test_arange_integer_dtypes_wrap():
    assert mx.arange(250, 260, dtype=mx.uint8).tolist() == list(np.arange(250, 260).astype(np.uint8))
    assert mx.arange(-5, 300, 100, dtype=mx.int8).tolist() == [-5, 95, -61, 39]


def test_arange_against_numpy(rng):
    for _ in range(300):
        name = rng.choice(INT_DTYPES + FLOAT_DTYPES)
        if rng.random() < 0.5:
            # Python ints, large starts included.
            start = int(rng.integers(-(2**62), 2**62)) >> int(rng.integers(0, 62))
            if name == "float16":
                start %= 1000
            step = int(rng.integers(-50, 51)) or 3
            stop = start + step * int(rng.integers(-2, 40)) + int(rng.integers(-1, 2))
        else:
            start = float(rng.uniform(-100, 100))
            step = float(rng.choice([-1, 1]) * rng.uniform(0.05, 7))
            stop = start + step * float(rng.uniform(-1, 40))
        if name in INT_DTYPES:
            # NumPy's integer ranges wrap only from int64 values; compute there.
            want = np.arange(start, stop, step, dtype=np.int64 if isinstance(start, int) else None)
            if isinstance(start, float):
                first = int(np.trunc(start))
                d = int(np.trunc(start + step)) - first
                want = first + d * np.arange(len(want), dtype=np.int64)
            want = want.astype(np.int64).astype(getattr(np, name))
            got = mx.arange(start, stop, step, dtype=getattr(mx, name))
            assert got.dtype == getattr(mx, name)
            assert got.tolist() == want.tolist(), (name, start, stop, step)
        else:
            if isinstance(start, int):
                # The exact Python range, as float64.
                want = np.array(list(range(start, stop, step)), dtype=np.float64)
            else:
                want = np.arange(start, stop, step, dtype=np.float64)
            got = mx.arange(start, stop, step, dtype=getattr(mx, name))
            assert got.shape == want.shape, (name, start, stop, step)
            np.testing.assert_allclose(
                np.array(got.astype(mx.float64)),
                want,
                rtol={"float16": 1e-3, "bfloat16": 8e-3}.get(name, 1e-6),
                atol=1e-6 * (abs(start) + abs(step) * want.size),
            )


def test_arange_errors():
    with pytest.raises(OverflowError, match=r"\[arange\].*int64"):
        mx.arange(2**70)
    with pytest.raises(ValueError, match=r"\[arange\].*too many elements.*32-bit"):
        mx.arange(0, 2**40)
    with pytest.raises(ValueError, match=r"\[arange\].*step"):
        mx.arange(0, 5, 0)


# ------------------------------------------------------------ shapes


@pytest.mark.parametrize(
    "make",
    [
        lambda: mx.broadcast_to(mx.ones((1,)), (-3,)),
        lambda: mx.zeros((2, -1)),
        lambda: mx.ones((-5,)),
        lambda: mx.full((3, -2), 1.5),
        lambda: mx.reshape(mx.ones((6,)), (-2, -3)),
        lambda: mx.reshape(mx.ones((6,)), (-1, -3)),
        lambda: mx.random.normal((-1, 2)),
        lambda: mx.random.uniform(shape=(-2,)),
        lambda: mx.random.randint(0, 3, (4, -2)),
        lambda: mx.random.bernoulli(0.5, (-1,)),
        lambda: mx.as_strided(mx.ones((4,)), (-1,), (1,)),
    ],
)
def test_negative_dimension_rejected(make):
    with pytest.raises(ValueError, match=r"^\[\w+\].*negative dimension -\d+ in shape \("):
        make()
    # The process is usable afterwards.
    assert mx.ones((2,)).tolist() == [1.0, 1.0]


def test_negative_dimension_broadcast_to_then_tolist():
    with pytest.raises(ValueError, match=r"\[broadcast_to\].*negative dimension -3 in shape \(-3,\)"):
        mx.broadcast_to(mx.ones((1,)), (-3,)).tolist()


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: mx.ones((2731, 4323, 409891, 7623851)), "(2731, 4323, 409891, 7623851)"),
        (lambda: mx.zeros((1 << 22, 1 << 21, 1 << 21)), "(4194304, 2097152, 2097152)"),
        (lambda: mx.zeros((1 << 21, 1 << 21, 1 << 21), dtype=mx.float64), "(2097152, 2097152, 2097152)"),
        (lambda: mx.broadcast_to(mx.ones((1, 1, 1)), (1 << 30, 1 << 30, 1 << 30)), "(1073741824,"),
        (lambda: mx.random.uniform(shape=(1 << 30, 1 << 30, 1 << 30)), "(1073741824,"),
    ],
)
def test_element_count_overflow_rejected(make, shape):
    with pytest.raises(ValueError, match=r"^\[\w+\].*" + "too big"):
        make()
    try:
        make()
    except ValueError as e:
        assert shape in str(e) and "dtype" in str(e)
    assert mx.ones((2,)).tolist() == [1.0, 1.0]


def test_overflow_zero_size_and_huge_lazy_shapes():
    # A zero dimension makes the size 0, but the other dims must still fit
    # (NumPy's rule), so no stride can overflow.
    with pytest.raises(ValueError, match="too big"):
        mx.zeros((0, 1 << 30, 1 << 30, 1 << 30))
    assert mx.zeros((0, 1 << 30, 1 << 20)).size == 0
    # Large but representable: building the graph is fine (no allocation yet).
    big = mx.zeros((1 << 20, 1 << 20, 1 << 10), dtype=mx.int8)
    assert big.size == 1 << 50
    # reshape of a zero-size array whose target size wraps to 0 in 64 bits.
    with pytest.raises(ValueError, match=r"\[reshape\]"):
        mx.reshape(mx.zeros((0,)), (1 << 16, 1 << 16, 1 << 16, 1 << 16, 0, 1 << 16))


@pytest.mark.parametrize("dim", [1 << 40, 2**31, -(2**31) - 1, 2**70])
def test_dimension_past_int32(dim):
    with pytest.raises(OverflowError, match=r"dimension .* out of range \(at most 2147483647: dimensions are 32-bit\)"):
        mx.zeros((dim,))
    with pytest.raises(OverflowError, match="32-bit"):
        mx.ones((2, dim))
    with pytest.raises(OverflowError, match="32-bit"):
        mx.reshape(mx.ones((2,)), (dim,))
    assert str(1 << 40) in _msg(lambda: mx.zeros((1 << 40,)), OverflowError)


def _msg(f, exc):
    with pytest.raises(exc) as info:
        f()
    return str(info.value)


# ------------------------------------------------------------ as_strided


def test_as_strided_past_buffer_rejected():
    m = _msg(lambda: mx.as_strided(mx.ones((2,)), (1000000,), (1000000,)), ValueError)
    assert m.startswith("[as_strided]")
    for part in ["(1000000,)", "strides (1000000,)", "offset 0", "of an array of 2 elements"]:
        assert part in m, m
    # Before the buffer: a negative stride from offset 0, or a negative offset.
    with pytest.raises(ValueError, match=r"\[as_strided\].*reaches elements -3 to 0"):
        mx.as_strided(mx.ones((4,)), (4,), (-1,))
    with pytest.raises(ValueError, match=r"\[as_strided\].*offset -1"):
        mx.as_strided(mx.ones((4,)), (2,), (1,), -1)
    # Huge strides that would wrap 64 bits.
    with pytest.raises(ValueError, match=r"\[as_strided\]"):
        mx.as_strided(mx.ones((4,)), (3, 3), (2**62, 2**62))
    # Unevaluated input: the extent uses the size the input will have.
    lazy = mx.exp(mx.zeros((3, 4)))
    with pytest.raises(ValueError, match="of an array of 12 elements"):
        mx.as_strided(lazy, (13,), (1,))
    assert mx.ones((2,)).tolist() == [1.0, 1.0]


def test_as_strided_within_buffer_against_numpy(rng):
    a = np.arange(24, dtype=np.float32)
    x = mx.array(a)
    for _ in range(50):
        nd = int(rng.integers(1, 4))
        shape = tuple(int(v) for v in rng.integers(0, 4, nd))
        strides = tuple(int(v) for v in rng.integers(-4, 5, nd))
        offset = int(rng.integers(0, 24))
        idx = [offset + sum(i * s for i, s in zip(p, strides)) for p in np.ndindex(*shape)]
        ok = all(0 <= v < 24 for v in idx)
        if ok:
            got = mx.as_strided(x, shape, strides, offset)
            want = np.array([a[v] for v in idx], dtype=np.float32).reshape(shape)
            np.testing.assert_array_equal(np.array(got), want)
        else:
            with pytest.raises(ValueError, match=r"\[as_strided\]"):
                mx.as_strided(x, shape, strides, offset)
    # The segfault of the issue, now an error, and printing still works.
    with pytest.raises(ValueError):
        print(mx.as_strided(mx.ones((2,)), (1000000,), (1000000,)))


# ------------------------------------------------------------ devices


def test_device_and_stream_indices_checked_everywhere():
    for bad in [mx.Device(mx.cpu, 5), mx.Device(mx.cpu, -1), mx.Device(mx.gpu, 99)]:
        for f in [
            lambda: mx.ones((2,), stream=bad),
            lambda: mx.add(mx.ones((2,)), 1, stream=bad),
            lambda: mx.arange(3, stream=bad),
            lambda: mx.set_default_device(bad),
            lambda: mx.default_stream(bad),
            lambda: mx.new_stream(bad),
            lambda: mx.stream(bad).__enter__(),
        ]:
            m = _msg(f, ValueError)
            assert "is not available" in m and repr(bad) in m, m
    # A Stream this process never made, or with the wrong device.
    for bad in [mx.Stream(4000, mx.cpu), mx.Stream(-1, mx.Device(mx.cpu))]:
        for f in [
            lambda: mx.ones((2,), stream=bad),
            lambda: mx.synchronize(bad),
            lambda: mx.set_default_stream(bad),
        ]:
            assert "is not a stream of this process" in _msg(f, ValueError)
    s = mx.new_stream(mx.cpu)
    assert mx.add(mx.ones((2,)), 1, stream=s).tolist() == [2.0, 2.0]
    if not mx.is_available(mx.gpu):
        with pytest.raises(ValueError, match="not available"):
            mx.ones((2,), stream=mx.Stream(s.index, mx.gpu))


# ------------------------------------------------------------ axes


@pytest.mark.parametrize(
    "f",
    [
        lambda: mx.sum(mx.ones((2, 3)), axis=5),
        lambda: mx.sum(mx.ones((2, 3)), axis=2**40),
        lambda: mx.expand_dims(mx.ones((2,)), 3),
        lambda: mx.transpose(mx.ones((2, 3)), (0, 5)),
        lambda: mx.swapaxes(mx.ones((2, 3)), 0, 4),
        lambda: mx.moveaxis(mx.ones((2, 3)), 0, -4),
        lambda: mx.squeeze(mx.ones((2, 1)), 5),
        lambda: mx.concatenate([mx.ones(2)], axis=3),
        lambda: mx.stack([mx.ones(2)], axis=3),
        lambda: mx.cumsum(mx.ones(3), axis=4),
        lambda: mx.argmax(mx.ones(3), axis=4),
        lambda: mx.sort(mx.ones(3), axis=-2),
        lambda: mx.softmax(mx.ones(3), axis=3),
        lambda: mx.take_along_axis(mx.arange(4), mx.array([1]), 3),
        lambda: mx.repeat(mx.ones((2,)), 2, axis=3),
        lambda: mx.roll(mx.ones(3), 1, axis=3),
        lambda: mx.split(mx.ones(4), 2, axis=1),
        lambda: mx.flip(mx.ones(4), 1),
        lambda: mx.ones((2, 3)).shape[0] and mx.mean(mx.ones((2, 3)), axis=(0, -3)),
    ],
)
def test_axis_out_of_range(f):
    m = _msg(f, mx.AxisError)
    assert m.startswith("[") and "axis" in m
    # AxisError is both, like NumPy's: old code catching ValueError still works.
    assert issubclass(mx.AxisError, ValueError) and issubclass(mx.AxisError, IndexError)


@pytest.mark.parametrize(
    "f, match",
    [
        (lambda: mx.repeat(mx.ones((2,)), -1), r"\[repeat\].*-1"),
        (lambda: mx.tile(mx.ones((2,)), -1), r"\[tile\].*-1"),
        (lambda: mx.tile(mx.ones((2,)), (2, -3)), r"\[tile\].*-3"),
        (lambda: mx.linspace(0, 1, -1), r"\[linspace\].*-1"),
        (lambda: mx.eye(-1), r"\[eye\].*-1"),
        (lambda: mx.eye(2, -3), r"\[eye\].*-3"),
        (lambda: mx.tri(-1), r"\[tri\].*-1"),
        (lambda: mx.identity(-2), r"\[eye\].*-2"),
        (lambda: mx.pad(mx.ones((2,)), -1), r"\[pad\].*-1"),
        (lambda: mx.pad(mx.ones((2,)), [(1, -1)]), r"\[pad\].*-1"),
        (lambda: mx.split(mx.ones((4,)), 0), r"\[split\].*0"),
        (lambda: mx.split(mx.ones((4,)), 3), r"\[split\].*3"),
        (lambda: mx.split(mx.ones((4,)), -2), r"\[split\].*-2"),
    ],
)
def test_counts_and_sizes_checked(f, match):
    with pytest.raises(ValueError, match=match):
        f()


# ------------------------------------------------------------ index checks


def test_out_of_range_index_clamps_by_default():
    a = mx.arange(10)
    assert a[mx.array([100])].tolist() == [9]
    assert mx.take(a, mx.array([-100])).tolist() == [0]


CHECK_SCRIPT = r"""
import sys, os
import tandem.core as mx
mx.set_default_device(mx.gpu if os.environ.get("DEVICE", "cpu") == "gpu" else mx.cpu)
a = mx.arange(10)
cases = {
    "getitem": lambda: a[mx.array([3, 100])],
    "take": lambda: mx.take(a, mx.array([-11])),
    "take_axis": lambda: mx.take(mx.ones((3, 4)), mx.array([4]), axis=1),
    "take_along_axis": lambda: mx.take_along_axis(mx.ones((3, 4)), mx.array([[0], [7], [1]]), 1),
    "put_along_axis": lambda: mx.put_along_axis(mx.ones((3, 4)), mx.array([[0], [9], [1]]), mx.array(2.0), 1),
    "setitem": lambda: a.__setitem__(mx.array([12]), 5) or a,
    "scatter_add": lambda: a.at[mx.array([10])].add(1),
}
for name, f in cases.items():
    try:
        r = f()
        mx.eval(r)
        print(name, "NO ERROR", r.tolist())
    except IndexError as e:
        print(name, "IndexError", e)
    a = mx.arange(10)
# Valid indices still work, and the process is usable.
print("ok", a[mx.array([1, -1])].tolist())
"""


def test_check_indices_debug_mode_raises():
    env = dict(os.environ, TANDEM_CHECK_INDICES="1")
    out = subprocess.run(
        [sys.executable, "-c", CHECK_SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    lines = {l.split(" ", 1)[0]: l for l in out.stdout.splitlines()}
    for name, (value, size) in {
        "getitem": (100, 10),
        "take": (-11, 10),
        "take_axis": (4, 4),
        "take_along_axis": (7, 4),
        "put_along_axis": (9, 4),
        "setitem": (12, 10),
        "scatter_add": (10, 10),
    }.items():
        line = lines[name]
        assert "IndexError" in line, out.stdout
        assert f"index {value} is out of range for axis" in line and f"of size {size}" in line, line
    assert lines["ok"] == "ok [1, 9]"
