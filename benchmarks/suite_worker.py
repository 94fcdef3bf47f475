"""What runs inside one framework's process: the workloads on one device
(`run_worker`), or the machine's physical limits (`measure_limits`).

Each task is checked against NumPy before it is timed; a wrong result is
recorded as such and not timed.
"""
import gc
import json
import sys
import time
import zlib

import numpy as np
from bench_common import best, check_close, measure
from suite_peers import make_peer
from suite_workloads import missing_workloads, workloads_for

# A task whose first call takes longer is timed by that call alone.
SLOW_S = 20.0


def _check(w, got, want):
    if isinstance(want, tuple):
        if not isinstance(got, tuple) or len(got) != len(want):
            raise AssertionError(f"{w.name}: expected {len(want)} outputs")
        for g, r in zip(got, want):
            check_close(w.name, g, r, w.rtol, w.atol_scale)
    else:
        check_close(w.name, got, want, w.rtol, w.atol_scale)


def plan(device, quick, max_elems, only=None, skip=()):
    """(workload, size) pairs in the order the worker runs them."""
    out = []
    for w in workloads_for(device):
        if (only and w.name not in only) or w.name in skip:
            continue
        cap = getattr(w, "cpu_max", None) if device == "cpu" else None
        out += [(w, s) for s in w.sizes(quick, max_elems)
                if w.elements(s) <= max_elems and (cap is None or s <= cap)]
    return out


def run_task(peer, w, size, check_only, quick):
    rec = {"workload": w.name, "family": w.family, "size": size, "label": w.label(size),
           "peer": peer.name, "device": peer.device, "limit": w.limit,
           "amount": w.amount(size), "status": "ok"}
    rng = np.random.default_rng(zlib.crc32(f"{w.name}/{size}".encode()))
    host = w.data(size, rng)
    args = host if getattr(w, "host_inputs", False) else tuple(peer.put(h) for h in host)
    fn = w.build(peer, args)
    if fn is None:
        rec["status"] = "n/a"
        return rec
    try:
        t0 = time.perf_counter()
        out = fn()
        peer.force(out)
        t_first = time.perf_counter() - t0
        _check(w, w.result(peer, out), w.ref(*host))
        del out
    except AssertionError as e:
        rec["status"] = f"wrong: {e}"
        return rec
    if not check_only and t_first > SLOW_S:
        # Too slow to repeat within the run's time: the first call, labelled.
        rec.update({"median_s": t_first, "q1_s": t_first, "q3_s": t_first, "min_s": t_first,
                    "reps": 1, "warmup_calls": 0, "note": "one cold call"})
    elif not check_only:
        target = 0.25 if quick else 1.0
        gpu = peer.device == "gpu"
        rec.update(measure(lambda: peer.force(fn()), until_stable=gpu,
                           warm=(0, t_first) if t_first > 1.0 and not gpu else None,
                           target_s=target, min_reps=3 if quick else 5,
                           max_reps=100 if quick else 300))
    return rec


def safe_task(peer, w, size, check_only, quick):
    """run_task, with any exception recorded: one failing op must not end a peer's run."""
    try:
        rec = run_task(peer, w, size, check_only, quick)
    except Exception as e:
        rec = {"workload": w.name, "family": w.family, "size": size,
               "label": w.label(size), "peer": peer.name, "device": peer.device,
               "limit": w.limit, "status": f"error: {type(e).__name__}: {e}"[:300]}
    gc.collect()
    peer.release()
    return rec


def run_worker(peer_name, device, quick, max_elems, only=None, skip=(), check_only=False):
    """Runs the plan for one framework on one device in this process; returns
    the records (the test's entry point: run.py interleaves the frameworks)."""
    peer = make_peer(peer_name, device)
    recs = [safe_task(peer, w, size, check_only, quick)
            for w, size in plan(device, quick, max_elems, only, skip)]
    return peer, recs


