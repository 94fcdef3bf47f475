"""mx.compile: traced once per signature, replayed after; compared with the
same function uncompiled on random inputs (the same device, so the results
must agree to the last bit for elementwise work, and to float32 rounding
where reductions may be ordered differently)."""

from functools import partial

import numpy as np
import pytest
import tandem.core as mx
import tandem.nn as nn
import tandem.optimizers as optim
from conftest import run_threads


def rand(rng, shape, dtype=mx.float32):
    return mx.array(rng.standard_normal(shape).astype(np.float32)).astype(dtype)


def same(a, b, tol=0.0):
    a, b = np.array(a.astype(mx.float32)), np.array(b.astype(mx.float32))
    assert a.shape == b.shape
    if tol == 0.0:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def gelu_like(x, y):
    return x * mx.sigmoid(1.702 * x) + mx.exp(-y) * 0.5


@pytest.mark.parametrize("dtype", [mx.float32, mx.float16, mx.bfloat16, mx.float64])
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((2, 1, 5), (3, 1)), ((), ()), ((0, 3), (3,))])
def test_matches_uncompiled(rng, dtype, shapes):
    x, y = rand(rng, shapes[0], dtype), rand(rng, shapes[1], dtype)
    f = mx.compile(gelu_like)
    for _ in range(3):
        same(f(x, y), gelu_like(x, y))
        x = rand(rng, shapes[0], dtype)
    assert f.num_traces == 1


def test_non_contiguous_inputs(rng):
    base = rand(rng, (6, 8))
    f = mx.compile(gelu_like)
    same(f(base[::2, 1::3], base.T[::3, ::2]), gelu_like(base[::2, 1::3], base.T[::3, ::2]))
    t = rand(rng, (8, 6)).T
    same(f(t, t), gelu_like(t, t))


def test_function_runs_only_when_traced(rng):
    calls = []

    def f(x):
        calls.append(1)
        return mx.sum(x * x, axis=0)

    cf = mx.compile(f)
    for _ in range(4):
        x = rand(rng, (5, 3))
        same(cf(x), f(x), 1e-6)
    assert len(calls) == 1 + 4  # one trace, and the four uncompiled reference calls
    cf(rand(rng, (6, 3)))  # a new shape traces again
    cf(rand(rng, (5, 3)).astype(mx.float16))  # so does a new dtype
    assert cf.num_traces == 3


def test_pytrees_kwargs_and_constants(rng):
    def f(d, scale, *, shift=0.0, mode="add"):
        out = d["a"] * scale + d["b"][0]
        if mode == "add":
            out = out + shift
        return {"out": out, "pair": (d["a"], mx.sum(out))}

    cf = mx.compile(f)
    d = {"a": rand(rng, (3,)), "b": [rand(rng, (3,))]}
    for scale, shift, mode in [(2.0, 1.0, "add"), (2.0, 1.0, "add"), (3.0, 1.0, "add"), (2.0, 5.0, "sub")]:
        got, want = cf(d, scale, shift=shift, mode=mode), f(d, scale, shift=shift, mode=mode)
        same(got["out"], want["out"])
        same(got["pair"][0], want["pair"][0])
        same(got["pair"][1], want["pair"][1], 1e-6)
    # Each new constant traces again; repeats replay.
    assert cf.num_traces == 3


def test_outputs_may_be_inputs_and_constants(rng):
    c = rand(rng, (2,))

    def f(x):
        return x, c * 2, x + 1

    cf = mx.compile(f)
    x = rand(rng, (2,))
    a, b, d = cf(x)
    same(a, x)
    same(b, c * 2)
    same(d, x + 1)


def test_shapeless_replays_across_shapes(rng):
    calls = []

    def f(x, y):
        calls.append(1)
        return mx.sum(mx.exp(x) * y + x, axis=-1) / 3.0

    cf = mx.compile(f, shapeless=True)
    for n, m in [(4, 5), (7, 5), (1, 9), (3, 1), (0, 2)]:
        x, y = rand(rng, (n, m)), rand(rng, (m,))
        same(cf(x, y), f(x, y), 1e-5)
    assert cf.num_traces == 1
    # A new rank traces again.
    x, y = rand(rng, (2, 3, 4)), rand(rng, (4,))
    same(cf(x, y), f(x, y), 1e-5)
    assert cf.num_traces == 2


