"""tandem.optimizers: update sequences against mlx.optimizers, state, schedules."""

import math

import numpy as np
import pytest
import tandem.core as mx
import tandem.optimizers as opt
from tandem.utils import tree_flatten, tree_map

try:
    import mlx.core as mx2
    import mlx.optimizers as opt2
except ImportError:  # the comparisons need MLX; the rest runs without it
    mx2 = opt2 = None

needs_mlx = pytest.mark.skipif(mx2 is None, reason="mlx is not installed: no reference to compare")


def random_tree(rng):
    """Parameters of several ranks, nested in dicts, lists and tuples."""
    f = lambda *s: rng.standard_normal(s).astype(np.float32)
    return {
        "w": f(5, 7),
        "b": f(7),
        "layers": [{"w": f(3, 4, 2)}, {"w": f(6, 3), "s": f(1)}],
        "pair": (f(4, 4), f(2, 3, 2, 2)),
    }


def to_tandem(tree):
    return tree_map(mx.array, tree)


def to_mlx(tree):
    return tree_map(mx2.array, tree)


def assert_trees_close(a, b, rtol=1e-5, atol=1e-6):
    # By path: merged trees (MultiOptimizer) may order dict keys differently.
    fa, fb = dict(tree_flatten(a)), dict(tree_flatten(b))
    assert sorted(fa) == sorted(fb)
    for k, x in fa.items():
        y = fb[k]
        np.testing.assert_allclose(np.array(x), np.array(y), rtol=rtol, atol=atol, err_msg=k)


def run_pair(make, make_ref, rng, steps=10, **tol):
    """Apply the same gradients ``steps`` times with both libraries; compare each step."""
    params = random_tree(rng)
    ours, ref = make(), make_ref()
    p, p2 = to_tandem(params), to_mlx(params)
    for _ in range(steps):
        grads = tree_map(lambda x: rng.standard_normal(x.shape).astype(np.float32), params)
        p = ours.apply_gradients(to_tandem(grads), p)
        p2 = ref.apply_gradients(to_mlx(grads), p2)
        assert_trees_close(p, p2, **tol)
    # The state trees hold the same arrays under the same paths.
    assert_trees_close(ours.state, ref.state, **tol)


CASES = [
    ("SGD", dict(learning_rate=0.1)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9)),
    ("SGD", dict(learning_rate=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(learning_rate=0.05, momentum=0.7, nesterov=True, weight_decay=0.02)),
    ("RMSprop", dict(learning_rate=0.01)),
    ("RMSprop", dict(learning_rate=0.02, alpha=0.9, eps=1e-6)),
    ("Adagrad", dict(learning_rate=0.1)),
    ("AdaDelta", dict(learning_rate=1.0)),
    ("AdaDelta", dict(learning_rate=0.5, rho=0.8, eps=1e-5)),
    ("Adam", dict(learning_rate=0.01)),
    ("Adam", dict(learning_rate=0.01, betas=[0.8, 0.99], bias_correction=True)),
    ("AdamW", dict(learning_rate=0.01)),
    ("AdamW", dict(learning_rate=0.02, weight_decay=0.1, bias_correction=True)),
    ("Adamax", dict(learning_rate=0.01)),
    ("Lion", dict(learning_rate=0.01)),
    ("Lion", dict(learning_rate=0.01, betas=[0.8, 0.95], weight_decay=0.1)),
    ("Adafactor", dict()),
    ("Adafactor", dict(learning_rate=0.01, relative_step=False, beta_1=0.9, weight_decay=0.01)),
    ("Adafactor", dict(warmup_init=True, scale_parameter=False, clip_threshold=0.5)),
    ("Muon", dict(learning_rate=0.02)),
    ("Muon", dict(learning_rate=0.02, momentum=0.9, nesterov=False, weight_decay=0.0, ns_steps=3)),
]


@needs_mlx
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_matches_mlx(name, kwargs, rng):
    tol = dict(rtol=1e-4, atol=1e-5) if name == "Muon" else {}
    run_pair(
        lambda: getattr(opt, name)(**kwargs), lambda: getattr(opt2, name)(**kwargs), rng, **tol
    )


SCHEDULES = [
    ("exponential_decay", (0.1, 0.9)),
    ("step_decay", (0.1, 0.5, 3)),
    ("cosine_decay", (0.1, 7)),
    ("cosine_decay", (0.1, 7, 0.01)),
    ("linear_schedule", (0.0, 0.1, 5)),
]


@needs_mlx
@pytest.mark.parametrize("name,args", SCHEDULES)
def test_schedules_match_mlx(name, args):
    ours, ref = getattr(opt, name)(*args), getattr(opt2, name)(*args)
    for step in range(12):
        a = ours(mx.array(step, mx.uint64))
        b = ref(mx2.array(step, mx2.uint64))
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-6, atol=1e-8)


