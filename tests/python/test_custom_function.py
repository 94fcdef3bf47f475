"""mx.custom_function and mx.checkpoint.

The overriding rules are deliberately different from the true derivative
(scaled by a constant) so that a test tells whether the rule was really used.
Where MLX is installed, the same examples run through mlx.core and the results
must agree (the rules get the same arguments: the primal itself for a
function of one argument, a tuple for several).
"""

import numpy as np
import pytest
import tandem.core as mx

try:
    import mlx.core as mlx_core
except ImportError:  # pragma: no cover - MLX is optional
    mlx_core = None

LIBS = [mx] + ([mlx_core] if mlx_core is not None else [])
LIB_IDS = ["tandem", "mlx"][: len(LIBS)]


def close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=rtol, atol=atol)


@pytest.fixture
def xs(rng):
    return rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(
        np.float32)


def make_sin(m):
    """sin with a vjp of 2 * cotangent, a jvp of 3 * tangent, a vmap giving cos."""

    @m.custom_function
    def f(x):
        return m.sin(x)

    @f.vjp
    def f_vjp(primals, cotangent, output):
        assert isinstance(primals, m.array)  # one argument: the primal itself
        return 2 * cotangent * primals

    @f.jvp
    def f_jvp(primals, tangents):
        return 3 * tangents * primals

    @f.vmap
    def f_vmap(inputs, axes):
        return m.cos(inputs), axes

    return f


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_overrides_are_used(m, xs):
    x, t = xs
    f = make_sin(m)
    X, T = m.array(x), m.array(t)
    close(f(X), np.sin(x))
    close(m.grad(lambda a: f(a).sum())(X), 2 * x)
    out, jv = m.jvp(f, [X], [T])
    close(out[0], np.sin(x))
    close(jv[0], 3 * t * x)
    close(m.vmap(f)(X), np.cos(x))
    close(m.vmap(f, in_axes=1, out_axes=1)(X), np.cos(x))
    # vjp through a larger graph: the rule's result flows on.
    g = m.grad(lambda a: (f(a * 2) * a).sum())(X)
    close(g, 2 * (2 * x) * 2 * x + np.sin(2 * x))


def make_pair(m):
    """(x * y, x + y) with a vjp scaled by 10 and a jvp scaled by 5."""

    @m.custom_function
    def g(x, y):
        return x * y, x + y

    @g.vjp
    def g_vjp(primals, cotangents, outputs):
        x, y = primals
        c0, c1 = cotangents
        assert len(outputs) == 2
        return 10 * (c0 * y + c1), 10 * (c0 * x + c1)

    @g.jvp
    def g_jvp(primals, tangents):
        x, y = primals
        tx, ty = tangents
        return 5 * (tx * y + x * ty), 5 * (tx + ty)

    @g.vmap
    def g_vmap(inputs, axes):
        x, y = inputs
        return (x * y - 1, x + y + 1), (axes[0], axes[0])

    return g


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_several_inputs_and_outputs(m, xs):
    x, y = xs
    g = make_pair(m)
    X, Y = m.array(x), m.array(y)

    def loss(a, b):
        p, s = g(a, b)
        return (p * 2 + s * 3).sum()

    gx, gy = m.grad(loss, argnums=(0, 1))(X, Y)
    close(gx, 10 * (2 * y + 3))
    close(gy, 10 * (2 * x + 3))
    _, jv = m.jvp(g, [X, Y], [Y, X])
    close(jv[0], 5 * (y * y + x * x))
    close(jv[1], 5 * (x + y))
    p, s = m.vmap(g, in_axes=(0, None))(X, Y[0])
    close(p, x * y[0] - 1)
    close(s, x + y[0] + 1)


def test_missing_tangent_is_zero(xs):
    # MLX passes None for an input whose tangent is not asked for; tandem
    # passes zeros, which a rule can use as is.
    x, y = xs
    g = make_pair(mx)
    _, jv = mx.jvp(lambda a: g(a, mx.array(y)), [mx.array(x)], [mx.array(y)])
    close(jv[0], 5 * y * y)
    close(jv[1], 5 * y)


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_pytree_argument(m, xs):
    x, y = xs

    @m.custom_function
    def f(d):
        return d["a"] * d["b"]

    @f.vjp
    def f_vjp(primals, cotangent, output):
        assert isinstance(primals, dict)
        return {"a": 10 * cotangent * primals["b"], "b": cotangent * primals["a"]}

    X, Y = m.array(x), m.array(y)
    ga, gb = m.grad(lambda a, b: f({"a": a, "b": b}).sum(), argnums=(0, 1))(X, Y)
    close(ga, 10 * y)
    close(gb, x)


