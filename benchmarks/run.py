"""Tandem beside NumPy, PyTorch, MLX and JAX: the benchmark suite (issue 15).

    python3 benchmarks/run.py [--quick] [--peers numpy,torch,mlx,jax] [--devices cpu,gpu]

Each framework runs in its own process on the same seeded random inputs;
the processes stay alive and each task goes to all of them in turn (so that
a drift of the machine's load weighs on all alike); every result is checked
against NumPy before it is timed. Writes
benchmarks/results/<machine>-<date>.md (the report), .json (raw numbers) and
<machine>-<date>/*.png (time against size per op family). The GPU is measured
when Tandem sees one. --quick caps the sizes (16M elements) and repeats.
"""
import argparse
import datetime
import json
import os
import platform
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from suite_peers import PEER_NAMES  # noqa: E402
from suite_worker import plan, worker_main  # noqa: E402

# The TF32 matmul runs in a Tandem process of its own: the switch is an
# environment variable read once.
TF32 = "matmul tf32"


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 8 << 30


def max_elements(quick):
    # The largest workload holds about six float32 arrays of its size in one
    # process (inputs, output, the float64 reference); keep that under a third
    # of the free memory.
    cap = mem_available() // 3 // (6 * 4)
    return min(cap, (16 << 20) if quick else (256 << 20))


