"""tandem.nn.losses against mlx.nn.losses on random inputs, and by formula."""

import math

import numpy as np
import pytest
import tandem.core as mx
from nn_modules import load

L = load("losses")

try:
    import mlx.core as mx2
    import mlx.nn.losses as L2
except ImportError:  # the comparisons need MLX; the rest runs without it
    mx2 = L2 = None

needs_mlx = pytest.mark.skipif(mx2 is None, reason="mlx is not installed: no reference to compare")

REDUCTIONS = ["none", "mean", "sum"]


def both(*arrays):
    """The same numpy arrays as tandem and as MLX arrays."""
    return [mx.array(a) for a in arrays], [mx2.array(a) for a in arrays]


def compare(name, arrays, rtol=1e-5, atol=1e-6, **kwargs):
    ours, ref = both(*arrays)
    a = getattr(L, name)(*ours, **kwargs)
    b = getattr(L2, name)(*ref, **kwargs)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=rtol, atol=atol)


def f32(rng, *shape, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


def log_softmax(x, axis=-1):
    x = x - x.max(axis=axis, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


@needs_mlx
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.35])
def test_cross_entropy_indices(reduction, smoothing, rng):
    logits = f32(rng, 6, 5, scale=3)
    targets = rng.integers(0, 5, size=6).astype(np.int32)
    compare("cross_entropy", [logits, targets], reduction=reduction, label_smoothing=smoothing)
    # Class axis first, per-sample weights.
    weights = rng.random((4, 3)).astype(np.float32)
    logits = f32(rng, 7, 4, 3)
    targets = rng.integers(0, 7, size=(4, 3)).astype(np.int32)
    ours, ref = both(logits, targets, weights)
    a = L.cross_entropy(
        *ours[:2], weights=ours[2], axis=0, label_smoothing=smoothing, reduction=reduction
    )
    b = L2.cross_entropy(
        *ref[:2], weights=ref[2], axis=0, label_smoothing=smoothing, reduction=reduction
    )
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6)


@needs_mlx
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_probabilities(smoothing, rng):
    logits = f32(rng, 4, 3, 6, scale=2)
    probs = np.exp(log_softmax(f32(rng, 4, 3, 6))).astype(np.float32)
    for axis in (-1, 1):
        p = probs if axis == -1 else np.swapaxes(probs, 1, 2).copy()
        lg = logits if axis == -1 else np.swapaxes(logits, 1, 2).copy()
        compare("cross_entropy", [lg, p], axis=axis, label_smoothing=smoothing, reduction="mean")


def test_cross_entropy_formula(rng):
    logits = f32(rng, 5, 4)
    t = rng.integers(0, 4, size=5)
    loss = L.cross_entropy(mx.array(logits), mx.array(t.astype(np.int32)))
    expected = -log_softmax(logits)[np.arange(5), t]
    np.testing.assert_allclose(np.array(loss), expected, rtol=1e-5)
    # Label smoothing ls equals cross entropy with targets (1 - ls) one_hot + ls / C.
    ls = 0.3
    soft = (1 - ls) * np.eye(4)[t] + ls / 4
    loss = L.cross_entropy(mx.array(logits), mx.array(t.astype(np.int32)), label_smoothing=ls)
    np.testing.assert_allclose(np.array(loss), -(soft * log_softmax(logits)).sum(-1), rtol=1e-5)


def test_cross_entropy_errors(rng):
    logits = mx.array(f32(rng, 3, 4))
    with pytest.raises(ValueError):
        L.cross_entropy(logits, mx.array([0, 1]))
    with pytest.raises(ValueError):
        L.cross_entropy(logits, mx.array([0, 1, 2]), label_smoothing=1.0)
    with pytest.raises(ValueError):
        L.cross_entropy(logits, mx.array([0, 1, 2]), weights=mx.ones((4,)))
    with pytest.raises(ValueError):
        L.cross_entropy(logits, mx.array([0, 1, 2]), reduction="avg")


@needs_mlx
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction, rng):
    logits = f32(rng, 4, 5, scale=4)
    targets = rng.random((4, 5)).astype(np.float32)
    weights = rng.random((4, 5)).astype(np.float32)
    compare("binary_cross_entropy", [logits, targets], reduction=reduction)
    compare("binary_cross_entropy", [logits, targets, weights], reduction=reduction)
    probs = 1 / (1 + np.exp(-logits))
    probs[0, :2] = [0.0, 1.0]  # the log clip keeps these finite
    compare("binary_cross_entropy", [probs, targets], with_logits=False, reduction=reduction)


SIMPLE = [
    ("l1_loss", 2, {}),
    ("mse_loss", 2, {}),
    ("smooth_l1_loss", 2, {}),
    ("smooth_l1_loss", 2, {"beta": 0.4}),
    ("hinge_loss", 2, {}),
    ("huber_loss", 2, {}),
    ("huber_loss", 2, {"delta": 0.3}),
    ("log_cosh_loss", 2, {}),
    ("margin_ranking_loss", 3, {}),
    ("margin_ranking_loss", 3, {"margin": 0.5}),
]


