"""The suite's outputs: the Markdown report, the JSON of raw numbers and the
PNG plots of time against size, from the records run.py collected."""
import json
import math
import os
from collections import defaultdict

from suite_workloads import CHAIN_OPS, all_workloads

ORDER = ("numpy", "torch", "mlx", "jax")
LIMIT_NAMES = {"bw": "memory bandwidth", "mm_f32": "float32 matmul peak",
               "mm_bf16": "bfloat16 matmul peak"}


def _per_op(rec):
    return CHAIN_OPS if rec["workload"].startswith("tiny-op chain") else 1


def _fmt_time(s):
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} µs"


def fraction(rec, limits):
    """The result's fraction of the device's limit, and a mark when it was
    measured against another limit (bf16 against the f32 peak on a CPU)."""
    lim = rec.get("limit")
    dl = limits.get(rec["device"], {})
    if not lim or "median_s" not in rec or not rec.get("amount"):
        return None, ""
    mark = ""
    if lim not in dl and lim == "mm_bf16" and "mm_f32" in dl:
        lim, mark = "mm_f32", "†"
    if lim not in dl:
        return None, ""
    rate = rec["amount"] / rec["median_s"] / (1e9 if lim == "bw" else 1e12)
    return rate / dl[lim], mark


def _cell(rec, limits):
    if rec is None:
        return "—"
    if rec["status"] != "ok":
        return "n/a" if rec["status"] == "n/a" else "**" + rec["status"].split(":")[0] + "**"
    t = rec["median_s"] / _per_op(rec)
    iqr = (rec["q3_s"] - rec["q1_s"]) / rec["median_s"] * 100
    s = f"{_fmt_time(t)}{'/op' if _per_op(rec) > 1 else ''} ±{iqr:.0f}%"
    if rec.get("note"):
        s += f" ({rec['note']})"
    f, mark = fraction(rec, limits)
    if f is not None:
        s += f" · {f * 100:.3g}%{mark}"
    return s


def _ratio(t, p):
    if not t or not p or t["status"] != "ok" or p["status"] != "ok":
        return ""
    r = t["median_s"] / p["median_s"]
    return f"**{r:.2f}**" if r > 1.25 else f"{r:.2f}"


def index(records):
    """{(device, workload, label): {peer: record}} in the suite's order."""
    by = defaultdict(dict)
    for r in records:
        by[(r["device"], r["workload"], r["label"])][r["peer"]] = r
    return by


def behind(records):
    """(ratio, device, workload, label, best peer) for every result Tandem
    has and a peer beats or matches, worst first."""
    out = []
    for (d, w, lab), row in index(records).items():
        t = row.get("tandem")
        if not t or t["status"] != "ok":
            continue
        peers = [(r["median_s"], p) for p, r in row.items() if p != "tandem" and r["status"] == "ok"]
        if peers:
            tp, p = min(peers)
            out.append((t["median_s"] / tp, d, w, lab, p))
    return sorted(out, reverse=True)


def summary_by_peer(records):
    """{(device, peer): (geometric mean of tandem/peer, tandem faster count, n)}."""
    acc = defaultdict(list)
    for (d, w, lab), row in index(records).items():
        t = row.get("tandem")
        if not t or t["status"] != "ok":
            continue
        for p, r in row.items():
            if p != "tandem" and r["status"] == "ok":
                acc[(d, p)].append(t["median_s"] / r["median_s"])
    return {k: (math.exp(sum(map(math.log, v)) / len(v)), sum(x < 1 for x in v), len(v))
            for k, v in acc.items()}