@needs_mlx
def test_join_schedules_matches_mlx():
    ours = opt.join_schedules([opt.linear_schedule(0.0, 0.1, 4), opt.cosine_decay(0.1, 6)], [4])
    ref = opt2.join_schedules([opt2.linear_schedule(0.0, 0.1, 4), opt2.cosine_decay(0.1, 6)], [4])
    for step in range(12):
        np.testing.assert_allclose(
            np.array(ours(mx.array(step, mx.uint64))),
            np.array(ref(mx2.array(step, mx2.uint64))),
            rtol=1e-6,
            atol=1e-8,
        )


@needs_mlx
def test_scheduled_learning_rate_matches_mlx(rng):
    run_pair(
        lambda: opt.Adam(opt.cosine_decay(0.05, 8), bias_correction=True),
        lambda: opt2.Adam(opt2.cosine_decay(0.05, 8), bias_correction=True),
        rng,
    )


def test_schedule_counts_steps(rng):
    sgd = opt.SGD(opt.exponential_decay(0.5, 0.5))
    p = {"w": mx.array(rng.standard_normal(3).astype(np.float32))}
    g = {"w": mx.array(rng.standard_normal(3).astype(np.float32))}
    for k in range(4):
        # The schedule is evaluated at the step count before this update.
        new = sgd.apply_gradients(g, p)
        np.testing.assert_allclose(
            np.array(new["w"]), np.array(p["w"]) - 0.5 * 0.5**k * np.array(g["w"]), rtol=1e-6
        )
        p = new
        assert sgd.step.item() == k + 1
        assert sgd.step.dtype == mx.uint64
    np.testing.assert_allclose(sgd.learning_rate.item(), 0.5 * 0.5**3, rtol=1e-6)


def test_schedule_errors():
    with pytest.raises(ValueError):
        opt.join_schedules([], [])
    with pytest.raises(ValueError):
        opt.join_schedules([opt.linear_schedule(0, 1, 2)], [3])
    with pytest.raises(ValueError):
        opt.linear_schedule(0.0, 1.0, 0)
    assert math.isclose(np.array(opt.linear_schedule(1.0, 3.0, 4)(mx.array(10))).item(), 3.0)


def test_learning_rate_setter_and_state_roundtrip(rng):
    params = to_tandem(random_tree(rng))
    grads = tree_map(lambda x: mx.array(rng.standard_normal(x.shape).astype(np.float32)), params)
    a = opt.Adam(0.01, bias_correction=True)
    mx.eval(a.apply_gradients(grads, params), a.state)  # the state is a tree eval takes
    a.learning_rate = 0.02
    assert isinstance(a.learning_rate, mx.array)
    assert math.isclose(a.learning_rate.item(), 0.02, rel_tol=1e-6)
    # Save the state as a flat list of arrays, restore it in a fresh optimizer:
    # both then make the same next update.
    saved = tree_flatten(a.state)
    assert all(isinstance(v, mx.array) for _, v in saved)
    from tandem.utils import tree_unflatten

    b = opt.Adam(0.5, bias_correction=True)
    b.state = tree_unflatten(saved)
    assert math.isclose(b.learning_rate.item(), 0.02, rel_tol=1e-6)
    assert_trees_close(a.apply_gradients(grads, params), b.apply_gradients(grads, params))
    assert a.step.item() == b.step.item() == 2


def test_init_keeps_state_and_adds_new_parameters(rng):
    p = {"a": mx.array(rng.standard_normal(3).astype(np.float32))}
    g = {"a": mx.array(rng.standard_normal(3).astype(np.float32))}
    s = opt.SGD(0.1, momentum=0.9)
    s.apply_gradients(g, p)
    v = np.array(s.state["a"]["v"])
    s.init({"a": p["a"], "b": [mx.zeros((2,))]})
    np.testing.assert_array_equal(np.array(s.state["a"]["v"]), v)
    assert s.state["b"][0]["v"].shape == (2,)


class TinyModule(dict):
    """What Optimizer.update needs from a tandem.nn Module: a dict with update."""

    def trainable_parameters(self):
        return dict(self)

    def update(self, params):
        for k, v in params.items():
            self[k] = v


def test_update_on_module(rng):
    w = rng.standard_normal((3, 2)).astype(np.float32)
    g = rng.standard_normal((3, 2)).astype(np.float32)
    m = TinyModule(w=mx.array(w), sub={"b": mx.array(w[0])})
    s = opt.SGD(0.1)
    s.update(m, {"w": mx.array(g), "sub": {"b": mx.array(g[0])}})
    np.testing.assert_allclose(np.array(m["w"]), w - 0.1 * g, rtol=1e-6)
    np.testing.assert_allclose(np.array(m["sub"]["b"]), w[0] - 0.1 * g[0], rtol=1e-6)


def test_update_with_grad(rng):
    # Minimise a quadratic with value_and_grad and Adam: the loss must fall.
    target = mx.array(rng.standard_normal((4,)).astype(np.float32))
    params = {"x": mx.zeros((4,))}
    loss = lambda p: mx.sum(mx.square(p["x"] - target))
    vg = mx.value_and_grad(loss)
    a = opt.Adam(0.1)
    first = None
    for _ in range(50):
        value, grads = vg(params)
        first = value.item() if first is None else first
        params = a.apply_gradients(grads, params)
    assert loss(params).item() < 0.05 * first


