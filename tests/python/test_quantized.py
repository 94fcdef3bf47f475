"""Quantization (quantize, dequantize, quantized_matmul, gather_qmm) and the
quantized nn layers.

Bit-exactness with MLX (packed words, scales, biases, dequantized values)
runs where mlx.core is importable. The rest checks the definition alone:
the round trip error is at most half a step, quantized_matmul equals a
matmul with the dequantized weight, the packing holds each code in its
bits, and the errors name what is wrong."""
import numpy as np
import pytest
import tandem.core as mx
import tandem.nn as nn

try:
    import mlx.core as mlx_core
    import mlx.nn as mlx_nn
except ImportError:  # pragma: no cover - depends on the machine
    mlx_core = None
    mlx_nn = None

needs_mlx = pytest.mark.skipif(mlx_core is None, reason="mlx is not installed: no MLX reference")

BITS = [1, 2, 3, 4, 5, 6, 8]
GROUPS = [32, 64, 128]
DTYPES = ["float32", "float16", "bfloat16"]


def weights(rng, shape, kind):
    """Random weights with the group statistics that matter for rounding."""
    if kind == "normal":
        return rng.standard_normal(shape).astype(np.float32)
    if kind == "positive":
        return rng.uniform(0.1, 3.0, shape).astype(np.float32)
    if kind == "negative_heavy":  # min has the larger magnitude
        return rng.uniform(-5.0, 1.0, shape).astype(np.float32)
    if kind == "scaled":  # rows of very different magnitudes
        mag = np.exp(rng.uniform(-12, 8, shape[:-1] + (1,)))
        return (rng.standard_normal(shape) * mag).astype(np.float32)
    if kind == "constant_groups":
        w = rng.standard_normal(shape).astype(np.float32)
        g = w.reshape(-1, 32)
        g[::3] = g[::3, :1]  # constant groups of 32
        g[1::5] = 0.0  # zero groups
        return g.reshape(shape)
    if kind == "integers":  # exact ties in the rounding
        return rng.integers(-8, 8, shape).astype(np.float32)
    raise ValueError(kind)


KINDS = ["normal", "positive", "negative_heavy", "scaled", "constant_groups", "integers"]


def to_np(a):
    if isinstance(a, mx.array):
        return np.array(a if a.dtype == mx.uint32 else a.astype(mx.float32))
    return np.array(a if a.dtype == mlx_core.uint32 else a.astype(mlx_core.float32))


# -- bit-exact agreement with MLX --------------------------------------------