def test_shapeless_with_shape_bound_ops_traces_again(rng):
    # reshape to a fixed shape can't follow new shapes: each shape traces.
    def f(x):
        return mx.reshape(x, (-1,)) * 2

    cf = mx.compile(f, shapeless=True)
    for n in (2, 3, 4):
        x = rand(rng, (n, 3))
        same(cf(x), f(x))
    assert cf.num_traces == 3


def test_shapeless_matmul_and_transpose(rng):
    def f(a, b):
        return mx.matmul(a, b.T) + 1.0

    cf = mx.compile(f, shapeless=True)
    for m, k, n in [(3, 4, 5), (6, 4, 2), (1, 8, 1)]:
        a, b = rand(rng, (m, k)), rand(rng, (n, k))
        same(cf(a, b), f(a, b), 1e-5)
    assert cf.num_traces == 1


def test_random_advances_like_uncompiled(rng):
    def f(x):
        return x + mx.random.normal(x.shape) + mx.random.uniform(shape=x.shape)

    cf = mx.compile(f)
    x = rand(rng, (4,))
    mx.random.seed(11)
    got = [np.array(cf(x)) for _ in range(3)]
    mx.random.seed(11)
    want = [np.array(f(x)) for _ in range(3)]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert not np.array_equal(got[0], got[1])


def test_random_state_as_captured_state(rng):
    # MLX's documented pattern: the random state passed as captured state.
    state = [mx.random.state]

    @partial(mx.compile, inputs=state, outputs=state)
    def f(x):
        return x + mx.random.uniform(shape=x.shape)

    x = rand(rng, (3,))
    a, b = np.array(f(x)), np.array(f(x))
    assert not np.array_equal(a, b)


def test_captured_state_is_read_and_written(rng):
    state = {"count": mx.array(0.0), "hist": [mx.array(1.0)]}

    @partial(mx.compile, inputs=state, outputs=state)
    def step(x):
        state["count"] = state["count"] + mx.sum(x)
        state["hist"][0] = state["hist"][0] * 2
        return state["count"] * 10

    total = 0.0
    for i in range(4):
        x = rand(rng, (3,))
        total += float(np.array(x).sum())
        out = step(x)
        np.testing.assert_allclose(out.item(), total * 10, rtol=1e-5)
        np.testing.assert_allclose(state["count"].item(), total, rtol=1e-5)
        assert state["hist"][0].item() == 2.0 ** (i + 1)
    assert step.num_traces == 1


def test_training_step_matches_uncompiled(rng):
    def make():
        mx.random.seed(5)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2))
        opt = optim.Adam(learning_rate=1e-2)
        opt.init(model.trainable_parameters())
        return model, opt

    def loss_fn(model, x, y):
        return nn.losses.mse_loss(model(x), y)

    xs = [rand(rng, (5, 6)) for _ in range(4)]
    ys = [rand(rng, (5, 2)) for _ in range(4)]

    model, opt = make()
    lg = nn.value_and_grad(model, loss_fn)
    plain = []
    for x, y in zip(xs, ys):
        loss, g = lg(model, x, y)
        opt.update(model, g)
        mx.eval(model.parameters(), opt.state)
        plain.append(loss.item())

    model, opt = make()
    lg = nn.value_and_grad(model, loss_fn)
    state = [model.state, opt.state]

    @partial(mx.compile, inputs=state, outputs=state)
    def step(x, y):
        loss, g = lg(model, x, y)
        opt.update(model, g)
        return loss

    compiled = []
    for x, y in zip(xs, ys):
        compiled.append(step(x, y).item())
        mx.eval(model.parameters(), opt.state)
    np.testing.assert_allclose(compiled, plain, rtol=1e-5)
    assert compiled[-1] < compiled[0]


