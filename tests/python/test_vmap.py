"""mx.vmap against a Python loop.

Every check runs fun on each batch element separately (the inputs sliced
along their in_axes, the unmapped ones passed whole), stacks the results along
out_axes in NumPy and compares with what vmap gives. Inputs are random; the
float64 checks use tight tolerances (vmap changes no arithmetic, only the
layout), float32 ones allow for a different summation order.
"""

import numpy as np
import pytest
import tandem.core as mx

F64 = mx.float64


# ---------------------------------------------------------------- the checker


def tree_map(fn, tree, *rest):
    if isinstance(tree, (list, tuple)):
        out = [tree_map(fn, t, *[r[i] for r in rest]) for i, t in enumerate(tree)]
        return type(tree)(out)
    if isinstance(tree, dict):
        return {k: tree_map(fn, v, *[r[k] for r in rest]) for k, v in tree.items()}
    return fn(tree, *rest)


def leaves(tree):
    if isinstance(tree, (list, tuple)):
        return [x for t in tree for x in leaves(t)]
    if isinstance(tree, dict):
        return [x for k in tree for x in leaves(tree[k])]
    return [tree]


def spec_tree(spec, tree):
    """spec broadcast to tree's structure (an int or None covers a whole subtree)."""
    if spec is None or isinstance(spec, int):
        return tree_map(lambda _: spec, tree)
    if isinstance(tree, (list, tuple)):
        return type(tree)(spec_tree(s, t) for s, t in zip(spec, tree))
    return {k: spec_tree(spec[k], tree[k]) for k in tree}


def element(a, ax, i):
    if ax is None or not isinstance(a, mx.array):
        return a
    ax = ax % a.ndim
    return a[(slice(None),) * ax + (i,)]


def loop(fun, args, in_axes=0, out_axes=0):
    """fun mapped by hand: the reference for vmap(fun, in_axes, out_axes)(*args)."""
    axes = spec_tree(in_axes if isinstance(in_axes, (list, tuple)) else
                     tuple(in_axes for _ in args), tuple(args))
    size = {a.shape[ax % a.ndim] for a, ax in zip(leaves(tuple(args)), leaves(axes))
            if ax is not None and isinstance(a, mx.array)}
    assert len(size) == 1
    results = [fun(*tree_map(lambda a, ax: element(a, ax, i), tuple(args), axes))
               for i in range(size.pop())]
    oaxes = spec_tree(out_axes, results[0])

    def stack(ax, *outs):
        return np.stack([np.array(o) for o in outs], axis=ax)

    return tree_map(stack, oaxes, *results)


def check(fun, *args, in_axes=0, out_axes=0, rtol=1e-12, atol=1e-12, exact=False):
    got = mx.vmap(fun, in_axes=in_axes, out_axes=out_axes)(*args)
    want = loop(fun, args, in_axes, out_axes)
    g, w = leaves(got), leaves(want)
    assert len(g) == len(w)
    for a, b in zip(g, w):
        a = np.array(a)
        assert a.shape == b.shape, (a.shape, b.shape)
        assert a.dtype == b.dtype, (a.dtype, b.dtype)
        if exact or not np.issubdtype(b.dtype, np.floating):
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    return got


@pytest.fixture
def r(rng):
    """Random float64 tandem arrays: r(3, 4)."""
    return lambda *shape: mx.array(rng.standard_normal(shape), dtype=F64)


# ---------------------------------------------------------------- elementwise

UNARY = [mx.abs, mx.negative, mx.sin, mx.cos, mx.tanh, mx.exp, mx.sigmoid, mx.square,
         mx.floor, mx.ceil, mx.sign, mx.erf, mx.log1p,
         lambda x: mx.sqrt(mx.abs(x)), lambda x: mx.log(mx.abs(x) + 1),
         lambda x: mx.isnan(x), lambda x: mx.logical_not(x > 0)]


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("ax", [0, 1, -1])
def test_unary(r, op, ax):
    check(lambda x: op(op(x) * 0.5 + x), r(3, 4, 5), in_axes=ax)


BINARY = [mx.add, mx.subtract, mx.multiply, mx.divide, mx.maximum, mx.minimum, mx.power,
          mx.arctan2, mx.logaddexp, mx.greater, mx.less_equal, mx.equal]


