"""Interpreter exit while Tandem is busy: right after eval, with async_eval
work in flight (elementwise, a chain of large matmuls inside BLAS, thousands
of small matmuls), and with a daemon thread still building and evaluating.
Each case runs in a child interpreter on the test device, which must exit
with status 0 and print nothing to stderr."""
import subprocess
import sys
import textwrap

import pytest
from conftest import DEVICE

SETUP = f"""
import threading
import numpy as np
import tandem.core as mx
dev = mx.{DEVICE}
mx.set_default_device(dev)
x = mx.array(np.random.default_rng(0).standard_normal(1 << 20).astype(np.float32))

def work(stream):
    y = x
    for _ in range(20):
        y = mx.sin(y, stream=stream)
    return [y, mx.negative(y, stream=mx.cpu)]
"""

CASES = {
    "eval": "outs = [o for _ in range(3) for o in work(mx.new_stream(dev))]\nmx.eval(outs)",
    "async_eval": "outs = [o for _ in range(3) for o in work(mx.new_stream(dev))]\nmx.async_eval(outs)",
    # BLAS (OpenBLAS's threads on the CPU) busy at exit: a stream worker
    # inside a large GEMM while the library's destructors run.
    "matmul_chain": textwrap.dedent(
        """
        a = mx.ones((1000, 1000))
        for _ in range(50):
            a = mx.matmul(a, a) * 1e-3
        mx.async_eval(a)
        """
    ),
    "small_matmuls": textwrap.dedent(
        """
        xs = [mx.matmul(mx.ones((64, 64)), mx.ones((64, 64))) for _ in range(5000)]
        mx.async_eval(*xs)
        """
    ),
    # A fused program never seen before: on the GPU its kernel is still
    # compiling (NVRTC, in the background) when the interpreter exits.
    "new_fused_program": textwrap.dedent(
        """
        import random
        ops = [mx.sin, mx.cos, mx.exp, mx.tanh, mx.sigmoid, mx.negative, mx.abs]
        rnd = random.Random()
        y = x
        for _ in range(200):
            y = rnd.choice(ops)(y)
        mx.async_eval(y)
        """
    ),
    "daemon_thread": textwrap.dedent(
        """
        started = threading.Event()
        def loop():
            s = mx.new_stream(dev)
            while True:
                mx.eval(work(s))
                started.set()
        threading.Thread(target=loop, daemon=True).start()
        started.wait()
        """
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_exit_while_busy(case, default_device):
    code = SETUP + CASES[case] + "\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stderr == "", f"exit status {r.returncode}, stderr:\n{r.stderr}"


@pytest.mark.parametrize("case", ["matmul_chain", "small_matmuls"])
def test_sys_exit_with_matmuls_in_flight(case, default_device):
    # sys.exit with a status, a few runs each (the crash and the hang were
    # intermittent before: 5 of 10 and 10 of 10 runs).
    code = SETUP + CASES[case] + "\nimport sys\nsys.exit(3)\n"
    for _ in range(3):
        r = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
        assert r.returncode == 3 and r.stderr == "", f"exit status {r.returncode}, stderr:\n{r.stderr}"