def test_rules_may_evaluate(xs):
    """A rule that prints its primals (evaluates them) leaves the walk intact."""
    x, _ = xs
    seen = []

    @mx.custom_function
    def f(a, b):
        return a * b

    @f.vjp
    def f_vjp(primals, cotangent, output):
        seen.append(np.array(primals[1]))
        return cotangent * primals[1], cotangent * primals[0]

    @f.jvp
    def f_jvp(primals, tangents):
        seen.append(np.array(primals[1]))
        return tangents[0] * primals[1] + tangents[1] * primals[0]

    @f.vmap
    def f_vmap(inputs, axes):
        seen.append(np.array(inputs[1]))
        return inputs[0] * inputs[1], axes[0]

    X = mx.array(x)
    g = mx.grad(lambda a: f(a, mx.exp(a) + 1).sum())(X)
    close(seen[-1], np.exp(x) + 1)
    close(g, np.exp(x) + 1 + x * np.exp(x))
    _, jv = mx.jvp(lambda a: f(a, mx.exp(a) + 1), [X], [X])
    close(seen[-1], np.exp(x) + 1)
    close(jv[0], (np.exp(x) + 1 + x * np.exp(x)) * x)
    v = mx.vmap(lambda a: f(a, mx.exp(a) + 1))(X)
    close(seen[-1], np.exp(x) + 1)
    close(v, x * (np.exp(x) + 1))
    g = mx.grad(lambda a: mx.vmap(lambda b: f(b, mx.exp(b) + 1))(a).sum())(X)
    close(g, np.exp(x) + 1 + x * np.exp(x))


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_missing_rules_fall_back(m, xs):
    x, t = xs

    @m.custom_function
    def f(a):
        return m.exp(a) * m.sin(a)

    X, T = m.array(x), m.array(t)
    d1 = np.exp(x) * (np.sin(x) + np.cos(x))
    close(m.grad(lambda a: f(a).sum())(X), d1)
    close(m.jvp(f, [X], [T])[1][0], d1 * t)
    close(m.vmap(f, in_axes=1, out_axes=1)(X), np.exp(x) * np.sin(x))
    # grad of grad through the function without rules.
    d2 = 2 * np.exp(x) * np.cos(x)
    close(m.grad(lambda a: m.grad(lambda b: f(b).sum())(a).sum())(X), d2, rtol=1e-4)

    # Only a vjp: jvp and vmap still come from the function.
    @m.custom_function
    def h(a):
        return a * a

    @h.vjp
    def h_vjp(primals, cotangent, output):
        return 7 * cotangent

    close(m.grad(lambda a: h(a).sum())(X), 7 * np.ones_like(x))
    close(m.jvp(h, [X], [T])[1][0], 2 * x * t)
    close(m.vmap(h)(X), x * x)


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_vjp_tuple_or_single(m, xs):
    x, _ = xs

    @m.custom_function
    def f(a):
        return a * 2

    @f.vjp
    def f_vjp(primals, cotangent, output):
        return (5 * cotangent,)  # a one-element tuple is accepted too

    close(m.grad(lambda a: f(a).sum())(m.array(x)), 5 * np.ones_like(x))


def test_vmap_of_grad_with_rules(xs):
    x, _ = xs
    f = make_sin(mx)
    X = mx.array(x)
    close(mx.vmap(mx.grad(lambda a: f(a).sum()))(X), 2 * x)
    # The vmap rule defines the batched function (cos here, as in MLX): its
    # gradient is the gradient of what the rule built.
    close(mx.grad(lambda a: mx.vmap(lambda b: f(b).sum())(a).sum())(X), -np.sin(x))


# ---------------------------------------------------------------- checkpoint


def block(a, w):
    h = mx.tanh(a @ w)
    return (mx.sin(h) * h).sum(axis=-1)