@pytest.mark.parametrize("op", BINARY)
def test_binary_broadcasting(r, op):
    f = (lambda a, b: op(mx.abs(a) + 0.5, b)) if op is mx.power else op
    check(f, r(3, 4, 5), r(3, 5))  # batch of (4, 5) against a batch of (5,)
    check(f, r(4, 1, 3), r(3, 5), in_axes=(2, 0))  # (4, 1) against (5,)
    check(f, r(3, 4, 5), r(5), in_axes=(1, None))  # one operand unbatched
    check(f, r(5), r(2, 4, 5), in_axes=(None, 1))
    check(f, r(3, 1), r(2, 3, 4), in_axes=(0, 1))  # (1,) against (2, 4)


def test_python_scalars(r):
    x = r(3, 4)
    check(lambda a: 2 * a + 1.5, x)
    check(lambda a: (3 - a) / 2.0, x)
    check(lambda a: mx.maximum(a, 0.0) ** 2, x)
    i = mx.array(np.arange(12).reshape(3, 4), dtype=mx.int32)
    out = check(lambda a: a * 3 + 1, i)
    assert out.dtype == mx.int32


def test_where(r):
    c = r(3, 4) > 0
    check(mx.where, c, r(3, 4), r(3, 4))
    check(mx.where, c, r(4), r(3, 4), in_axes=(0, None, 0))
    check(mx.where, c[0], r(3, 4), r(4), in_axes=(None, 0, None))
    check(lambda c, x: mx.where(c, x, 0.0), c, r(4, 3), in_axes=(0, 1))


@pytest.mark.parametrize("dtype", [mx.float32, mx.float64, mx.int32])
def test_dtypes(rng, dtype):
    x = mx.array(rng.integers(-20, 20, (3, 4, 2)), dtype=dtype)
    tol = 1e-6 if dtype == mx.float32 else 1e-12
    check(lambda a: (a * a - a).sum(axis=-1), x, in_axes=1, rtol=tol, atol=tol)
    check(lambda a: mx.cumsum(a, axis=0), x, rtol=tol, atol=tol)
    out = check(lambda a: a.astype(mx.float32) / 3, x, rtol=tol, atol=tol)
    assert out.dtype == mx.float32


def test_astype(r):
    check(lambda a: (a * 10).astype(mx.int32), r(3, 4))
    check(lambda a: a.astype(mx.float32), r(3, 4), in_axes=1, rtol=1e-6)
    check(lambda a: (a > 0).astype(mx.int64).sum(), r(3, 4))


def test_stop_gradient(r):
    check(lambda a: mx.stop_gradient(a * 2) + a, r(3, 4))


# ---------------------------------------------------------------- reductions

REDUCE = [mx.sum, mx.prod, mx.max, mx.min, mx.mean, mx.var, mx.logsumexp, mx.all, mx.any]


@pytest.mark.parametrize("op", REDUCE)
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(r, op, axis, keepdims):
    if op in (mx.all, mx.any):
        f = lambda x: op(x > 0, axis=axis, keepdims=keepdims)  # noqa: E731
    else:
        f = lambda x: op(x, axis=axis, keepdims=keepdims)  # noqa: E731
    check(f, r(2, 3, 4, 5), in_axes=0)
    check(f, r(3, 2, 4, 5), in_axes=1)
    check(f, r(3, 4, 5, 2), in_axes=-1)


@pytest.mark.parametrize("op", [mx.argmax, mx.argmin])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_argreduce(r, op, axis):
    check(lambda x: op(x, axis=axis), r(3, 4, 5))
    check(lambda x: op(x, axis=axis, keepdims=True), r(4, 3, 5), in_axes=1)


# ---------------------------------------------------------------- scans


@pytest.mark.parametrize("op", [mx.cumsum, mx.cumprod, mx.cummax, mx.cummin, mx.logcumsumexp])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("inclusive", [False, True])
def test_scans(r, op, reverse, inclusive):
    for axis in (0, 1, -1):
        f = lambda x: op(x, axis=axis, reverse=reverse, inclusive=inclusive)  # noqa: E731
        check(f, r(3, 4, 5))
        check(f, r(4, 3, 5), in_axes=1)
    check(lambda x: op(x, reverse=reverse, inclusive=inclusive), r(3, 4, 5))  # flattened


# ---------------------------------------------------------------- sorting


