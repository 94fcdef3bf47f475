"""Array files: .npy, .npz and .safetensors round trips, and interchange with
NumPy and MLX (files each writes load identically in the others)."""
import io
import pathlib
import struct
import zipfile

import numpy as np
import pytest
import tandem.core as mx

try:
    import mlx.core as m2
except ImportError:  # pragma: no cover
    m2 = None

needs_mlx = pytest.mark.skipif(m2 is None, reason="mlx is not installed")

DTYPES = [
    "bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
    "float16", "float32", "float64", "bfloat16", "complex64",
]
# Those NumPy has (bfloat16 is a two-byte void in NumPy's eyes).
NP_DTYPES = [d for d in DTYPES if d != "bfloat16"]
SHAPES = [(), (0,), (3, 0, 2), (5,), (2, 3), (3, 4, 5), (1, 1, 7)]


def random_np(rng, shape, name):
    if name == "bool_":
        return rng.random(shape) < 0.5
    if name.startswith(("uint", "int")):
        info = np.iinfo(name)
        lo, hi = max(info.min, -1000), min(info.max, 1000)
        return rng.integers(lo, hi, size=shape).astype(name)
    if name == "complex64":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    if name == "bfloat16":
        return rng.standard_normal(shape).astype(np.float32)
    return rng.standard_normal(shape).astype(name)


def random_array(rng, shape, name):
    return mx.array(random_np(rng, shape, name), dtype=getattr(mx, name))


def to_np(x):
    """The values of a Tandem or MLX array (bfloat16 read as float32)."""
    if str(x.dtype).endswith("bfloat16"):
        x = x.astype(mx.float32 if isinstance(x, mx.array) else m2.float32)
    return np.array(x)


def assert_same(a, b):
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_array_equal(to_np(a), to_np(b))


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_npy_round_trip(tmp_path, rng, name, shape):
    a = random_array(rng, shape, name)
    mx.save(str(tmp_path / "a"), a)  # ".npy" is appended
    b = mx.load(str(tmp_path / "a.npy"))
    assert_same(a, b)


@pytest.mark.parametrize("name", ["float32", "int16", "bfloat16", "complex64", "bool_"])
def test_npy_non_contiguous_sources(tmp_path, rng, name):
    base = random_array(rng, (4, 6, 5), name)
    for i, view in enumerate([base.transpose(2, 0, 1), base[::2, 1:5:2], base[:, 3], base.T]):
        mx.save(tmp_path / f"v{i}.npy", view)
        assert_same(mx.load(tmp_path / f"v{i}.npy"), view)


def test_pathlib_and_file_objects(tmp_path, rng):
    a = random_array(rng, (3, 4), "float32")
    p = tmp_path / "p.npy"
    mx.save(p, a)
    assert_same(mx.load(p), a)
    with open(p, "rb") as f:
        assert_same(mx.load(f), a)  # format from f.name
    buf = io.BytesIO()
    mx.save(buf, a)
    buf.seek(0)
    assert_same(mx.load(buf, format="npy"), a)
    buf.seek(0)
    with pytest.raises(ValueError, match="format"):
        mx.load(buf)


@pytest.mark.parametrize("name", NP_DTYPES)
def test_files_written_by_numpy(tmp_path, rng, name):
    x = random_np(rng, (4, 3), name)
    np.save(tmp_path / "n.npy", x)
    assert_same(mx.load(tmp_path / "n.npy"), mx.array(x, dtype=getattr(mx, name)))
    np.save(tmp_path / "f.npy", np.asfortranarray(x))
    assert_same(mx.load(tmp_path / "f.npy"), mx.array(x, dtype=getattr(mx, name)))
    big = x.astype(x.dtype.newbyteorder(">"))
    np.save(tmp_path / "b.npy", big)
    assert_same(mx.load(tmp_path / "b.npy"), mx.array(x, dtype=getattr(mx, name)))


