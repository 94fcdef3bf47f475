"""tandem.core.fast against float64 NumPy references and, where installed,
mlx.core.fast on the same random inputs."""

import numpy as np
import pytest
import tandem.core as mx

try:
    import mlx.core as mlx
except ImportError:  # pragma: no cover
    mlx = None

needs_mlx = pytest.mark.skipif(mlx is None, reason="mlx is not installed: no reference to compare")
rng = np.random.default_rng(7)


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


TOL = {mx.float32: (2e-5, 2e-5), mx.float16: (5e-3, 5e-3), mx.bfloat16: (3e-2, 3e-2)}


def to_np(a):
    return np.array(a.astype(mx.float32))


@pytest.mark.parametrize("dtype", [mx.float32, mx.float16, mx.bfloat16])
@pytest.mark.parametrize("with_weight", [True, False])
def test_rms_norm(dtype, with_weight):
    x, w = rand(3, 5, 16), rand(16)
    ref = x / np.sqrt((x.astype(np.float64) ** 2).mean(-1, keepdims=True) + 1e-5)
    if with_weight:
        ref = ref * w
    y = mx.fast.rms_norm(mx.array(x).astype(dtype), mx.array(w) if with_weight else None, 1e-5)
    assert y.dtype == dtype
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(to_np(y), ref, rtol=rtol, atol=atol * 10)


@pytest.mark.parametrize("dtype", [mx.float32, mx.float16])
def test_layer_norm(dtype):
    x, w, b = rand(4, 32), rand(32), rand(32)
    x64 = x.astype(np.float64)
    ref = (x64 - x64.mean(-1, keepdims=True)) / np.sqrt(x64.var(-1, keepdims=True) + 1e-5) * w + b
    y = mx.fast.layer_norm(mx.array(x).astype(dtype), mx.array(w), mx.array(b), 1e-5)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(to_np(y), ref, rtol=rtol, atol=atol * 10)
    y0 = mx.fast.layer_norm(mx.array(x), None, None, 1e-5)
    np.testing.assert_allclose(
        np.array(y0),
        (x64 - x64.mean(-1, keepdims=True)) / np.sqrt(x64.var(-1, keepdims=True) + 1e-5),
        rtol=1e-5,
        atol=1e-5,
    )


def rope_ref(x, dims, traditional, base, scale, offset, freqs=None):
    T = x.shape[-2]
    pos = (np.arange(T) + offset) * scale
    half = dims // 2
    inv = 1 / freqs if freqs is not None else base ** (-2 * np.arange(half) / dims)
    ang = pos[:, None] * inv[None, :]
    c, s = np.cos(ang), np.sin(ang)
    if traditional:
        x1, x2 = x[..., 0:dims:2], x[..., 1:dims:2]
    else:
        x1, x2 = x[..., :half], x[..., half:dims]
    o1, o2 = x1 * c - x2 * s, x1 * s + x2 * c
    rot = (
        np.stack([o1, o2], -1).reshape(*o1.shape[:-1], dims)
        if traditional
        else np.concatenate([o1, o2], -1)
    )
    return np.concatenate([rot, x[..., dims:]], -1)


@pytest.mark.parametrize("traditional", [False, True])
@pytest.mark.parametrize("dims", [8, 16])
def test_rope(traditional, dims):
    x = rand(2, 3, 5, 16)
    y = mx.fast.rope(mx.array(x), dims, traditional=traditional, base=10000.0, scale=0.5, offset=3)
    np.testing.assert_allclose(
        np.array(y),
        rope_ref(x.astype(np.float64), dims, traditional, 10000.0, 0.5, 3),
        rtol=1e-4,
        atol=1e-4,
    )