def test_sort_family(r):
    x = r(3, 4, 6)
    for ax in (0, 1, 2):
        check(lambda a: mx.sort(a, axis=-1), x, in_axes=ax)
        check(lambda a: mx.sort(a, axis=0), x, in_axes=ax)
        check(lambda a: mx.argsort(a, axis=0), x, in_axes=ax)
        check(lambda a: mx.argsort(a), x, in_axes=ax)
        check(lambda a: mx.sort(a, axis=None), x, in_axes=ax)
    # partition and topk: only the set of the first/last k is specified.
    part = mx.vmap(lambda a: mx.partition(a, 2, axis=-1))(x)
    want = np.sort(np.array(x), axis=-1)
    got = np.array(part)
    np.testing.assert_array_equal(np.sort(got[..., :2], -1), want[..., :2])
    np.testing.assert_array_equal(np.sort(got[..., 2:], -1), want[..., 2:])
    ip = mx.vmap(lambda a: mx.argpartition(a, 2, axis=1), in_axes=2, out_axes=2)(x)
    got = np.take_along_axis(np.array(x), np.array(ip), axis=1)
    want = np.sort(np.array(x), axis=1)
    np.testing.assert_array_equal(np.sort(got[:, :2], 1), want[:, :2])
    top = mx.vmap(lambda a: mx.topk(a, 3, axis=-1), in_axes=1)(x)
    want = np.sort(np.moveaxis(np.array(x), 1, 0), axis=-1)[..., -3:]
    np.testing.assert_array_equal(np.sort(np.array(top), -1), want)


# ---------------------------------------------------------------- matmul


def test_matmul(r):
    check(mx.matmul, r(3, 4, 5), r(5, 6), in_axes=(0, None))
    check(mx.matmul, r(4, 5), r(3, 5, 6), in_axes=(None, 0))
    check(mx.matmul, r(3, 4, 5), r(3, 5, 6))
    check(mx.matmul, r(4, 3, 5), r(5, 6, 3), in_axes=(1, 2))
    check(mx.matmul, r(3, 5), r(3, 5, 6))  # 1-d a
    check(mx.matmul, r(3, 4, 5), r(3, 5))  # 1-d b
    check(mx.matmul, r(3, 5), r(5, 3), in_axes=(0, 1))  # 1-d both: a dot product
    check(mx.matmul, r(5), r(3, 5, 6), in_axes=(None, 0))
    check(mx.matmul, r(3, 2, 4, 5), r(5, 6), in_axes=(0, None))  # batched inside
    check(mx.matmul, r(2, 4, 5), r(3, 1, 5, 6), in_axes=(None, 0))  # broadcast batch dims
    check(lambda a, b: a @ b.T, r(3, 4, 5), r(3, 6, 5))


def test_addmm(r):
    check(lambda c, a, b: mx.addmm(c, a, b, alpha=0.5, beta=2.0), r(3, 4, 6), r(3, 4, 5), r(3, 5, 6))
    check(lambda c, a, b: mx.addmm(c, a, b), r(3, 6), r(3, 4, 5), r(5, 6), in_axes=(0, 0, None))
    check(lambda c, a, b: mx.addmm(c, a, b), r(3, 6), r(4, 5), r(5, 6), in_axes=(0, None, None))
    check(lambda c, a, b: mx.addmm(c, a, b, alpha=0.5, beta=2.0),
          r(6), r(3, 4, 5), r(5, 6), in_axes=(None, 0, None))
    check(lambda c, a, b: mx.addmm(c, a, b), r(4, 6), r(4, 5), r(3, 5, 6), in_axes=(None, None, 0))
    check(lambda c, a, b: mx.addmm(c, a, b), r(4, 6, 3), r(4, 5), r(5, 6), in_axes=(2, None, None))


# ---------------------------------------------------------------- shapes


