"""Reading and drawing the stream timelines that ``tandem.core.timeline`` records.

Record a timeline with ``with mx.timeline("run.json"): ...`` (or the
environment variable ``TANDEM_TRACE=run.json`` for a whole run), then::

    python -m tandem.timeline run.json -o timeline.png

draws one lane per stream: a box per task, named after its primitive, grey
hatched boxes where a CPU task waited for another stream, and an arrow from
each task waited on to the task that waited. The JSON itself is Chrome's
trace-event format: https://ui.perfetto.dev opens it as is.
"""

import argparse
import json
import os
import sys

__all__ = ["load", "lanes", "plot", "main"]


def load(source):
    """The trace's events: ``source`` is a path, JSON text, the parsed dict
    or its event list."""
    if isinstance(source, (dict, list)):
        data = source
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        data = json.loads(source)
    else:
        with open(os.fspath(source)) as f:
            data = json.load(f)
    return data["traceEvents"] if isinstance(data, dict) else data


def lanes(source):
    """{(pid, tid): {"name": lane name, "tasks": [event, ...]}}, in lane order
    (CPU streams first, then each GPU's streams, by stream index)."""
    events = load(source)
    procs, threads, out = {}, {}, {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            procs[e["pid"]] = e["args"]["name"]
        elif e.get("ph") == "M" and e.get("name") == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
    for e in events:
        if e.get("ph") in ("X", "i"):
            key = (e["pid"], e["tid"])
            lane = out.setdefault(key, {"name": threads.get(key, f"{key}"), "tasks": [],
                                        "instants": []})
            lane["tasks" if e["ph"] == "X" else "instants"].append(e)
    return dict(sorted(out.items()))


def _flows(events):
    """[(start event, finish event)] of the wait arrows."""
    starts, pairs = {}, []
    for e in events:
        if e.get("ph") == "s":
            starts[e["id"]] = e
    for e in events:
        if e.get("ph") == "f" and e["id"] in starts:
            pairs.append((starts[e["id"]], e))
    return pairs


def plot(source, out=None, title=None, max_arrows=200):
    """Draws the trace (see ``load``) with matplotlib, one lane per stream;
    saves it to ``out`` (a PNG path) when given. Returns the figure."""
    import matplotlib

    if out is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    events = load(source)
    ls = lanes(events)
    keys = list(ls)
    row = {k: i for i, k in enumerate(keys)}
    names = sorted({e["name"] for lane in ls.values() for e in lane["tasks"]} - {"wait"})
    cmap = plt.get_cmap("tab20")
    color = {n: cmap(i % 20) for i, n in enumerate(names)}
    fig, ax = plt.subplots(figsize=(11, 1.0 + 0.7 * max(1, len(keys))))
    t0 = min((e["ts"] for lane in ls.values() for e in lane["tasks"]), default=0.0)
    ms = lambda us: (us - t0) / 1000.0
    seen = set()
    for k, lane in ls.items():
        y = row[k]
        for e in lane["tasks"]:
            x, w = ms(e["ts"]), e["dur"] / 1000.0
            if e["name"] == "wait":
                ax.barh(y, w, left=x, height=0.5, color="0.85", hatch="///", edgecolor="0.6",
                        linewidth=0.3)
                continue
            label = e["name"] if e["name"] not in seen else None
            seen.add(e["name"])
            ax.barh(y, max(w, 1e-4), left=x, height=0.7, color=color[e["name"]],
                    edgecolor="black", linewidth=0.3, label=label)
        for e in lane["instants"]:
            ax.plot([ms(e["ts"])], [y - 0.42], marker="v", color="black", ms=3)
    for s, f in _flows(events)[:max_arrows]:
        a, b = (s["pid"], s["tid"]), (f["pid"], f["tid"])
        if a in row and b in row:
            ax.annotate("", xy=(ms(f["ts"]), row[b]), xytext=(ms(s["ts"]), row[a]),
                        arrowprops={"arrowstyle": "->", "color": "0.3", "lw": 0.6})
    ax.set_yticks(range(len(keys)))
    ax.set_yticklabels([ls[k]["name"] for k in keys])
    ax.invert_yaxis()
    ax.set_xlabel("time (ms)")
    ax.grid(True, axis="x", alpha=0.3)
    if title:
        ax.set_title(title)
    if names:
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[:12], labels[:12], fontsize=7, loc="upper left",
                  bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    if out is not None:
        fig.savefig(os.fspath(out), dpi=130)
        plt.close(fig)
    return fig


def main(argv=None):
    """``python -m tandem.timeline TRACE.json [-o OUT.png] [--title T]``."""
    p = argparse.ArgumentParser(prog="python -m tandem.timeline",
                                description="Draw a Tandem stream timeline (Chrome trace JSON) "
                                            "as a PNG, one lane per stream.")
    p.add_argument("trace", help="the JSON that mx.timeline or TANDEM_TRACE wrote")
    p.add_argument("-o", "--output", help="the PNG to write (default: the trace's name, .png)")
    p.add_argument("--title", default=None)
    args = p.parse_args(argv)
    out = args.output or os.path.splitext(args.trace)[0] + ".png"
    plot(args.trace, out, title=args.title or os.path.basename(args.trace))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
