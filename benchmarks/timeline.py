"""The canonical mixed workload's stream timeline (issue 15).

    python3 benchmarks/timeline.py [--exps 500] [--reps 20] [--machine NAME]

A 4096x512 @ 512x4 matmul on the GPU while a chain of 500 `exp` on a 512x4
array runs on a CPU stream (without a GPU: the matmul on a second CPU
stream), recorded with `mx.timeline` and drawn with matplotlib, one lane per
stream. Writes benchmarks/results/timeline-<machine>.json (the Chrome trace,
which https://ui.perfetto.dev opens), timeline-<machine>.png, and
timeline-<machine>-summary.json: the workload's median time with tracing off
and on (the trace's overhead) and how long the two streams' tasks overlapped.
"""
import argparse
import json
import os
import socket
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def workload(mx, exps, seed=0):
    """(run, check): run() evaluates the split workload once and returns its
    outputs; check(outputs) compares them with NumPy."""
    rng = np.random.default_rng(seed)
    a_np = rng.standard_normal((4096, 512)).astype(np.float32)
    b_np = rng.standard_normal((512, 4)).astype(np.float32)
    c_np = rng.uniform(0, 1, (512, 4)).astype(np.float32)
    a, b, c = mx.array(a_np), mx.array(b_np), mx.array(c_np)
    mx.eval(a, b, c)
    gpu = mx.is_available(mx.gpu)
    big = mx.new_stream(mx.gpu if gpu else mx.cpu)
    small = mx.new_stream(mx.cpu)

    def run():
        r = mx.matmul(a, b, stream=big)
        y = c
        for _ in range(exps):
            y = mx.exp(y, stream=small)
        mx.eval(r, y)
        return r, y

    def check(out):
        r, y = out
        want_r = a_np.astype(np.float64) @ b_np
        np.testing.assert_allclose(np.array(r), want_r, rtol=1e-3, atol=1e-3 * np.abs(want_r).max())
        want_y = c_np.astype(np.float64)
        with np.errstate(over="ignore"):  # the chain overflows to inf, as in the suite
            for _ in range(exps):
                want_y = np.exp(want_y)
        np.testing.assert_allclose(np.array(y), want_y.astype(np.float32), rtol=1e-4)

    return run, check, gpu


def overlap(trace_json):
    """Seconds during which tasks of two different streams ran at once."""
    from tandem.timeline import lanes

    spans = []
    for key, lane in lanes(trace_json).items():
        for e in lane["tasks"]:
            if e["name"] != "wait":
                spans.append((e["ts"], e["ts"] + e["dur"], key))
    total = 0.0
    for i, (a0, a1, ka) in enumerate(spans):
        for b0, b1, kb in spans[i + 1:]:
            if ka != kb:
                total += max(0.0, min(a1, b1) - max(a0, b0))
    return total / 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exps", type=int, default=500)
    ap.add_argument("--reps", type=int, default=20, help="timed runs per round, tracing off and on")
    ap.add_argument("--rounds", type=int, default=5, help="rounds, alternating off and on")
    ap.add_argument("--machine", default=None, help="name in the output files (default: host)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()

    import tandem.core as mx
    from tandem.timeline import plot

    run, check, gpu = workload(mx, args.exps)
    check(run())  # the result is right before anything is timed
    for _ in range(5):  # warm-up: kernel compiles, pools, caches
        run()

    def median(fn):
        ts = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts)

    def traced():
        with mx.timeline():
            run()

    # Interleaved, so that drift of the machine's load weighs on both alike.
    off, on = [], []
    for _ in range(args.rounds):
        off.append(median(run))
        on.append(median(traced))
    t_off, t_on = statistics.median(off), statistics.median(on)

    machine = args.machine or socket.gethostname()
    os.makedirs(args.out, exist_ok=True)
    json_path = os.path.join(args.out, f"timeline-{machine}.json")
    png_path = os.path.join(args.out, f"timeline-{machine}.png")
    with mx.timeline(json_path) as t:
        run()
    where = "GPU matmul, CPU exps" if gpu else "two CPU streams (no GPU)"
    plot(t.json, png_path,
         title=f"4096x512 @ 512x4 matmul + {args.exps} exp: {where} ({machine})")
    events = json.loads(t.json)["traceEvents"]
    tasks = sum(1 for e in events if e.get("ph") == "X")
    summary = {
        "machine": machine, "gpu": gpu, "exps": args.exps,
        "median_s_trace_off": t_off, "median_s_trace_on": t_on,
        "overhead": t_on / t_off - 1.0, "tasks_in_trace": tasks,
        "overlap_s": overlap(t.json),
    }
    summary_path = os.path.join(args.out, f"timeline-{machine}-summary.json")
    with open(summary_path, "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))
    print(f"wrote {json_path}\nwrote {png_path}\nwrote {summary_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