def machine_info():
    info = {"host": socket.gethostname(), "nproc": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "load_start": os.getloadavg()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    info["mem_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
        if out.returncode == 0:
            info["gpu"] = out.stdout.strip().splitlines()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return info


def tandem_has_gpu():
    code = "import tandem.core as mx; print(int(mx.is_available(mx.gpu)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return out.returncode == 0 and out.stdout.strip().endswith("1")


def run_limits(device, common):
    """The device's physical limits, measured in a process of their own."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", "limits",
                          "--limits", "--device", device] + common, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)["limits"]
    return {"error": " ".join(out.stderr.strip().splitlines()[-2:])[:300]}


class Worker:
    """One framework's process (run.py --worker), serving tasks by index."""

    def __init__(self, peer, device, env, only, skip, common):
        argv = [sys.executable, os.path.abspath(__file__), "--worker", peer, "--device", device]
        argv += common
        if only:
            argv += ["--only", "|".join(sorted(only))]
        if skip:
            argv += ["--skip", "|".join(sorted(skip))]
        self.peer, self.env = peer, env
        # stderr goes to a file: a pipe nobody reads could fill and block the worker.
        self.err = open(f"/tmp/tandem-bench-{peer}-{device}-{os.getpid()}.err", "w")
        self.p = subprocess.Popen(argv, env=dict(os.environ, **env), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=self.err, text=True)
        self.first = self.read()

    def read(self):
        while True:
            line = self.p.stdout.readline()
            if not line:
                return None  # the process ended
            if line.startswith("{"):
                return json.loads(line)

    def ask(self, i):
        try:
            self.p.stdin.write(f"{i}\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            return None
        return self.read()

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        self.p.wait()
        self.err.close()
        return self.p.returncode, self.err.name


def orchestrate(args):
    from tqdm import tqdm

    t_start = time.time()
    info = machine_info()
    quick, max_elems = args.quick, args.max_elems or max_elements(args.quick)
    devices = [d for d in args.devices.split(",") if d == "cpu" or tandem_has_gpu()]
    skipped_devices = [d for d in args.devices.split(",") if d not in devices]
    peers = ["tandem"] + [p for p in args.peers.split(",") if p and p != "tandem"]
    unknown = [p for p in peers if p not in PEER_NAMES]
    if unknown:
        sys.exit(f"unknown peers: {unknown}; known: {PEER_NAMES}")

    result = {"machine": info, "quick": quick, "max_elements": max_elems, "devices": devices,
              "skipped_devices": skipped_devices, "limits": {}, "peers": {}, "records": [],
              "command": " ".join(["python3", "benchmarks/run.py"] + sys.argv[1:])}
    common = ["--max-elems", str(max_elems)] + (["--quick"] if quick else [])
    full = {d: plan(d, quick, max_elems) for d in devices}
    n_jobs = {d: sum(2 if (p == "tandem" and d == "gpu") else int(p != "numpy" or d == "cpu")
                     for p in peers) for d in devices}
    bar = tqdm(total=sum(len(full[d]) * n_jobs[d] + 1 for d in devices), unit="task",
               dynamic_ncols=True)
    for d in devices:
        bar.set_description(f"{d}: physical limits")
        result["limits"][d] = run_limits(d, common)
        bar.update(1)
        workers = []
        for p in peers:
            if p == "numpy" and d != "cpu":
                continue
            bar.set_description(f"{d}: starting {p}")
            jobs = [({}, None, {TF32} if p == "tandem" else set())]
            if p == "tandem" and d == "gpu":
                jobs.append(({"TANDEM_ALLOW_TF32": "1"}, {TF32}, set()))
            entry = result["peers"].setdefault(f"{p}@{d}", {})
            for env, only, skip in jobs:
                wk = Worker(p, d, env, only, skip, common)
                first = wk.first or {"unavailable": "its process ended at start"}
                if "ready" in first:
                    entry["version"] = first["ready"]
                    result.setdefault("missing", first.get("missing", []))
                    workers.append(wk)
                else:
                    entry["unavailable"] = first["unavailable"]
                    wk.close()
                    bar.update(len(full[d]))
        # Each task goes to every framework in turn (the first one rotates),
        # so that the machine's load drifting during the run is shared out.
        for i, (w, size) in enumerate(full[d]):
            bar.set_description(f"{d}: {w.name} {w.label(size)}")
            k = i % max(1, len(workers))
            for wk in workers[k:] + workers[:k]:
                if wk.p.poll() is not None:
                    bar.update(1)
                    continue
                msg = wk.ask(i)
                if msg is None:
                    result["peers"][f"{wk.peer}@{d}"]["crashed"] = f"its process ended at {w.name} {w.label(size)}"
                elif "record" in msg:
                    if wk.env:
                        msg["record"]["env"] = wk.env
                    result["records"].append(msg["record"])
                bar.update(1)
        for wk in workers:
            rc, err = wk.close()
            if rc:
                e = result["peers"][f"{wk.peer}@{d}"]
                e["crashed"] = e.get("crashed", "") + f" (exit {rc}; stderr in {err})"
    bar.close()
    info["load_end"] = os.getloadavg()
    result["wall_s"] = time.time() - t_start
    # Records in plan order, then framework order, for the JSON's readers.
    order = {(w.name, w.label(s)): i for d in devices for i, (w, s) in enumerate(full[d])}
    result["records"].sort(key=lambda r: (r["device"], order.get((r["workload"], r["label"]), 0)))

    from suite_report import write_all

    stem = f"{args.machine or info['host']}-{datetime.date.today().isoformat()}"
    paths = write_all(result, os.path.join(HERE, "results"), stem)
    print("wrote", *paths, sep="\n  ")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="sizes up to 16M elements, fewer repeats")
    ap.add_argument("--peers", default="numpy,torch,mlx,jax",
                    help="frameworks beside Tandem (a missing one is skipped with a line in the report)")
    ap.add_argument("--devices", default="cpu,gpu", help="gpu is measured when Tandem sees one")
    ap.add_argument("--machine", default="", help="name in the report's file name (default: host name)")
    # Worker mode (run.py starting itself once per framework and device).
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--limits", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    ap.add_argument("--max-elems", type=int, default=0,
                    help="cap on array sizes (default: by --quick and free memory)")
    ap.add_argument("--only", help=argparse.SUPPRESS)
    ap.add_argument("--skip", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # JAX on a GPU
        worker_main(args)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
