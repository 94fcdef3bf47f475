"""mx.export_function / mx.import_function / mx.exporter: functions traced
on random example inputs, saved, imported (here and in a fresh process) and
compared with the function called directly; several signatures in one file,
shapeless exports at new shapes, constants, random keys, and errors (a call
no signature takes, a missing, truncated or damaged file)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tandem.core as mx
from utils import ALL_DTYPES, NP_DTYPE, random_values


def rand(rng, shape, dtype=mx.float32):
    return mx.array(rng.standard_normal(shape).astype(np.float32)).astype(dtype)


def same(a, b, tol=0.0):
    assert a.dtype == b.dtype and a.shape == b.shape
    a, b = a.astype(mx.float32) if a.dtype == mx.bfloat16 else a, b
    b = b.astype(mx.float32) if b.dtype == mx.bfloat16 else b
    if tol == 0.0:
        np.testing.assert_array_equal(np.array(a), np.array(b))
    else:
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=tol, atol=tol)


def typed(rng, shape, dtype):
    v = random_values(rng, shape, dtype, low=1, high=9)
    if NP_DTYPE[dtype] is None:
        return mx.array(v.astype(np.float32)).astype(dtype)
    return mx.array(v.astype(NP_DTYPE[dtype]))


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_round_trip_every_dtype(tmp_path, rng, dtype):
    def fun(a, b):
        if dtype == mx.bool_:
            return mx.logical_and(a, b), mx.logical_or(a, b)
        return a + b, mx.maximum(a, b), (a * b).sum(axis=0)

    a, b = typed(rng, (3, 5), dtype), typed(rng, (3, 5), dtype)
    path = str(tmp_path / "f.tfn")
    mx.export_function(path, fun, a, b)
    g = mx.import_function(path)
    for _ in range(2):  # new values of the same signature
        a, b = typed(rng, (3, 5), dtype), typed(rng, (3, 5), dtype)
        out = g(a, b)
        assert isinstance(out, tuple)
        want = fun(a, b)
        assert len(out) == len(want)
        for o, w in zip(out, want):
            same(o, w)


def many_ops(x, w, idx):
    # Matmul, row norms, scans, sorts, gathers, slices, shape changes, fft,
    # reductions, comparisons: one primitive of most families.
    h = mx.softmax(x @ w, axis=-1)
    h = mx.fast.layer_norm(h, None, None, 1e-5) + mx.cumsum(h, axis=1)
    s = mx.sort(h, axis=1) - mx.take(h, idx, axis=1).mean()
    t = mx.concatenate([s[:, ::2], s[:, 1::2]], axis=1).T.reshape(-1)
    f = mx.abs(mx.fft.rfft(t))
    return mx.where(t > 0, t, -t), f, mx.argmax(h, axis=1), mx.logsumexp(x, axis=1)


def test_many_primitives(tmp_path, rng):
    x, w = rand(rng, (4, 6)), rand(rng, (6, 8))
    idx = mx.array(rng.integers(0, 8, size=(3,)).astype(np.int32))
    path = tmp_path / "many.tfn"
    mx.export_function(path, many_ops, x, w, idx)
    g = mx.import_function(path)
    x, w = rand(rng, (4, 6)), rand(rng, (6, 8))
    for o, want in zip(g(x, w, idx), many_ops(x, w, idx)):
        same(o, want, 1e-5)


def test_pytrees_of_args_and_kwargs(tmp_path, rng):
    def fun(pair, scale, opts=None):
        a, b = pair
        return [a * scale + opts["shift"][0], (b - opts["shift"][1]).sum(), opts["bias"]]

    pair = (rand(rng, (2, 3)), rand(rng, (4,)))
    opts = {"shift": [rand(rng, (3,)), rand(rng, ())], "bias": rand(rng, (5,))}
    scale = rand(rng, ())
    path = str(tmp_path / "tree.tfn")
    mx.export_function(path, fun, pair, scale, opts=opts)
    g = mx.import_function(path)
    pair = [rand(rng, (2, 3)), rand(rng, (4,))]
    opts = {"bias": rand(rng, (5,)), "shift": [rand(rng, (3,)), rand(rng, ())]}  # other order
    # The exported structure had a tuple: a list is another signature.
    with pytest.raises(ValueError, match="no exported signature"):
        g(pair, scale, opts=opts)
    out = g(tuple(pair), scale, opts=opts)
    for o, want in zip(out, fun(pair, scale, opts)):
        same(o, want)


def test_keywords_in_any_order_and_packed_calls(tmp_path, rng):
    def fun(x, y, z):
        return x * y - z

    x, y, z = rand(rng, (3,)), rand(rng, (3,)), rand(rng, (3,))
    path = str(tmp_path / "kw.tfn")
    mx.export_function(path, fun, x, z=z, y=y)
    g = mx.import_function(path)
    want = fun(x, y, z)
    same(g(x, y=y, z=z)[0], want)
    same(g(x, z=z, y=y)[0], want)
    same(g((x,), {"y": y, "z": z})[0], want)  # MLX's packed form
    with pytest.raises(ValueError, match="no exported signature"):
        g(x, y, z)
    with pytest.raises(ValueError, match="no exported signature"):
        g(x, y=y, w=z)
    # Exporting in the packed form: one tuple of the positional arguments.
    mx.export_function(path, fun, (x, y, z))
    same(mx.import_function(path)(x, y, z)[0], want)


def test_exporter_several_signatures(tmp_path, rng):
    def fun(*args, **kwargs):
        out = sum(args)
        for v in kwargs.values():
            out = out * v
        return out

    path = str(tmp_path / "multi.tfn")
    sigs = [
        ((rand(rng, (3,)),), {}),
        ((rand(rng, (3,)), rand(rng, (3,))), {}),
        ((typed(rng, (2, 2), mx.int32),), {}),
        ((rand(rng, (3,)),), {"k": rand(rng, (3,))}),
    ]
    with mx.exporter(path, fun) as ex:
        for args, kwargs in sigs:
            ex(*args, **kwargs)
        with pytest.raises(RuntimeError, match="already exported"):
            ex(*sigs[0][0])
    with pytest.raises(RuntimeError, match="closed"):
        ex(rand(rng, (3,)))
    g = mx.import_function(path)
    assert g.num_signatures == len(sigs)
    for args, kwargs in sigs:
        args = tuple(mx.array(np.array(a) + 1) for a in args)
        kwargs = {k: v + 2 for k, v in kwargs.items()}
        same(g(*args, **kwargs)[0], fun(*args, **kwargs))
    with pytest.raises(ValueError, match=r"no exported signature[\s\S]*float32 \(3,\)"):
        g(rand(rng, (4,)))


def test_shapeless_at_new_shapes(tmp_path, rng):
    def fun(x, w, b):
        return mx.tanh(x @ w + b).sum(axis=-1, keepdims=True), mx.exp(x).T

    path = str(tmp_path / "shapeless.tfn")
    mx.export_function(path, fun, rand(rng, (2, 3)), rand(rng, (3, 4)), rand(rng, (4,)),
                       shapeless=True)
    g = mx.import_function(path)
    for m, k, n in [(2, 3, 4), (5, 7, 1), (1, 2, 9)]:
        x, w, b = rand(rng, (m, k)), rand(rng, (k, n)), rand(rng, (n,))
        for o, want in zip(g(x, w, b), fun(x, w, b)):
            same(o, want, 1e-5)
    with pytest.raises(ValueError, match="shapeless"):  # another rank
        g(rand(rng, (2, 3, 3)), rand(rng, (3, 4)), rand(rng, (4,)))
    with pytest.raises(ValueError, match="no exported signature"):  # another dtype
        g(rand(rng, (2, 3), mx.float16), rand(rng, (3, 4)), rand(rng, (4,)))
    # A graph without shape rules is refused at export, not at a later call.
    with pytest.raises(ValueError, match="shapeless"):
        mx.export_function(path, lambda x: mx.sort(x), rand(rng, (5,)), shapeless=True)


def test_constants_are_captured(tmp_path, rng):
    c = rand(rng, (4,))
    table = {"w": rand(rng, (4, 4))}

    def fun(x):
        return x @ table["w"] + c

    path = str(tmp_path / "const.tfn")
    mx.export_function(path, fun, rand(rng, (2, 4)))
    x = rand(rng, (2, 4))
    want = fun(x)
    table["w"] = rand(rng, (4, 4))  # later changes do not reach the file
    same(mx.import_function(path)(x)[0], want, 1e-6)
    # Constants of any layout (broadcast, transposed) are saved row-major.
    b, t = mx.broadcast_to(rand(rng, (4,)), (3, 4)), rand(rng, (4, 3)).T
    mx.eval(b, t)
    mx.export_function(path, lambda x: (x + b, x * t), rand(rng, (3, 4)))
    x = rand(rng, (3, 4))
    p, q = mx.import_function(path)(x)
    same(p, x + b)
    same(q, x * t)


def test_no_input_function(tmp_path, rng):
    c = rand(rng, (3,))
    path = str(tmp_path / "none.tfn")
    mx.export_function(path, lambda: (c * 2, c))
    a, b = mx.import_function(path)()
    same(a, c * 2)
    same(b, c)


def test_random_keys(tmp_path, rng):
    path = str(tmp_path / "rand.tfn")
    # Without a key: new numbers at each call, from the global key (seeded).
    mx.export_function(path, lambda x: x + mx.random.uniform(shape=x.shape), mx.zeros((4,)))
    g = mx.import_function(path)
    x = rand(rng, (4,))
    mx.random.seed(3)
    a = g(x)[0]
    b = g(x)[0]
    assert not np.array_equal(np.array(a), np.array(b))
    mx.random.seed(3)
    same(g(x)[0], a)
    mx.random.seed(3)
    same(x + mx.random.uniform(shape=(4,)), a)  # what the function itself gives
    # With a key as an input: the numbers the key gives.
    mx.export_function(path, lambda x, k: x * mx.random.normal(x.shape, key=k), x,
                       mx.random.key(0))
    g = mx.import_function(path)
    k = mx.random.key(int(rng.integers(1 << 30)))
    same(g(x, k)[0], x * mx.random.normal((4,), key=k))


def test_metadata_and_paths(tmp_path, rng):
    x = rand(rng, (3,))
    path = tmp_path / "meta.tfn"  # a pathlib path
    mx.export_function(path, mx.exp, x, metadata='{"model": "tiny", "é": 1}')
    g, meta = mx.import_function(path, return_metadata=True)
    assert meta == '{"model": "tiny", "é": 1}' and g.metadata == meta
    same(g(x)[0], mx.exp(x))
    mx.export_function(str(path), mx.exp, x)
    assert mx.import_function(str(path), return_metadata=True)[1] == ""


def test_transforms_of_an_imported_function(tmp_path, rng):
    def fun(x, y):
        return mx.sin(x) * y

    x, y = rand(rng, (3,)), rand(rng, (3,))
    path = str(tmp_path / "tr.tfn")
    mx.export_function(path, fun, x, y)
    g = mx.import_function(path)
    same(mx.grad(lambda a: g(a, y)[0].sum())(x), mx.grad(lambda a: fun(a, y).sum())(x), 1e-6)
    xs = rand(rng, (5, 3))
    same(mx.vmap(lambda a: g(a, y)[0])(xs), fun(xs, y), 1e-6)
    same(mx.compile(lambda a: g(a, y)[0])(x), fun(x, y))


def test_import_in_a_fresh_process(tmp_path, rng):
    def fun(x, y=None):
        return mx.softmax(x, axis=-1) * y["s"], mx.cumprod(x, axis=0)

    x, s = rand(rng, (3, 4)), rand(rng, (4,))
    path = str(tmp_path / "proc.tfn")
    with mx.exporter(path, fun) as ex:
        ex(x, y={"s": s})
        ex(rand(rng, (2, 2)), y={"s": rand(rng, (2,))})
    np.save(tmp_path / "x.npy", np.array(x))
    np.save(tmp_path / "s.npy", np.array(s))
    code = textwrap.dedent(f"""
        import numpy as np
        import tandem.core as mx
        g = mx.import_function({path!r})
        x = mx.array(np.load({str(tmp_path / 'x.npy')!r}))
        s = mx.array(np.load({str(tmp_path / 's.npy')!r}))
        a, b = g(x, y={{"s": s}})
        np.save({str(tmp_path / 'a.npy')!r}, np.array(a))
        np.save({str(tmp_path / 'b.npy')!r}, np.array(b))
    """)
    env = dict(os.environ)
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(mx.__file__)))
    env["PYTHONPATH"] = pkg + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    a, b = fun(x, y={"s": s})
    np.testing.assert_allclose(np.load(tmp_path / "a.npy"), np.array(a), rtol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "b.npy"), np.array(b), rtol=1e-6)


def test_export_errors(tmp_path, rng):
    x = rand(rng, (3,))
    path = str(tmp_path / "e.tfn")
    with pytest.raises(ValueError, match="inputs must be arrays"):
        mx.export_function(path, lambda x, k: x * k, x, 2.0)
    with pytest.raises(ValueError, match="must return an array"):
        mx.export_function(path, lambda x: {"y": x}, x)
    with pytest.raises(TypeError, match="callable"):
        mx.export_function(path, 3, x)
    with pytest.raises(TypeError, match="callback"):
        mx.export_function(lambda *a: None, mx.exp, x)

    @mx.custom_function
    def f(a):
        return a * 2

    with pytest.raises(ValueError, match="cannot export CustomTransforms"):
        mx.export_function(path, f, x)
    assert not os.path.exists(path)


def test_import_errors(tmp_path, rng):
    with pytest.raises(RuntimeError, match="cannot open"):
        mx.import_function(str(tmp_path / "missing.tfn"))
    path = tmp_path / "ok.tfn"
    mx.export_function(path, lambda a, b: (a @ b, a.sum()), rand(rng, (2, 3)), rand(rng, (3, 2)))
    good = path.read_bytes()
    bad = tmp_path / "bad.tfn"
    cases = {
        "not a function exported": b"garbage that is not an export",
        "truncated": good[: len(good) // 2],
        "checksum": good[:-3] + bytes([good[-3] ^ 0x40]) + good[-2:],
        "format version": good[:8] + b"\x63\x00\x00\x00" + good[12:],
        "extended": good + b"\x00",
    }
    for what, data in cases.items():
        bad.write_bytes(data)
        with pytest.raises(ValueError, match=what) as e:
            mx.import_function(bad)
        assert "bad.tfn" in str(e.value)
    bad.write_bytes(b"")
    with pytest.raises(ValueError, match="not a function exported"):
        mx.import_function(str(bad))


def _spd(a):
    return a @ a.T + 4 * mx.eye(a.shape[0])


# One function per primitive family (the parameters each primitive saves):
# name -> (function, example input shapes). Linear algebra runs on the CPU
# stream (the GPU refuses it), the rest on the default device.
CPU = mx.cpu
PRIMITIVE_CASES = {
    "unary_binary_select": (lambda a, b: mx.where(a > b, mx.sin(a), mx.arctan2(a, b)), [(3, 4), (3, 4)]),
    "arange_astype": (lambda a: a + mx.arange(2, 14, 3).astype(mx.float32), [(4,)]),
    "concatenate_slice": (lambda a, b: mx.concatenate([a[::-1, 1:], b], axis=1), [(3, 4), (3, 2)]),
    "gather": (lambda a: a[mx.array([2, 0, 1]), 1:3], [(3, 4)]),
    "scatter": (lambda a, b: a.at[mx.array([0, 2, 0])].add(b), [(3, 4), (3, 4)]),
    "gather_scatter_axis": (
        lambda a: mx.put_along_axis(a, mx.array([[1], [0], [3]]),
                                    mx.take_along_axis(a, mx.array([[3], [2], [0]]), axis=1), axis=1),
        [(3, 4)]),
    "slice_update": (lambda a, b: mx.slice_update(a, b, mx.array([1, 0]), axes=(0, 1)), [(3, 4), (2, 2)]),
    "inverse": (lambda a: mx.linalg.inv(_spd(a), stream=CPU), [(3, 3)]),
    "tri_inverse": (lambda a: mx.linalg.tri_inv(_spd(a), upper=True, stream=CPU), [(3, 3)]),
    "cholesky": (lambda a: mx.linalg.cholesky(_spd(a), upper=True, stream=CPU), [(3, 3)]),
    "qr": (lambda a: mx.linalg.qr(a, stream=CPU), [(4, 3)]),
    "svd": (lambda a: mx.linalg.svd(a, compute_uv=False, stream=CPU), [(4, 3)]),
    "eigh": (lambda a: mx.linalg.eigvalsh(_spd(a), UPLO="U", stream=CPU), [(3, 3)]),
    "eig": (lambda a: mx.abs(mx.linalg.eigvals(_spd(a), stream=CPU)), [(3, 3)]),
    "lu": (lambda a: mx.linalg.lu_factor(a, stream=CPU), [(3, 3)]),
    "addmm": (lambda c, a, b: mx.addmm(c, a, b, alpha=0.5, beta=2.0), [(2, 2), (2, 3), (3, 2)]),
    "reduce_argreduce": (lambda a: (mx.prod(a, axis=(0, 2)), mx.argmin(a, axis=1)), [(2, 3, 4)]),
    "row_norms": (lambda a, w, b: (mx.fast.layer_norm(a, w, b, 1e-3), mx.fast.rms_norm(a, w, 1e-4),
                                   mx.logsumexp(a, axis=-1)), [(3, 4), (4,), (4,)]),
    "causal_softmax": (lambda q, k, v: mx.fast.scaled_dot_product_attention(q, k, v, scale=0.5,
                                                                         mask="causal"),
                       [(1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4)]),
    "scans": (lambda a: (mx.cumsum(a, axis=1, reverse=True, inclusive=False), mx.cummax(a, axis=0)),
              [(3, 4)]),
    "shapes": (lambda a: mx.broadcast_to(mx.transpose(a, (2, 0, 1)).reshape(4, 6)[None], (2, 4, 6)),
               [(2, 3, 4)]),
    # (a.view evaluates its input, so compile and export can't trace it.)
    "as_strided": (lambda a: mx.as_strided(a, (3, 2), (1, 2), 1), [(8,)]),
    "sorts": (lambda a: (mx.sort(a, axis=0), mx.argsort(a, axis=1), mx.partition(a, 2, axis=1),
                         mx.argpartition(a, 1, axis=0)), [(3, 4)]),
    "fft": (lambda a: (mx.fft.fftn(a.astype(mx.complex64), axes=[0, 1]), mx.fft.irfft(mx.fft.rfft(a))),
            [(4, 6)]),
    "stop_gradient_depends": (lambda a, b: mx.depends(mx.stop_gradient(a) * 2, b), [(3,), (3,)]),
}


@pytest.mark.parametrize("case", list(PRIMITIVE_CASES))
def test_every_primitive_family(tmp_path, rng, case):
    fun, shapes = PRIMITIVE_CASES[case]
    path = str(tmp_path / f"{case}.tfn")
    mx.export_function(path, fun, *[rand(rng, s) for s in shapes])
    g = mx.import_function(path)
    args = [rand(rng, s) for s in shapes]
    want = fun(*args)
    want = list(want) if isinstance(want, (list, tuple)) else [want]
    out = g(*args)
    assert len(out) == len(want)
    for o, w in zip(out, want):
        same(o, w, 1e-4)


def test_exporting_compiled_and_imported_functions(tmp_path, rng):
    def fun(x, y):
        return mx.exp(x) * y + 1

    x, y = rand(rng, (4,)), rand(rng, (4,))
    first, second = str(tmp_path / "first.tfn"), str(tmp_path / "second.tfn")
    mx.export_function(first, mx.compile(fun), x, y)  # a compiled function traces through
    g = mx.import_function(first)
    mx.export_function(second, lambda a, b: g(a, b)[0] * 2, x, y)  # an imported one too
    x, y = rand(rng, (4,)), rand(rng, (4,))
    same(g(x, y)[0], fun(x, y), 1e-6)
    same(mx.import_function(second)(x, y)[0], fun(x, y) * 2, 1e-6)
