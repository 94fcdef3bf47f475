"""The microscaling quantization modes (mxfp4, mxfp8, nvfp4): quantize,
dequantize, quantized_matmul and gather_qmm against a NumPy reference of
the formats (OCP MX e8m0 scales and e2m1/e4m3 elements; NVFP4's e4m3
scales over groups of 16), bit for bit, and against MLX's CPU build where
it is installed (same words, same scales, same values)."""
import numpy as np
import pytest
import tandem.core as mx

try:
    import mlx.core as mlx_core
except ImportError:  # pragma: no cover - depends on the machine
    mlx_core = None

needs_mlx = pytest.mark.skipif(mlx_core is None, reason="mlx is not installed: no MLX reference")

MODES = ["mxfp4", "mxfp8", "nvfp4"]
GROUP = {"mxfp4": 32, "mxfp8": 32, "nvfp4": 16}
BITS = {"mxfp4": 4, "mxfp8": 8, "nvfp4": 4}

# e2m1 magnitudes by code, and the bounds between them (ties toward zero).
FP4 = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6], np.float32)
FP4_BOUNDS = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0], np.float32)


def e4m3_table():
    """The float value of every e4m3 ("fn") code; 0x7f and 0xff are NaN."""
    v = np.empty(256, np.float64)
    for c in range(256):
        sign = -1.0 if c & 0x80 else 1.0
        e, m = (c >> 3) & 15, c & 7
        if e == 15 and m == 7:
            v[c] = np.nan
        elif e == 0:
            v[c] = sign * m / 8 * 2.0**-6
        else:
            v[c] = sign * (1 + m / 8) * 2.0 ** (e - 7)
    return v


E4M3 = e4m3_table()
E4M3_FINITE = np.sort(np.unique(np.abs(E4M3[np.isfinite(E4M3)])))


def e4m3_codes(x):
    """Nearest e4m3 code of float32 x, ties to the even mantissa, saturating."""
    x = x.astype(np.float64)
    mag = np.minimum(np.abs(x), 448.0)
    hi = np.searchsorted(E4M3_FINITE, mag).clip(0, len(E4M3_FINITE) - 1)
    lo = (hi - 1).clip(0)
    vlo, vhi = E4M3_FINITE[lo], E4M3_FINITE[hi]
    code_of = {v: c for c, v in enumerate(E4M3[:127])}  # positive codes 0..126
    clo = np.vectorize(code_of.get)(vlo)
    chi = np.vectorize(code_of.get)(vhi)
    pick_hi = (mag - vlo > vhi - mag) | ((mag - vlo == vhi - mag) & (chi % 2 == 0))
    code = np.where(mag >= vhi, chi, np.where(pick_hi, chi, clo)).astype(np.uint32)
    # The sign bit follows x's sign, zero included (-0 and tiny negatives: 0x80).
    return code | np.where(np.signbit(x), 0x80, 0).astype(np.uint32)


def fp4_codes(v):
    mag = np.abs(v)
    code = (mag[..., None] > FP4_BOUNDS).sum(-1).astype(np.uint32)
    return code + 8 * ((v < 0) & (code > 0))


def pack(codes, bits):
    per = 32 // bits
    c = codes.reshape(codes.shape[:-1] + (-1, per)).astype(np.uint64)
    return (c << (bits * np.arange(per, dtype=np.uint64))).sum(-1).astype(np.uint32)


