"""GPU benchmarks, Tandem beside PyTorch in one run (issue: CUDA backend).

    python benchmarks/bench_gpu.py [--quick] [--canonical-only] [--rownorm-only]

PyTorch and MLX's CUDA build (when importable) are measured first, each in
a child process (`--torch-only`, `--mlx-only`, printing JSON), so that no
framework's memory caches or threads weigh on another's timings.
Measured:
  - canonical workload ((4096x512)@(512x4) matmul + 500 exps on (512x4)):
    Tandem all-GPU, GPU matmul + CPU exps, all-CPU, each part alone;
    PyTorch all-GPU and its split (GPU matmul, CPU exps);
  - add, exp and sum over 256 MiB of float32 beside a device-to-device copy;
  - float32 and bfloat16 matmul 4096^3;
  - per-op cost of a chain of 1,000 tiny GPU ops (build + eval from Python);
  - softmax, logsumexp, layer_norm and rms_norm over the rows of 8192x8192
    float32 and bfloat16 (GB/s, bytes read + written, against the copy);
  - an 8-layer bfloat16 MLP forward, 4096x2048 (`--rownorm-only` runs just
    these last two).
Without a usable GPU it prints why and exits without measuring.
Times are the best of several runs after a warm-up. `--canonical-only`
measures Tandem's canonical workload alone (gpu.sh runs it again with
TANDEM_FUSION=0, the all-GPU time the way MLX runs it without mx.compile:
500 exp kernels).
"""
import argparse
import json
import os
import subprocess
import sys
import time

# Fused GPU kernels compiled on the evaluating thread: the warm-up call
# leaves them built, so timed calls never run a chain op by op while its
# kernel compiles in the background.
os.environ.setdefault("TANDEM_JIT_ASYNC", "0")

from bench_common import best  # noqa: E402

N_BW = 256 * 2**20 // 4  # float32 elements in 256 MiB
M = 4096
OPS = 1000
# Bandwidth runs queue K_BW kernels per synchronisation, so that the fixed
# cost of one eval/synchronize round trip does not count as bandwidth.
K_BW = 10
ROWS = COLS = 8192  # the row-normalization benchmarks' shape
ROWNORM_OPS = ("softmax", "logsumexp", "layer_norm", "rms_norm")


def rownorm_bytes(itemsize, op="softmax"):
    # The input read once, the output written once (logsumexp: one value a row).
    return ROWS * COLS * itemsize + (ROWS if op == "logsumexp" else ROWS * COLS) * itemsize


def d2d_copy_GBs(rep):
    """PyTorch's device-to-device copy of 256 MiB (read + write), the bars' reference."""
    import torch

    tx = torch.rand(N_BW, device="cuda")
    ty = torch.empty_like(tx)

    def go():
        for _ in range(K_BW):
            ty.copy_(tx)
        torch.cuda.synchronize()

    return K_BW * 2 * N_BW * 4 / best(go, rep) / 1e9


def torch_rownorm_results(rep):
    import torch
    import torch.nn.functional as F

    sync = torch.cuda.synchronize

    def one_dtype(dt):
        x = torch.randn(ROWS, COLS, device="cuda", dtype=dt)
        w = torch.randn(COLS, device="cuda", dtype=dt)
        b = torch.randn(COLS, device="cuda", dtype=dt)

        def rms():
            if hasattr(F, "rms_norm"):
                return F.rms_norm(x, (COLS,), w, 1e-5)
            # Older PyTorch: its composite.
            return x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-5).to(dt) * w

        fns = {
            "softmax": lambda: torch.softmax(x, -1),
            "logsumexp": lambda: torch.logsumexp(x, -1),
            "layer_norm": lambda: F.layer_norm(x, (COLS,), w, b, 1e-5),
            "rms_norm": rms,
        }
        out = {}
        for op in ROWNORM_OPS:
            def go(f=fns[op]):
                outs = [f() for _ in range(K_BW)]
                sync()
                del outs

            out[op] = K_BW * rownorm_bytes(x.element_size(), op) / best(go, rep) / 1e9
        return out

    res = {}
    for name, dt in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        for op, gbs in one_dtype(dt).items():
            res[f"torch_{op}_{name}_GBs"] = gbs
    return res


def frontend(name="tandem"):
    """The framework a Tandem-side measurement runs on: tandem.core, or
    mlx.core for `--mlx-only` (the code is MLX's API either way)."""
    import importlib

    return importlib.import_module("mlx.core" if name == "mlx" else "tandem.core")


