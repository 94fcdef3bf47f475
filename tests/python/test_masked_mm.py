"""block_masked_mm, segmented_mm and einsum_path against NumPy (and MLX where
installed) on random inputs: dtypes, batch broadcasting, views, empty shapes."""
import itertools

import numpy as np
import pytest
import tandem.core as mx
from utils import LAYOUTS, make, round_to, to_numpy, tolerance

try:
    import mlx.core as mlx_core
except ImportError:  # pragma: no cover
    mlx_core = None


def spread(mask, bs, rows, cols):
    m = np.repeat(np.repeat(np.asarray(mask), bs, -2), bs, -1)
    return m[..., :rows, :cols]


def np_block_masked_mm(a, b, bs, mo, ml, mr):
    M, K = a.shape[-2:]
    N = b.shape[-1]
    if ml is not None:
        a = np.where(spread(ml, bs, M, K), a, 0) if ml.dtype == bool else a * spread(ml, bs, M, K)
    if mr is not None:
        b = np.where(spread(mr, bs, K, N), b, 0) if mr.dtype == bool else b * spread(mr, bs, K, N)
    out = a @ b
    if mo is not None:
        out = np.where(spread(mo, bs, M, N), out, 0) if mo.dtype == bool else out * spread(mo, bs, M, N)
    return out


@pytest.mark.parametrize("dtype", [mx.float32, mx.float16, mx.bfloat16, mx.float64])
def test_block_masked_mm_random(rng, dtype):
    for bs, (M, K, N), batch_a, batch_b in [(32, (40, 70, 33), (), ()), (16, (16, 48, 20), (2, 1), (3,)),
                                            (64, (5, 7, 9), (2,), ()), (8, (17, 9, 31), (), (1, 2))]:
        a = round_to(rng.standard_normal(batch_a + (M, K)), dtype)
        b = round_to(rng.standard_normal(batch_b + (K, N)), dtype)
        cb = lambda n: -(-n // bs)  # noqa: E731
        batch = np.broadcast_shapes(batch_a, batch_b)
        for kinds in itertools.product([None, "bool", "float"], repeat=3):
            masks = []
            for kind, (r, c) in zip(kinds, [(M, N), (M, K), (K, N)]):
                shape = batch[len(batch) - rng.integers(0, len(batch) + 1):] + (cb(r), cb(c))
                if kind is None:
                    masks.append(None)
                elif kind == "bool":
                    masks.append(rng.random(shape) < 0.6)
                else:
                    masks.append(rng.uniform(0.5, 2, shape).astype(np.float32))
            got = mx.block_masked_mm(mx.array(a, dtype=dtype), mx.array(b, dtype=dtype), bs,
                                     *[None if m is None else mx.array(m) for m in masks])
            want = np_block_masked_mm(a, b, bs, *masks)
            assert got.dtype == dtype and got.shape == want.shape
            rtol, atol = tolerance(dtype)
            np.testing.assert_allclose(to_numpy(got), want, rtol=rtol * 20, atol=atol * 20 * K)


def test_block_masked_mm_masked_blocks_ignore_inf(rng):
    a = rng.standard_normal((8, 8)).astype(np.float32)
    a[:4, :4] = np.inf  # the masked-out block
    b = rng.standard_normal((8, 4)).astype(np.float32)
    ml = np.array([[False, True], [True, True]])
    got = mx.block_masked_mm(mx.array(a), mx.array(b), 4, mask_lhs=mx.array(ml))
    np.testing.assert_allclose(np.array(got), np.where(spread(ml, 4, 8, 8), a, 0) @ b, rtol=1e-5)


def test_block_masked_mm_layouts_vectors_empty(rng):
    a = rng.standard_normal((6, 10))
    b = rng.standard_normal((10, 5))
    ml = rng.random((2, 3)) < 0.5
    for layout in LAYOUTS:
        got = mx.block_masked_mm(make(a, mx.float32, layout), make(b, mx.float32, layout), 4,
                                 mask_lhs=make(ml, mx.bool_, layout))
        np.testing.assert_allclose(np.array(got), np_block_masked_mm(a, b, 4, None, ml, None),
                                   rtol=1e-5, atol=1e-5)
    v = rng.standard_normal(10)
    assert mx.block_masked_mm(mx.array(v), mx.array(v)).shape == ()
    np.testing.assert_allclose(mx.block_masked_mm(mx.array(v), mx.array(b)).tolist(), v @ b, rtol=1e-5)
    np.testing.assert_allclose(mx.block_masked_mm(mx.array(a), mx.array(v)).tolist(), a @ v, rtol=1e-5)
    assert mx.block_masked_mm(mx.zeros((0, 4)), mx.zeros((4, 6)), 32).shape == (0, 6)
    z = mx.block_masked_mm(mx.ones((3, 0)), mx.ones((0, 6)), 32)
    assert z.shape == (3, 6) and not z.any().item()


def test_block_masked_mm_grad(rng):
    a = mx.array(rng.standard_normal((8, 8)).astype(np.float32))
    b = mx.array(rng.standard_normal((8, 8)).astype(np.float32))
    ml = mx.array([[True, False], [True, True]])
    ga = mx.grad(lambda x: mx.block_masked_mm(x, b, 4, mask_lhs=ml).sum())(a)
    assert not np.array(ga)[:4, 4:].any()  # masked block: zero gradient
    np.testing.assert_allclose(np.array(ga)[4:], np.tile(np.array(b).sum(1), (4, 1)), rtol=1e-5)


def test_block_masked_mm_errors():
    a, b = mx.ones((40, 70)), mx.ones((70, 33))
    with pytest.raises(ValueError, match=r"\[block_masked_mm\].*mask_out"):
        mx.block_masked_mm(a, b, 32, mx.ones((2, 3), dtype=mx.bool_))
    with pytest.raises(ValueError, match=r"\[block_masked_mm\].*batch"):
        mx.block_masked_mm(mx.ones((3, 4)), mx.ones((4, 6)), 32, None, mx.ones((2, 1, 1)) > 0)
    with pytest.raises(ValueError, match=r"\[block_masked_mm\].*inner"):
        mx.block_masked_mm(mx.ones((3, 4)), mx.ones((5, 6)))
    with pytest.raises(ValueError, match=r"\[block_masked_mm\].*floating"):
        mx.block_masked_mm(mx.ones((3, 4), dtype=mx.int32), mx.ones((4, 6), dtype=mx.int32))
    with pytest.raises(ValueError, match=r"\[block_masked_mm\].*block_size"):
        mx.block_masked_mm(a, b, 0)


@pytest.mark.skipif(mlx_core is None, reason="needs MLX")
def test_block_masked_mm_matches_mlx(rng):
    a = rng.standard_normal((2, 40, 70)).astype(np.float32)
    b = rng.standard_normal((70, 33)).astype(np.float32)
    mo, ml, mr = rng.random((2, 2)) < 0.5, rng.random((2, 2, 3)) < 0.5, rng.uniform(0, 1, (3, 2))
    got = mx.block_masked_mm(mx.array(a), mx.array(b), 32, mx.array(mo), mx.array(ml),
                             mx.array(mr.astype(np.float32)))
    M = mlx_core.array
    want = mlx_core.block_masked_mm(M(a), M(b), 32, M(mo), M(ml), M(mr.astype(np.float32)))
    np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-4, atol=1e-4)