def measure_limits(device, quick, max_elems):
    """Memory bandwidth (GB/s, bytes read + written) and matmul peaks (TFLOP/s)."""
    lim = {"source": {}}
    if device == "cpu":
        n = int(min(64 * 2**20, max_elems))
        src = np.random.default_rng(0).uniform(0.5, 1.5, n).astype(np.float32)
        dst = np.empty_like(src)
        lim["bw"] = 8 * n / best(lambda: np.copyto(dst, src), 10) / 1e9
        lim["source"]["bw"] = f"NumPy copy of {4 * n >> 20} MiB (best of 10)"
        m = 2048 if quick else 4096
        a = np.random.default_rng(1).standard_normal((m, m)).astype(np.float32)
        lim["mm_f32"] = 2 * m**3 / best(lambda: a @ a, 5) / 1e12
        lim["source"]["mm_f32"] = f"NumPy float32 matmul {m}^3 (best of 5)"
        return lim
    try:
        import torch

        if not torch.cuda.is_available():
            raise ImportError
        sync = torch.cuda.synchronize
        x = torch.rand(256 * 2**20, device="cuda")
        y = torch.empty_like(x)

        def cp():
            y.copy_(x)
            sync()

        lim["bw"] = 2 * x.numel() * 4 / best(cp, 20) / 1e9
        lim["source"]["bw"] = "PyTorch device-to-device copy of 1 GiB (best of 20)"
        m = 8192
        torch.backends.cuda.matmul.allow_tf32 = False
        for key, dt in (("mm_f32", torch.float32), ("mm_bf16", torch.bfloat16)):
            a = torch.randn(m, m, device="cuda", dtype=dt)

            def mm():
                a @ a
                sync()

            lim[key] = 2 * m**3 / best(mm, 10) / 1e12
            lim["source"][key] = f"PyTorch {dt} matmul {m}^3 (best of 10)"
    except ImportError:
        import tandem.core as mx

        g = mx.gpu
        x = mx.random.uniform(shape=(256 * 2**20,), stream=g)
        mx.eval(x)
        lim["bw"] = 2 * 4 * x.size / best(lambda: (mx.eval(mx.abs(x, stream=g)), mx.synchronize()), 20) / 1e9
        lim["source"]["bw"] = "Tandem abs over 1 GiB (PyTorch missing; a lower bound)"
        m = 8192
        for key, dt in (("mm_f32", mx.float32), ("mm_bf16", mx.bfloat16)):
            a = mx.random.normal((m, m), stream=g).astype(dt)
            mx.eval(a)
            lim[key] = 2 * m**3 / best(lambda: (mx.eval(mx.matmul(a, a)), mx.synchronize()), 10) / 1e12
            lim["source"][key] = f"Tandem {key[3:]} matmul {m}^3 (PyTorch missing; a lower bound)"
    return lim


def worker_main(args):
    """`run.py --worker`: serves tasks by their index in the device's full plan.

    Prints {"ready": version} (or {"unavailable": why}) first, then reads one
    index a line from stdin and answers one JSON line: {"record": ...}, or
    {"skip": true} for a task outside this worker's --only/--skip. run.py
    keeps one such process per framework alive and sends each task to all of
    them in turn, so that a change of the machine's load during the run
    weighs on every framework alike.
    """
    if args.limits:
        print(json.dumps({"limits": measure_limits(args.device, args.quick, args.max_elems)}))
        return
    only = set(args.only.split("|")) if args.only else None
    skip = set(args.skip.split("|")) if args.skip else ()
    try:
        peer = make_peer(args.worker, args.device)
    except Exception as e:  # the framework is missing or has no such device
        print(json.dumps({"unavailable": f"{type(e).__name__}: {e}"}), flush=True)
        return
    ready = {"ready": peer.version()}
    if peer.name == "tandem":
        ready["missing"] = missing_workloads(peer.m)
    print(json.dumps(ready), flush=True)
    full = plan(args.device, args.quick, args.max_elems)
    for line in sys.stdin:
        if line.strip() == "quit":
            break
        w, size = full[int(line)]
        if (only and w.name not in only) or w.name in skip:
            print(json.dumps({"skip": True}), flush=True)
            continue
        print(json.dumps({"record": safe_task(peer, w, size, False, args.quick)}), flush=True)