def tandem_rownorm_results(rep, fw="tandem"):
    mx = frontend(fw)
    gpu = mx.new_stream(mx.gpu)

    def one_dtype(dt):
        def rand(shape, seed):
            return mx.random.normal(shape, key=mx.random.key(seed), stream=gpu).astype(dt, stream=gpu)

        x, w, b = rand((ROWS, COLS), 7), rand((COLS,), 8), rand((COLS,), 9)
        mx.eval(x, w, b)
        fns = {
            "softmax": lambda: mx.softmax(x, axis=-1, stream=gpu),
            "logsumexp": lambda: mx.logsumexp(x, axis=-1, stream=gpu),
            "layer_norm": lambda: mx.fast.layer_norm(x, w, b, 1e-5, stream=gpu),
            "rms_norm": lambda: mx.fast.rms_norm(x, w, 1e-5, stream=gpu),
        }
        out = {}
        for op in ROWNORM_OPS:
            def go(f=fns[op]):
                mx.eval([f() for _ in range(K_BW)])
                mx.synchronize(gpu)

            out[op] = K_BW * rownorm_bytes(x.itemsize, op) / best(go, rep) / 1e9
        return out

    res = {}
    for name, dt in (("f32", mx.float32), ("bf16", mx.bfloat16)):
        for op, gbs in one_dtype(dt).items():
            res[f"{op}_{name}_GBs"] = gbs
    return res


MLP_B, MLP_W, MLP_LAYERS = 4096, 2048, 8  # the bfloat16 MLP forward bar's shape


def torch_mlp_ms(rep):
    """8 layers of x @ w + b then x * sigmoid(1.702 x), bfloat16, PyTorch eager."""
    import torch

    g = torch.Generator(device="cuda").manual_seed(0)
    x = torch.randn(MLP_B, MLP_W, device="cuda", dtype=torch.bfloat16, generator=g)
    ws = [torch.randn(MLP_W, MLP_W, device="cuda", dtype=torch.bfloat16, generator=g) / MLP_W**0.5
          for _ in range(MLP_LAYERS)]
    bs = [torch.randn(MLP_W, device="cuda", dtype=torch.bfloat16, generator=g) for _ in range(MLP_LAYERS)]

    def go():
        y = x
        for w, b in zip(ws, bs):
            y = y @ w + b
            y = y * torch.sigmoid(1.702 * y)
        torch.cuda.synchronize()

    return 1e3 * best(go, rep, warmup=3)


def tandem_mlp_run(fw="tandem"):
    """A function running Tandem's (or MLX's) MLP forward once (synchronized)."""
    mx = frontend(fw)

    gpu = mx.new_stream(mx.gpu)
    keys = mx.random.split(mx.random.key(0), 2 * MLP_LAYERS + 1, stream=gpu)
    x = mx.random.normal((MLP_B, MLP_W), key=keys[0], stream=gpu).astype(mx.bfloat16, stream=gpu)
    ws = [(mx.random.normal((MLP_W, MLP_W), key=keys[1 + i], stream=gpu) / MLP_W**0.5)
          .astype(mx.bfloat16, stream=gpu) for i in range(MLP_LAYERS)]
    bs = [mx.random.normal((MLP_W,), key=keys[1 + MLP_LAYERS + i], stream=gpu).astype(mx.bfloat16, stream=gpu)
          for i in range(MLP_LAYERS)]
    mx.eval(x, ws, bs)

    def go():
        y = x
        with mx.stream(gpu):
            for w, b in zip(ws, bs):
                y = y @ w + b
                y = y * mx.sigmoid(1.702 * y)
        mx.eval(y)
        mx.synchronize(gpu)

    return go


def tandem_mlp_ms(rep, fw="tandem"):
    return 1e3 * best(tandem_mlp_run(fw), rep, warmup=3)


def report_mlp(res):
    if "mlp_ms" not in res:
        return
    line = (f"bfloat16 MLP forward ({MLP_LAYERS} layers, {MLP_B}x{MLP_W}, x @ w + b, x * sigmoid(1.702 x)): "
            f"tandem {res['mlp_ms']:.3f} ms")
    if "torch_mlp_ms" in res:
        line += f"  torch {res['torch_mlp_ms']:.3f} ms  tandem / torch {res['mlp_ms'] / res['torch_mlp_ms']:.2f}"
    if "mlx_mlp_ms" in res:
        line += f"  mlx {res['mlx_mlp_ms']:.3f} ms"
    print(line + "  (bar <= 1.0)")