def np_segmented_mm(a, b, seg):
    seg = np.asarray(seg)
    out = np.zeros(seg.shape[:-1] + (a.shape[0], b.shape[1]))
    for idx in np.ndindex(*seg.shape[:-1]):
        s, e = seg[idx]
        s, e = max(s, 0), min(e, a.shape[1])
        if s < e:
            out[idx] = a[:, s:e] @ b[s:e]
    return out


@pytest.mark.parametrize("dtype", [mx.float32, mx.float16, mx.bfloat16, mx.float64])
def test_segmented_mm_random(rng, dtype):
    M, K, N = 5, 23, 7
    a = round_to(rng.standard_normal((M, K)), dtype)
    b = round_to(rng.standard_normal((K, N)), dtype)
    for seg_shape in [(1,), (4,), (2, 3), (0,)]:
        st = rng.integers(0, K + 1, seg_shape)
        ln = rng.integers(0, K // 2, seg_shape)
        seg = np.stack([st, np.minimum(st + ln, K)], -1)
        seg.reshape(-1, 2)[:1] = [3, 1]  # an empty range (end before start)
        for sdt in (mx.int32, mx.uint32, mx.int64):
            got = mx.segmented_mm(mx.array(a, dtype=dtype), mx.array(b, dtype=dtype),
                                  mx.array(seg, dtype=sdt))
            want = np_segmented_mm(a, b, seg)
            assert got.shape == want.shape and got.dtype == dtype
            rtol, atol = tolerance(dtype)
            np.testing.assert_allclose(to_numpy(got), want, rtol=rtol * 20, atol=atol * 40 * K)


def test_segmented_mm_layouts_grad_errors(rng):
    a = rng.standard_normal((4, 9))
    b = rng.standard_normal((9, 3))
    seg = np.array([[0, 3], [3, 9], [2, 5]])
    for layout in LAYOUTS:
        got = mx.segmented_mm(make(a, mx.float32, layout), make(b, mx.float32, layout),
                              make(seg, mx.int32, layout))
        np.testing.assert_allclose(np.array(got), np_segmented_mm(a, b, seg), rtol=1e-5, atol=1e-5)
    # Gradient w.r.t. a: each segment's columns get that segment's b rows.
    A, B = mx.array(a.astype(np.float32)), mx.array(b.astype(np.float32))
    ga = mx.grad(lambda x: mx.segmented_mm(x, B, mx.array([[2, 5]])).sum())(A)
    want = np.zeros_like(a)
    want[:, 2:5] = b[2:5].sum(1)
    np.testing.assert_allclose(np.array(ga), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"\[segmented_mm\].*\(\.\.\., 2\)"):
        mx.segmented_mm(A, B, mx.array([0, 2, 4]))
    with pytest.raises(ValueError, match=r"\[segmented_mm\].*integers"):
        mx.segmented_mm(A, B, mx.array([[0.0, 2.0]]))
    with pytest.raises(ValueError, match=r"\[segmented_mm\].*matrices"):
        mx.segmented_mm(mx.ones((2, 4, 9)), B, mx.array([[0, 2]]))
    with pytest.raises(ValueError, match=r"\[segmented_mm\].*inner"):
        mx.segmented_mm(A, mx.ones((8, 3)), mx.array([[0, 2]]))
    with pytest.raises(ValueError, match=r"\[segmented_mm\].*floating"):
        mx.segmented_mm(mx.ones((2, 3), dtype=mx.int32), mx.ones((3, 2), dtype=mx.int32),
                        mx.array([[0, 2]]))


@pytest.mark.skipif(mlx_core is None, reason="needs MLX")
def test_segmented_mm_matches_mlx(rng):
    a = rng.standard_normal((6, 20)).astype(np.float32)
    b = rng.standard_normal((20, 4)).astype(np.float32)
    seg = np.array([[[0, 5], [5, 20]], [[3, 3], [7, 12]]])
    got = mx.segmented_mm(mx.array(a), mx.array(b), mx.array(seg))
    want = mlx_core.segmented_mm(mlx_core.array(a), mlx_core.array(b), mlx_core.array(seg))
    np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-5, atol=1e-5)


