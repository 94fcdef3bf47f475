"""Random byte mutations of valid .npy, .npz and .safetensors files: loading
either succeeds or raises ValueError/RuntimeError naming the file; it never
crashes or hangs."""
import io
import time

import numpy as np
import pytest
import tandem.core as mx

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


@pytest.mark.parametrize("fmt", ["npy", "npz", "npz_compressed", "safetensors"])
def test_mutated_files_fail_cleanly(tmp_path, fmt):
    rng = np.random.default_rng(sum(map(ord, fmt)))
    good = valid_files(rng)[fmt]
    ext = "npz" if fmt.startswith("npz") else fmt
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
