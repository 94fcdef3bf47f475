"""Runtime hardening: the same lazy graph evaluated from several threads, a
failure inside a kernel (out of memory) failing its eval instead of hanging,
memory held by fire-and-forget work, Ctrl-C during waits, and a bounded
concurrency soak. The cases that could hang run in a child interpreter with
a timeout."""
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
import tandem.core as mx
from conftest import DEVICE

HEADER = f"import tandem.core as mx\nmx.set_default_device(mx.{DEVICE})\n"


def run_child(code, timeout=120):
    return subprocess.run(
        [sys.executable, "-c", HEADER + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# ------------------------------------------------- shared graphs, threads


def test_same_lazy_graph_from_two_threads(default_device):
    # Segfaulted within seconds before (run in a child: a crash must not
    # take the test run down).
    r = run_child(
        """
        import threading, numpy as np
        rng = np.random.default_rng()
        for i in range(1500):
            v = float(rng.uniform(-1, 1))
            g = mx.sum(mx.exp(mx.full((64, 64), v)), axis=1)
            ts = [threading.Thread(target=mx.eval, args=(g,)) for _ in range(2)]
            for t in ts: t.start()
            for t in ts: t.join()
            assert np.allclose(np.array(g), 64 * np.exp(np.float32(v)), rtol=1e-5), i
        print("ok")
        """
    )
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_overlapping_graphs_from_threads(default_device):
    rng = np.random.default_rng()
    streams = [mx.new_stream(default_device) for _ in range(3)]
    errors = []
    for it in range(100):
        base_np = rng.standard_normal((16, 8)).astype(np.float32)
        base = mx.array(base_np)
        mid = (base + 1) * 2  # shared and lazy
        mid2 = mx.negative(mid, stream=streams[it % 3])

        def work(t):
            try:
                src = mid2 if t % 2 else mid
                y = mx.add(src, t, stream=streams[(it + t) % 3])
                if t == 3:
                    mx.async_eval(y)
                got = np.array(y)
                m = (base_np + 1) * 2
                want = (-m if t % 2 else m) + t
                if not np.array_equal(got, want):
                    errors.append((it, t))
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        ts = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    assert not errors, errors[:5]


# ------------------------------------------------ failures inside kernels


def test_out_of_memory_inside_kernel_raises(default_device):
    if DEVICE != "cpu":
        pytest.skip("the scratch copy inside the kernel is the CPU matmul's")
    r = run_child(
        """
        A = mx.ones((2048, 4096)); B = mx.ones((2048, 4)); mx.eval(A, B)
        prev = mx.set_memory_limit(mx.get_active_memory() + (1 << 20))
        try:
            mx.eval(mx.matmul(A[:, ::2], B))
            print("no error")
        except MemoryError as e:
            print("MemoryError", "out of memory" in str(e))
        # Another stream waiting on the failed product fails too.
        s = mx.new_stream(mx.cpu)
        try:
            mx.eval(mx.add(mx.matmul(A[:, ::2], B), 1, stream=s))
            print("no error")
        except MemoryError:
            print("MemoryError")
        mx.set_memory_limit(prev)
        try:
            mx.synchronize()
        except MemoryError:
            pass
        print(mx.matmul(A[:, ::2], B)[0, 0].item())
        """,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:3] == ["MemoryError True", "MemoryError", "2048.0"], r.stdout


# ------------------------------------------------------------- memory


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_fire_and_forget_memory_is_bounded(default_device):
    # 5000 x 1 MiB temporaries: at most the in-flight bound is alive at once,
    # the cache stays under its limit and clear_cache gives it all back.
    mx.synchronize()
    mx.clear_cache()
    active0 = mx.get_active_memory()
    mx.reset_peak_memory()
    for i in range(5000):
        mx.async_eval(mx.ones((1 << 18,)) * i)
    mx.synchronize()
    peak = mx.get_peak_memory() - active0
    cache = mx.get_cache_memory()
    print(f"peak {peak / 2**20:.0f} MiB, cache {cache / 2**20:.0f} MiB, rss {rss_mib():.0f} MiB")
    # (Python scalars are kept as small constant arrays, a few bytes each.)
    assert mx.get_active_memory() <= active0 + 4096
    assert peak < 512 << 20
    assert cache < 512 << 20
    mx.clear_cache()
    assert mx.get_cache_memory() == 0


def test_memory_soak(default_device):
    # Create-evaluate-drop of mixed sizes with async_eval bursts. Active
    # memory returns to its start, the cache obeys its limit and RSS stays flat
    # after warm-up. In a child with kernels compiled on the evaluating thread
    # (TANDEM_JIT_ASYNC=0): a fused kernel finishing its background compile
    # after the warm-up would load its module (RSS) in a measured round.
    code = textwrap.dedent(
        """
        import numpy as np
        def rss_mib():
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmRSS"):
                        return int(line.split()[1]) / 1024
        rng = np.random.default_rng()
        limit = 64 << 20
        mx.set_cache_limit(limit)
        sizes = [1, 7, 100, 1000, 4096, 1 << 14, 1 << 16, 1 << 18, 3 << 17]

        def round_(n):
            for i in range(n):
                k = sizes[int(rng.integers(len(sizes)))]
                x = mx.ones((k,)) * i + 1
                if i % 50 == 0:
                    burst = [mx.full((int(rng.choice(sizes)),), float(j)) * 2 for j in range(20)]
                    mx.async_eval(*burst)
                    del burst
                if i % 3 == 0:
                    mx.eval(mx.sum(x))
                else:
                    mx.async_eval(x)
                del x
            mx.synchronize()

        round_(2000)  # warm-up (also fills the cache of scalar constants)
        active0 = mx.get_active_memory()
        # RSS read with the cache emptied (clear_cache also trims malloc's
        # free pages): what stays is what the rounds leaked.
        mx.clear_cache()
        rss = [rss_mib()]
        for _ in range(4):
            round_(2000)
            assert mx.get_active_memory() == active0, (mx.get_active_memory(), active0)
            assert mx.get_cache_memory() <= limit, mx.get_cache_memory()
            mx.clear_cache()
            rss.append(rss_mib())
        print("rss after each round (MiB):", [f"{r:.1f}" for r in rss])
        assert max(rss) - min(rss) <= 0.01 * min(rss) + 2, rss
        """
    )
    r = subprocess.run(
        [sys.executable, "-c", HEADER + code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TANDEM_JIT_ASYNC": "0"},
    )
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr


def test_clear_cache_returns_memory_to_the_system(default_device):
    r = run_child(
        """
        def rss():
            with open("/proc/self/status") as f:
                for l in f:
                    if l.startswith("VmRSS"): return int(l.split()[1]) / 1024
        # Host memory: the arrays live on the CPU whatever the test device.
        mx.set_default_device(mx.cpu)
        mx.eval(mx.ones((4,)))
        before = rss()
        xs = [mx.ones((1 << 18,)) * i for i in range(300)] + [mx.ones((1 << 14,)) * i for i in range(300)]
        mx.eval(*xs)
        high = rss()
        del xs
        mx.synchronize()
        mx.clear_cache()
        print(before, high, rss())
        """
    )
    before, high, after = map(float, r.stdout.split())
    print(f"rss before {before:.0f} MiB, holding {high:.0f} MiB, after clear_cache {after:.0f} MiB")
    assert high > before + 250
    assert after < before + 40


# --------------------------------------------------------- interrupts

INTERRUPT_CHILD = """
import sys, time, os, signal, threading
what, dev = sys.argv[1], sys.argv[2]
# A chain long enough to be interrupted: 300 products of 1000x1000 on the
# CPU; of 8192x8192 on the GPU (about 7 s on an H200).
mx.set_default_device(mx.gpu if dev == "gpu" else mx.cpu)
a = mx.ones((8192, 8192) if dev == "gpu" else (1000, 1000))
mx.eval(a)
def long_graph():
    y = a
    for _ in range(300):
        y = mx.matmul(y, a) * 1e-4
    return y
y = long_graph()
def fire():
    time.sleep(0.3)
    global t0
    t0 = time.perf_counter()
    os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=fire).start()
try:
    if what == "eval":
        mx.eval(y)
    elif what == "synchronize":
        mx.async_eval(y)
        mx.synchronize()
    else:
        y[0, 0].item()
    print("finished without interrupt")
except KeyboardInterrupt:
    print(f"latency {time.perf_counter() - t0:.4f}")
# Consistent and usable afterwards (on another stream: the default one still
# has the chain queued).
print(mx.add(mx.array([1.0, 1.0, 1.0]), 1, stream=mx.new_stream(mx.cpu)).tolist())
sys.stdout.flush()
os._exit(0)
"""


@pytest.mark.parametrize("dev", ["cpu", "gpu"])
@pytest.mark.parametrize("what", ["eval", "synchronize", "read"])
def test_ctrl_c_interrupts_waits(what, dev, default_device):
    if dev == "gpu" and not mx.is_available(mx.gpu):
        pytest.skip("no GPU in this process")
    code = HEADER + INTERRUPT_CHILD
    r = subprocess.run(
        [sys.executable, "-c", code, what, dev], capture_output=True, text=True, timeout=120
    )
    lines = r.stdout.split("\n")
    assert r.returncode == 0, r.stderr
    assert lines[0].startswith("latency"), r.stdout
    latency = float(lines[0].split()[1])
    print(f"Ctrl-C during {what}: KeyboardInterrupt after {latency * 1000:.1f} ms")
    assert latency < 1.0  # the target is 0.2 s; loose against a loaded machine
    assert lines[1] == "[2.0, 2.0, 2.0]"


# ---------------------------------------------------- concurrency soak


def test_concurrency_soak(default_device):
    # Threads build and evaluate graphs on their own streams and on shared
    # ones, with cross-stream dependencies; async_eval results are read from
    # other threads. Bounded in time; every value checked.
    rng = np.random.default_rng()
    shared = [mx.new_stream(default_device) for _ in range(2)]
    base_np = rng.standard_normal((32,)).astype(np.float32)
    base = mx.array(base_np)
    handoff = []
    handoff_lock = threading.Lock()
    errors = []
    stop = time.monotonic() + 3.0

    def producer(t):
        own = mx.new_stream(default_device)
        i = 0
        while time.monotonic() < stop:
            s1, s2 = (own, shared[i % 2]) if i % 2 else (shared[(i + t) % 2], own)
            x = mx.multiply(mx.add(base, t, stream=s1), 2, stream=s2)
            y = mx.subtract(x, base, stream=shared[(i + 1) % 2])
            want = (base_np + t) * 2 - base_np
            if i % 3 == 0:
                mx.async_eval(y)
                with handoff_lock:
                    handoff.append((y, want))
            elif not np.allclose(np.array(y), want, rtol=1e-6):
                errors.append(("own", t, i))
            i += 1

    def reader():
        while time.monotonic() < stop or handoff:
            with handoff_lock:
                item = handoff.pop() if handoff else None
            if item is None:
                time.sleep(0.001)
                continue
            y, want = item
            if not np.allclose(np.array(y), want, rtol=1e-6):
                errors.append("handoff")

    ts = [threading.Thread(target=producer, args=(t,)) for t in range(4)]
    ts += [threading.Thread(target=reader) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in ts), "deadlock"
    assert not errors, errors[:5]


def test_cold_kernel_cache_with_cpu_and_gpu_streams(tmp_path):
    # Hung on the H200 with an empty kernel cache: a GPU kernel spinning on a
    # CPU task's flag while the evaluating thread loaded a newly compiled
    # module (which may synchronize the CUDA context) and the CPU task waited
    # in a CUDA call behind that load. Modules now load only with no spin in
    # flight. A child with its own empty cache, so every kernel is compiled
    # and loaded in the middle of cross-stream graphs.
    if not mx.is_available(mx.gpu):
        pytest.skip("needs a GPU: the hang is between a GPU spin wait and a module load")
    code = textwrap.dedent(
        """
        import numpy as np
        mx.set_default_device(mx.gpu)
        side = mx.new_stream(mx.cpu)
        rng = np.random.default_rng(7)
        x = mx.array(rng.standard_normal((4, 5)))
        w = mx.array(rng.standard_normal((5, 3)))

        def f(a, b):
            h = mx.tanh(mx.matmul(a, b, stream=side))
            e = mx.exp(h)
            s = mx.sin(a[:, :3], stream=side)
            h = mx.multiply(e, s, stream=side)
            return mx.sum(mx.logsumexp(h, axis=1), stream=side)

        def ref(a, b):
            h = np.exp(np.tanh(a @ b)) * np.sin(a[:, :3])
            return np.log(np.exp(h).sum(axis=1)).sum()

        for dt in (mx.float64, mx.float32):
            ga, gb = mx.grad(f, argnums=(0, 1))(x.astype(dt), w.astype(dt))
            mx.eval(ga, gb)
            v = f(x.astype(dt), w.astype(dt)).item()
            assert abs(v - ref(np.array(x), np.array(w))) < 1e-4 * abs(v) + 1e-5, v
        print("ok")
        """
    )
    env = {**os.environ, "TANDEM_JIT_CACHE": str(tmp_path / "jit")}
    try:
        r = subprocess.run(
            [sys.executable, "-c", HEADER + code], capture_output=True, text=True, timeout=240, env=env
        )
    except subprocess.TimeoutExpired:
        pytest.fail("hung: cross-stream gradient with an empty kernel cache did not finish in 240 s")
    assert r.returncode == 0 and "ok" in r.stdout, r.stdout + r.stderr


def test_openblas_generic_core_is_reselected():
    # OpenBLAS falls back to a generic core (SSE3 "Prescott") on CPUs it does
    # not recognize, as in VMs that hide the CPU model; Tandem re-selects one
    # the CPU's features allow before its first BLAS call. The fallback is
    # forced here through OPENBLAS_CORETYPE, dropped once OpenBLAS has loaded.
    code = textwrap.dedent("""
        import ctypes, os
        import numpy as np
        os.environ["OPENBLAS_CORETYPE"] = "Prescott"
        import tandem.core as mx
        del os.environ["OPENBLAS_CORETYPE"]
        try:
            lib = ctypes.CDLL("libopenblas.so.0")
            lib.openblas_get_corename.restype = ctypes.c_char_p
        except OSError:
            lib = None
        a = np.random.default_rng(1).standard_normal((96, 80)).astype(np.float32)
        b = np.random.default_rng(2).standard_normal((80, 72)).astype(np.float32)
        got = np.array(mx.matmul(mx.array(a), mx.array(b), stream=mx.cpu))
        err = np.abs(got - a.astype(np.float64) @ b).max()
        print((lib.openblas_get_corename().decode() if lib else "") + "|" + repr(float(err)))
    """)
    # Not run_child: its header would load the library before the variable is set.
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    core, err = r.stdout.strip().splitlines()[-1].split("|")
    assert float(err) < 1e-4
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    if core and " avx2 " in flags and " fma " in flags:
        assert core in ("Haswell", "SkylakeX", "Cooperlake"), core
