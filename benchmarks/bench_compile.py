"""What compile saves: a function of 500 elementwise ops, compiled against uncompiled (issue 14).

    python benchmarks/bench_compile.py [--device cpu|gpu] [--ops 500] [--reps 200]

The function mixes unary and binary ops (sin, exp, multiply by an input,
add a constant) on a 512x4 float32 array, as the CPU half of the canonical
workload does. Measured, medians after a warm-up (GPU kernels are compiled
on the evaluating thread here, TANDEM_JIT_ASYNC=0, so the warm-up ends with
them built):
  - uncompiled: build the 500 ops from Python and eval;
  - compiled: call the compiled function and eval;
  - launch: from the call to async_eval's return (the work queued, its run
    not counted), compiled and uncompiled: the host time of a call (the
    bar: compiled at most 0.10x the uncompiled build + eval);
  - compiled, call only: the call returning its lazy result;
  - first calls: the uncompiled first call (kernel compiles included) and
    the compiled function's first call (trace and fuse; kernels cached).
Both results are checked against each other (bit-equal) before timing.
"""
import argparse
import os
import time

os.environ.setdefault("TANDEM_JIT_ASYNC", "0")

import numpy as np  # noqa: E402
from bench_common import median_time  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--ops", type=int, default=500)
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args()
    import tandem.core as mx

    dev = mx.gpu if args.device == "gpu" else mx.cpu
    if args.device == "gpu" and not mx.is_available(mx.gpu):
        print("bench_compile: no GPU available; nothing measured")
        return
    mx.set_default_device(dev)
    rng = np.random.default_rng(0)
    x = mx.array(rng.uniform(-1, 1, (512, 4)).astype(np.float32))
    w = mx.array(rng.uniform(0.5, 1.0, (512, 4)).astype(np.float32))
    mx.eval(x, w)

    def fun(x, w, salt=0.0):
        y = x
        for i in range(args.ops):
            k = i % 4
            if k == 0:
                y = mx.sin(y)
            elif k == 1:
                y = y * w
            elif k == 2:
                y = y + (0.125 + salt)
            else:
                y = mx.exp(y) - 1.0
        return y

    # First calls: uncompiled first (its time includes the kernel compiles
    # of the fused chain, on the GPU), then compiled (trace and fuse; the
    # kernels are cached by then).
    t0 = time.perf_counter()
    mx.eval(fun(x, w))
    first_plain = time.perf_counter() - t0
    compiled = mx.compile(fun)
    t0 = time.perf_counter()
    mx.eval(compiled(x, w))
    first_compiled = time.perf_counter() - t0

    a, b = np.array(compiled(x, w)), np.array(fun(x, w))
    if not np.array_equal(a, b, equal_nan=True):
        raise SystemExit(f"compiled and uncompiled results differ: max |diff| {np.nanmax(np.abs(a - b))}")

    sync = (lambda: mx.synchronize()) if args.device == "gpu" else (lambda: None)

    def plain():
        mx.eval(fun(x, w))
        sync()

    def comp():
        mx.eval(compiled(x, w))
        sync()

    def comp_call():
        compiled(x, w)

    def launch_times(f):
        # From the call to async_eval returning (the work queued, not run);
        # the wait for the results is not counted.
        ts = []
        for i in range(args.reps + 5):
            t0 = time.perf_counter()
            y = f(x, w)
            mx.async_eval(y)
            t = time.perf_counter() - t0
            mx.eval(y)
            sync()
            if i >= 5:
                ts.append(t)
        return float(np.median(ts))

    t_plain = median_time(plain, args.reps, warmup=5)
    t_comp = median_time(comp, args.reps, warmup=5)
    t_call = median_time(comp_call, args.reps, warmup=5)
    t_launch_plain = launch_times(fun)
    t_launch = launch_times(compiled)
    us = 1e6
    print(f"compile, {args.ops} elementwise ops on 512x4 float32, {args.device} "
          f"(medians of {args.reps}):")
    print(f"  uncompiled build + eval     {t_plain * us:9.1f} us")
    print(f"  compiled call + eval        {t_comp * us:9.1f} us   {t_comp / t_plain:.3f}x uncompiled")
    print(f"  uncompiled build + launch   {t_launch_plain * us:9.1f} us   (to async_eval's return)")
    print(f"  compiled call + launch      {t_launch * us:9.1f} us   {t_launch / t_plain:.3f}x uncompiled "
          f"build + eval (bar <= 0.10)")
    print(f"  compiled call only          {t_call * us:9.1f} us   {t_call / t_plain:.3f}x uncompiled")
    kernels = max(0.0, first_plain - t_plain)
    print(f"  first calls: uncompiled {first_plain * 1e3:.2f} ms (kernel compiles included), "
          f"compiled {first_compiled * 1e3:.2f} ms (trace + fuse, kernels cached): compiled + the "
          f"kernel compiles = {(first_compiled + kernels) / first_plain:.2f}x the uncompiled first "
          f"call (bar <= 1.5)")


if __name__ == "__main__":
    main()
