"""Which GPU kernels a Tandem workload spends its time in, per kernel.

    python benchmarks/profile_gpu.py [gpt|mlp|sum|matmul] [--steps 3] [--top 25]

`mx.timeline` times a GPU stream's batches as wholes; this names the
kernels inside them. It runs the workload a few times to warm up (fused
kernels compiled on the evaluating thread), then `--steps` more under
PyTorch's profiler with CUDA activity on: CUPTI records every kernel of the
process, Tandem's and cuBLAS's included, whoever launched them. Prints the
kernels by total GPU time with their counts, and the GPU busy time per step.
Needs PyTorch with CUDA (the GPU machine has it); prints why and exits
otherwise.

Workloads: matmul, ten bfloat16 4096^3 products from Tandem then ten
from PyTorch; sum, ten sums over 256 MiB of float32 (bench_gpu.py's); gpt, one training step of examples/char_gpt.py (6x6x384, context
256, batch 64, bfloat16); mlp, the 8-layer bfloat16 MLP forward of
bench_gpu.py.
"""
import argparse
import os
import sys

os.environ.setdefault("TANDEM_JIT_ASYNC", "0")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))


def gpt_step():
    """A function running one compiled char-GPT training step per call."""
    import char_gpt

    mx, step, state, cfg, data = char_gpt.setup("gpu")
    it = char_gpt.batches(data, cfg["batch"], cfg["context"], 0)

    def run():
        x, y = next(it)
        mx.eval(step(mx.array(x), mx.array(y)), state)

    return run


def mlp_forward():
    import bench_gpu

    return bench_gpu.tandem_mlp_run()


def sum_256mib():
    """Ten sums over 256 MiB of float32 in one eval, as bench_gpu.py times them."""
    import bench_gpu
    import tandem.core as mx

    gpu = mx.new_stream(mx.gpu)
    x = mx.random.uniform(shape=(bench_gpu.N_BW,), key=mx.random.key(3), stream=gpu)
    mx.eval(x)

    def run():
        mx.eval([mx.sum(x, stream=gpu) for _ in range(bench_gpu.K_BW)])
        mx.synchronize(gpu)

    return run


def matmul_bf16():
    """Ten bfloat16 4096^3 products, then the same with PyTorch (its kernels
    show in the same listing, to compare cuBLAS's choices)."""
    import tandem.core as mx
    import torch

    gpu = mx.new_stream(mx.gpu)
    p = mx.random.normal((4096, 4096), key=mx.random.key(5), stream=gpu).astype(mx.bfloat16, stream=gpu)
    q = mx.random.normal((4096, 4096), key=mx.random.key(6), stream=gpu).astype(mx.bfloat16, stream=gpu)
    mx.eval(p, q)
    tp = torch.randn(4096, 4096, device="cuda", dtype=torch.bfloat16)
    tq = torch.randn(4096, 4096, device="cuda", dtype=torch.bfloat16)

    def run():
        for _ in range(10):
            mx.eval(mx.matmul(p, q, stream=gpu))
        mx.synchronize(gpu)
        for _ in range(10):
            tp @ tq
        torch.cuda.synchronize()

    return run


WORKLOADS = {"gpt": gpt_step, "mlp": mlp_forward, "sum": sum_256mib, "matmul": matmul_bf16}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workload", nargs="?", default="gpt", choices=list(WORKLOADS))
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--gaps", type=int, default=0,
                    help="also list the first N GPU operations in time order with the idle gap before each")
    args = ap.parse_args()
    try:
        import torch
        from torch.profiler import ProfilerActivity, profile
    except ImportError:
        print("profile_gpu: PyTorch is not installed; nothing profiled")
        return
    import tandem.core as mx

    if not (torch.cuda.is_available() and mx.is_available(mx.gpu)):
        print("profile_gpu: no usable CUDA GPU (for PyTorch and Tandem); nothing profiled")
        return
    torch.cuda.init()  # the primary context both use
    run = WORKLOADS[args.workload]()
    for _ in range(3):
        run()
    mx.synchronize()
    import time

    t0 = time.perf_counter()
    for _ in range(args.steps):
        run()
    mx.synchronize()
    wall = (time.perf_counter() - t0) / args.steps
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(args.steps):
            run()
        mx.synchronize()
    kernels = {}
    for e in prof.events():
        if e.device_type != torch.autograd.DeviceType.CUDA:
            continue
        k = kernels.setdefault(e.name, [0, 0.0])
        k[0] += 1
        k[1] += e.device_time_total if hasattr(e, "device_time_total") else e.cuda_time_total
    total = sum(v[1] for v in kernels.values())
    print(f"{args.workload}: {args.steps} steps, GPU busy {total / 1e3 / args.steps:.2f} ms a step "
          f"in {sum(v[0] for v in kernels.values()) // args.steps} kernels a step; "
          f"wall {wall * 1e3:.2f} ms a step unprofiled")
    for name, (count, us) in sorted(kernels.items(), key=lambda kv: -kv[1][1])[: args.top]:
        print(f"  {us / 1e3 / args.steps:8.3f} ms  {count // args.steps:5d}x  {us / total:6.1%}  {name[:100]}")
    if args.gaps:
        ops = sorted((e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA),
                     key=lambda e: e.time_range.start)
        print(f"first {args.gaps} GPU operations (us: start from the first, duration, idle gap before)")
        prev_end = t_first = ops[0].time_range.start if ops else 0
        for e in ops[: args.gaps]:
            r = e.time_range
            print(f"  {r.start - t_first:9.1f} {r.end - r.start:8.1f} {r.start - prev_end:8.1f}  {e.name[:70]}")
            prev_end = max(prev_end, r.end)


if __name__ == "__main__":
    main()
