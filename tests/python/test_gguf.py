"""The .gguf format: save_gguf and load (with return_metadata) against files
built byte by byte from ggml's format description, round trips over dtypes
and shapes, metadata of every kind, files exchanged with MLX both ways, and
malformed files (clear ValueErrors, never a crash)."""
import io
import struct

import numpy as np
import pytest
import tandem.core as mx

try:
    import mlx.core as m2
except ImportError:  # pragma: no cover
    m2 = None

needs_mlx = pytest.mark.skipif(m2 is None, reason="mlx is not installed: no peer files to exchange")

SAVED = ["float32", "float16", "int8", "int16", "int32"]
SHAPES = [(), (0,), (5,), (2, 3), (3, 1, 4), (2, 0, 3), (1, 2, 1, 2, 1, 2, 1, 2)]


def random_np(rng, shape, name):
    if name.startswith("int"):
        return rng.integers(-100, 100, size=shape).astype(name)
    return rng.standard_normal(shape).astype(name)


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def build_gguf(tensors, meta=(), version=3, align=32):
    """A .gguf file as ggml's docs/gguf.md lays it out. tensors: (name,
    ggml type, shape, raw bytes); meta: (key, type id, packed value)."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(meta))
    for key, t, packed in meta:
        out += gstr(key) + struct.pack("<I", t) + packed
    offset = 0
    offsets = []
    for name, t, shape, raw in tensors:
        out += gstr(name) + struct.pack("<I", len(shape))
        out += b"".join(struct.pack("<Q", d) for d in reversed(shape))
        out += struct.pack("<IQ", t, offset)
        offsets.append(offset)
        offset += (len(raw) + align - 1) // align * align
    out += bytes((align - len(out) % align) % align)
    data_start = len(out)
    for (name, t, shape, raw), off in zip(tensors, offsets):
        out += bytes(data_start + off - len(out)) + raw
    return out


def test_reads_a_file_built_from_the_format(tmp_path, rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.integers(-9, 9, (4,)).astype(np.int16)
    c = rng.standard_normal((3, 2)).astype(np.float64)
    bf = np.array([1.0, -2.5, 3.0], np.float32)
    bf_raw = (bf.view(np.uint32) >> 16).astype(np.uint16).tobytes()
    meta = [
        ("general.name", 8, gstr("tiny")),
        ("u8", 0, struct.pack("<B", 200)),
        ("i64", 11, struct.pack("<q", -(2**40))),
        ("f64", 12, struct.pack("<d", 0.25)),
        ("flag", 7, struct.pack("<B", 1)),
        ("ints", 9, struct.pack("<IQ", 5, 3) + struct.pack("<3i", 1, -2, 3)),
        ("words", 9, struct.pack("<IQ", 8, 2) + gstr("a") + gstr("bc")),
        ("none", 9, struct.pack("<IQ", 8, 0)),
    ]
    data = build_gguf(
        [("a", 0, a.shape, a.tobytes()), ("b", 25, b.shape, b.tobytes()),
         ("c", 28, c.shape, c.tobytes()), ("bf", 30, bf.shape, bf_raw)], meta)
    p = tmp_path / "f.gguf"
    p.write_bytes(data)
    arrays, md = mx.load(str(p), return_metadata=True)
    np.testing.assert_array_equal(np.array(arrays["a"]), a)
    np.testing.assert_array_equal(np.array(arrays["b"]), b)
    assert arrays["c"].dtype == mx.float64
    np.testing.assert_array_equal(np.array(arrays["c"]), c)
    assert arrays["bf"].dtype == mx.bfloat16
    np.testing.assert_array_equal(np.array(arrays["bf"].astype(mx.float32)), bf)
    assert md["general.name"] == "tiny"
    assert md["u8"].dtype == mx.uint8 and md["u8"].shape == () and md["u8"].item() == 200
    assert md["i64"].dtype == mx.int64 and md["i64"].item() == -(2**40)
    assert md["f64"].dtype == mx.float64 and md["f64"].item() == 0.25
    assert md["flag"].dtype == mx.bool_ and md["flag"].item() is True
    assert md["ints"].dtype == mx.int32 and md["ints"].tolist() == [1, -2, 3]
    assert md["words"] == ["a", "bc"] and md["none"] == []
    # Without metadata, from a file object, and with the format given.
    assert set(mx.load(io.BytesIO(data), format="gguf")) == {"a", "b", "c", "bf"}
    # A non-default alignment.
    meta64 = [("general.alignment", 4, struct.pack("<I", 64))]
    p.write_bytes(build_gguf([("a", 0, a.shape, a.tobytes()), ("b", 25, b.shape, b.tobytes())],
                             meta64, align=64))
    np.testing.assert_array_equal(np.array(mx.load(str(p))["b"]), b)


@pytest.mark.parametrize("name", SAVED)
@pytest.mark.parametrize("shape", SHAPES)
def test_round_trip(tmp_path, rng, name, shape):
    x = random_np(rng, shape, name)
    y = mx.array(x, dtype=getattr(mx, name))
    mx.save_gguf(str(tmp_path / "r"), {"x": y, "t": y.T if y.ndim > 1 else y}, {})
    back = mx.load(str(tmp_path / "r.gguf"))
    assert back["x"].dtype == y.dtype and back["x"].shape == y.shape
    np.testing.assert_array_equal(np.array(back["x"]), x)
    np.testing.assert_array_equal(np.array(back["t"]), x.T if x.ndim > 1 else x)


def test_metadata_round_trip_and_file_objects(tmp_path, rng):
    meta = {
        "s": "hello", "l": ["x", "yz"], "empty": [], "i": mx.array(3), "f": mx.array(1.5),
        "b": mx.array(True), "u": mx.array([1, 2], dtype=mx.uint8),
        "big": mx.array(2**40), "d": mx.array([0.5, 2.0], dtype=mx.float64),
        "u64": mx.array([7], dtype=mx.uint64), "np": np.arange(3, dtype=np.int16),
    }
    buf = io.BytesIO()
    mx.save_gguf(buf, {"w": mx.arange(4)}, meta)
    arrays, md = mx.load(io.BytesIO(buf.getvalue()), format="gguf", return_metadata=True)
    assert arrays["w"].tolist() == [0, 1, 2, 3]
    assert md["s"] == "hello" and md["l"] == ["x", "yz"] and md["empty"] == []
    for k in ["i", "f", "b", "u", "big", "d", "u64"]:
        assert md[k].dtype == meta[k].dtype and md[k].shape == meta[k].shape, k
        assert md[k].tolist() == meta[k].tolist(), k
    assert md["np"].dtype == mx.int16 and md["np"].tolist() == [0, 1, 2]
    mx.save_gguf(str(tmp_path / "n.gguf"), {"a": mx.ones(2)})  # metadata is optional
    assert mx.load(str(tmp_path / "n.gguf"), return_metadata=True)[1] == {}


def test_save_errors(tmp_path):
    p = str(tmp_path / "e.gguf")
    for dt in [mx.bfloat16, mx.float64, mx.uint8, mx.int64, mx.bool_, mx.complex64]:
        with pytest.raises(ValueError, match=r"\[save_gguf\].*dtype"):
            mx.save_gguf(p, {"a": mx.ones(2, dtype=dt)}, {})
    with pytest.raises(ValueError, match="0-d or 1-d"):
        mx.save_gguf(p, {"a": mx.ones(2)}, {"m": mx.ones((2, 2))})
    with pytest.raises(ValueError, match="metadata 'm' has dtype float16"):
        mx.save_gguf(p, {"a": mx.ones(2)}, {"m": mx.ones(2, dtype=mx.float16)})
    with pytest.raises(TypeError, match="metadata 'm' is a int"):
        mx.save_gguf(p, {"a": mx.ones(2)}, {"m": 5})
    with pytest.raises(TypeError, match="lists must hold strings"):
        mx.save_gguf(p, {"a": mx.ones(2)}, {"m": ["a", 1]})


def test_malformed_files(tmp_path, rng):
    a = rng.standard_normal((4, 4)).astype(np.float32)
    good = build_gguf([("a", 0, a.shape, a.tobytes())], [("k", 8, gstr("v"))])
    q = build_gguf([("q", 6, (32,), bytes(22))])
    cases = {
        "magic": (b"GGUX" + good[4:], "bad magic"),
        "version": (good[:4] + struct.pack("<I", 1) + good[8:], "version 1"),
        "short": (good[:10], "too short"),
        "truncated": (good[:-5], "runs past the end"),
        "header": (good[:40], "truncated"),
        "quantized": (q, "quantized as Q5_0"),
        "block": (build_gguf([("q", 2, (2, 48), bytes(54))]), "multiple of the block size 32"),
        "qtrunc": (build_gguf([("q", 8, (2, 32), bytes(40))]), "runs past the end"),
        "qname": (build_gguf([("w.weight", 8, (32,), bytes(34)), ("w.scales", 0, (1,), bytes(4))]),
                  "'w.scales', which another tensor has"),
        "type": (build_gguf([("a", 99, (1,), bytes(4))]), "unknown ggml type 99"),
        "metatype": (build_gguf([], [("k", 77, b"")]), "unknown type 77"),
        "nested": (build_gguf([], [("k", 9, struct.pack("<IQ", 9, 1))]), "arrays of arrays"),
        "dims": (build_gguf([("a", 0, (1,) * 9, bytes(4))]), "9 dims"),
        "dup": (build_gguf([("a", 0, (1,), bytes(4)), ("a", 0, (1,), bytes(4))]), "duplicate"),
        "huge": (build_gguf([("a", 0, (2**40, 2**40), bytes(4))]), "too large"),
        "strlen": (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**62), "truncated"),
    }
    for name, (data, what) in cases.items():
        p = tmp_path / f"{name}.gguf"
        p.write_bytes(data)
        with pytest.raises(ValueError, match=f"{name}.gguf.*{what}"):
            mx.load(str(p))
    # The process stays usable.
    p = tmp_path / "ok.gguf"
    p.write_bytes(good)
    np.testing.assert_array_equal(np.array(mx.load(str(p))["a"]), a)


@needs_mlx
def test_files_exchanged_with_mlx(tmp_path, rng):
    xs = {n: random_np(rng, (2, 3), n) for n in SAVED}
    xs["scalar"] = np.array(2.5, np.float32)
    meta = {"s": "str", "l": ["p", "q"], "i": 7, "v": [1.5, 2.5]}
    m_meta = {"s": "str", "l": ["p", "q"], "i": m2.array(7), "v": m2.array([1.5, 2.5])}
    t_meta = {"s": "str", "l": ["p", "q"], "i": mx.array(7), "v": mx.array([1.5, 2.5])}
    m2.save_gguf(str(tmp_path / "m.gguf"), {k: m2.array(v) for k, v in xs.items()}, m_meta)
    arrays, md = mx.load(str(tmp_path / "m.gguf"), return_metadata=True)
    for k, v in xs.items():
        assert str(arrays[k].dtype).split(".")[-1] == str(v.dtype)
        np.testing.assert_array_equal(np.array(arrays[k]), v)
    assert md["s"] == meta["s"] and md["l"] == meta["l"]
    assert md["i"].item() == 7 and md["v"].tolist() == [1.5, 2.5]
    mx.save_gguf(str(tmp_path / "t.gguf"), {k: mx.array(v) for k, v in xs.items()}, t_meta)
    arrays, md = m2.load(str(tmp_path / "t.gguf"), return_metadata=True)
    for k, v in xs.items():
        np.testing.assert_array_equal(np.array(arrays[k]), v)
    assert md["s"] == "str" and md["l"] == ["p", "q"]
    assert md["i"].item() == 7 and md["v"].tolist() == [1.5, 2.5]


# ggml's quantized blocks of 32 values (docs/gguf.md, ggml-common.h's
# block_q4_0 / block_q4_1 / block_q8_0): a float16 scale d (Q4_1: then a
# float16 minimum m), then the codes. Q4_0: value d * (q - 8), q in 0..15,
# value i in the low nibble of byte i and i + 16 in its high nibble. Q4_1:
# d * q + m. Q8_0: d * q with q an int8.
QUANT = {"Q4_0": (2, 4), "Q4_1": (3, 4), "Q8_0": (8, 8)}


def quant_blocks(rng, kind, n):
    """n random blocks: (raw bytes, codes as unsigned 0..2^bits-1 per value,
    scales, biases as float16 in quantize()'s affine form)."""
    d = (rng.uniform(0.01, 2.0, n) * rng.choice([-1, 1], n)).astype(np.float16)
    raw = bytearray()
    if kind == "Q8_0":
        q = rng.integers(-128, 128, (n, 32)).astype(np.int8)
        for i in range(n):
            raw += d[i].tobytes() + q[i].tobytes()
        return bytes(raw), (q.astype(np.int16) + 128).astype(np.uint8), d, (d.astype(np.float32) * -128).astype(np.float16)
    q = rng.integers(0, 16, (n, 32)).astype(np.uint8)
    m = rng.standard_normal(n).astype(np.float16)
    for i in range(n):
        packed = (q[i, :16] | (q[i, 16:] << 4)).astype(np.uint8)
        raw += d[i].tobytes() + (m[i].tobytes() if kind == "Q4_1" else b"") + packed.tobytes()
    bias = m if kind == "Q4_1" else (d.astype(np.float32) * -8).astype(np.float16)
    return bytes(raw), q, d, bias


def unpack(words, bits):
    w = np.array(words).astype(np.uint64)
    per = 32 // bits
    shifts = (np.arange(per, dtype=np.uint64) * bits)
    codes = (w[..., None] >> shifts) & ((1 << bits) - 1)
    return codes.reshape(*w.shape[:-1], w.shape[-1] * per).astype(np.uint8)


@pytest.mark.parametrize("kind", sorted(QUANT))
@pytest.mark.parametrize("shape", [(32,), (3, 64), (2, 2, 96)])
def test_quantized_tensors_load_in_affine_layout(tmp_path, rng, kind, shape):
    t, bits = QUANT[kind]
    n = int(np.prod(shape)) // 32
    raw, codes, d, bias = quant_blocks(rng, kind, n)
    f = tmp_path / "q.gguf"
    f.write_bytes(build_gguf([("blk.0.attn_q.weight", t, shape, raw), ("plain", 0, (2,), bytes(8))]))
    got = mx.load(str(f))
    assert sorted(got) == ["blk.0.attn_q.biases", "blk.0.attn_q.scales", "blk.0.attn_q.weight", "plain"]
    w, sc, bi = got["blk.0.attn_q.weight"], got["blk.0.attn_q.scales"], got["blk.0.attn_q.biases"]
    gshape = (*shape[:-1], shape[-1] // 32)
    assert w.dtype == mx.uint32 and w.shape == (*shape[:-1], shape[-1] * bits // 32)
    assert sc.dtype == bi.dtype == mx.float16 and sc.shape == bi.shape == gshape
    np.testing.assert_array_equal(unpack(w, bits), codes.reshape(shape))
    np.testing.assert_array_equal(np.array(sc).view(np.uint16), d.reshape(gshape).view(np.uint16))
    np.testing.assert_array_equal(np.array(bi).view(np.uint16), bias.reshape(gshape).view(np.uint16))
    # Dequantized, the values ggml's formula gives, within the float16
    # arithmetic of scale * code + bias (dequantize works in the scales'
    # dtype, as MLX's does): a rounding of scale * code, up to |d| * 2^bits,
    # and of the sum.
    want = codes.reshape(n, 32).astype(np.float64) * d[:, None].astype(np.float64) + bias[:, None].astype(np.float64)
    w2, sc2, bi2 = (a.reshape(1, -1) if len(shape) == 1 else a for a in (w, sc, bi))
    deq = mx.dequantize(w2, sc2, bi2, group_size=32, bits=bits)
    tol = np.abs(d.astype(np.float64))[:, None] * 2.0**bits * 2.0**-10
    err = np.abs(np.array(deq.astype(mx.float32)).reshape(n, 32) - want)
    assert (err <= tol).all(), err.max()
    # nn.QuantizedLinear's layout: the matmul of the loaded weight works.
    x = mx.array(rng.standard_normal((2, shape[-1])).astype(np.float32))
    if len(shape) == 2:
        y = mx.quantized_matmul(x, w, sc.astype(mx.float32), bi.astype(mx.float32), transpose=True, group_size=32, bits=bits)
        ref = np.array(x).astype(np.float64) @ want.reshape(shape).T
        np.testing.assert_allclose(np.array(y), ref, rtol=1e-4, atol=1e-3 * np.abs(ref).max())


def test_quantized_name_without_weight_suffix(tmp_path, rng):
    # MLX drops the last 7 characters of such a name ("noweigh.scales"); the
    # whole name is kept here.
    raw, codes, d, bias = quant_blocks(rng, "Q8_0", 1)
    f = tmp_path / "q.gguf"
    f.write_bytes(build_gguf([("emb", 8, (32,), raw)]))
    assert sorted(mx.load(str(f))) == ["emb", "emb.biases", "emb.scales"]


@needs_mlx
def test_quantized_tensors_match_mlx(tmp_path, rng):
    tensors = []
    for i, kind in enumerate(sorted(QUANT)):
        raw, *_ = quant_blocks(rng, kind, 6)
        tensors.append((f"blk.{i}.w.weight", QUANT[kind][0], (3, 64), raw))
    f = tmp_path / "q.gguf"
    f.write_bytes(build_gguf(tensors))
    ours, theirs = mx.load(str(f)), m2.load(str(f))
    assert sorted(ours) == sorted(theirs)
    for k in ours:
        np.testing.assert_array_equal(np.array(ours[k]).view(np.uint8), np.array(theirs[k]).view(np.uint8))