@needs_mlx
@pytest.mark.parametrize("bits", BITS)
@pytest.mark.parametrize("group_size", GROUPS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_quantize_bit_exact_with_mlx(bits, group_size, dtype):
    rng = np.random.default_rng(1000 * bits + group_size)
    for kind, shape in zip(KINDS, [(16, 256), (2, 3, 256), (8, 384), (4, 256), (6, 128 * 3), (3, 256)]):
        w = weights(rng, shape, kind)
        ours = mx.quantize(mx.array(w).astype(getattr(mx, dtype)), group_size, bits)
        ref = mlx_core.quantize(
            mlx_core.array(w).astype(getattr(mlx_core, dtype)), group_size=group_size, bits=bits
        )
        assert len(ours) == 3
        for name, a, b in zip(("w_q", "scales", "biases"), ours, ref):
            assert a.shape == tuple(b.shape), (kind, name)
            assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (kind, name)
            np.testing.assert_array_equal(to_np(a), to_np(b), err_msg=f"{kind} {name}")
        # Dequantizing MLX's quantization here gives MLX's values, bit for bit.
        deq = mx.dequantize(
            mx.array(np.array(ref[0])),
            mx.array(to_np(ref[1])).astype(getattr(mx, dtype)),
            mx.array(to_np(ref[2])).astype(getattr(mx, dtype)),
            group_size=group_size,
            bits=bits,
        )
        ref_deq = mlx_core.dequantize(*ref, group_size=group_size, bits=bits)
        assert deq.dtype == getattr(mx, dtype)
        np.testing.assert_array_equal(to_np(deq), to_np(ref_deq), err_msg=kind)


@needs_mlx
@pytest.mark.parametrize("scale_dtype,out_dtype", [("float16", "float32"), ("float32", "bfloat16")])
def test_dequantize_dtype_matches_mlx(scale_dtype, out_dtype):
    rng = np.random.default_rng(7)
    w = rng.standard_normal((32, 256)).astype(np.float32) * 3
    ref = mlx_core.quantize(mlx_core.array(w).astype(getattr(mlx_core, scale_dtype)), 64, 4)
    ours = mx.quantize(mx.array(w).astype(getattr(mx, scale_dtype)), 64, 4)
    a = mx.dequantize(*ours, 64, 4, dtype=getattr(mx, out_dtype))
    b = mlx_core.dequantize(*ref, 64, 4, dtype=getattr(mlx_core, out_dtype))
    assert a.dtype == getattr(mx, out_dtype)
    np.testing.assert_array_equal(to_np(a), to_np(b))


@needs_mlx
@pytest.mark.parametrize("bits", [2, 3, 4, 6, 8])
@pytest.mark.parametrize("transpose", [True, False])
def test_quantized_matmul_matches_mlx(bits, transpose):
    rng = np.random.default_rng(bits)
    w = rng.standard_normal((96, 128)).astype(np.float32)
    ref = mlx_core.quantize(mlx_core.array(w), 64, bits)
    x = rng.standard_normal((2, 5, 128 if transpose else 96)).astype(np.float32)
    args = [mx.array(np.array(a)) for a in ref]
    got = mx.quantized_matmul(mx.array(x), *args, transpose=transpose, group_size=64, bits=bits)
    want = mlx_core.quantized_matmul(
        mlx_core.array(x), *ref, transpose=transpose, group_size=64, bits=bits
    )
    np.testing.assert_allclose(to_np(got), to_np(want), rtol=1e-4, atol=1e-4)


# -- from the definition ------------------------------------------------------


def codes_of(wq, bits, k):
    """The codes of each row, read from the packed words as a bit stream."""
    words = np.array(wq).astype(np.uint64)
    rows = words.reshape(-1, words.shape[-1])
    out = np.zeros((rows.shape[0], k), np.int64)
    for i in range(k):
        j, off = divmod(bits * i, 32)
        v = rows[:, j] >> np.uint64(off)
        if off + bits > 32:
            v |= rows[:, j + 1] << np.uint64(32 - off)
        out[:, i] = (v & np.uint64((1 << bits) - 1)).astype(np.int64)
    return out.reshape(words.shape[:-1] + (k,))


@pytest.mark.parametrize("bits", BITS)
@pytest.mark.parametrize("group_size", GROUPS)
def test_round_trip_within_half_a_step(bits, group_size):
    rng = np.random.default_rng(bits * group_size)
    for kind in KINDS:
        w = weights(rng, (3, 4, 256), kind)
        wq, scales, biases = mx.quantize(mx.array(w), group_size=group_size, bits=bits)
        assert wq.shape == (3, 4, 256 * bits // 32) and wq.dtype == mx.uint32
        assert scales.shape == biases.shape == (3, 4, 256 // group_size)
        back = np.array(mx.dequantize(wq, scales, biases, group_size=group_size, bits=bits))
        s = np.repeat(np.array(scales), group_size, axis=-1)
        b = np.repeat(np.array(biases), group_size, axis=-1)
        err = np.abs(back - w)
        # Within half a step (plus float32 rounding) wherever w lies in the
        # representable range. Not everywhere: MLX's scheme keeps the end of
        # larger magnitude exact and nudges the scale so that zero is
        # representable, which can leave the other end outside the range;
        # such values take the nearest end code.
        t = (w.astype(np.float64) - b) / s
        inside = (t >= -0.5) & (t <= 2**bits - 1 + 0.5)
        bound = np.abs(s) / 2 * 1.0001 + 1e-6 * np.abs(w) + 1e-30
        assert np.all(err[inside] <= bound[inside]), (kind, float((err - bound)[inside].max()))
        assert inside.mean() > 0.5, kind
        # Each code is what dequantize multiplies: value = code * scale + bias.
        codes = codes_of(wq, bits, 256)
        assert codes.min() >= 0 and codes.max() <= 2**bits - 1
        outside = ~inside
        np.testing.assert_array_equal(codes[outside], np.where(t[outside] < 0, 0, 2**bits - 1))
        np.testing.assert_array_equal(back, (codes * s).astype(np.float32) + b)


def test_packing_layout_from_chosen_codes():
    """A group of 0, 1, ..., with max 2^b - 1 at index 1: codes are max - w
    (the larger end is kept and the scale is negative) packed from the low
    bits up."""
    for bits in [2, 3, 4, 5, 6, 8]:
        n = 2**bits - 1
        w = np.arange(32) % (n + 1)
        w[0], w[1] = 0, n
        wq, scales, biases = mx.quantize(mx.array(w[None].astype(np.float32)), 32, bits)
        assert scales.item() == -1.0 and biases.item() == float(n)
        np.testing.assert_array_equal(codes_of(wq, bits, 32)[0], n - w)
        stream = 0
        for i, c in enumerate(n - w):
            stream |= int(c) << (bits * i)
        words = [(stream >> (32 * j)) & 0xFFFFFFFF for j in range(bits)]
        assert np.array(wq)[0].tolist() == words


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bits", [2, 3, 4, 5, 8])
def test_quantized_matmul_is_matmul_with_dequantized(dtype, bits):
    rng = np.random.default_rng(bits)
    dt = getattr(mx, dtype)
    w = mx.array(rng.standard_normal((2, 48, 128)).astype(np.float32)).astype(dt)
    wq, s, b = mx.quantize(w, 32, bits)
    wd = mx.dequantize(wq, s, b, 32, bits)
    tol = 1e-4 if dtype == "float32" else 5e-2
    x = mx.array(rng.standard_normal((2, 3, 128)).astype(np.float32)).astype(dt)
    got = mx.quantized_matmul(x, wq, s, b, transpose=True, group_size=32, bits=bits)
    assert got.dtype == dt and got.shape == (2, 3, 48)
    want = np.array((x @ mx.swapaxes(wd, -1, -2)).astype(mx.float32))
    np.testing.assert_allclose(np.array(got.astype(mx.float32)), want, rtol=tol, atol=tol)
    # transpose=False multiplies by the (K, N) matrix itself.
    x2 = mx.array(rng.standard_normal((4, 48)).astype(np.float32)).astype(dt)
    got = mx.quantized_matmul(x2, wq, s, b, transpose=False, group_size=32, bits=bits)
    assert got.shape == (2, 4, 128)
    want = np.array((x2 @ wd).astype(mx.float32))
    np.testing.assert_allclose(np.array(got.astype(mx.float32)), want, rtol=tol, atol=tol)


def test_result_dtype_promotes_input_and_scales():
    rng = np.random.default_rng(0)
    wq, s, b = mx.quantize(mx.array(rng.standard_normal((8, 64)).astype(np.float32)))
    x = mx.array(rng.standard_normal((3, 64)).astype(np.float32))
    assert mx.quantized_matmul(x.astype(mx.float16), wq, s, b).dtype == mx.float32
    y = mx.quantized_matmul(
        x.astype(mx.bfloat16), wq, s.astype(mx.float16), b.astype(mx.float16)
    )
    assert y.dtype == mx.float32
    assert mx.quantized_matmul(x[0], wq, s, b).shape == (8,)


def test_non_contiguous_inputs():
    rng = np.random.default_rng(3)
    base = rng.standard_normal((128, 64)).astype(np.float32)
    w = mx.array(base).T  # (64, 128), a transposed view
    ref = mx.quantize(mx.array(np.ascontiguousarray(base.T)), 64, 4)
    got = mx.quantize(w, 64, 4)
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(np.array(a), np.array(b))
    # Strided words / scales and a strided x.
    wq, s, b = ref
    big = mx.concatenate([wq, wq], axis=1)[:, ::2]
    words = np.concatenate([np.array(wq), np.array(wq)], axis=1)[:, ::2]
    d1 = mx.dequantize(big, s, b, 64, 4)
    d2 = mx.dequantize(mx.array(words), s, b, 64, 4)
    np.testing.assert_array_equal(np.array(d1), np.array(d2))
    xs = mx.array(rng.standard_normal((128, 6)).astype(np.float32)).T
    got = mx.quantized_matmul(xs, wq, s, b)
    want = np.array(xs) @ np.array(mx.dequantize(wq, s, b)).T
    np.testing.assert_allclose(np.array(got), want, rtol=1e-4, atol=1e-4)


def test_gather_qmm_picks_matrices():
    rng = np.random.default_rng(4)
    w = mx.array(rng.standard_normal((4, 16, 128)).astype(np.float32))
    wq, s, b = mx.quantize(w, 64, 4)
    wd = np.array(mx.dequantize(wq, s, b, 64, 4))
    x = rng.standard_normal((3, 2, 128)).astype(np.float32)
    li = np.array([2, 0])
    ri = np.array([[0, 3], [1, 1]])
    got = mx.gather_qmm(mx.array(x), wq, s, b, mx.array(li), mx.array(ri))
    assert got.shape == (2, 2, 2, 16)
    want = np.stack([np.stack([x[li[j]] @ wd[ri[i, j]].T for j in range(2)]) for i in range(2)])
    np.testing.assert_allclose(np.array(got), want, rtol=1e-4, atol=1e-4)
    # Default lhs: every batch of x in order; rhs broadcast against it.
    got = mx.gather_qmm(mx.array(x), wq, s, b, rhs_indices=mx.array([0, 3, 2]))
    want = np.stack([x[i] @ wd[r].T for i, r in enumerate([0, 3, 2])])
    np.testing.assert_allclose(np.array(got), want, rtol=1e-4, atol=1e-4)
    # transpose=False and a 2-D x shared by all picked matrices.
    x2 = rng.standard_normal((5, 16)).astype(np.float32)
    got = mx.gather_qmm(mx.array(x2), wq, s, b, rhs_indices=mx.array([1, 2]), transpose=False)
    want = np.stack([x2 @ wd[r] for r in [1, 2]])
    np.testing.assert_allclose(np.array(got), want, rtol=1e-4, atol=1e-4)


@needs_mlx
def test_gather_qmm_matches_mlx():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((4, 16, 128)).astype(np.float32)
    x = rng.standard_normal((3, 2, 128)).astype(np.float32)
    ref = mlx_core.quantize(mlx_core.array(w), 32, 3)
    idx = np.array([[0, 3, 1], [2, 2, 0]], np.uint32)
    want = mlx_core.gather_qmm(
        mlx_core.array(x), *ref, rhs_indices=mlx_core.array(idx), group_size=32, bits=3
    )
    got = mx.gather_qmm(
        mx.array(x),
        *[mx.array(np.array(a)) for a in ref],
        rhs_indices=mx.array(idx),
        group_size=32,
        bits=3,
    )
    np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-4, atol=1e-4)


def test_grad_through_quantized_matmul():
    rng = np.random.default_rng(6)
    wq, s, b = mx.quantize(mx.array(rng.standard_normal((8, 64)).astype(np.float32)), 32, 4)
    wd = mx.dequantize(wq, s, b, 32, 4)
    x = mx.array(rng.standard_normal((3, 64)).astype(np.float32))
    g = mx.grad(lambda x: mx.quantized_matmul(x, wq, s, b, group_size=32).sum())(x)
    np.testing.assert_allclose(
        np.array(g), np.tile(np.array(wd).sum(0), (3, 1)), rtol=1e-5, atol=1e-5
    )


# -- errors -----------------------------------------------------------------


def test_errors():
    rng = np.random.default_rng(8)
    w = mx.array(rng.standard_normal((8, 128)).astype(np.float32))
    with pytest.raises(ValueError, match=r"\[quantize\].*at least 2"):
        mx.quantize(w[0])
    with pytest.raises(ValueError, match=r"\[quantize\].*group size 48.*\(8, 128\)"):
        mx.quantize(w, 48, 4)
    with pytest.raises(ValueError, match=r"\[quantize\].*group size 16 is not supported"):
        mx.quantize(w, 16, 4)
    with pytest.raises(ValueError, match=r"\[quantize\].*bits 7 is not supported"):
        mx.quantize(w, 64, 7)
    with pytest.raises(ValueError, match=r"\[quantize\].*floating.*int32"):
        mx.quantize(w.astype(mx.int32))
    with pytest.raises(ValueError, match=r"\[quantize\].*mode 'foo'"):
        mx.quantize(w, mode="foo")
    wq, s, b = mx.quantize(w, 64, 4)
    with pytest.raises(ValueError, match=r"\[dequantize\].*Biases must be provided"):
        mx.dequantize(wq, s)
    with pytest.raises(ValueError, match=r"\[dequantize\].*\(8, 16\).*\(8, 2\).*group_size=32"):
        mx.dequantize(wq, s, b, 32, 4)
    with pytest.raises(ValueError, match=r"\[dequantize\].*same shape"):
        mx.dequantize(wq, s, b[:, :1])
    with pytest.raises(ValueError, match=r"\[dequantize\].*uint32"):
        mx.dequantize(wq.astype(mx.int32), s, b)
    with pytest.raises(ValueError, match=r"\[dequantize\].*int32"):
        mx.dequantize(wq, s, b, dtype=mx.int32)
    x = mx.array(rng.standard_normal((3, 64)).astype(np.float32))
    with pytest.raises(ValueError, match=r"\[quantized_matmul\].*\(\.\.\., 64\).*\(128, 8\)"):
        mx.quantized_matmul(x, wq, s, b)
    with pytest.raises(ValueError, match=r"\[quantized_matmul\].*Biases"):
        mx.quantized_matmul(x, wq, s)
    with pytest.raises(ValueError, match=r"\[gather_qmm\].*integral"):
        mx.gather_qmm(x, wq[None], s[None], b[None], rhs_indices=mx.array([0.0]))


# -- nn layers --------------------------------------------------------------


def test_quantized_linear_from_linear_and_freezing():
    lin = nn.Linear(128, 24)
    ql = nn.QuantizedLinear.from_linear(lin, group_size=32, bits=8)
    assert set(ql.parameters()) == {"weight", "scales", "biases", "bias"}
    assert ql.weight.shape == (24, 32) and ql.scales.shape == (24, 4)
    assert ql.trainable_parameters() == {}
    assert "group_size=32, bits=8" in repr(ql)
    x = mx.random.normal((5, 128))
    np.testing.assert_allclose(np.array(ql(x)), np.array(lin(x)), rtol=0.05, atol=0.05)
    ql.unfreeze()
    assert set(ql.trainable_parameters()) == {"weight", "scales", "biases", "bias"}
    assert "bias" not in nn.QuantizedLinear(64, 8, bias=False).parameters()


def test_quantize_model_in_place():
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10), nn.Embedding(7, 64))
    nn.quantize(model, group_size=32, bits=4)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["QuantizedLinear", "ReLU", "QuantizedLinear", "QuantizedEmbedding"]
    model = nn.Sequential(nn.Linear(64, 32), nn.Linear(32, 10))
    nn.quantize(
        model,
        64,
        4,
        class_predicate=lambda p, m: {"group_size": 32, "bits": 8} if p == "layers.1" else False,
    )
    assert isinstance(model.layers[0], nn.Linear)
    assert model.layers[1].bits == 8 and model.layers[1].group_size == 32
    emb = nn.Embedding(9, 64)
    qe = nn.QuantizedEmbedding.from_embedding(emb, 32, 6)
    ids = mx.array([[1, 8], [0, 3]])
    np.testing.assert_allclose(np.array(qe(ids)), np.array(emb(ids)), atol=0.05)
    assert qe(ids).shape == (2, 2, 64)