def reference_quantize(w, mode):
    """(words, scales) of float32 w, by the formats' definitions."""
    g = w.reshape(w.shape[:-1] + (-1, GROUP[mode]))
    amax = np.abs(g).max(-1)
    if mode == "nvfp4":
        sc = e4m3_codes(amax / np.float32(6)).astype(np.uint8)
        sv = E4M3[sc].astype(np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(sv[..., None] == 0, 0, g / sv[..., None])
        codes = fp4_codes(v)
    else:
        top = np.float32(6 if mode == "mxfp4" else 448)
        ratio = amax / top
        with np.errstate(divide="ignore"):
            # In float64: a float32 log2 rounds k + 1e-7 down to k.
            e = np.where(ratio == 0, 0, np.ceil(np.log2(np.where(ratio == 0, 1, ratio).astype(np.float64))))
        e = e.clip(-127, 127).astype(np.int32)
        sc = (e + 127).astype(np.uint8)
        v = (g / np.exp2(e)[..., None].astype(np.float32)).astype(np.float32)
        codes = fp4_codes(v) if mode == "mxfp4" else e4m3_codes(v)
    return pack(codes.reshape(w.shape), BITS[mode]), sc


def reference_dequantize(words, scales, mode):
    bits = BITS[mode]
    per = 32 // bits
    codes = (words[..., None] >> (bits * np.arange(per, dtype=np.uint32))) & ((1 << bits) - 1)
    codes = codes.reshape(words.shape[:-1] + (-1,))
    if mode == "mxfp8":
        vals = E4M3[codes]
    else:
        vals = FP4[codes & 7] * np.where(codes & 8, -1.0, 1.0)
    sv = E4M3[scales] if mode == "nvfp4" else np.exp2(scales.astype(np.float64) - 127)
    g = vals.reshape(scales.shape + (-1,)) * sv[..., None]
    return g.reshape(codes.shape)


def weights(rng, shape):
    """Rows of very different magnitudes, a zero group, exact ties of the
    element grids and groups whose maximum is a power of two times 6 or 448."""
    w = rng.standard_normal(shape) * 10.0 ** rng.integers(-4, 4, shape[:-1] + (1,))
    w = w.astype(np.float32)
    w[0, :32] = 0
    w[1, :8] = [6.0, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0]
    w[1, 16:24] = -w[1, :8]
    w[2, :32] = 448 * 2.0 ** rng.integers(-4, 4) * rng.uniform(-1, 1, 32)
    w[2, 0] = 448 * 2.0 ** -3
    if w.shape[-1] >= 64:  # elements that round to (-)0 beside a large one
        w[3, 32:40] = [1e3, -1e-9, 1e-9, -0.0, 3e-6, -3e-6, 0.5, -0.5]
    return w


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(6, 64), (3, 2, 128), (5, 32)])
def test_quantize_matches_the_format_definitions(rng, mode, shape):
    if mode == "nvfp4" or shape[-1] >= 32:
        w = weights(rng, (int(np.prod(shape[:-1])), shape[-1])).reshape(shape)
        wq, sc = mx.quantize(mx.array(w), mode=mode)
        ref_q, ref_s = reference_quantize(w, mode)
        assert wq.dtype == mx.uint32 and sc.dtype == mx.uint8
        np.testing.assert_array_equal(np.array(wq), ref_q)
        np.testing.assert_array_equal(np.array(sc), ref_s)
        deq = mx.dequantize(wq, sc, mode=mode, dtype=mx.float32)
        np.testing.assert_array_equal(np.array(deq), reference_dequantize(ref_q, ref_s, mode))
        # bfloat16 by default (the scales are uint8), dtype on request.
        assert mx.dequantize(wq, sc, mode=mode).dtype == mx.bfloat16
        assert mx.dequantize(wq, sc, mode=mode, dtype=mx.float16).dtype == mx.float16


@pytest.mark.parametrize("mode", ["mxfp4", "mxfp8"])
def test_scale_exponents_at_powers_of_two(mode):
    # Groups whose largest magnitude is top * 2^k, or one float32 step above
    # or below it: the exponent is ceil(log2(ratio)) exactly (a rounding
    # log2 gives k instead of k + 1 just above, for large |k|).
    top = np.float32(6 if mode == "mxfp4" else 448)
    rows = []
    for k in range(-120, 121, 3):
        for step in (None, np.inf, -np.inf):
            with np.errstate(over="ignore"):
                a = top * np.float32(2.0**k)
            if not np.isfinite(a):
                continue
            if step is not None:
                a = np.nextafter(a, np.float32(step), dtype=np.float32)
            row = np.zeros(32, np.float32)
            row[0], row[1] = a, -a / 3
            rows.append(row)
    w = np.stack(rows)
    wq, sc = mx.quantize(mx.array(w), mode=mode)
    ref_q, ref_s = reference_quantize(w, mode)
    np.testing.assert_array_equal(np.array(sc), ref_s)
    np.testing.assert_array_equal(np.array(wq), ref_q)