def test_shape_ops(r):
    x = r(3, 4, 6)
    for ax in (0, 1, 2):
        check(lambda a: a.reshape(-1), x, in_axes=ax)
        check(lambda a: a.reshape(2, -1, 1), x, in_axes=ax)
        check(lambda a: a.T, x, in_axes=ax)
        check(lambda a: mx.transpose(a, (1, 0)), x, in_axes=ax)
        check(lambda a: mx.broadcast_to(a[:1], (5,) + a.shape), x, in_axes=ax)
        check(lambda a: a[::2, 1::-1], x, in_axes=ax)
        check(lambda a: a[1:, ::3] * 2, x, in_axes=ax)
        check(lambda a: mx.squeeze(mx.expand_dims(a, (0, 2)), 0), x, in_axes=ax)
        check(lambda a: mx.pad(a, ((1, 0), (0, 2)), constant_values=3.0), x, in_axes=ax)
        check(lambda a: mx.flatten(a), x, in_axes=ax)
        check(lambda a: mx.moveaxis(a, 0, 1), x, in_axes=ax)
        check(lambda a: mx.swapaxes(a, 0, -1), x, in_axes=ax)
    check(lambda a: mx.squeeze(a), r(3, 1, 4, 1), in_axes=0)
    check(lambda a: mx.squeeze(a, 1), r(1, 3, 1), in_axes=1)


def test_as_strided(r):
    check(lambda a: mx.as_strided(a, (3, 2), (2, 1)), r(3, 8))
    check(lambda a: mx.as_strided(a, (2, 2), (1, 3), offset=1), r(8, 4), in_axes=1)


def test_concatenate_stack_split(r):
    check(lambda a, b: mx.concatenate([a, b], axis=0), r(3, 4), r(3, 2))
    check(lambda a, b: mx.concatenate([a, b], axis=-1), r(3, 2, 4), r(2, 5), in_axes=(0, None))
    check(lambda a, b: mx.concatenate([a, b, a]), r(4, 3), r(2, 3), in_axes=(1, 1))
    check(lambda a, b: mx.stack([a, b], axis=1), r(3, 4, 2), r(4, 2), in_axes=(0, None))
    check(lambda a, b: mx.stack([a, b], axis=-1), r(3, 4), r(4, 3), in_axes=(0, 1))
    check(lambda a: mx.split(a, 3, axis=1), r(2, 4, 6))
    check(lambda a: mx.split(a, [1, 3], axis=0), r(5, 2), in_axes=1)
    check(lambda a: tuple(mx.split(a, 2)), r(4, 3), in_axes=1)


# ---------------------------------------------------------------- indexing


def ints(rng, high, shape, dtype=mx.int32):
    return mx.array(rng.integers(0, high, shape), dtype=dtype)


def test_take(r, rng):
    x, idx = r(3, 5, 4), ints(rng, 5, (3, 2))
    check(lambda a, i: mx.take(a, i, axis=0), x, idx)
    check(lambda a, i: mx.take(a, i, axis=0), x, idx[0], in_axes=(0, None))
    check(lambda a, i: mx.take(a, i, axis=1), x[0], idx.T.reshape(2, 3), in_axes=(None, 1))
    check(lambda a, i: mx.take(a, i), x, ints(rng, 20, (3, 6)))
    check(lambda a, i: mx.take(a, i, axis=-1), x, ints(rng, 4, (3, 2, 2)))


def test_take_along_axis(r, rng):
    x = r(3, 5, 4)
    check(lambda a, i: mx.take_along_axis(a, i, axis=0), x, ints(rng, 5, (3, 2, 4)))
    check(lambda a, i: mx.take_along_axis(a, i, axis=1), x, ints(rng, 4, (5, 1)),
          in_axes=(0, None))
    check(lambda a, i: mx.take_along_axis(a, i, axis=-1), x[0], ints(rng, 4, (3, 5, 2)),
          in_axes=(None, 0))
    check(lambda a, i: mx.take_along_axis(a, i, axis=None), x, ints(rng, 20, (3, 7)))


def test_put_along_axis(r, rng):
    x, v = r(3, 5, 4), r(3, 1, 4)
    idx = mx.array(np.stack([rng.permutation(5)[:1] for _ in range(3)]).reshape(3, 1, 1)
                   .repeat(4, 2), dtype=mx.int32)
    check(lambda a, i, u: mx.put_along_axis(a, i, u, axis=0), x, idx, v)
    check(lambda a, i, u: mx.put_along_axis(a, i, u, axis=0), x, idx[0], v[0],
          in_axes=(0, None, None))
    check(lambda a, i, u: mx.put_along_axis(a, i, u, axis=0), x[0], idx, v,
          in_axes=(None, 0, 0))
    check(lambda a, i, u: mx.put_along_axis(a, i, u, axis=0), x[0], idx, v[0],
          in_axes=(None, 0, None))