def test_composes_with_transforms(rng):
    def f(x):
        return mx.sum(mx.sin(x) * x)

    x = rand(rng, (5,))
    want = np.cos(np.array(x)) * np.array(x) + np.sin(np.array(x))
    np.testing.assert_allclose(np.array(mx.grad(mx.compile(f))(x)), want, rtol=1e-5)
    np.testing.assert_allclose(np.array(mx.compile(mx.grad(f))(x)), want, rtol=1e-5)
    v = mx.vmap(mx.compile(lambda t: t * mx.exp(t)))(rand(rng, (3, 4)))
    assert v.shape == (3, 4)
    out = mx.compile(mx.vmap(lambda t: mx.sum(t * 2)))(rand(rng, (3, 4)))
    assert out.shape == (3,)
    _, jv = mx.jvp(mx.compile(lambda t: t * t), [x], [mx.ones_like(x)])
    np.testing.assert_allclose(np.array(jv[0]), 2 * np.array(x), rtol=1e-6)


def test_nested_compile(rng):
    inner = mx.compile(lambda t: mx.exp(t) + 1)
    outer = mx.compile(lambda t: inner(t) * inner(-t))
    x = rand(rng, (4,))
    same(outer(x), (mx.exp(x) + 1) * (mx.exp(-x) + 1), 1e-6)


def test_streams_are_kept(rng):
    def f(x):
        y = mx.exp(x, stream=mx.cpu)
        return mx.add(y, x, stream=mx.default_device()) * 2

    cf = mx.compile(f)
    x = rand(rng, (64,))
    same(cf(x), f(x))


def test_eval_inside_a_compiled_function_raises(rng):
    x = rand(rng, (3,))
    for bad in (lambda t: t.item(), lambda t: np.array(t * 2), lambda t: (mx.eval(t + 1), t)[1]):
        with pytest.raises(ValueError, match="compile"):
            mx.compile(bad)(x[:1])
    # The process stays usable, and constants may still be evaluated.
    c = mx.array([1.0, 2.0, 3.0])
    assert mx.compile(lambda t: t + c.sum().item())(x).shape == (3,)


def test_disable_compile(rng):
    calls = []

    def f(x):
        calls.append(1)
        return x * 2

    cf = mx.compile(f)
    x = rand(rng, (2,))
    cf(x)
    cf(x)
    mx.disable_compile()
    try:
        cf(x)
        cf(x)
    finally:
        mx.enable_compile()
    cf(x)
    assert len(calls) == 3


def test_bad_arguments(rng):
    with pytest.raises(TypeError, match="callable"):
        mx.compile(3)
    with pytest.raises(TypeError, match="mx.array"):
        mx.compile(lambda x: x)(np.ones(2))
    with pytest.raises(TypeError, match="object"):
        mx.compile(lambda x: x)(object())
    # dtypes and devices are constants of the signature.
    cast = mx.compile(lambda x, t: x.astype(t))
    assert cast(rand(rng, (2,)), mx.float16).dtype == mx.float16
    assert cast(rand(rng, (2,)), mx.int32).dtype == mx.int32
    assert cast.num_traces == 2
    # Errors of the traced function reach the caller as they are.
    with pytest.raises(TypeError):
        mx.compile(lambda x: x + "a")(rand(rng, (2,)))
    with pytest.raises(ValueError, match="shapes"):
        mx.compile(lambda x, y: x + y)(rand(rng, (2,)), rand(rng, (3,)))
    # An error in the function leaves the captured state as it was.
    state = [mx.array(1.0)]

    @partial(mx.compile, inputs=state, outputs=state)
    def f(x):
        state[0] = state[0] + x
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        f(mx.array(1.0))
    assert state[0].item() == 1.0