@needs_mlx
@pytest.mark.parametrize("bits,group_size", [(4, 64), (3, 32), (8, 128)])
def test_quantized_linear_loads_mlx_weights(bits, group_size):
    ref = mlx_nn.QuantizedLinear(256, 40, bias=True, group_size=group_size, bits=bits)
    ref.update({"bias": mlx_core.random.normal((40,))})
    ours = nn.QuantizedLinear(256, 40, bias=True, group_size=group_size, bits=bits)
    params = {k: mx.array(np.array(v)) for k, v in ref.parameters().items()}
    ours.update(params)
    x = np.random.default_rng(bits).standard_normal((3, 256)).astype(np.float32)
    np.testing.assert_allclose(
        np.array(ours(mx.array(x))), np.array(ref(mlx_core.array(x))), rtol=1e-4, atol=1e-4
    )
    # The same float weights quantize to the same parameters here and there.
    lin = mlx_nn.Linear(256, 40)
    a = mlx_nn.QuantizedLinear.from_linear(lin, group_size, bits)
    tl = nn.Linear(256, 40)
    tl.update({k: mx.array(np.array(v)) for k, v in lin.parameters().items()})
    b = nn.QuantizedLinear.from_linear(tl, group_size, bits)
    for k in ("weight", "scales", "biases", "bias"):
        np.testing.assert_array_equal(np.array(a[k]), np.array(b[k]))