def report_rownorm(res):
    copy = res.get("d2d_copy_GBs")
    bar = f"bar >= {0.8 * copy:.0f}: 0.8x the copy" if copy else "bar: 0.8x the copy, unmeasured"
    print(f"row normalizations over {ROWS}x{COLS} (GB/s, bytes read + written; "
          f"device-to-device copy {copy or float('nan'):.0f})")
    for name in ("f32", "bf16"):
        for op in ROWNORM_OPS:
            k = f"{op}_{name}_GBs"
            if k not in res:
                continue
            line = f"  {op:10s} {name:4s} tandem {res[k]:7.1f}"
            if "torch_" + k in res:
                t = res["torch_" + k]
                line += f"   torch {t:7.1f}   tandem / torch {res[k] / t:.2f}"
            if "mlx_" + k in res:
                t = res["mlx_" + k]
                line += f"   mlx {t:7.1f}   tandem / mlx {res[k] / t:.2f}"
            if copy:
                line += f"   {res[k] / copy:.2f}x the copy"
            print(line + f"   ({bar})")


def torch_results(rep):
    import torch

    res = {}
    sync = torch.cuda.synchronize
    ta = torch.randn(4096, 512, device="cuda")
    tb = torch.randn(512, 4, device="cuda")
    tc_gpu = torch.rand(512, 4, device="cuda")
    tc_cpu = tc_gpu.cpu()

    def all_gpu():
        ta @ tb
        y = tc_gpu
        for _ in range(500):
            y = torch.exp(y)
        sync()

    def split():
        ta @ tb  # queued on the GPU, runs while the CPU works
        y = tc_cpu
        for _ in range(500):
            y = torch.exp(y)
        sync()

    res["torch_all_gpu"] = best(all_gpu, rep)
    res["torch_split"] = best(split, rep)

    res["d2d_copy_GBs"] = d2d_copy_GBs(rep)
    tx = torch.rand(N_BW, device="cuda")
    # add, exp and sum as Tandem's are timed: K_BW results (new outputs) per
    # synchronisation, wall clock.
    ty2 = torch.rand(N_BW, device="cuda")

    def k_times(f):
        def go():
            outs = [f() for _ in range(K_BW)]
            sync()
            del outs

        return go

    nb = N_BW * 4
    res["torch_add_GBs"] = K_BW * 3 * nb / best(k_times(lambda: torch.add(tx, ty2)), rep) / 1e9
    res["torch_exp_GBs"] = K_BW * 2 * nb / best(k_times(lambda: torch.exp(tx)), rep) / 1e9
    res["torch_sum_GBs"] = K_BW * nb / best(k_times(lambda: torch.sum(tx)), rep) / 1e9
    for name, dt in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        p = torch.randn(M, M, device="cuda", dtype=dt)
        q = torch.randn(M, M, device="cuda", dtype=dt)

        def mm():
            p @ q
            sync()

        res[f"torch_matmul_{name}_tflops"] = 2 * M**3 / best(mm, rep) / 1e12
    z0 = torch.ones(4, device="cuda")
    one = torch.ones(4, device="cuda")

    def tiny():
        z = z0
        for _ in range(OPS):
            z = z + one
        sync()

    res["torch_tiny_us"] = best(tiny, rep) / OPS * 1e6
    res.update(torch_rownorm_results(rep))
    res["torch_mlp_ms"] = torch_mlp_ms(rep)
    return res


