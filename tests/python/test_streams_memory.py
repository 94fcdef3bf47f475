"""Devices, streams (cross-stream use, `with mx.stream`, per-thread defaults,
threads), eval / async_eval over trees, the memory API, and error mapping."""
import gc
import threading

import numpy as np
import pytest
import tandem.core as mx

# --------------------------------------------------------------- devices


def test_devices():
    assert mx.cpu == mx.DeviceType.cpu
    d = mx.Device(mx.cpu)
    assert d.type == mx.cpu and d.index == 0
    assert d == mx.cpu and d == mx.Device(mx.cpu, 0)
    assert repr(d) == "Device(cpu, 0)"
    assert mx.is_available(mx.cpu)
    assert mx.device_count(mx.cpu) == 1
    assert mx.device_count(mx.gpu) == (1 if mx.is_available(mx.gpu) else 0) or mx.is_available(mx.gpu)
    assert mx.cuda.is_available() == mx.is_available(mx.gpu)
    assert mx.metal.is_available() is False
    assert isinstance(mx.device_info(), dict)


def test_default_device_roundtrip():
    prev = mx.default_device()
    mx.set_default_device(mx.cpu)
    assert mx.default_device() == mx.cpu
    mx.set_default_device(mx.Device(mx.cpu))
    mx.set_default_device(prev)
    if not mx.is_available(mx.gpu):
        with pytest.raises(ValueError):
            mx.set_default_device(mx.gpu)


def test_streams_basic():
    s = mx.default_stream(mx.cpu)
    assert s.device == mx.cpu
    t = mx.new_stream(mx.cpu)
    assert t != s and t.device == mx.cpu
    assert "Stream" in repr(t)
    x = mx.add(mx.ones((3,)), 1, stream=t)
    y = mx.multiply(x, 2, stream=s)  # consumes an array made on another stream
    z = mx.add(y, x, stream=mx.cpu)  # a Device means its default stream
    assert z.tolist() == [6.0, 6.0, 6.0]
    mx.synchronize(t)
    mx.synchronize()


def test_stream_context():
    t = mx.new_stream(mx.cpu)
    before = mx.default_stream(mx.cpu)
    with mx.stream(t):
        assert mx.default_stream(mx.cpu) == t
        assert mx.default_device() == mx.cpu
        x = mx.arange(4) * 2
    assert mx.default_stream(mx.cpu) == before
    assert x.tolist() == [0, 2, 4, 6]
    with mx.stream(mx.cpu):
        assert mx.default_device() == mx.cpu
    # Nested contexts restore in order.
    u = mx.new_stream(mx.cpu)
    with mx.stream(t):
        with mx.stream(u):
            assert mx.default_stream(mx.cpu) == u
        assert mx.default_stream(mx.cpu) == t
    with pytest.raises(ValueError):
        mx.stream(None)


def test_default_stream_per_thread():
    main = mx.default_stream(mx.cpu)
    seen = []

    def worker():
        seen.append(mx.default_stream(mx.cpu))

    th = threading.Thread(target=worker)
    th.start()
    th.join()
    assert seen[0] != main


def test_many_streams_chain():
    streams = [mx.new_stream(mx.cpu) for _ in range(4)]
    x = mx.zeros((100,))
    for i in range(40):
        x = mx.add(x, 1, stream=streams[i % 4])
    assert mx.all(x == 40).item()


def test_threads_build_and_eval():
    shared = mx.arange(1000, dtype=mx.float32)
    mx.eval(shared)
    results = {}
    errors = []

    def work(k):
        try:
            s = mx.new_stream(mx.cpu)
            y = shared
            for _ in range(50):
                y = mx.add(y, 1.0, stream=s)
            z = mx.sum(y * k)
            mx.eval(z)
            results[k] = z.item()
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    base = float(np.sum(np.arange(1000) + 50.0))
    for k in range(8):
        assert results[k] == pytest.approx(base * k, rel=1e-6)


def test_eval_trees_and_async():
    a, b, c = mx.ones((2,)) + 1, mx.ones((2,)) * 3, mx.exp(mx.zeros((2,)))
    mx.eval({"a": a, "rest": [b, (c, 5, "x")]}, None)
    assert a.tolist() == [2.0, 2.0]
    d = mx.arange(10) * 3
    mx.async_eval(d)
    assert d.tolist()[-1] == 27
    mx.eval()  # nothing to do
    mx.async_eval([d, {"k": d}])


def test_long_chain():
    x = mx.zeros((4,))
    for _ in range(20000):
        x = x + 1
    assert x.tolist() == [20000.0] * 4


# ---------------------------------------------------------------- memory


def test_memory_api():
    # Work of earlier tests may still be releasing buffers: let it finish.
    gc.collect()
    mx.synchronize()
    mx.eval(mx.zeros((1,)))
    base = mx.get_active_memory()
    x = mx.ones((1 << 20,), dtype=mx.float32)
    mx.eval(x)
    assert mx.get_active_memory() >= base + 4 * (1 << 20)
    assert mx.get_peak_memory() >= mx.get_active_memory()
    del x
    gc.collect()
    assert mx.get_active_memory() < base + 4 * (1 << 20)
    mx.reset_peak_memory()
    assert mx.get_peak_memory() <= mx.get_active_memory() + 4096
    assert mx.get_cache_memory() >= 0
    mx.clear_cache()
    assert mx.get_cache_memory() == 0
    prev = mx.set_cache_limit(1 << 20)
    assert mx.set_cache_limit(prev) == 1 << 20
    prev_limit = mx.set_memory_limit(1 << 40)
    assert mx.set_memory_limit(prev_limit) == 1 << 40
    w = mx.set_wired_limit(0)
    assert mx.set_wired_limit(w) == 0


def test_out_of_memory_is_memory_error():
    prev = mx.set_memory_limit(64 << 20)
    try:
        with pytest.raises(MemoryError) as e:
            mx.eval(mx.ones((256 << 20,), dtype=mx.float32))
        assert "bytes" in str(e.value)
    finally:
        mx.set_memory_limit(prev)
    # The process keeps working.
    assert (mx.ones((4,)) + 1).tolist() == [2.0] * 4


# ---------------------------------------------------------------- errors


def test_error_types_and_messages():
    with pytest.raises(ValueError, match=r"^\[add\]|broadcast"):
        mx.eval(mx.add(mx.ones((2, 3)), mx.ones((4,))))
    with pytest.raises(ValueError, match="reshape"):
        mx.reshape(mx.ones((2, 3)), (4, 2))
    with pytest.raises(ValueError):
        mx.sum(mx.ones((2, 3)), axis=5)
    with pytest.raises(ValueError):
        mx.transpose(mx.ones((2, 3)), (0, 0))
    with pytest.raises(TypeError):
        mx.add(mx.ones((2,)), "a")
    with pytest.raises(TypeError):
        mx.zeros("abc")
    with pytest.raises(TypeError):
        mx.ones((2,), dtype="float32")
    with pytest.raises(TypeError):
        mx.add(mx.ones((2,)), mx.ones((2,)), stream="cpu")
    # After errors, everything still works.
    assert (mx.ones((2,)) * 2).tolist() == [2.0, 2.0]