def test_fortran_3d_and_arithmetic(tmp_path, rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    np.save(tmp_path / "f.npy", np.asfortranarray(x))
    y = mx.load(tmp_path / "f.npy")
    np.testing.assert_array_equal(np.array(y), x)
    np.testing.assert_allclose(np.array(mx.exp(y) + y.reshape(4, 6).T.reshape(2, 3, 4)),
                               np.exp(x) + x.reshape(4, 6).T.reshape(2, 3, 4), rtol=1e-6)


@pytest.mark.parametrize("name", NP_DTYPES)
@pytest.mark.parametrize("shape", [(), (0, 2), (3, 5)])
def test_tandem_files_load_in_numpy(tmp_path, rng, name, shape):
    x = random_np(rng, shape, name)
    mx.save(tmp_path / "t.npy", mx.array(x, dtype=getattr(mx, name)))
    y = np.load(tmp_path / "t.npy")
    assert y.dtype == x.dtype and y.shape == x.shape
    np.testing.assert_array_equal(y, x)


def test_numpy_npz(tmp_path, rng):
    xs = {n: random_np(rng, (3, 2), n) for n in NP_DTYPES}
    pos = random_np(rng, (5,), "int32")
    np.savez(tmp_path / "a.npz", pos, **xs)
    np.savez_compressed(tmp_path / "c.npz", pos, **xs)
    for f in ["a.npz", "c.npz"]:
        d = mx.load(tmp_path / f)
        assert set(d) == set(xs) | {"arr_0"}
        np.testing.assert_array_equal(np.array(d["arr_0"]), pos)
        for n, x in xs.items():
            assert_same(d[n], mx.array(x, dtype=getattr(mx, n)))


@pytest.mark.parametrize("compressed", [False, True])
def test_savez_round_trip(tmp_path, rng, compressed):
    arrays = {n: random_array(rng, (2, 3), n) for n in DTYPES}
    arrays["empty"] = random_array(rng, (0, 4), "float32")
    arrays["scalar"] = random_array(rng, (), "int64")
    arrays["t"] = random_array(rng, (3, 5), "float16").T
    pos = random_array(rng, (7,), "float32")
    save = mx.savez_compressed if compressed else mx.savez
    save(str(tmp_path / "z"), pos, **arrays)
    d = mx.load(str(tmp_path / "z.npz"))
    assert_same(d["arr_0"], pos)
    for n, a in arrays.items():
        assert_same(d[n], a)
    with zipfile.ZipFile(tmp_path / "z.npz") as zf:
        assert zf.testzip() is None
        methods = {i.compress_type for i in zf.infolist()}
        assert methods == {zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED}
    # NumPy reads it too (bfloat16 as two-byte voids).
    with np.load(tmp_path / "z.npz") as nd:
        for n in NP_DTYPES:
            np.testing.assert_array_equal(nd[n], to_np(arrays[n]))
        assert nd["bfloat16"].dtype == np.dtype("V2")


def test_savez_names(tmp_path):
    with pytest.raises(ValueError):
        mx.savez(tmp_path / "x.npz", mx.array([1]), arr_0=mx.array([2]))
    buf = io.BytesIO()
    mx.savez_compressed(buf, w=mx.arange(100))
    buf.seek(0)
    np.testing.assert_array_equal(np.array(mx.load(buf, format="npz")["w"]), np.arange(100))


ST_DTYPES = DTYPES  # float64 too: the format defines F64


def test_safetensors_round_trip(tmp_path, rng):
    arrays = {f"layer.{n}": random_array(rng, (2, 3), n) for n in ST_DTYPES}
    arrays["s"] = random_array(rng, (), "float32")
    arrays["e"] = random_array(rng, (0, 3), "int8")
    arrays["t"] = random_array(rng, (4, 3), "bfloat16").T
    meta = {"format": "mlx", "note": 'quote " and \\ and \u00e9 and \n'}
    mx.save_safetensors(str(tmp_path / "w"), arrays, metadata=meta)
    d = mx.load(str(tmp_path / "w.safetensors"))
    assert set(d) == set(arrays)
    for n, a in arrays.items():
        assert_same(d[n], a)
    d2, m = mx.load(tmp_path / "w.safetensors", return_metadata=True)
    assert m == meta
    mx.save_safetensors(tmp_path / "n.safetensors", {"a": arrays["s"]})
    assert mx.load(tmp_path / "n.safetensors", return_metadata=True)[1] == {}
    # The header is 8-byte aligned and MLX's dtype names are used.
    raw = (tmp_path / "w.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    assert n % 8 == 0 and b'"dtype":"BF16"' in raw[: 8 + n]


def test_safetensors_errors(tmp_path):
    with pytest.raises(ValueError, match="metadata"):
        mx.save_safetensors(tmp_path / "a", {"x": mx.array([1])}, metadata={"a": 1})
    with pytest.raises(ValueError, match="metadata"):
        mx.load(tmp_path / "missing.npz", return_metadata=True)
    with pytest.raises(ValueError, match="unknown file format"):
        mx.load(tmp_path / "a.xyz")
    with pytest.raises(RuntimeError, match="cannot open"):
        mx.load(tmp_path / "missing.npy")


@needs_mlx
@pytest.mark.parametrize("name", DTYPES)
def test_mlx_npy_interchange(tmp_path, rng, name):
    if name == "float64":
        x = random_np(rng, (3, 4), name)
        ma = m2.array(x, dtype=m2.float64)
    else:
        x = random_np(rng, (3, 4), name)
        ma = m2.array(x, dtype=getattr(m2, name))
    m2.save(str(tmp_path / "m.npy"), ma)
    m2.save(str(tmp_path / "mt.npy"), ma.T)
    ta = mx.array(x, dtype=getattr(mx, name))
    assert_same(mx.load(str(tmp_path / "m.npy")), ta)
    assert_same(mx.load(str(tmp_path / "mt.npy")), ta.T)
    mx.save(str(tmp_path / "t.npy"), ta.T)
    assert_same(m2.load(str(tmp_path / "t.npy")), ma.T)


@needs_mlx
def test_mlx_npz_and_safetensors_interchange(tmp_path, rng):
    names = [n for n in DTYPES if n != "float64"]  # MLX's safetensors refuse float64
    xs = {n: random_np(rng, (2, 5), n) for n in names}
    ms = {n: m2.array(x, dtype=getattr(m2, n)) for n, x in xs.items()}
    ts = {n: mx.array(x, dtype=getattr(mx, n)) for n, x in xs.items()}
    m2.savez(str(tmp_path / "m.npz"), **ms)
    m2.savez_compressed(str(tmp_path / "mc.npz"), **ms)
    m2.save_safetensors(str(tmp_path / "m.safetensors"), ms, metadata={"k": "v"})
    for f in ["m.npz", "mc.npz", "m.safetensors"]:
        d = mx.load(str(tmp_path / f))
        for n in names:
            assert_same(d[n], ts[n])
    assert mx.load(str(tmp_path / "m.safetensors"), return_metadata=True)[1] == {"k": "v"}
    mx.savez(str(tmp_path / "t.npz"), **ts)
    mx.savez_compressed(str(tmp_path / "tc.npz"), **ts)
    mx.save_safetensors(str(tmp_path / "t.safetensors"), ts, metadata={"a": "b"})
    for f in ["t.npz", "tc.npz", "t.safetensors"]:
        d = m2.load(str(tmp_path / f))
        for n in names:
            assert_same(d[n], ms[n])
    _, meta = m2.load(str(tmp_path / "t.safetensors"), return_metadata=True)
    assert meta == {"a": "b"}


def test_loaded_arrays_are_evaluated_and_usable_on_streams(tmp_path, rng):
    x = random_np(rng, (8, 8), "float32")
    np.save(tmp_path / "x.npy", x)
    y = mx.load(tmp_path / "x.npy")
    s = mx.new_stream(mx.cpu)
    z = mx.add(y, y, stream=s)
    np.testing.assert_allclose(np.array(z), 2 * x)
    if mx.is_available(mx.gpu):
        np.testing.assert_allclose(np.array(mx.multiply(y, 3, stream=mx.gpu)), 3 * x, rtol=1e-6)


def npy_bytes(header, data=b"\x00" * 64):
    h = header.encode()
    h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data


def test_malformed_files(tmp_path, rng):
    mx.save(tmp_path / "a.npy", random_array(rng, (4, 4), "float32"))
    good = (tmp_path / "a.npy").read_bytes()
    cases = {
        "truncated": (good[:-3], "truncated"),
        "magic": (b"\x00" + good[1:], "magic"),
        "short": (good[:7], "too short"),
        "huge": (npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2000000000, 2000000000, 8), }"), "too big"),
        "wide": (npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }"), "too large"),
        "struct": (npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"), "structured"),
        "keys": (npy_bytes("{'descr': '<f4', 'shape': (1,), }"), "keys"),
    }
    for name, (data, what) in cases.items():
        p = tmp_path / f"{name}.npy"
        p.write_bytes(data)
        with pytest.raises(ValueError, match=f"{name}.npy.*{what}"):
            mx.load(p)
    p = tmp_path / "bad.safetensors"
    p.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    with pytest.raises(ValueError, match="header length"):
        mx.load(p)
    hdr = b'{"x":{"dtype":"F32","shape":[100000,100000],"data_offsets":[0,16]}}'
    p.write_bytes(struct.pack("<Q", len(hdr)) + hdr + bytes(16))
    with pytest.raises(ValueError, match="needs"):
        mx.load(p)
    p = tmp_path / "bad.npz"
    p.write_bytes(b"PK\x05\x06" + bytes(10) + b"\xff\xff\xff\x7f" + bytes(4) + bytes(2))
    with pytest.raises(ValueError, match="bad.npz"):
        mx.load(p)


def test_pathlib_appends_extension(tmp_path):
    mx.save(pathlib.Path(tmp_path / "q"), mx.array([1, 2]))
    mx.savez(tmp_path / "q", a=mx.array([1]))
    mx.save_safetensors(tmp_path / "q.st", {"a": mx.array([1])})
    assert (tmp_path / "q.npy").exists() and (tmp_path / "q.npz").exists()
    assert (tmp_path / "q.st.safetensors").exists()