def markdown(res, stem):
    m = res["machine"]
    L = []
    L.append(f"# Tandem benchmark: {m['host']}, {stem[len(m['host']) + 1:] if stem.startswith(m['host']) else stem}\n")
    L.append(f"Command: `{res['command']}` ({'quick' if res['quick'] else 'full'} run, "
             f"{res['wall_s'] / 60:.1f} min). Largest arrays: {res['max_elements'] >> 20}M elements.\n")
    la, lb = m["load_start"], m.get("load_end", m["load_start"])
    L.append(f"Machine: {m['cpu']}, `nproc` = {m['nproc']}, {m['mem_gib']} GiB; "
             f"{'GPU: ' + '; '.join(m['gpu']) if m.get('gpu') else 'no GPU'}; {m['platform']}, "
             f"Python {m['python']}.")
    L.append(f"Load average (1/5/15 min) at start {la[0]:.2f}/{la[1]:.2f}/{la[2]:.2f}, at end "
             f"{lb[0]:.2f}/{lb[1]:.2f}/{lb[2]:.2f}. **This machine is shared** with other "
             f"work: absolute times carry that noise; the spread column shows how much.\n")
    L.append("## Peers\n")
    for key, e in sorted(res["peers"].items()):
        if "unavailable" in e:
            L.append(f"- {key}: **skipped** ({e['unavailable']})")
        elif "crashed" in e:
            L.append(f"- {key}: version {e.get('version', '?')}, **its process failed**: {e['crashed']}")
        else:
            L.append(f"- {key}: version {e.get('version', '?')}")
    for d in res["skipped_devices"]:
        L.append(f"- device {d}: not measured (Tandem sees none)")
    L.append("")
    L.append("## Method\n")
    L.append(
        "Each framework runs in its own process, on the same seeded random inputs (uniform or "
        "normal, never zeros); the processes stay alive and each task goes to all of them in "
        "turn, the first rotating, so that a change of the machine's load during the run weighs "
        "on every framework alike. Each result is first checked against NumPy "
        "(float64 references; a wrong result is marked **wrong** and not timed). Then a warm-up: "
        "two calls on the CPU (none beyond the checked call when a call takes over a second; "
        "a task whose checked call took over 20 s is timed by that call alone, marked); on a GPU, calls until two consecutive timings agree within 10% "
        "(Tandem compiles fused GPU kernels in the background and runs the ops one by one "
        "meanwhile; JAX and PyTorch have their own first-call costs). Then repeated calls (about "
        f"{'0.25' if res['quick'] else '1'} s in all, at least {'3' if res['quick'] else '5'}), each "
        "synchronising its device (mx.eval + synchronize, block_until_ready, "
        "torch.cuda.synchronize) before the clock is read. Cells: median time ±IQR as a % of the "
        "median · the fraction of the machine's limit that the median reaches (bytes moved over "
        "the measured bandwidth, or floating-point operations over the measured matmul peak). "
        "`T/x` is Tandem's median over peer x's: above 1 Tandem is slower (bold above 1.25). "
        "NumPy and PyTorch run eagerly; JAX runs eagerly too (no jax.jit), and so does Tandem "
        "(no mx.compile; it fuses elementwise chains inside every eval).\n")
    L.append("Physical limits, measured in this run:\n")
    for d, lim in res["limits"].items():
        for k in ("bw", "mm_f32", "mm_bf16"):
            if k in lim:
                unit = "GB/s" if k == "bw" else "TFLOP/s"
                L.append(f"- {d} {LIMIT_NAMES[k]}: {lim[k]:.3g} {unit} ({lim['source'][k]})")
        if "error" in lim:
            L.append(f"- {d}: limits not measured ({lim['error']})")
    L.append("- † bfloat16 results on the CPU are set against the float32 peak (no bf16 peak measured).")
    L.append("- Above 100% of the bandwidth: the arrays fit in a cache (the limit is DRAM's). Above "
             "100% of the matmul peak: faster than NumPy's best run of the peak measurement.\n")
    if max(la[0], lb[0]) > 0.5 * m["nproc"]:
        L.append(
            f"**Load caveat.** The load average reached {max(la[0], lb[0]):.1f} on {m['nproc']} "
            "cores: other processes held cores during the run. Frameworks that split one op "
            "across a thread pool (PyTorch's OpenMP threads above about 32K elements, BLAS) then "
            "wait for a thread the kernel has descheduled, and lose whole scheduler quanta: "
            "times flat at a few whole milliseconds across sizes are that, not compute. "
            "Ratios against such results flatter Tandem, whose elementwise ops run on the "
            "stream's one thread.\n")

    notes = {w.name: w.note for w in all_workloads() if w.note}
    by = index(res["records"])
    peers = [p for p in ORDER if any(r["peer"] == p for r in res["records"])]
    for d in res["devices"]:
        L.append(f"## {d.upper()}\n")
        fams = []
        for (dd, w, lab), row in by.items():
            fam = next(iter(row.values()))["family"]
            if dd == d and fam not in fams:
                fams.append(fam)
        for fam in fams:
            L.append(f"### {fam}\n")
            head = ["workload", "size", "tandem"]
            for p in peers:
                head += [p, f"T/{p}"]
            L.append("| " + " | ".join(head) + " |")
            L.append("|" + "---|" * len(head))
            seen = []
            for (dd, w, lab), row in by.items():
                if dd != d or next(iter(row.values()))["family"] != fam:
                    continue
                if w not in seen:
                    seen.append(w)
                t = row.get("tandem")
                cells = [w, lab, _cell(t, res["limits"])]
                for p in peers:
                    cells += [_cell(row.get(p), res["limits"]), _ratio(t, row.get(p))]
                L.append("| " + " | ".join(cells) + " |")
            shown = set()
            for w in seen:
                if w in notes and notes[w] not in shown:
                    shown.add(notes[w])
                    L.append(f"\n- {w}: {notes[w]}")
            plot = f"{stem}/{d}-{fam.replace('/', '-').replace(' ', '_')}.png"
            if os.path.exists(os.path.join(res["_outdir"], plot)):
                L.append(f"\n![{fam} on {d}]({plot})")
            L.append("")

    L.append("## Where Tandem is behind\n")
    s = summary_by_peer(res["records"])
    for (d, p), (g, faster, n) in sorted(s.items()):
        L.append(f"- {d}, against {p}: geometric mean of Tandem/{p} = {g:.2f} over {n} results; "
                 f"Tandem faster in {faster}.")
    L.append("\nFurthest behind the best peer (Tandem's median over the fastest peer's):\n")
    for r, d, w, lab, p in behind(res["records"])[:8]:
        L.append(f"- {r:.1f}x: {w} {lab} on {d} (best: {p})")
    bad = [r for r in res["records"] if r["status"] not in ("ok", "n/a")]
    L.append("\n## Not measured\n")
    for r in bad:
        L.append(f"- {r['peer']}@{r['device']} {r['workload']} {r['label']}: {r['status']}")
    for w in res.get("missing", []):
        L.append(f"- {w}")
    if "gpu" not in res["devices"]:
        L.append("- GPU workloads (TF32 matmul, the canonical split and all-GPU variants, the "
                 "device ping-pong, GPU tiny-op chains): no GPU here. On CPU only, the canonical "
                 "workload runs on one CPU stream and on two CPU streams instead.")
    L.append("- Stream timeline: recorded by `benchmarks/timeline.py` (and `mx.timeline`, "
             "`TANDEM_TRACE`), not by this suite.")
    return "\n".join(L) + "\n"