def test_sgd_nesterov_validation():
    with pytest.raises(ValueError):
        opt.SGD(0.1, nesterov=True)
    with pytest.raises(ValueError):
        opt.SGD(0.1, momentum=0.9, dampening=0.1, nesterov=True)


def test_muon_orthogonalises(rng):
    # After one step from zero momentum with momentum 0, the update of a matrix
    # has singular values near 1 (Newton-Schulz is approximate: within ~0.3).
    g = rng.standard_normal((6, 10)).astype(np.float32)
    m = opt.Muon(1.0, momentum=0.0, weight_decay=0.0, nesterov=False)
    out = m.apply_gradients({"w": mx.array(g)}, {"w": mx.zeros((6, 10))})
    sv = np.linalg.svd(-np.array(out["w"]), compute_uv=False)
    assert np.all(np.abs(sv - 1) < 0.35), sv


def test_clip_grad_norm(rng):
    grads = to_tandem(random_tree(rng))
    flat = np.concatenate([np.array(v).ravel() for _, v in tree_flatten(grads)])
    norm = np.linalg.norm(flat)
    clipped, total = opt.clip_grad_norm(grads, max_norm=norm / 3)
    np.testing.assert_allclose(total.item(), norm, rtol=1e-5)
    cflat = np.concatenate([np.array(v).ravel() for _, v in tree_flatten(clipped)])
    np.testing.assert_allclose(np.linalg.norm(cflat), norm / 3, rtol=1e-4)
    np.testing.assert_allclose(cflat, flat / 3, rtol=1e-4, atol=1e-6)
    same, _ = opt.clip_grad_norm(grads, max_norm=norm * 2)
    assert_trees_close(same, grads)


@needs_mlx
def test_clip_grad_norm_matches_mlx(rng):
    tree = random_tree(rng)
    a, na = opt.clip_grad_norm(to_tandem(tree), 2.0)
    b, nb = opt2.clip_grad_norm(to_mlx(tree), 2.0)
    assert_trees_close(a, b)
    np.testing.assert_allclose(na.item(), nb.item(), rtol=1e-6)


def test_multi_optimizer(rng):
    params = to_tandem(random_tree(rng))
    grads = tree_map(lambda x: mx.array(rng.standard_normal(x.shape).astype(np.float32)), params)
    is_matrix = lambda path, p: p.ndim >= 2
    multi = opt.MultiOptimizer([opt.SGD(0.1), opt.Adam(0.01, bias_correction=True)], [is_matrix])
    out = multi.apply_gradients(grads, params)
    # The merged tree may order keys differently: match leaves by path.
    new_by_path = dict(tree_flatten(out))
    for (path, p), (_, g) in zip(tree_flatten(params), tree_flatten(grads)):
        new, p, g = new_by_path[path], np.array(p), np.array(g)
        if p.ndim >= 2:
            np.testing.assert_allclose(np.array(new), p - 0.1 * g, rtol=1e-5, atol=1e-6)
        else:
            # Adam's first step moves every coordinate by lr * sign(g) (roughly).
            np.testing.assert_allclose(np.array(new), p - 0.01 * np.sign(g), atol=1e-3)
    assert len(multi.state["states"]) == 2
    assert multi.state["states"][1]["b"]["m"].shape == (7,)
    with pytest.raises(ValueError):
        opt.MultiOptimizer([opt.SGD(0.1), opt.Adam(0.01)], [])


@needs_mlx
def test_multi_optimizer_matches_mlx(rng):
    f = lambda path, p: "layers" in path
    run_pair(
        lambda: opt.MultiOptimizer([opt.Lion(0.01), opt.AdamW(0.01)], [f]),
        lambda: opt2.MultiOptimizer([opt2.Lion(0.01), opt2.AdamW(0.01)], [f]),
        rng,
    )


@pytest.mark.parametrize(
    "name", ["SGD", "RMSprop", "Adagrad", "AdaDelta", "Adam", "AdamW", "Adamax", "Lion", "Muon"]
)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_parameters_keep_dtype(name, dtype, rng):
    dt = getattr(mx, dtype)
    p = {
        "w": mx.array(rng.standard_normal((4, 3)).astype(np.float32)).astype(dt),
        "b": mx.array(rng.standard_normal(3).astype(np.float32)).astype(dt),
    }
    o = getattr(opt, name)(0.01)
    for _ in range(2):
        p = o.apply_gradients(p, p)
    assert p["w"].dtype == dt and p["b"].dtype == dt
    assert np.all(np.isfinite(np.array(p["w"].astype(mx.float32))))


def test_adafactor_keeps_dtype():
    p = {"w": mx.random.normal((4, 3)).astype(mx.bfloat16)}
    assert opt.Adafactor().apply_gradients(p, p)["w"].dtype == mx.bfloat16


@needs_mlx
def test_signatures_match_mlx():
    import inspect

    for name in opt.__all__:
        ours = inspect.signature(getattr(opt, name))
        ref = inspect.signature(getattr(opt2, name))
        assert list(ours.parameters) == list(ref.parameters), name
        assert [p.default for p in ours.parameters.values()] == [
            p.default for p in ref.parameters.values()
        ], name
