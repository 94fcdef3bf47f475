"""The benchmark suite's correctness checks (benchmarks/run.py) on tiny sizes,
for NumPy and Tandem: every workload's Tandem code computes what NumPy does.
No timing is asserted."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))

import suite_workloads  # noqa: E402
from suite_worker import plan, run_worker  # noqa: E402

# Tiny: the largest array of any workload stays at 64K elements.
MAX_ELEMS = 1 << 16


@pytest.mark.parametrize("peer", ["numpy", "tandem"])
def test_suite_checks_pass_on_tiny_sizes(peer, monkeypatch):
    monkeypatch.setattr(suite_workloads, "MLP_W", 128)  # the MLP's width: 1024 in the suite
    _, recs = run_worker(peer, "cpu", quick=True, max_elems=MAX_ELEMS, check_only=True)
    assert len(recs) == len(plan("cpu", True, MAX_ELEMS))
    bad = [(r["workload"], r["label"], r["status"]) for r in recs if r["status"] not in ("ok", "n/a")]
    assert not bad, bad
    ran = {r["workload"] for r in recs if r["status"] == "ok"}
    # Every CPU workload runs on Tandem; NumPy lacks bfloat16 and CPU streams.
    missing = {w.name for w, _ in plan("cpu", True, MAX_ELEMS)} - ran
    assert missing == (set() if peer == "tandem" else {"matmul bf16", "canonical (2 CPU streams)"})