def test_getitem(r, rng):
    x = r(3, 5, 4)
    i = ints(rng, 5, (3, 2))
    check(lambda a, j: a[j], x, i)  # both batched
    check(lambda a, j: a[j], x, i[0], in_axes=(0, None))  # batched x
    check(lambda a, j: a[j], x[0], i, in_axes=(None, 0))  # batched index
    check(lambda a, j: a[:, j], x, ints(rng, 4, (3, 2, 2)))
    check(lambda a, j, k: a[j, k], x, i, ints(rng, 4, (3, 2)))  # two gathers
    check(lambda a, j, k: a[j, 1:, k], r(3, 5, 2, 4), i, ints(rng, 4, (2,)),
          in_axes=(0, 0, None))
    check(lambda a: a[1, ::-1, None, 2:], r(3, 4, 5, 6))
    check(lambda a: a[..., 1], x, in_axes=2)


def test_at_updates(r, rng):
    x = r(3, 5, 4)
    i = mx.array(rng.integers(0, 5, (3, 3)), dtype=mx.int32)  # repeats: they accumulate
    u = r(3, 3, 4)
    check(lambda a, j, v: a.at[j].add(v), x, i, u)
    check(lambda a, j, v: a.at[j].add(v), x, i[0], u[0], in_axes=(0, None, None))
    check(lambda a, j, v: a.at[j].add(v), x[0], i, u[0], in_axes=(None, 0, None))
    check(lambda a, j, v: a.at[j].add(v), x[0], i[0], u, in_axes=(None, None, 0))
    check(lambda a, j, v: a.at[j].multiply(v), x, i, u)
    check(lambda a, j, v: a.at[j].maximum(v), x, i[0], u, in_axes=(0, None, 0))
    check(lambda a, j, v: a.at[j].minimum(v), x[0], i, u, in_axes=(None, 0, 0))
    check(lambda a, j: a.at[j].subtract(1.5), x, i)
    perm = mx.array(np.stack([rng.permutation(5)[:3] for _ in range(3)]), dtype=mx.int32)

    def put(a, j, v):
        a = a * 1  # a copy: an unmapped argument is the caller's array
        a[j] = v
        return a

    for ia in ((0, 0, 0), (None, 0, 0), (0, None, 0), (0, 0, None), (None, None, 0)):
        args = [x[0] if ia[0] is None else x, perm[0] if ia[1] is None else perm,
                u[0] if ia[2] is None else u]
        check(put, *args, in_axes=ia)  # distinct indices: the stores don't collide
    check(lambda a, j, v: a.at[:, j].add(v), x, ints(rng, 4, (3, 2)), r(3, 5, 2))


def test_slice_updates(r):
    x = r(3, 5, 4)

    # The updates go to a copy: an unmapped argument is the caller's array.
    def f(a, v):
        a = a * 1
        a[1:4:2] = v
        return a

    def g(a, v):
        a = a * 1
        a[:, -1] = v * 2
        return a

    check(f, x, r(3, 2, 4))
    check(f, x, r(2, 4), in_axes=(0, None))
    check(f, x[0], r(3, 2, 4), in_axes=(None, 0))
    check(g, x, r(5, 3), in_axes=(0, 1))
    check(lambda a, v: a.at[2:, 1].add(v), x, r(3, 3))


# ---------------------------------------------------------------- random


def test_random_keys():
    keys = mx.random.split(mx.random.key(7), 4)
    for fn in (lambda k: mx.random.uniform(shape=(3,), key=k),
               lambda k: mx.random.normal(shape=(2, 2), key=k),
               lambda k: mx.random.uniform(key=k),
               lambda k: mx.random.randint(0, 100, (5,), key=k)):
        check(fn, keys, exact=True)
    check(lambda k: mx.random.split(k, 3), keys, exact=True)
    check(lambda x, k: x + mx.random.uniform(shape=(3,), key=k), mx.arange(3.0), keys,
          in_axes=(None, 0), rtol=1e-6)


# ---------------------------------------------------------------- in_axes / out_axes