def tandem_results(rep, canonical_only=False, fw="tandem"):
    mx = frontend(fw)

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

    def run(f):
        def go():
            mx.eval(f())
            mx.synchronize(gpu)

        return go

    # The same with mx.compile: the graph is traced once and replayed, so a
    # call does not run the Python loop (the first call, timed apart, does).
    def compiled(mm, ex):
        @mx.compile
        def f(a, b, c):
            x = mx.matmul(a, b, stream=mm)
            y = c
            for _ in range(500):
                y = mx.exp(y, stream=ex)
            return x, y

        return f

    for key, (mm, ex) in (("all_gpu", (gpu, gpu)), ("split", (gpu, cpu))):
        f = compiled(mm, ex)
        t0 = time.perf_counter()
        mx.eval(f(a, b, c))
        res[f"tandem_compiled_{key}_first"] = time.perf_counter() - t0
        res[f"tandem_compiled_{key}"] = best(lambda f=f: mx.eval(f(a, b, c)), rep)
    res["tandem_all_gpu"] = best(lambda: workload(gpu, gpu), rep)
    res["tandem_split"] = best(lambda: workload(gpu, cpu), rep)
    res["tandem_all_cpu"] = best(lambda: workload(cpu, cpu), rep)
    res["tandem_matmul_gpu"] = best(run(lambda: mx.matmul(a, b, stream=gpu)), rep)
    res["tandem_exps_cpu"] = best(exps_only, rep)
    if canonical_only or fw == "mlx":
        return res

    x = mx.random.uniform(shape=(N_BW,), key=mx.random.key(3), stream=gpu)
    y = mx.random.uniform(shape=(N_BW,), key=mx.random.key(4), stream=gpu)
    mx.eval(x, y)
    nbytes = N_BW * 4

    def k_times(f):
        def go():
            mx.eval([f() for _ in range(K_BW)])
            mx.synchronize(gpu)

        return go

    res["add_GBs"] = K_BW * 3 * nbytes / best(k_times(lambda: mx.add(x, y, stream=gpu)), rep) / 1e9  # noqa: F821 (called before the del below)
    res["exp_GBs"] = K_BW * 2 * nbytes / best(k_times(lambda: mx.exp(x, stream=gpu)), rep) / 1e9  # noqa: F821 (called before the del below)
    res["sum_GBs"] = K_BW * nbytes / best(k_times(lambda: mx.sum(x, stream=gpu)), rep) / 1e9  # noqa: F821 (called before the del below)
    del x, y

    for name, dt in (("f32", mx.float32), ("bf16", mx.bfloat16)):
        p = mx.random.normal((M, M), key=mx.random.key(5), stream=gpu).astype(dt, stream=gpu)
        q = mx.random.normal((M, M), key=mx.random.key(6), stream=gpu).astype(dt, stream=gpu)
        mx.eval(p, q)
        res[f"matmul_{name}_tflops"] = (
            2 * M**3 / best(run(lambda: mx.matmul(p, q, stream=gpu)), rep) / 1e12
        )

    z0 = mx.ones((4,), stream=gpu)
    one = mx.ones((4,), stream=gpu)
    mx.eval(z0, one)

    def tiny():
        z = z0
        for _ in range(OPS):
            z = mx.add(z, one, stream=gpu)
        mx.eval(z)

    res["tandem_tiny_us"] = best(tiny, rep) / OPS * 1e6
    res.update(tandem_rownorm_results(rep))
    res["mlp_ms"] = tandem_mlp_ms(rep)
    return res


def mlx_results(rep, part="all"):
    """MLX's CUDA build on the same workloads (keys prefixed mlx_)."""
    res = {}
    if part != "rownorm":
        res.update({"mlx_" + k[len("tandem_"):]: v for k, v in tandem_results(rep, fw="mlx").items()})
    if part != "canonical":
        res.update({"mlx_" + k: v for k, v in tandem_rownorm_results(rep, fw="mlx").items()})
        res["mlx_mlp_ms"] = tandem_mlp_ms(rep, fw="mlx")
    return res


def peer(flag, args):
    """A peer's results, measured in a child process (its own caches and threads)."""
    cmd = [sys.executable, __file__, flag] + [a for a in ("--quick", "--canonical-only", "--rownorm-only")
                                               if getattr(args, a[2:].replace("-", "_"))]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.strip():
        try:
            return json.loads(out.stdout.strip().splitlines()[-1])
        except ValueError:
            pass
    print(f"[{flag[2:-5]}] not measured:", (out.stderr or out.stdout).strip().splitlines()[-1:])
    return {}