@pytest.mark.parametrize("dtype", [mx.float32, mx.float64])
def test_checkpoint_gradients(rng, dtype):
    a = mx.array(rng.standard_normal((3, 4)), dtype=dtype)
    w = mx.array(rng.standard_normal((4, 5)), dtype=dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == mx.float32 else dict(rtol=1e-12, atol=1e-12)
    ck = mx.checkpoint(block)

    def plain_loss(a, w):
        return (block(a, w) ** 2).sum()

    def ck_loss(a, w):
        return (ck(a, w) ** 2).sum()

    close(ck(a, w), block(a, w), **tol)
    for argnums in (0, 1, (0, 1)):
        got = mx.grad(ck_loss, argnums=argnums)(a, w)
        want = mx.grad(plain_loss, argnums=argnums)(a, w)
        for g, v in zip(got if isinstance(got, tuple) else [got],
                        want if isinstance(want, tuple) else [want]):
            close(g, v, **tol)

    # Second order: the gradient of a gradient's sum.
    def second(loss):
        return mx.grad(lambda x: mx.grad(loss)(x, w).sum())(a)

    close(second(ck_loss), second(plain_loss), **tol)
    # jvp and vmap through checkpoint.
    t = mx.array(rng.standard_normal((3, 4)), dtype=dtype)
    close(mx.jvp(lambda x: ck(x, w), [a], [t])[1][0], mx.jvp(lambda x: block(x, w), [a], [t])[1][0],
          **tol)
    close(mx.vmap(ck, in_axes=(0, None))(a, w), block(a, w), **tol)


def test_checkpoint_pytree_and_kwargs(rng):
    p = {"w": mx.array(rng.standard_normal((4, 5))), "b": mx.array(rng.standard_normal(5))}
    a = mx.array(rng.standard_normal((3, 4)))

    def layer(params, x, scale=1.0):
        return mx.tanh(x @ params["w"] + params["b"]) * scale

    ck = mx.checkpoint(layer)
    got = mx.grad(lambda q: ck(q, a, scale=2.0).sum())(p)
    want = mx.grad(lambda q: layer(q, a, scale=2.0).sum())(p)
    for k in ("w", "b"):
        close(got[k], want[k])


@pytest.mark.skipif(mlx_core is None, reason="needs MLX")
def test_checkpoint_matches_mlx(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.standard_normal((4, 5)).astype(np.float32)
    outs = []
    for m in (mx, mlx_core):
        def blk(x, v, m=m):
            h = m.tanh(x @ v)
            return (m.sin(h) * h).sum()

        outs.append(m.grad(m.checkpoint(blk), argnums=(0, 1))(m.array(a), m.array(w)))
    close(outs[0][0], outs[1][0])
    close(outs[0][1], outs[1][1])


def test_rule_errors(xs):
    x, _ = xs

    @mx.custom_function
    def f(a, b):
        return a * b

    @f.vjp
    def f_vjp(primals, cotangent, output):
        return (cotangent,)  # one cotangent for two inputs

    with pytest.raises(ValueError):
        mx.grad(lambda a: f(a, a).sum())(mx.array(x))


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_grad_of_one_input(m, xs):
    x, y = xs
    g = make_pair(m)
    X, Y = m.array(x), m.array(y)
    close(m.grad(lambda b: g(X, b)[0].sum())(Y), 10 * x)
    close(m.grad(lambda a: g(a, Y)[1].sum())(X), 10 * np.ones_like(x))


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_second_order_through_rules(m, xs):
    x, _ = xs
    f = make_sin(m)
    X = m.array(x)
    # The vjp rule (2 * c * x) is differentiated in turn: d/dx sum(2 x) = 2.
    close(m.grad(lambda a: m.grad(lambda b: f(b).sum())(a).sum())(X), 2 * np.ones_like(x))

    @m.custom_function
    def only_jvp(a):
        return a * a * a

    @only_jvp.jvp
    def only_jvp_jvp(primals, tangents):
        return 100 * tangents

    # grad has no vjp rule to use: it differentiates the function (3 x^2).
    close(m.grad(lambda a: only_jvp(a).sum())(X), 3 * x * x, rtol=1e-4)
    close(m.jvp(only_jvp, [X], [X])[1][0], 100 * x)
