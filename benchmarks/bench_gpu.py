"""GPU benchmarks, Tandem beside PyTorch in one process (issue: CUDA backend).

    python benchmarks/bench_gpu.py [--quick]

Prints one line per measurement and a ratio per bar:
  - canonical workload ((4096x512)@(512x4) matmul + 500 exps on (512x4)):
    Tandem all-GPU, GPU matmul + CPU exps, all-CPU, each part alone;
    PyTorch all-GPU and its split (GPU matmul, CPU exps);
  - add, exp and sum over 256 MiB of float32 beside a device-to-device copy;
  - float32 and bfloat16 matmul 4096^3 beside PyTorch;
  - per-op cost of a chain of 1,000 tiny GPU ops beside PyTorch's.
Times are the best of several runs after a warm-up.
"""
import argparse
import time

import tandem.core as mx

try:
    import torch
except ImportError:  # the ratios need PyTorch; Tandem's numbers still print
    torch = None


def best(fn, repeat):
    fn()
    t = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


def torch_sync():
    torch.cuda.synchronize()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rep = 5 if args.quick else 20
    res = {}

    gpu = mx.new_stream(mx.gpu)
    cpu = mx.new_stream(mx.cpu)
    a = mx.random.normal((4096, 512), key=mx.random.key(0), stream=mx.cpu)
    b = mx.random.normal((512, 4), key=mx.random.key(1), stream=mx.cpu)
    c = mx.random.uniform(shape=(512, 4), key=mx.random.key(2), stream=mx.cpu)
    mx.eval(a, b, c)

    def workload(mm, ex):
        x = mx.matmul(a, b, stream=mm)
        y = c
        for _ in range(500):
            y = mx.exp(y, stream=ex)
        mx.eval(x, y)

    def exps_only():
        y = c
        for _ in range(500):
            y = mx.exp(y, stream=cpu)
        mx.eval(y)

    def guarded(name, fn):
        try:
            fn()
        except Exception as e:  # a missing kernel must not hide the other numbers
            print(f"[{name}] failed: {type(e).__name__}: {e}")

    def canonical():
        _canonical(res, rep, workload, exps_only, gpu, cpu, a, b, c)

    guarded("canonical", canonical)
    guarded("bandwidth", lambda: _bandwidth(res, rep, gpu))
    guarded("matmul", lambda: _matmul(res, rep, gpu))
    guarded("tiny", lambda: _tiny(res, rep, gpu))
    _report(res)


def _canonical(res, rep, workload, exps_only, gpu, cpu, a, b, c):
    res["tandem_all_gpu"] = best(lambda: workload(gpu, gpu), rep)
    res["tandem_split"] = best(lambda: workload(gpu, cpu), rep)
    res["tandem_all_cpu"] = best(lambda: workload(cpu, cpu), rep)
    res["tandem_matmul_gpu"] = best(lambda: mx.eval(mx.matmul(a, b, stream=gpu)), rep)
    res["tandem_exps_cpu"] = best(exps_only, rep)

    if torch is not None:
        ta = torch.randn(4096, 512, device="cuda")
        tb = torch.randn(512, 4, device="cuda")
        tc_gpu = torch.rand(512, 4, device="cuda")
        tc_cpu = tc_gpu.cpu()

        def torch_all_gpu():
            x = ta @ tb
            y = tc_gpu
            for _ in range(500):
                y = torch.exp(y)
            torch_sync()

        def torch_split():
            x = ta @ tb  # queued on the GPU, runs while the CPU works
            y = tc_cpu
            for _ in range(500):
                y = torch.exp(y)
            torch_sync()

        res["torch_all_gpu"] = best(torch_all_gpu, rep)
        res["torch_split"] = best(torch_split, rep)


def _run(f, gpu):
    def go():
        mx.eval(f())
        mx.synchronize(gpu)
    return go


def _bandwidth(res, rep, gpu):
    # 256 MiB elementwise and reduction against a device-to-device copy.
    n = 256 * 2**20 // 4
    x = mx.random.uniform(shape=(n,), key=mx.random.key(3), stream=gpu)
    y = mx.random.uniform(shape=(n,), key=mx.random.key(4), stream=gpu)
    mx.eval(x, y)
    mx.synchronize(gpu)

    def run(f):
        return _run(f, gpu)

    nbytes = n * 4
    res["add_GBs"] = 3 * nbytes / best(run(lambda: mx.add(x, y, stream=gpu)), rep) / 1e9
    res["exp_GBs"] = 2 * nbytes / best(run(lambda: mx.exp(x, stream=gpu)), rep) / 1e9
    res["sum_GBs"] = nbytes / best(run(lambda: mx.sum(x, stream=gpu)), rep) / 1e9
    if torch is not None:
        tx = torch.rand(n, device="cuda")
        ty = torch.empty_like(tx)

        def d2d():
            ty.copy_(tx)
            torch_sync()

        res["d2d_copy_GBs"] = 2 * nbytes / best(d2d, rep) / 1e9



