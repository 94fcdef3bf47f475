"""Random byte mutations of valid .npy, .npz, .safetensors and .gguf files: loading
either succeeds or raises ValueError/RuntimeError naming the file; it never
crashes or hangs."""
import io
import time

import numpy as np
import pytest
import tandem.core as mx
from test_gguf import QUANT, build_gguf, quant_blocks

CASES_PER_FORMAT = 150
TIME_BUDGET_S = 20.0


def valid_files(rng):
    a = mx.array(rng.standard_normal((3, 4)).astype(np.float32))
    b = mx.array(rng.integers(-50, 50, size=(5,)).astype(np.int16))
    c = mx.array(rng.standard_normal((2, 2)).astype(np.float32), dtype=mx.bfloat16)
    out = {}
    buf = io.BytesIO()
    mx.save(buf, a)
    out["npy"] = buf.getvalue()
    buf = io.BytesIO()
    mx.savez(buf, a, b=b, c=c)
    out["npz"] = buf.getvalue()
    buf = io.BytesIO()
    mx.savez_compressed(buf, a, b=b, c=c)
    out["npz_compressed"] = buf.getvalue()
    buf = io.BytesIO()
    mx.save_safetensors(buf, {"a": a, "b": b, "c": c}, metadata={"k": "v"})
    out["safetensors"] = buf.getvalue()
    buf = io.BytesIO()
    mx.save_gguf(buf, {"a": a, "b": b}, {"k": "v", "l": ["x", "y"], "n": mx.array([1, 2])})
    out["gguf"] = buf.getvalue()
    # Quantized tensors (Q4_0, Q4_1, Q8_0) beside a plain one.
    tensors = [("plain", 0, (3,), np.arange(3, dtype=np.float32).tobytes())]
    for i, kind in enumerate(sorted(QUANT)):
        raw, *_ = quant_blocks(rng, kind, 4)
        tensors.append((f"b{i}.weight", QUANT[kind][0], (2, 64), raw))
    out["gguf_quantized"] = build_gguf(tensors)
    return out


def mutate(rng, data):
    data = bytearray(data)
    kind = rng.integers(0, 5)
    if kind == 0:  # flip a few bytes
        for _ in range(rng.integers(1, 6)):
            data[rng.integers(0, len(data))] = rng.integers(0, 256)
    elif kind == 1:  # truncate
        data = data[: rng.integers(0, len(data))]
    elif kind == 2:  # a digit in the header becomes another one (sizes, offsets)
        head = [i for i in range(min(len(data), 400)) if 48 <= data[i] <= 57]
        for i in rng.choice(head, size=min(len(head), 2), replace=False):
            data[i] = rng.integers(48, 58)
    elif kind == 3:  # insert or delete a run of bytes
        i = rng.integers(0, len(data))
        if rng.random() < 0.5:
            data[i:i] = bytes(rng.integers(0, 256, size=rng.integers(1, 9)).tolist())
        else:
            del data[i : i + rng.integers(1, 9)]
    else:  # overwrite a 4- or 8-byte field with a large value
        i = rng.integers(0, max(1, len(data) - 8))
        width = 4 if rng.random() < 0.5 else 8
        data[i : i + width] = (int(rng.integers(1, 1 << 62)) % (1 << (8 * width))).to_bytes(
            width, "little"
        )
    return bytes(data)


@pytest.mark.parametrize("fmt", ["npy", "npz", "npz_compressed", "safetensors", "gguf", "gguf_quantized"])
def test_mutated_files_fail_cleanly(tmp_path, fmt):
    rng = np.random.default_rng(sum(map(ord, fmt)))
    good = valid_files(rng)[fmt]
    ext = "npz" if fmt.startswith("npz") else fmt.split("_")[0]
    path = tmp_path / f"fuzz.{ext}"
    loaded = failed = 0
    start = time.monotonic()
    for _ in range(CASES_PER_FORMAT):
        if time.monotonic() - start > TIME_BUDGET_S:
            break
        path.write_bytes(mutate(rng, good))
        try:
            out = mx.load(str(path))
        except (ValueError, RuntimeError) as e:
            assert "fuzz." in str(e) or "format" in str(e), str(e)
            failed += 1
            continue
        # A mutation that still parses gives evaluated, readable arrays.
        for a in out.values() if isinstance(out, dict) else [out]:
            np.array(a.astype(mx.float32) if a.dtype == mx.bfloat16 else a)
        loaded += 1
    assert failed > 0 and loaded + failed > 20


def valid_export(rng, path):
    """A file of mx.export_function with two signatures, constants and
    several primitive families."""
    c = mx.array(rng.standard_normal((4,)).astype(np.float32))

    def fun(x, w, idx=None):
        h = mx.softmax(x @ w, axis=-1) + c
        return mx.sort(h, axis=0)[:, ::2], mx.take(h, idx, axis=1).sum(), mx.cumsum(x, axis=1)

    with mx.exporter(str(path), fun) as ex:
        for n in (2, 3):
            x = mx.array(rng.standard_normal((n, 3)).astype(np.float32))
            w = mx.array(rng.standard_normal((3, 4)).astype(np.float32))
            ex(x, w, idx=mx.array(rng.integers(0, 4, size=(2,)).astype(np.int32)))
    return path.read_bytes(), (x, w, mx.array([1, 3], dtype=mx.int32))


def with_header_fixed(data):
    """data with the body's length and CRC-32 in the header made to match
    the (mutated) body, so that the parser itself meets the damage."""
    import zlib

    if len(data) < 24:
        return data
    body = data[24:]
    return data[:12] + len(body).to_bytes(8, "little") + zlib.crc32(body).to_bytes(4, "little") + body


@pytest.mark.parametrize("fix_header", [False, True], ids=["raw", "checksum_fixed"])
def test_mutated_exports_fail_cleanly(tmp_path, fix_header):
    rng = np.random.default_rng(41 + fix_header)
    good, (x, w, idx) = valid_export(rng, tmp_path / "good.tfn")
    path = tmp_path / "fuzz.tfn"
    loaded = failed = 0
    start = time.monotonic()
    for _ in range(CASES_PER_FORMAT * 2):
        if time.monotonic() - start > TIME_BUDGET_S:
            break
        data = mutate(rng, good)
        if fix_header:
            data = with_header_fixed(data)
        path.write_bytes(data)
        try:
            g = mx.import_function(str(path))
        except (ValueError, RuntimeError) as e:
            assert "fuzz.tfn" in str(e), str(e)
            failed += 1
            continue
        loaded += 1
        if not fix_header:
            # The checksum held, so the graph is the exported one: it runs.
            g(x, w, idx=idx)
    assert failed > 0 and loaded + failed > 20