def report(res):
    def ms(k):
        return f"{res[k] * 1e3:8.3f} ms"

    print("canonical workload")
    for k in ("tandem_all_gpu", "tandem_split", "tandem_compiled_all_gpu", "tandem_compiled_split",
              "tandem_compiled_all_gpu_first", "tandem_compiled_split_first", "tandem_all_cpu",
              "tandem_matmul_gpu", "tandem_exps_cpu", "torch_all_gpu", "torch_split",
              "mlx_all_gpu", "mlx_split", "mlx_compiled_all_gpu", "mlx_compiled_split",
              "mlx_compiled_all_gpu_first"):
        if k in res:
            print(f"  {k:24s} {ms(k)}")
    longer = max(res["tandem_matmul_gpu"], res["tandem_exps_cpu"])
    print(f"  split / all-GPU            {res['tandem_split'] / res['tandem_all_gpu']:.2f}x (bar <= 0.5)")
    print(f"  split / longer part        {res['tandem_split'] / longer:.2f}x (bar <= 1.15)")
    if "torch_split" in res:
        tbest = min(res["torch_all_gpu"], res["torch_split"])
        print(f"  split / PyTorch best       {res['tandem_split'] / tbest:.2f}x (bar <= 0.25)")
    if "mlx_compiled_all_gpu" in res:
        r = res["tandem_compiled_all_gpu"] / res["mlx_compiled_all_gpu"]
        print(f"  compiled all-GPU / MLX compiled  {r:.2f}x (bar <= 0.5)")
        print(f"  all-GPU / MLX uncompiled         {res['tandem_all_gpu'] / res['mlx_all_gpu']:.2f}x")
    if "tandem_tiny_us" not in res:
        return
    print("bandwidth over 256 MiB (GB/s, bytes read + written)")
    for k in ("add_GBs", "exp_GBs", "sum_GBs", "d2d_copy_GBs"):
        if k in res:
            print(f"  {k[:-4]:24s} {res[k]:8.1f}")
    for k in ("add_GBs", "exp_GBs", "sum_GBs"):
        line = f"  {k[:-4]:4s}"
        if "d2d_copy_GBs" in res:
            line += f" / copy {res[k] / res['d2d_copy_GBs']:.2f}"
        if "torch_" + k in res:
            line += (f"   torch {res['torch_' + k]:7.1f}   tandem / torch"
                     f" {res[k] / res['torch_' + k]:.2f} (bar >= 0.95)")
        print(line)
    print("matmul 4096^3 (TFLOP/s)")
    for name in ("f32", "bf16"):
        line = f"  {name:5s} tandem {res[f'matmul_{name}_tflops']:7.1f}"
        if f"torch_matmul_{name}_tflops" in res:
            r = res[f"matmul_{name}_tflops"] / res[f"torch_matmul_{name}_tflops"]
            line += f"  torch {res[f'torch_matmul_{name}_tflops']:7.1f}  ratio {r:.2f} (bar >= 0.9)"
        print(line)
    line = f"tiny-op GPU chain (us per op, build + eval from Python): tandem {res['tandem_tiny_us']:.2f}"
    if "torch_tiny_us" in res:
        line += f"  torch {res['torch_tiny_us']:.2f}"
    print(line + "  (bar <= 1.0)")
    report_rownorm(res)
    report_mlp(res)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--torch-only", action="store_true")
    ap.add_argument("--mlx-only", action="store_true")
    ap.add_argument("--canonical-only", action="store_true")
    ap.add_argument("--rownorm-only", action="store_true")
    args = ap.parse_args()
    rep = 5 if args.quick else 20
    part = "canonical" if args.canonical_only else "rownorm" if args.rownorm_only else "all"
    if args.mlx_only:
        print(json.dumps(mlx_results(rep, part)))
        return
    import tandem.core as mx

    if not mx.is_available(mx.gpu) and not args.torch_only:
        print("bench_gpu: no usable GPU (no CUDA device, or tandem built without CUDA): skipped")
        return
    if args.rownorm_only:
        res = {}
        try:
            import torch

            if torch.cuda.is_available():
                res["d2d_copy_GBs"] = d2d_copy_GBs(rep)
                res.update(torch_rownorm_results(rep))
                res["torch_mlp_ms"] = torch_mlp_ms(rep)
            else:
                print("[torch] not measured: torch has no CUDA device")
        except ImportError:
            print("[torch] not measured: torch is not installed")
        res.update(peer("--mlx-only", args))
        res.update(tandem_rownorm_results(rep))
        res["mlp_ms"] = tandem_mlp_ms(rep)
        report_rownorm(res)
        report_mlp(res)
        return
    if args.torch_only:
        print(json.dumps(torch_results(rep)))
        return
    res = {}
    if not args.canonical_only:
        res.update(peer("--torch-only", args))
    res.update(peer("--mlx-only", args))
    res.update(tandem_results(rep, canonical_only=args.canonical_only))
    report(res)


if __name__ == "__main__":
    main()
