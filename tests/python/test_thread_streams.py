"""ThreadLocalStream, new_thread_local_stream, new_thread_unsafe_stream and
clear_streams, exercised from several threads."""
import threading

import numpy as np
import pytest
import tandem.core as mx
from conftest import run_threads


def test_thread_local_stream_is_one_stream_per_thread(rng):
    s = mx.new_thread_local_stream(mx.cpu)
    assert isinstance(s, mx.ThreadLocalStream)
    assert s.device == mx.cpu and repr(s).startswith("ThreadLocalStream(Device(cpu, 0), ")
    assert s == s and s != mx.new_thread_local_stream(mx.cpu)
    vals = [rng.standard_normal((64, 32)).astype(np.float32) for _ in range(8)]
    # All threads live at once: a thread that ended gives its stream back,
    # and a later one may get it.
    barrier = threading.Barrier(8)

    def work(i):
        x = mx.array(vals[i])
        y = mx.exp(mx.sin(x, stream=s), stream=s).sum(axis=0, stream=s)
        with mx.stream(s):
            mine = mx.default_stream(mx.cpu)
            z = mx.multiply(y, 2.0)
        mx.synchronize(s)
        barrier.wait()
        return mine, np.array(z)

    out = run_threads(work, 8)
    streams = [o[0] for o in out]
    assert len({st.index for st in streams}) == 8  # one stream per live thread
    for i, (_, z) in enumerate(out):
        np.testing.assert_allclose(z, 2 * np.exp(np.sin(vals[i])).sum(0), rtol=1e-5)
    # The main thread's stream of it is another one, and stays the same.
    with mx.stream(s):
        a = mx.default_stream(mx.cpu)
    with mx.stream(s):
        assert mx.default_stream(mx.cpu) == a
    assert mx.add(mx.array(1), mx.array(2), stream=s).item() == 3


def test_thread_local_streams_are_reused_after_threads_end():
    s = mx.new_thread_local_stream(mx.cpu)
    barrier = threading.Barrier(4)

    def work(i):
        with mx.stream(s):
            idx = mx.default_stream(mx.cpu).index
        assert mx.add(mx.array(i), 1, stream=s).item() == i + 1
        barrier.wait()
        return idx

    first = run_threads(work, 4)
    # Threads that ended gave their streams back: later threads reuse them
    # rather than making new ones.
    before = mx.new_stream(mx.cpu).index
    for _ in range(5):
        run_threads(work, 4)
    assert mx.new_stream(mx.cpu).index == before + 1
    assert len(set(first)) == 4


def test_thread_local_stream_cross_stream_dependencies(rng):
    s = mx.new_thread_local_stream(mx.cpu)
    base = mx.array(rng.standard_normal(1000).astype(np.float32))
    mx.eval(base)

    def work(i):
        a = mx.multiply(base, float(i), stream=s)  # this thread's stream
        b = mx.add(a, 1.0, stream=mx.cpu)  # the thread's default stream, after a
        return np.array(b)

    for i, r in enumerate(run_threads(work, 6)):
        np.testing.assert_allclose(r, np.array(base) * i + 1, rtol=1e-6)


def test_new_thread_unsafe_stream_from_other_threads():
    u = mx.new_thread_unsafe_stream(mx.cpu)
    assert isinstance(u, mx.Stream) and u.device == mx.cpu
    lock = threading.Lock()

    def work(i):
        with lock:  # the caller orders work on it, as MLX asks
            return mx.add(mx.array(i), 10, stream=u).item()

    assert run_threads(work, 4) == [10, 11, 12, 13]


def test_clear_streams_in_threads():
    def work(i):
        x = mx.sum(mx.arange(100) * i)
        mx.async_eval(x)
        first = mx.default_stream(mx.cpu)
        mx.clear_streams()  # waits for x's stream first
        assert x.item() == 4950 * i
        # The thread keeps working, on a stream from the pool or a new one.
        again = mx.add(mx.array(i), 1)
        return first, again.item()

    for i, (_, v) in enumerate(run_threads(work, 4)):
        assert v == i + 1
    # The main thread too; a new_stream stream is left alone.
    n = mx.new_stream(mx.cpu)
    mx.clear_streams()
    assert mx.add(mx.array(2), mx.array(3), stream=n).item() == 5
    assert mx.add(mx.array(2), mx.array(3)).item() == 5


def test_thread_local_stream_errors():
    with pytest.raises(ValueError, match=r"\[new_thread_local_stream\]"):
        mx.new_thread_local_stream(mx.Device(mx.cpu, 3))
    with pytest.raises(TypeError):
        mx.ThreadLocalStream()
