"""Timing and checking helpers shared by the benchmark scripts and the suite (run.py).

Every script here times the same way: warm up, repeat, read a monotonic clock
around a call that has already synchronised its device. What differs is the
statistic a script reports: `best` (a physical limit, the fastest run),
`median_time` (a typical run) or `measure` (median with the spread, for the
suite's tables).
"""
import statistics
import time

import numpy as np


def _run_times(fn, repeat):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return ts


def best(fn, repeat, warmup=1):
    """The fastest of `repeat` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    return min(_run_times(fn, repeat))


def median_time(fn, repeat, warmup=3):
    """The median of `repeat` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    return statistics.median(_run_times(fn, repeat))


def warm_up(fn, until_stable, max_calls=40, agree=0.10, slow_s=1.0):
    """Calls fn until it is warm; returns (calls made, last call's time).

    With until_stable (GPU runs: Tandem compiles fused kernels in the
    background and runs the ops one by one meanwhile), the warm-up goes on
    until two consecutive timings agree within `agree`; otherwise two calls,
    or one when a call takes more than slow_s.
    """
    prev = None
    n = 0
    while True:
        t0 = time.perf_counter()
        fn()
        t = time.perf_counter() - t0
        n += 1
        if not until_stable and (n >= 2 or t > slow_s):
            return n, t
        if until_stable and prev is not None and abs(t - prev) <= agree * max(t, prev):
            return n, t
        if n >= max_calls:
            return n, t
        prev = t


def measure(fn, until_stable=False, target_s=0.5, min_reps=5, max_reps=200, warm=None):
    """Median and interquartile range of fn's wall time after a warm-up.

    The number of repeats is chosen so that the timed calls take about
    target_s in all, within [min_reps, max_reps]. warm=(calls, last time)
    says the caller has warmed fn up already (a CPU call of seconds: the
    check's call is warm-up enough).
    """
    n_warm, t_warm = warm or warm_up(fn, until_stable)
    reps = int(min(max_reps, max(min_reps, target_s / max(t_warm, 1e-7))))
    if t_warm > 1.0:
        reps = 3  # seconds per call: three are enough to see the spread
    ts = sorted(_run_times(fn, reps))
    q1, med, q3 = np.percentile(ts, [25, 50, 75])
    return {"median_s": float(med), "q1_s": float(q1), "q3_s": float(q3),
            "min_s": float(ts[0]), "reps": reps, "warmup_calls": n_warm}


def check_close(name, got, want, rtol=1e-4, atol_scale=1e-5):
    """Raises AssertionError unless got matches want (NumPy), elementwise.

    The absolute tolerance scales with the reference's largest magnitude, so
    that sums over millions of elements and near-zero entries are judged
    alike across sizes.
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{name}: shape {got.shape} != reference {want.shape}")
    finite = np.isfinite(want)
    scale = float(np.max(np.abs(want[finite]))) if finite.any() else 1.0
    if not np.allclose(got, want, rtol=rtol, atol=atol_scale * scale, equal_nan=True):
        err = np.max(np.abs(got - want)[finite]) if finite.any() else float("nan")
        raise AssertionError(f"{name}: differs from NumPy (max abs error {err:.3g}, scale {scale:.3g})")
