"""The stream timeline: mx.timeline / timeline_start / timeline_stop / TANDEM_TRACE write
Chrome trace-event JSON with a row per stream, a task per primitive run,
arrows for cross-stream waits; tandem.timeline draws it."""
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import tandem.core as mx

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
rng = np.random.default_rng(1234)


def rand(*shape):
    return mx.array(rng.standard_normal(shape).astype(np.float32))


def events(source):
    data = json.loads(source) if isinstance(source, str) else source
    assert isinstance(data["traceEvents"], list)
    return data["traceEvents"]


def tasks(evs, stream=None, name=None):
    return [e for e in evs if e["ph"] == "X" and e["name"] != "wait"
            and (stream is None or e["tid"] == stream.index)
            and (name is None or e["name"] == name)]


def test_off_by_default():
    x = rand(64)
    mx.eval(mx.exp(x))
    # Nothing recorded before: a session sees only what runs inside it.
    with mx.timeline() as t:
        pass
    assert tasks(events(t.json)) == []
    with pytest.raises(ValueError):
        mx.timeline_stop()


def test_two_streams_file_and_names(tmp_path):
    s1, s2 = mx.new_stream(mx.cpu), mx.new_stream(mx.cpu)
    a, b, c = rand(256, 128), rand(128, 8), rand(32, 4)
    mx.eval(a, b, c)
    path = tmp_path / "two.json"
    with mx.timeline(path) as t:
        r = mx.matmul(a, b, stream=s1)
        s = mx.sum(c, axis=0, stream=s2)
        mx.eval(r, s)
    assert t.path == str(path)
    with open(path) as f:
        data = json.load(f)
    assert data == json.loads(t.json)
    evs = events(data)
    assert [e["name"] for e in tasks(evs, s1)] == ["Matmul"]
    assert [e["name"] for e in tasks(evs, s2)] == ["ReduceSum(axes=0)"]
    for e in tasks(evs):
        assert e["pid"] == 0 and e["args"]["device"] == "cpu"
        assert e["args"]["stream"] == e["tid"] and e["ts"] >= 0 and e["dur"] >= 0
    rows = {(e["tid"], e["args"]["name"]) for e in evs
            if e["ph"] == "M" and e["name"] == "thread_name"}
    assert {(s1.index, f"cpu stream {s1.index}"), (s2.index, f"cpu stream {s2.index}")} <= rows
    np.testing.assert_allclose(np.array(r), np.array(a) @ np.array(b), rtol=1e-4, atol=1e-4)


def test_fused_chain_is_named_after_its_ops():
    s = mx.new_stream(mx.cpu)
    y = x = rand(512, 4) * 0.01
    for _ in range(20):
        y = mx.exp(y, stream=s)
        y = mx.multiply(y, 0.3, stream=s)
    with mx.timeline() as t:
        mx.eval(y)
    names = [e["name"] for e in tasks(events(t.json), s)]
    assert names == ["Fused(Exp x20, Multiply x20)"] or names.count("Exp") == 20, names
    want = np.array(x, dtype=np.float64)
    for _ in range(20):
        want = np.exp(want) * 0.3
    np.testing.assert_allclose(np.array(y), want, rtol=1e-5)


def test_cross_stream_wait_is_an_arrow():
    s1, s2 = mx.new_stream(mx.cpu), mx.new_stream(mx.cpu)
    a = rand(768, 768)
    mx.eval(a)
    with mx.timeline() as t:
        p = mx.matmul(mx.matmul(a, a, stream=s1), a, stream=s1)  # slow producer
        q = mx.sum(p, stream=s2)
        mx.eval(q)
    evs = events(t.json)
    starts = {e["id"]: e for e in evs if e["ph"] == "s"}
    ends = [e for e in evs if e["ph"] == "f"]
    assert ends, "no wait recorded"
    pairs = [(starts[e["id"]]["tid"], e["tid"]) for e in ends]
    assert (s1.index, s2.index) in pairs
    # The consumer's wait, then its task, after the producer's last task.
    wait = [e for e in evs if e["ph"] == "X" and e["name"] == "wait" and e["tid"] == s2.index]
    assert len(wait) == 1
    last = max(e["ts"] + e["dur"] for e in tasks(evs, s1))
    (sum_task,) = [e for e in tasks(evs, s2) if e["name"].startswith("ReduceSum")]
    assert sum_task["ts"] >= last - 1.0  # microseconds: one clock, rounded to 1 ns