@pytest.mark.parametrize("mode", MODES)
def test_round_trip_error_is_bounded(rng, mode):
    w = rng.standard_normal((16, 256)).astype(np.float32)
    wq, sc = mx.quantize(mx.array(w), mode=mode)
    back = np.array(mx.dequantize(wq, sc, mode=mode, dtype=mx.float32))
    g = np.abs(w.reshape(16, -1, GROUP[mode])).max(-1, keepdims=True)
    err = np.abs(back - w).reshape(16, -1, GROUP[mode])
    # Relative to the group's largest magnitude: half the coarsest element step.
    bound = {"mxfp4": 1.0 / 3, "mxfp8": 1.0 / 16, "nvfp4": 1.0 / 6 + 1.0 / 16}[mode]
    assert (err <= bound * g + 1e-7).all()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("transpose", [True, False])
@pytest.mark.parametrize("dtype", [mx.float32, mx.bfloat16])
def test_quantized_matmul_and_gather_qmm(rng, mode, transpose, dtype):
    w = rng.standard_normal((3, 32, 64)).astype(np.float32)
    wq, sc = mx.quantize(mx.array(w), mode=mode)
    wd = reference_dequantize(np.array(wq), np.array(sc), mode)  # (3, 32, 64)
    x = rng.standard_normal((2, 5, 64 if transpose else 32)).astype(np.float32)
    xm = mx.array(x).astype(dtype)
    xn = np.array(xm.astype(mx.float32)).astype(np.float64)
    y = mx.quantized_matmul(xm, wq[1], sc[1], transpose=transpose, mode=mode)
    assert y.dtype == dtype
    ref = xn @ (wd[1].T if transpose else wd[1])
    tol = 1e-4 if dtype == mx.float32 else 3e-2
    np.testing.assert_allclose(np.array(y.astype(mx.float32)), ref, rtol=tol, atol=tol * 10)
    idx = mx.array([2, 0])
    g = mx.gather_qmm(xm, wq, sc, rhs_indices=idx, transpose=transpose, mode=mode)
    ref_g = np.stack([xn[i] @ (wd[j].T if transpose else wd[j]) for i, j in enumerate([2, 0])])
    np.testing.assert_allclose(np.array(g.astype(mx.float32)), ref_g, rtol=tol, atol=tol * 10)
    # The gradient with respect to x is that of a matmul with the dequantized weight.
    if dtype == mx.float32 and transpose:
        gx = mx.grad(lambda a: mx.quantized_matmul(a, wq[1], sc[1], mode=mode).sum())(mx.array(x))
        np.testing.assert_allclose(np.array(gx), np.broadcast_to(wd[1].sum(0), x.shape),
                                   rtol=1e-5, atol=1e-5)


def test_errors(rng):
    w = mx.array(rng.standard_normal((4, 64)).astype(np.float32))
    with pytest.raises(ValueError, match=r"\[quantize\] mxfp4 quantization requires group size 32"):
        mx.quantize(w, group_size=64, mode="mxfp4")
    with pytest.raises(ValueError, match=r"\[quantize\] mxfp8 quantization requires bits to be 8"):
        mx.quantize(w, bits=4, mode="mxfp8")
    with pytest.raises(ValueError, match=r"\[quantize\] nvfp4 quantization requires group size 16"):
        mx.quantize(w, group_size=32, mode="nvfp4")
    with pytest.raises(ValueError, match=r"divisible by the quantization group size 32.*\(4, 48\)"):
        mx.quantize(w[:, :48], mode="mxfp4")
    wq, sc = mx.quantize(w, mode="mxfp4")
    with pytest.raises(ValueError, match=r"\[dequantize\] Biases must be null for quantization mode 'mxfp4'"):
        mx.dequantize(wq, sc, sc, mode="mxfp4")
    with pytest.raises(ValueError, match=r"\[dequantize\] Scale type must be uint8.*float32"):
        mx.dequantize(wq, sc.astype(mx.float32), mode="mxfp4")
    with pytest.raises(ValueError, match=r"\[dequantize\] Shape of scales"):
        mx.dequantize(wq, sc[:, :1], mode="mxfp4")
    with pytest.raises(ValueError, match=r"global_scale is not supported yet"):
        mx.quantize(w, mode="nvfp4", global_scale=mx.array(1.0))
    x = mx.array(rng.standard_normal((2, 64)).astype(np.float32))
    with pytest.raises(ValueError, match=r"\[quantized_matmul\] Biases must be null"):
        mx.quantized_matmul(x, wq, sc, sc, mode="mxfp4")