def _matmul(res, rep, gpu):
    def run(f):
        return _run(f, gpu)

    m = 4096
    for dt, tdt, name in ((mx.float32, "float32", "f32"), (mx.bfloat16, "bfloat16", "bf16")):
        p = mx.random.normal((m, m), key=mx.random.key(5), stream=gpu).astype(dt, stream=gpu)
        q = mx.random.normal((m, m), key=mx.random.key(6), stream=gpu).astype(dt, stream=gpu)
        mx.eval(p, q)
        flops = 2 * m**3
        res[f"matmul_{name}_tflops"] = flops / best(run(lambda: mx.matmul(p, q, stream=gpu)), rep) / 1e12
        if torch is not None:
            tp = torch.randn(m, m, device="cuda", dtype=getattr(torch, tdt))
            tq = torch.randn(m, m, device="cuda", dtype=getattr(torch, tdt))

            def tmm():
                tp @ tq
                torch_sync()

            res[f"torch_matmul_{name}_tflops"] = flops / best(tmm, rep) / 1e12



def _tiny(res, rep, gpu):
    # Tiny-op chain on the GPU: build + evaluate 1000 adds on 4 elements.
    t0 = mx.ones((4,), stream=gpu)
    one = mx.ones((4,), stream=gpu)
    mx.eval(t0, one)
    ops = 1000

    def tiny():
        z = t0
        for _ in range(ops):
            z = mx.add(z, one, stream=gpu)
        mx.eval(z)

    res["tandem_tiny_us"] = best(tiny, rep) / ops * 1e6
    if torch is not None:
        tz0 = torch.ones(4, device="cuda")
        tone = torch.ones(4, device="cuda")

        def ttiny():
            z = tz0
            for _ in range(ops):
                z = z + tone
            torch_sync()

        res["torch_tiny_us"] = best(ttiny, rep) / ops * 1e6



def _report(res):
    def ms(k):
        return f"{res[k] * 1e3:8.3f} ms"

    print("canonical workload")
    for k in ("tandem_all_gpu", "tandem_split", "tandem_all_cpu", "tandem_matmul_gpu",
              "tandem_exps_cpu", "torch_all_gpu", "torch_split"):
        if k in res:
            print(f"  {k:24s} {ms(k)}")
    if "tandem_exps_cpu" not in res:
        return
    longer = max(res["tandem_matmul_gpu"], res["tandem_exps_cpu"])
    print(f"  split / all-GPU            {res['tandem_split'] / res['tandem_all_gpu']:.2f}x (bar <= 0.5)")
    print(f"  split / longer part        {res['tandem_split'] / longer:.2f}x (bar <= 1.15)")
    if torch is not None:
        tbest = min(res["torch_all_gpu"], res["torch_split"])
        print(f"  split / PyTorch best       {res['tandem_split'] / tbest:.2f}x (bar <= 0.25)")
    print("bandwidth over 256 MiB (GB/s)")
    for k in ("add_GBs", "exp_GBs", "sum_GBs", "d2d_copy_GBs"):
        if res.get(k):
            print(f"  {k:24s} {res[k]:8.1f}")
    if res.get("d2d_copy_GBs"):
        for k in ("add_GBs", "exp_GBs", "sum_GBs"):
            print(f"  {k[:-4]} / copy               {res[k] / res['d2d_copy_GBs']:.2f} (bar >= 0.8)")
    print("matmul 4096^3 (TFLOP/s)")
    for name in ("f32", "bf16"):
        if f"matmul_{name}_tflops" not in res:
            continue
        line = f"  {name:5s} tandem {res[f'matmul_{name}_tflops']:7.1f}"
        if f"torch_matmul_{name}_tflops" in res:
            r = res[f"matmul_{name}_tflops"] / res[f"torch_matmul_{name}_tflops"]
            line += f"  torch {res[f'torch_matmul_{name}_tflops']:7.1f}  ratio {r:.2f} (bar >= 0.9)"
        print(line)
    print("tiny-op GPU chain (us per op, build + eval from Python)")
    if "tandem_tiny_us" not in res:
        return
    line = f"  tandem {res['tandem_tiny_us']:.2f}"
    if "torch_tiny_us" in res:
        line += f"  torch {res['torch_tiny_us']:.2f}"
    print(line + "  (bar <= 1.0)")


if __name__ == "__main__":
    main()