def plots(res, outdir, stem):
    """One PNG per (device, op family) with more than one size: median time
    against size, log-log, a line per framework."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    os.makedirs(os.path.join(outdir, stem), exist_ok=True)
    groups = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for r in res["records"]:
        if r["status"] == "ok":
            x = r["size"]
            if isinstance(x, list) and len(x) == 5:  # conv2d: (n, h, w, c, o), 3x3
                x = x[0] * x[1] * x[2] * x[3] * x[4] * 9
            elif isinstance(x, list):  # batched matmul: (batch, n)
                x = x[0] * x[1] ** 3
            elif r["family"] == "matmul":
                x = x**3
            groups[(r["device"], r["family"])][r["workload"]][r["peer"]].append((x, r["median_s"]))
    for (d, fam), ws in groups.items():
        ws = {w: pp for w, pp in ws.items() if any(len(v) > 1 for v in pp.values())}
        if not ws:
            continue
        fig, axes = plt.subplots(1, len(ws), figsize=(3.6 * len(ws), 3.0), squeeze=False)
        for ax, (w, pp) in zip(axes[0], ws.items()):
            for p in ("tandem",) + ORDER:
                if p in pp:
                    xs, ts = zip(*sorted(pp[p]))
                    ax.loglog(xs, ts, marker="o", ms=3, lw=2.2 if p == "tandem" else 1.2, label=p)
            ax.set_title(w, fontsize=9)
            xlabel = {"matmul": "n³ (flops/2)", "conv2d": "flops/2"}.get(fam, "elements")
            ax.set_xlabel(xlabel, fontsize=8)
            ax.set_ylabel("median time (s)", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(True, which="major", alpha=0.3)
        axes[0][0].legend(fontsize=7)
        fig.suptitle(f"{fam} on {d}", fontsize=10)
        fig.tight_layout()
        path = os.path.join(outdir, stem, f"{d}-{fam.replace('/', '-').replace(' ', '_')}.png")
        fig.savefig(path, dpi=80)
        plt.close(fig)
        paths.append(path)
    return paths


def write_all(res, outdir, stem):
    os.makedirs(outdir, exist_ok=True)
    res["_outdir"] = outdir
    paths = plots(res, outdir, stem)
    md = os.path.join(outdir, stem + ".md")
    with open(md, "w") as f:
        f.write(markdown(res, stem))
    js = os.path.join(outdir, stem + ".json")
    with open(js, "w") as f:
        json.dump({k: v for k, v in res.items() if not k.startswith("_")}, f, indent=1)
    return [md, js] + paths