@needs_mlx
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,n,kwargs", SIMPLE, ids=[f"{s[0]}-{i}" for i, s in enumerate(SIMPLE)])
def test_elementwise_losses(name, n, kwargs, reduction, rng):
    arrays = [f32(rng, 3, 4, 5, scale=2) for _ in range(n)]
    if name in ("hinge_loss", "margin_ranking_loss"):
        arrays[-1] = np.sign(arrays[-1])  # targets in {-1, 1}
    compare(name, arrays, reduction=reduction, **kwargs)


@needs_mlx
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_and_kl(reduction, rng):
    logp = log_softmax(f32(rng, 6, 5, scale=2)).astype(np.float32)
    t = rng.integers(0, 5, size=6).astype(np.int32)
    compare("nll_loss", [logp, t], reduction=reduction)
    compare("nll_loss", [logp.T.copy(), t], axis=0, reduction=reduction)
    q = log_softmax(f32(rng, 6, 5)).astype(np.float32)
    compare("kl_div_loss", [logp, q], reduction=reduction)
    compare("kl_div_loss", [logp, q], axis=0, reduction=reduction)


@needs_mlx
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll(reduction, full, rng):
    mean, target = f32(rng, 4, 3), f32(rng, 4, 3)
    var = rng.random((4, 3)).astype(np.float32)
    var[0, 0] = 0.0  # clamped at eps
    compare("gaussian_nll_loss", [mean, target, var], full=full, reduction=reduction)
    compare("gaussian_nll_loss", [mean, target, var], eps=0.1, reduction=reduction)


@needs_mlx
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_and_cosine(reduction, rng):
    a, p, n = (f32(rng, 5, 8) for _ in range(3))
    compare("triplet_loss", [a, p, n], reduction=reduction)
    compare("triplet_loss", [a, p, n], margin=0.3, p=2, axis=0, reduction=reduction)
    for norm in (1, 3, 4):
        compare("triplet_loss", [a, p, n], p=norm, eps=1e-3, reduction=reduction)
    x1, x2 = f32(rng, 4, 6, 3), f32(rng, 4, 6, 3)
    compare("cosine_similarity_loss", [x1, x2], reduction=reduction)
    compare("cosine_similarity_loss", [x1, x2], axis=-1, reduction=reduction)
    compare("cosine_similarity_loss", [x1, np.zeros_like(x2)], eps=1e-3, reduction=reduction)


def test_formulas(rng):
    x, y = f32(rng, 20), f32(rng, 20)
    X, Y = mx.array(x), mx.array(y)
    d = x - y
    np.testing.assert_allclose(L.mse_loss(X, Y).item(), np.mean(d**2), rtol=1e-5)
    np.testing.assert_allclose(L.l1_loss(X, Y, reduction="sum").item(), np.abs(d).sum(), rtol=1e-5)
    np.testing.assert_allclose(
        np.array(L.log_cosh_loss(X, Y)), np.log(np.cosh(d)), rtol=1e-5, atol=1e-6
    )
    hub = np.where(np.abs(d) <= 0.5, 0.5 * d**2, 0.5 * (np.abs(d) - 0.25))
    np.testing.assert_allclose(np.array(L.huber_loss(X, Y, delta=0.5)), hub, rtol=1e-5, atol=1e-6)
    a, p, n = (f32(rng, 4, 6) for _ in range(3))
    dp = (np.abs(a - p) ** 3).sum(-1) ** (1 / 3)
    dn = (np.abs(a - n) ** 3).sum(-1) ** (1 / 3)
    trip = L.triplet_loss(mx.array(a), mx.array(p), mx.array(n), p=3, eps=0.0, margin=0.5)
    np.testing.assert_allclose(np.array(trip), np.maximum(dp - dn + 0.5, 0), rtol=1e-5, atol=1e-6)
    full = L.gaussian_nll_loss(X, Y, mx.ones((20,)), full=True, reduction="none")
    np.testing.assert_allclose(np.array(full), 0.5 * d**2 + 0.5 * math.log(2 * math.pi), rtol=1e-5)


def test_shape_checks(rng):
    a, b = mx.array(f32(rng, 3)), mx.array(f32(rng, 4))
    for name in ("l1_loss", "mse_loss", "smooth_l1_loss", "binary_cross_entropy"):
        with pytest.raises(ValueError):
            getattr(L, name)(a, b)
    with pytest.raises(ValueError):
        L.margin_ranking_loss(a, b, a)
    with pytest.raises(ValueError):
        L.gaussian_nll_loss(a, a, b)


def test_gradient_of_loss(rng):
    # Losses compose with mx.grad: d/dlogits of mean cross entropy is (softmax - onehot) / N.
    logits = f32(rng, 4, 3)
    t = np.array([0, 2, 1, 2], dtype=np.int32)
    g = mx.grad(lambda z: L.cross_entropy(z, mx.array(t), reduction="mean"))(mx.array(logits))
    soft = np.exp(log_softmax(logits))
    np.testing.assert_allclose(np.array(g), (soft - np.eye(3)[t]) / 4, rtol=1e-5, atol=1e-6)


@needs_mlx
def test_signatures_match_mlx():
    import inspect

    for name in L.__all__:
        ours = inspect.signature(getattr(L, name))
        ref = inspect.signature(getattr(L2, name))
        assert list(ours.parameters) == list(ref.parameters), name
        assert [p.default for p in ours.parameters.values()] == [
            p.default for p in ref.parameters.values()
        ], name