def test_disable_compile_environment_variable():
    import os
    import subprocess
    import sys

    code = (
        "import tandem.core as mx\n"
        "n = []\n"
        "f = mx.compile(lambda x: (n.append(1), x + 1)[1])\n"
        "f(mx.array(1.0)); f(mx.array(2.0))\n"
        "print(len(n))\n"
    )
    env = dict(os.environ, TANDEM_DISABLE_COMPILE="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "2", out.stderr


# ------------------------------------------- random graphs, threads

UNARY = [mx.exp, mx.sin, mx.tanh, mx.abs, mx.negative, mx.square, mx.sigmoid,
         lambda a, s: mx.sqrt(mx.abs(a, stream=s), stream=s)]
BINARY = [mx.add, mx.subtract, mx.multiply, mx.maximum, mx.minimum]


def random_program(prng, streams):
    """A random graph (4 to 12 ops) over three inputs, each op on a random
    stream: elementwise unary and binary ops with broadcasting, reductions
    (keepdims, so shapes stay broadcastable), transposes, constants and
    casts. Returns fn(x, y, z) -> list of outputs."""
    steps = []
    for _ in range(prng.randint(4, 12)):
        kind = prng.choice(["unary", "binary", "binary", "reduce", "transpose", "const", "cast"])
        steps.append((kind, prng.randrange(1 << 30), prng.choice(streams)))

    def fn(x, y, z):
        vals = [x, y, z]
        for kind, r, s in steps:
            a = vals[r % len(vals)]
            if kind == "unary":
                vals.append(UNARY[r % len(UNARY)](a, stream=s) if r % len(UNARY) < 7 else UNARY[7](a, s))
            elif kind == "binary":
                b = vals[(r >> 4) % len(vals)]
                vals.append(BINARY[r % len(BINARY)](a, b, stream=s))
            elif kind == "reduce":
                op = (mx.sum, mx.max, mx.mean)[r % 3]
                vals.append(op(a, axis=-1, keepdims=True, stream=s) if a.ndim else op(a, stream=s))
            elif kind == "transpose" and a.ndim >= 2 and a.shape[-1] == a.shape[-2]:
                vals.append(mx.swapaxes(a, -1, -2, stream=s))
            elif kind == "const":
                vals.append(mx.multiply(a, float((r % 7) - 3) / 2, stream=s))
            elif kind == "cast":
                vals.append(a.astype(mx.float16, stream=s).astype(mx.float32, stream=s))
        return vals[3:] or [mx.add(x, 1.0)]

    return fn


def test_random_graphs_match_uncompiled(rng):
    # Hundreds of random graphs over random shapes and stream placements:
    # the compiled function replays to what the same code gives uncompiled,
    # on its first call (the trace) and on replays with new inputs.
    import random

    prng = random.Random(1234)
    streams = [mx.new_stream(mx.cpu), mx.new_stream(mx.cpu)]
    if mx.is_available(mx.gpu):
        streams += [mx.new_stream(mx.gpu), mx.new_stream(mx.gpu)]
    shapes = [((4, 4), (4,), ()), ((2, 3, 3), (3, 1), (1, 3)), ((5,), (5,), (1,)), ((0, 3), (3,), ())]
    for g in range(300):
        fn = random_program(prng, streams)
        sx, sy, sz = shapes[g % len(shapes)]
        f = mx.compile(fn)
        for _ in range(2):
            x, y, z = rand(rng, sx), rand(rng, sy), rand(rng, sz)
            got, want = f(x, y, z), fn(x, y, z)
            assert len(got) == len(want)
            for a, b in zip(got, want):
                # Reductions may be ordered differently once fused; the
                # streams' devices may differ in their last ulp (FMA).
                same(a, b, tol=2e-5)
        assert f.num_traces == 1, g


def test_threads_call_one_compiled_function(rng):
    f = mx.compile(lambda x, w: mx.tanh(x @ w) * mx.exp(-x) + mx.sum(x, axis=-1, keepdims=True))
    w = rand(rng, (16, 16))
    xs = [rand(rng, (8, 16)) for _ in range(8)]
    want = [mx.tanh(x @ w) * mx.exp(-x) + mx.sum(x, axis=-1, keepdims=True) for x in xs]
    mx.eval(want)
    def worker(i):
        for _ in range(25):
            y = f(xs[i], w)
            mx.eval(y)
        return y

    got = run_threads(worker, len(xs))
    for a, b in zip(got, want):
        same(a, b, tol=1e-5)
    assert f.num_traces == 1