def test_in_axes_variants(r):
    x = r(3, 4, 5)
    check(lambda a: a * 2, x, in_axes=-1)
    check(lambda a: a * 2, x, in_axes=-2)
    check(lambda a, b: a * b, x, r(4, 5), in_axes=(0, None))
    check(lambda a, b: a * b, x, r(4, 5, 3), in_axes=[0, -1])
    check(lambda d: d["a"] + d["b"].sum(), {"a": x, "b": r(5, 3)}, in_axes=({"a": 0, "b": 1},))
    with pytest.raises(ValueError):  # a tree of in_axes matches the tuple of arguments
        mx.vmap(lambda d: d["a"], in_axes={"a": 0})({"a": x})
    check(lambda d: d["a"] + d["b"].sum(), {"a": x, "b": r(3)}, in_axes=({"a": 0, "b": None},))
    check(lambda p, c: p[0] * p[1] + c, [x, r(4, 3, 5)], r(4, 5), in_axes=([0, 1], None))
    check(lambda p: p[0] @ p[1], (r(2, 3, 4), r(4, 2)), in_axes=((1, None),))


def test_out_axes_variants(r):
    x = r(3, 4, 5)
    for oa in (0, 1, -1, 2):
        check(lambda a: a * 2, x, out_axes=oa)
    check(lambda a: (a.sum(0), a * 2), x, out_axes=(0, 1))
    check(lambda a: (a.sum(0), a * 2), x, out_axes=(-1, 2))
    check(lambda a: {"s": a.sum(), "t": a.T}, x, out_axes={"s": 0, "t": -1})


def test_unbatched_outputs(r):
    x, c = r(3, 4), r(5)
    out = check(lambda a, b: (a * 2, b + 1), x, c, in_axes=(0, None), out_axes=(0, 1))
    assert out[1].shape == (5, 3)
    out = check(lambda a: mx.arange(4.0, dtype=F64), x)
    assert out.shape == (3, 4)
    check(lambda a, b: b, x, c, in_axes=(0, None))


def test_nested(r):
    x, y = r(3, 4, 5), r(4, 5)
    inner = mx.vmap(lambda a, b: (a * b).sum(), in_axes=(1, 0))  # over 5
    out = mx.vmap(inner, in_axes=(0, None))(x, y.T)  # over 3
    want = np.einsum("ijk,kj->ik", np.array(x), np.array(y.T))
    np.testing.assert_allclose(np.array(out), want, rtol=1e-12)
    # vmap of vmap equals a double loop, with out_axes at both levels.
    f = mx.vmap(lambda a: mx.cumsum(a) * a[0], out_axes=1)
    check(f, x, in_axes=2, out_axes=-1)
    g = mx.vmap(mx.vmap(lambda a, b: a @ b, in_axes=(0, None)), in_axes=(None, 0))
    got = g(r(2, 4, 5), r(3, 5, 6))
    assert got.shape == (3, 2, 4, 6)


# ---------------------------------------------------------------- with autodiff


def fd_grad(f, x, eps=1e-6):
    x = np.array(x)
    g = np.zeros_like(x)
    for i in range(x.size):
        p, m = x.copy(), x.copy()
        p.reshape(-1)[i] += eps
        m.reshape(-1)[i] -= eps
        g.reshape(-1)[i] = (f(mx.array(p, dtype=F64)).item() -
                            f(mx.array(m, dtype=F64)).item()) / (2 * eps)
    return g


def loss(a, w):
    return (mx.tanh(a @ w) ** 2).sum() + mx.logsumexp(a * a)


def test_vmap_of_grad(r):
    xs, w = r(4, 3, 5), r(5, 2)
    check(mx.grad(loss), xs, w, in_axes=(0, None))
    check(mx.grad(loss, argnums=1), xs, w, in_axes=(0, None))
    check(mx.grad(loss, argnums=(0, 1)), xs, r(4, 5, 2))
    check(lambda a: mx.value_and_grad(lambda b: (mx.sin(b) * b).sum())(a), xs)
    for i in range(2):
        g = mx.vmap(mx.grad(loss), in_axes=(0, None))(xs, w)
        np.testing.assert_allclose(np.array(g[i]), fd_grad(lambda a: loss(a, w), xs[i]),
                                   rtol=1e-5, atol=1e-6)


def test_grad_of_vmap(r):
    xs, w = r(4, 3, 5), r(5, 2)
    per = mx.vmap(loss, in_axes=(0, None))

    def total(a, b):
        return (per(a, b) * mx.arange(1, 5, dtype=F64)).sum()

    def total_loop(a, b):
        return sum((i + 1) * loss(a[i], b) for i in range(4))

    for argnums in (0, 1):
        got = mx.grad(total, argnums=argnums)(xs, w)
        want = mx.grad(total_loop, argnums=argnums)(xs, w)
        np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.array(mx.grad(total, argnums=1)(xs, w)),
                               fd_grad(lambda b: total(xs, b), w), rtol=1e-5, atol=1e-6)