def test_rope_freqs_and_array_offset():
    x = rand(2, 4, 8)
    f = np.abs(rand(4)) + 0.5
    y = mx.fast.rope(
        mx.array(x),
        8,
        traditional=False,
        base=None,
        scale=1.0,
        offset=mx.array(2),
        freqs=mx.array(f),
    )
    np.testing.assert_allclose(
        np.array(y), rope_ref(x.astype(np.float64), 8, False, None, 1.0, 2, f), rtol=1e-4, atol=1e-4
    )
    with pytest.raises(ValueError):
        mx.fast.rope(
            mx.array(x), 8, traditional=False, base=1.0, scale=1.0, offset=0, freqs=mx.array(f)
        )
    with pytest.raises(ValueError):
        mx.fast.rope(mx.array(x), 7, traditional=False, base=1.0, scale=1.0, offset=0)


def sdpa_ref(q, k, v, scale, mask=None):
    rep = q.shape[1] // k.shape[1]
    k = np.repeat(k, rep, axis=1)
    v = np.repeat(v, rep, axis=1)
    s = q @ np.swapaxes(k, -1, -2) * scale
    if isinstance(mask, str):
        tq, tk = s.shape[-2:]
        keep = np.arange(tk)[None, :] <= np.arange(tq)[:, None] + tk - tq
        s = np.where(keep, s, -np.inf)
    elif mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    s = s - s.max(-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(-1, keepdims=True)
    return p @ v


@pytest.mark.parametrize("heads", [(4, 4), (4, 2), (4, 1)])
@pytest.mark.parametrize("mask", [None, "causal", "bool", "additive"])
def test_sdpa(heads, mask):
    hq, hkv = heads
    q, k, v = rand(2, hq, 5, 8), rand(2, hkv, 7, 8), rand(2, hkv, 7, 8)
    m = {"bool": rng.random((5, 7)) > 0.3, "additive": rand(2, 1, 5, 7)}.get(mask, mask)
    if mask == "bool":
        m[:, 0] = True  # every query sees a key
    y = mx.fast.scaled_dot_product_attention(
        mx.array(q),
        mx.array(k),
        mx.array(v),
        scale=0.3,
        mask=mx.array(m) if isinstance(m, np.ndarray) else m,
    )
    ref = sdpa_ref(q.astype(np.float64), k.astype(np.float64), v.astype(np.float64), 0.3, m)
    np.testing.assert_allclose(np.array(y), ref, rtol=1e-4, atol=1e-5)


def causal_keep(tq, tk):
    return np.arange(tk)[None, :] <= np.arange(tq)[:, None] + tk - tq


# The causal mask is applied inside the softmax (one pass over the scores);
# the same mask given as a boolean array goes through where() and a float32
# softmax: the two agree bit for bit in float32, and within a unit in the
# last place for the half types (whose rows the GPU kernel splits in other
# pieces, so its float32 sums round differently), for rows of every kernel
# shape (up to rows longer than the GPU holds in registers), with queries
# fewer than, as many as and more than the keys (rows with no key visible:
# NaN in both).
@pytest.mark.parametrize("dtype", [mx.float32, mx.float16, mx.bfloat16])
@pytest.mark.parametrize("tq,tk", [(5, 7), (6, 6), (9, 4), (3, 1500), (2, 40000)])
def test_sdpa_causal_matches_boolean_mask(dtype, tq, tk):
    q, k, v = rand(2, 2, tq, 8), rand(2, 2, tk, 8), rand(2, 2, tk, 8)
    args = [mx.array(a).astype(dtype) for a in (q, k, v)]
    got = mx.fast.scaled_dot_product_attention(*args, scale=0.3, mask="causal")
    want = mx.fast.scaled_dot_product_attention(*args, scale=0.3,
                                                mask=mx.array(causal_keep(tq, tk)))
    g, w = to_np(got), to_np(want)
    np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
    if dtype == mx.float32:
        np.testing.assert_array_equal(g, w)
    else:
        ulp = {mx.float16: 2.0**-10, mx.bfloat16: 2.0**-7}[dtype]
        np.testing.assert_allclose(g, w, rtol=ulp, atol=ulp)
    if tq <= tk:
        assert not np.isnan(g).any()
        ref = sdpa_ref(*(to_np(a).astype(np.float64) for a in args), 0.3, "causal")
        rtol, atol = TOL[dtype]
        np.testing.assert_allclose(g, ref, rtol=rtol * 4, atol=atol * 4)


# Strided q/k/v as attention layers make them ((B, T, H, D) transposed),
# and gradients through the causal softmax against the boolean-mask path.
@pytest.mark.parametrize("dtype", [mx.float32, mx.bfloat16])
def test_sdpa_causal_grads_and_layouts(dtype):
    b, t, h, d = 2, 6, 3, 4
    x = mx.array(rand(b, t, 3 * h * d)).astype(dtype)

    def attn(x, mask):
        q, k, v = (z.reshape(b, t, h, d).transpose(0, 2, 1, 3) for z in mx.split(x, 3, axis=-1))
        o = mx.fast.scaled_dot_product_attention(q, k, v, scale=d**-0.5, mask=mask)
        return (o.astype(mx.float32) * mx.arange(d).astype(mx.float32)).sum()

    keep = mx.array(causal_keep(t, t))
    f_val, f_grad = mx.value_and_grad(lambda x: attn(x, "causal"))(x)
    b_val, b_grad = mx.value_and_grad(lambda x: attn(x, keep))(x)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(to_np(f_val), to_np(b_val), rtol=rtol, atol=atol)
    np.testing.assert_allclose(to_np(f_grad), to_np(b_grad), rtol=rtol * 4, atol=atol * 4)
    # vmap over a leading axis: as each item alone.
    qs = mx.array(rand(3, 1, 2, 5, 4)).astype(dtype)
    vm = mx.vmap(lambda q: mx.fast.scaled_dot_product_attention(q, q, q, scale=0.5, mask="causal"))(qs)
    for i in range(3):
        one = mx.fast.scaled_dot_product_attention(qs[i], qs[i], qs[i], scale=0.5, mask="causal")
        np.testing.assert_array_equal(to_np(vm[i]), to_np(one))


def test_fast_ops_differentiate():
    x = mx.array(rand(3, 8))
    g = mx.grad(lambda a: mx.fast.rms_norm(a, None, 1e-5).sum())(x)
    eps = 1e-3
    xn = np.array(x).astype(np.float64)

    def f(a):
        return (a / np.sqrt((a**2).mean(-1, keepdims=True) + 1e-5)).sum()

    e = np.zeros_like(xn)
    e[1, 2] = eps
    fd = (f(xn + e) - f(xn - e)) / (2 * eps)
    assert abs(float(np.array(g)[1, 2]) - fd) < 1e-3


@needs_mlx
def test_matches_mlx():
    x, w = rand(2, 3, 6, 16), rand(16)
    a = mx.fast.rope(mx.array(x), 16, traditional=False, base=10000.0, scale=1.0, offset=2)
    b = mlx.fast.rope(mlx.array(x), 16, traditional=False, base=10000.0, scale=1.0, offset=2)
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-4, atol=1e-4)
    a = mx.fast.rope(mx.array(x), 8, traditional=True, base=500.0, scale=2.0, offset=1)
    b = mlx.fast.rope(mlx.array(x), 8, traditional=True, base=500.0, scale=2.0, offset=1)
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(
        np.array(mx.fast.rms_norm(mx.array(x), mx.array(w), 1e-6)),
        np.array(mlx.fast.rms_norm(mlx.array(x), mlx.array(w), 1e-6)),
        rtol=1e-5,
        atol=1e-5,
    )
    q, k, v = rand(1, 4, 5, 8), rand(1, 2, 5, 8), rand(1, 2, 5, 8)
    a = mx.fast.scaled_dot_product_attention(
        mx.array(q), mx.array(k), mx.array(v), scale=0.4, mask="causal"
    )
    b = mlx.fast.scaled_dot_product_attention(
        mlx.array(q), mlx.array(k), mlx.array(v), scale=0.4, mask="causal"
    )
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-5)
