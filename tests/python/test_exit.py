"""Interpreter exit while Tandem is busy: right after eval, with async_eval
work in flight, and with a daemon thread still building and evaluating.
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