def test_nested_sessions(tmp_path):
    s = mx.new_stream(mx.cpu)
    x = rand(1000)
    mx.eval(x)
    h = mx.timeline_start()
    mx.eval(mx.sort(x, stream=s))
    with mx.timeline(tmp_path / "inner.json") as inner:
        mx.eval(mx.cumsum(x, stream=s))
    mx.eval(mx.argmax(x, stream=s))
    outer = mx.timeline_stop(tmp_path / "outer.json", handle=h)
    with pytest.raises(ValueError):
        mx.timeline_stop(handle=h)
    names_in = [e["name"] for e in tasks(events(inner.json), s)]
    names_out = [e["name"] for e in tasks(events(outer), s)]
    assert len(names_in) == 1 and len(names_out) == 3 and names_out[1] == names_in[0]
    assert os.path.exists(tmp_path / "inner.json") and os.path.exists(tmp_path / "outer.json")


def test_many_threads():
    n_threads, n_evals = 8, 40
    x = rand(256)
    mx.eval(x)
    streams = [mx.new_stream(mx.cpu) for _ in range(n_threads)]
    own = [None] * n_threads
    errors = []

    def work(i):
        try:
            if i % 2:
                with mx.timeline() as t:
                    for _ in range(n_evals):
                        mx.eval(mx.negative(x, stream=streams[i]))
                own[i] = t.json
            else:
                for _ in range(n_evals):
                    mx.eval(mx.negative(x, stream=streams[i]))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    with mx.timeline() as t:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert not errors, errors
    evs = events(t.json)
    for i, s in enumerate(streams):
        got = tasks(evs, s)
        assert [e["name"] for e in got] == ["Negative"] * n_evals, i
        # One stream runs one task at a time.
        spans = sorted((e["ts"], e["ts"] + e["dur"]) for e in got)
        assert all(b0 >= a1 - 1e-3 for (_, a1), (b0, _) in zip(spans, spans[1:]))
        if own[i] is not None:
            assert len(tasks(events(own[i]), s)) == n_evals


def test_env_var_records_a_whole_run(tmp_path):
    path = tmp_path / "env.json"
    code = ("import tandem.core as mx\n"
            "s = mx.new_stream(mx.cpu)\n"
            "x = mx.array([0.5, 1.5, 2.5])\n"
            "print(mx.exp(x, stream=s).tolist())\n")
    env = dict(os.environ, TANDEM_TRACE=str(path))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    evs = events(path.read_text())
    assert "Exp" in [e["name"] for e in tasks(evs)]


@pytest.mark.skipif(not mx.is_available(mx.gpu), reason="no GPU")
def test_gpu_and_cpu_rows():
    g, c = mx.new_stream(mx.gpu), mx.new_stream(mx.cpu)
    a, b, d = rand(2048, 512), rand(512, 4), rand(512, 4)
    mx.eval(a, b, d)
    with mx.timeline() as t:
        r = mx.matmul(a, b, stream=g)
        y = d
        for _ in range(50):
            y = mx.exp(y, stream=c)
        z = mx.add(mx.sum(r, stream=c), mx.sum(y, stream=c), stream=c)  # waits on the GPU
        mx.eval(z)
    evs = events(t.json)
    copy_row = 1000000  # copies to the host
    gpu_tasks = [e for e in tasks(evs) if e["args"]["device"] == "gpu" and e["tid"] != copy_row]
    assert gpu_tasks and all(e["tid"] == g.index and e["pid"] == 1 for e in gpu_tasks)
    assert any("Matmul" in e["name"] for e in gpu_tasks)
    assert all(e["args"]["timing"] == "cuda events" for e in gpu_tasks)
    copies = [e for e in tasks(evs) if e["tid"] == copy_row]
    assert [e["args"]["bytes"] for e in copies] == [2048 * 4 * 4]
    assert tasks(evs, c)
    # Arrows: the GPU batch to the copy, the copy to the CPU task that read it.
    starts = {e["id"]: e for e in evs if e["ph"] == "s"}
    pairs = {(starts[e["id"]]["tid"], e["tid"]) for e in evs if e["ph"] == "f"}
    assert {(g.index, copy_row), (copy_row, c.index)} <= pairs
    np.testing.assert_allclose(np.array(z), np.array(r).sum() + np.array(y).sum(), rtol=1e-4)


def test_plot_and_cli(tmp_path):
    pytest.importorskip("matplotlib")
    from tandem.timeline import lanes, plot

    s1, s2 = mx.new_stream(mx.cpu), mx.new_stream(mx.cpu)
    a = rand(128, 128)
    path = tmp_path / "t.json"
    with mx.timeline(path):
        mx.eval(mx.matmul(a, a, stream=s1), mx.exp(a, stream=s2))
    ls = lanes(str(path))
    assert {(0, s1.index), (0, s2.index)} <= set(ls)
    out = tmp_path / "t.png"
    plot(str(path), out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "tandem.timeline", str(path), "-o",
                        str(tmp_path / "cli.png")], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "cli.png").stat().st_size > 1000