def test_jvp_of_vmap(r):
    xs, t = r(4, 3, 5), r(4, 3, 5)
    f = mx.vmap(lambda a: mx.cumprod(mx.sin(a), axis=-1).sum(0))
    out, jv = mx.jvp(f, [xs], [t])
    eps = 1e-6
    fd = (np.array(f(xs + eps * t)) - np.array(f(xs - eps * t))) / (2 * eps)
    np.testing.assert_allclose(np.array(jv[0]), fd, rtol=1e-5, atol=1e-6)
    check(lambda a, b: mx.jvp(lambda c: mx.exp(c) * c, [a], [b])[1][0], xs, t)


def test_vmap_of_vjp(r):
    xs, cs = r(4, 3), r(4, 3)
    check(lambda a, c: mx.vjp(lambda b: mx.sin(b) * b, [a], [c])[1][0], xs, cs)


# ---------------------------------------------------------------- errors


def test_errors(r):
    with pytest.raises(ValueError):
        mx.vmap(lambda a, b: a + b)(r(3, 4), r(4, 4))
    with pytest.raises(ValueError):
        mx.vmap(lambda a, b: a + b, in_axes=(0, 1))(r(3, 4), r(4, 4))
    with pytest.raises(ValueError):
        mx.vmap(lambda a: a, in_axes=2)(r(3, 4))
    with pytest.raises(ValueError):
        mx.vmap(lambda a: a, in_axes=-3)(r(3, 4))
    with pytest.raises(ValueError):
        mx.vmap(lambda a: a, out_axes=3)(r(3, 4))
    with pytest.raises(ValueError):
        mx.vmap(lambda a, b: a + b, in_axes=(0,))(r(3, 4), r(3, 4))
    with pytest.raises(ValueError):
        mx.vmap(lambda a: a, in_axes=None)(r(3, 4))


def test_tracer_cannot_be_evaluated(r):
    x = r(3, 4)
    with pytest.raises(ValueError):
        mx.vmap(lambda a: print(a) or a)(x)
    with pytest.raises(ValueError):
        mx.vmap(lambda a: mx.eval(a) or a)(x)
    with pytest.raises(ValueError):
        mx.vmap(lambda a: a.sum().item() * a)(x)
    with pytest.raises(ValueError):
        mx.vmap(lambda a: np.array(a))(x)
    # The failure leaves nothing behind: a later vmap still works.
    check(lambda a: a + 1, x)


# ---------------------------------------------------------------- more cases


def test_layouts_and_sizes(rng):
    base = rng.standard_normal((4, 6))
    f = lambda a: mx.cumsum(mx.exp(a) * a[::-1], axis=0) @ mx.ones((a.shape[-1], 2), dtype=F64)  # noqa: E731
    check(f, mx.array(base.T.copy(), dtype=F64).T)  # transposed
    check(f, mx.array(np.repeat(base, 2, 0), dtype=F64)[::2], in_axes=1)  # strided
    check(f, mx.broadcast_to(mx.array(base[:1], dtype=F64), (4, 6)), in_axes=1)  # broadcast
    check(f, mx.array(base[:1], dtype=F64))  # a batch of one
    x = mx.array(base, dtype=F64)
    check(lambda a, b: a * b + a, x, x)  # one array passed twice
    sq = mx.array(rng.standard_normal((4, 4)), dtype=F64)
    check(lambda a, b: a * b + a, sq, sq, in_axes=(0, 1))
    check(lambda a: a, x, in_axes=1)  # the input itself is the output