def test_einsum_path_examples():
    ones = lambda *s: mx.ones(s)  # noqa: E731
    path, report = mx.einsum_path("ij,jk,kl->il", ones(2, 3), ones(3, 4), ones(4, 5))
    assert path == [(1, 2), (0, 1)]
    assert report == ("  Complete contraction:  ij,jk,kl->il\n"
                      "         Naive scaling:  4\n"
                      "     Optimized scaling:  3\n"
                      "      Naive FLOP count:  360\n"
                      "  Optimized FLOP count:  180\n")
    assert mx.einsum_path("ii", ones(3, 3))[0] == [(0,)]
    path, report = mx.einsum_path("...ij,jk->...ik", ones(7, 2, 3), ones(3, 4))
    assert path == [(0, 1)] and "Naive scaling:  4\n" in report and "FLOP count:  336\n" in report
    path, _ = mx.einsum_path("ab,bc,cd,de->ae", ones(10, 20), ones(20, 30), ones(30, 40), ones(40, 5))
    assert path == [(2, 3), (1, 2), (0, 1)]
    with pytest.raises(ValueError, match=r"\[einsum_path\]"):
        mx.einsum_path("ij,jk", ones(2, 3))
    with pytest.raises(ValueError, match=r"\[einsum_path\]"):
        mx.einsum_path("ij,jk", ones(2, 3), ones(4, 4))


def parse_report(report):
    return [int(line.split(":")[1]) for line in report.split("\n")[1:5]]


@pytest.mark.skipif(mlx_core is None, reason="needs MLX")
def test_einsum_path_matches_mlx():
    rng = np.random.default_rng(7)
    for _ in range(300):
        letters = "abcdefg"[: rng.integers(2, 8)]
        terms = ["".join(rng.choice(list(letters), rng.integers(1, min(4, len(letters) + 1)), replace=False))
                 for _ in range(rng.integers(1, 7))]
        dims = {c: int(rng.integers(1, 7)) for c in letters}
        used = sorted(set("".join(terms)))
        out = "".join(c for c in used if rng.random() < 0.3)
        sub = ",".join(terms) + ("->" + out if rng.random() < 0.8 else "")
        shapes = [tuple(dims[c] for c in t) for t in terms]
        got = mx.einsum_path(sub, *[mx.zeros(s) for s in shapes])
        want = mlx_core.einsum_path(sub, *[mlx_core.zeros(s) for s in shapes])
        assert [tuple(p) for p in got[0]] == [tuple(p) for p in want[0]], sub
        assert got[1] == want[1], sub