@needs_mlx
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_bit_exact_with_mlx(rng, mode, dtype):
    w = weights(rng, (8, 128))
    if dtype == "float16":
        w = np.clip(w, -6e4, 6e4)
    a = mx.quantize(mx.array(w).astype(getattr(mx, dtype)), mode=mode)
    b = mlx_core.quantize(mlx_core.array(w).astype(getattr(mlx_core, dtype)), mode=mode)
    assert len(a) == len(b) == 2
    for x, y in zip(a, b):
        np.testing.assert_array_equal(np.array(x), np.array(y))
    da = mx.dequantize(*a, mode=mode, dtype=mx.float32)
    db = mlx_core.dequantize(*b, mode=mode, dtype=mlx_core.float32)
    np.testing.assert_array_equal(np.array(da), np.array(db))
    # Weights quantized by MLX multiply the same here.
    x = rng.standard_normal((3, 128)).astype(np.float32)
    ya = mx.quantized_matmul(mx.array(x), mx.array(np.array(b[0])), mx.array(np.array(b[1])),
                             mode=mode)
    yb = mlx_core.quantized_matmul(mlx_core.array(x), *b, mode=mode)
    np.testing.assert_allclose(np.array(ya), np.array(yb), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("mode", MODES)
def test_nn_layers_in_microscaling_modes(rng, mode):
    import tandem.nn as nn

    lin = nn.Linear(64, 8)
    q = nn.QuantizedLinear.from_linear(lin, mode=mode)
    assert q.mode == mode and "biases" not in q.parameters()
    x = mx.array(rng.standard_normal((3, 64)).astype(np.float32))
    wd = reference_dequantize(np.array(q.weight), np.array(q.scales), mode)
    ref = np.array(x).astype(np.float64) @ wd.T + np.array(lin.bias)
    np.testing.assert_allclose(np.array(q(x)), ref, rtol=1e-5, atol=1e-5)
    emb = nn.QuantizedEmbedding(10, 32, mode=mode)
    rows = np.array(emb(mx.array([3, 1])).astype(mx.float32))
    full = reference_dequantize(np.array(emb.weight), np.array(emb.scales), mode)
    np.testing.assert_allclose(rows, full[[3, 1]], rtol=1e-2, atol=1e-2)


# -- qqmm: both operands quantized ---------------------------------------------


def fake_quantize(a, mode):
    """NumPy: a's values once quantized along its last axis (float64)."""
    rows = a.reshape(-1, a.shape[-1]).astype(np.float32)
    q, sc = reference_quantize(rows, mode)
    return reference_dequantize(q, sc, mode).reshape(a.shape)


@pytest.mark.parametrize("mode", ["nvfp4", "mxfp8"])
@pytest.mark.parametrize("x_shape", [(5, 64), (2, 3, 64), (64,)])
def test_qqmm_is_the_product_of_quantized_operands(rng, mode, x_shape):
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((8, 64)).astype(np.float32)
    want = fake_quantize(x, mode) @ fake_quantize(w, mode).T
    y = mx.qqmm(mx.array(x), mx.array(w), mode=mode)
    assert y.shape == want.shape and y.dtype == mx.float32
    np.testing.assert_allclose(np.array(y), want, rtol=1e-5, atol=1e-5)
    # w given quantized gives the same.
    wq, sc = mx.quantize(mx.array(w), mode=mode)
    np.testing.assert_allclose(np.array(mx.qqmm(mx.array(x), wq, sc, mode=mode)), want,
                               rtol=1e-5, atol=1e-5)
    # bfloat16 in, bfloat16 out.
    yb = mx.qqmm(mx.array(x).astype(mx.bfloat16), mx.array(w).astype(mx.bfloat16), mode=mode)
    assert yb.dtype == mx.bfloat16


@pytest.mark.parametrize("mode", ["nvfp4", "mxfp8"])
def test_qqmm_gradients_pass_straight_through(rng, mode):
    x = rng.standard_normal((2, 3, 32)).astype(np.float32)
    w = rng.standard_normal((4, 32)).astype(np.float32)
    c = rng.standard_normal((2, 3, 4)).astype(np.float32)
    f = lambda a, b: (mx.qqmm(a, b, mode=mode) * mx.array(c)).sum()  # noqa: E731
    gx, gw = mx.grad(f, argnums=(0, 1))(mx.array(x), mx.array(w))
    xq, wq = fake_quantize(x, mode), fake_quantize(w, mode)
    np.testing.assert_allclose(np.array(gx), c @ wq, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.array(gw), np.einsum("bmn,bmk->nk", c, xq), rtol=1e-5, atol=1e-4)
    # With w quantized only x has a gradient.
    wq_, sc = mx.quantize(mx.array(w), mode=mode)
    g = mx.grad(lambda a: (mx.qqmm(a, wq_, sc, mode=mode) * mx.array(c)).sum())(mx.array(x))
    np.testing.assert_allclose(np.array(g), c @ wq, rtol=1e-5, atol=1e-5)


def test_gather_qqmm_and_errors(rng):
    x = rng.standard_normal((3, 2, 32)).astype(np.float32)
    w = rng.standard_normal((4, 5, 32)).astype(np.float32)
    li, ri = mx.array([0, 2]), mx.array([3, 1])
    y = mx.gather_qqmm(mx.array(x), mx.array(w), lhs_indices=li, rhs_indices=ri, mode="mxfp8")
    want = np.stack([fake_quantize(x[i], "mxfp8") @ fake_quantize(w[j], "mxfp8").T
                     for i, j in [(0, 3), (2, 1)]])
    np.testing.assert_allclose(np.array(y), want, rtol=1e-5, atol=1e-5)
    wq, sc = mx.quantize(mx.array(w), mode="mxfp8")
    y2 = mx.gather_qqmm(mx.array(x), wq, sc, lhs_indices=li, rhs_indices=ri, mode="mxfp8")
    np.testing.assert_allclose(np.array(y2), want, rtol=1e-5, atol=1e-5)
    xa, wa = mx.array(x[0]), mx.array(w[0])
    with pytest.raises(ValueError, match=r"\[qqmm\] mode 'mxfp4' is not supported"):
        mx.qqmm(xa, wa, mode="mxfp4")
    with pytest.raises(ValueError, match=r"\[qqmm\] x's last dimension"):
        mx.qqmm(xa[:, :16], wa)
    with pytest.raises(ValueError, match=r"\[qqmm\] x must be float32"):
        mx.qqmm(xa.astype(mx.int32), wa)
    with pytest.raises(ValueError, match=r"global_scale is not supported yet"):
        mx.qqmm(xa, wa, global_scale_x=mx.array(1.0))
    with pytest.raises(ValueError, match=r"\[gather_qqmm\].*integral"):
        mx.gather_qqmm(mx.array(x), mx.array(w), rhs_indices=mx.array([0.5]))


def test_qqlinear_train_and_eval(rng):
    import tandem.nn as nn

    layer = nn.QQLinear(32, 6)
    assert layer.mode == "nvfp4" and layer.weight.dtype == mx.float32
    x = mx.array(rng.standard_normal((4, 32)).astype(np.float32))
    w = np.array(layer.weight)
    want = fake_quantize(np.array(x), "nvfp4") @ fake_quantize(w, "nvfp4").T
    np.testing.assert_allclose(np.array(layer(x)), want, rtol=1e-5, atol=1e-5)
    # Training: the float weight takes a gradient.
    loss = lambda m, a: m(a).sum()  # noqa: E731
    _, grads = nn.value_and_grad(layer, loss)(layer, x)
    assert grads["weight"].shape == (6, 32)
    layer.eval()  # stores the weight quantized
    assert layer.weight.dtype == mx.uint32 and layer.scales.dtype == mx.uint8
    np.testing.assert_allclose(np.array(layer(x)), want, rtol=1e-5, atol=1e-5)
    layer.train()  # back to floating point (the quantized values)
    assert layer.weight.dtype == mx.float32 and "scales" not in layer
    np.testing.assert_allclose(np.array(layer.weight), fake_quantize(w, "nvfp4"), rtol=0, atol=0)
    lin = nn.Linear(32, 6, bias=False)
    q = nn.QQLinear.from_linear(lin, mode="mxfp8")
    assert q.bits == 8 and q.group_size == 32
    with pytest.raises(NotImplementedError):
        nn.QQLinear.from_linear(nn.Linear(32, 6))
    with pytest.raises(ValueError, match="nvfp4"):
        nn.QQLinear(32, 6, mode="affine")