@pytest.mark.parametrize("dtype", [mx.int32, mx.int64, mx.uint8])
def test_int_ops(rng, dtype):
    x = mx.array(rng.integers(0, 50, (3, 4, 5)), dtype=dtype)
    check(lambda a: mx.sort(a, axis=0), x, in_axes=2)
    check(lambda a: mx.argmax(a, axis=1), x)
    check(lambda a: mx.cummax(a, axis=-1, reverse=True), x, in_axes=1)
    check(lambda a: a.max(axis=(0, 1)) - a.min(), x, in_axes=-1)
    check(lambda a: a // 3 + a % 4, x)
    check(lambda a: mx.take(a, mx.array([0, 2, 2]), axis=1), x)


def test_closures(r):
    x, y, w = r(3, 4), r(5, 4), r(4)
    # The inner vmap uses the outer one's element as a constant.
    out = mx.vmap(lambda a: mx.vmap(lambda b: (a * b).sum())(y))(x)
    np.testing.assert_allclose(np.array(out), np.array(x) @ np.array(y).T, rtol=1e-12)
    # grad inside vmap of a function closing over the element.
    check(lambda a: mx.grad(lambda v: (mx.sin(a * v) * a).sum())(w), x)
    check(lambda a: mx.grad(lambda v: (mx.sin(a * v) * a).sum())(a * 2), x)


def test_grad_of_vmap_axes(r):
    x, w = r(4, 3), r(3, 4)
    f = mx.vmap(lambda a, b: mx.tanh(a * b) * a, in_axes=(1, 0), out_axes=1)

    def total(a, b):
        return (f(a, b) * mx.arange(12, dtype=F64).reshape(4, 3)).sum()

    def total_loop(a, b):
        return sum((mx.tanh(a[:, i] * b[i]) * a[:, i] * mx.arange(i, 12, 3, dtype=F64)).sum()
                   for i in range(3))

    for argnums in (0, 1):
        np.testing.assert_allclose(np.array(mx.grad(total, argnums)(x, w)),
                                   np.array(mx.grad(total_loop, argnums)(x, w)), rtol=1e-12)
    _, jv = mx.jvp(total, [x, w], [w.T, x.T])
    _, jl = mx.jvp(total_loop, [x, w], [w.T, x.T])
    np.testing.assert_allclose(np.array(jv[0]), np.array(jl[0]), rtol=1e-12)
    # Second order through vmap.
    g2 = mx.grad(lambda a: mx.grad(total)(a, w).sum())(x)
    g2l = mx.grad(lambda a: mx.grad(total_loop)(a, w).sum())(x)
    np.testing.assert_allclose(np.array(g2), np.array(g2l), rtol=1e-10, atol=1e-12)


def test_tracer_repr(r):
    with pytest.raises(ValueError):
        mx.vmap(lambda a: repr(a) and a)(r(3, 4))
    with pytest.raises(ValueError):
        mx.vmap(lambda a: a.tolist() and a)(r(3, 4))


def test_scalar_elements(r, rng):
    x, m = r(4), r(5, 4)
    check(lambda a: mx.exp(a) * 2 + a.sum() + a.max(axis=None), x)
    check(lambda a: (a.reshape(1, 1), mx.broadcast_to(a, (2, 3)), mx.expand_dims(a, 0)), x)
    check(lambda a: (mx.stack([a, a * 2]), mx.cumsum(a)), x)
    check(lambda a: mx.take(m[0], a.astype(mx.int32) % 4), x * 10)
    check(lambda a: mx.where(a > 0, a, m[0]), x)
    check(lambda a: m * a @ m[0], x)


def test_mixed_indices(r, rng):
    x, j, k = r(3, 5, 4), ints(rng, 5, (3, 2)), ints(rng, 4, (2,))
    check(lambda a, jj: a.at[jj, k].add(1.0), x, j)
    check(lambda a, jj: a.at[k, jj].add(mx.arange(2, dtype=F64)), x[0].T, j, in_axes=(None, 0))
    check(lambda a, jj: a[jj, k], x, j)
    check(lambda a, jj: a[k, jj], x[0].T, j, in_axes=(None, 0))


def test_random_variants():
    keys = mx.random.split(mx.random.key(3), 4)
    row = mx.array([0.3, -1.0, 2.0, 0.5])
    check(lambda k, lo: mx.random.uniform(lo, lo + 1, key=k), keys, mx.arange(4.0),
          rtol=1e-6, atol=1e-6)
    check(lambda k: mx.random.bernoulli(0.3, (5,), key=k), keys)
    check(lambda k: mx.random.categorical(row, key=k), keys)
    check(lambda k: mx.random.permutation(5, key=k), keys)
    check(lambda k: mx.random.uniform(key=mx.random.split(k)[1]), keys)
    check(lambda k, hi: mx.random.randint(0, hi, (3,), key=k), keys, mx.array([5, 10, 50, 100]))
    check(lambda a, k: a + mx.random.uniform(shape=a.shape, key=k), mx.ones((4, 3)), keys[0],
          in_axes=(0, None))
