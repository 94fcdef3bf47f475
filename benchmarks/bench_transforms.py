"""value_and_grad beside PyTorch autograd (issue 12's benchmarks).

Two workloads, each on the CPU and (when present) the GPU, Tandem and
PyTorch in the same run, times are medians of steady-state steps:
  - mlp: loss and gradients of a 3-layer MLP (batch 256, width 1024,
    float32, relu, mean squared error);
  - chain: gradient of the sum of a chain of 50 small elementwise ops on a
    1M-element array.
Each result is checked against PyTorch's before it is timed.

    python3 benchmarks/bench_transforms.py [--quick]
"""

import argparse

import numpy as np
from bench_common import median_time

B, W, N = 256, 1024, 1 << 20


def data():
    rng = np.random.default_rng(0)
    ws = [(rng.standard_normal((W, W)) / np.sqrt(W)).astype(np.float32) for _ in range(3)]
    x = rng.standard_normal((B, W)).astype(np.float32)
    y = rng.standard_normal((B, W)).astype(np.float32)
    v = rng.uniform(0.5, 1.5, N).astype(np.float32)
    return ws, x, y, v


def tandem_runs(dev, rep):
    import tandem.core as mx

    ws, x, y, v = data()
    s = mx.new_stream(mx.gpu if dev == "gpu" else mx.cpu)
    mws = [mx.array(w) for w in ws]
    mxx, myy, mv = mx.array(x), mx.array(y), mx.array(v)

    def loss(w0, w1, w2):
        h = mx.maximum(mx.matmul(mxx, w0, stream=s), 0.0, stream=s)
        h = mx.maximum(mx.matmul(h, w1, stream=s), 0.0, stream=s)
        d = mx.subtract(mx.matmul(h, w2, stream=s), myy, stream=s)
        return mx.mean(mx.multiply(d, d, stream=s), stream=s)

    vg = mx.value_and_grad(loss, argnums=(0, 1, 2))

    def mlp():
        val, g = vg(*mws)
        mx.eval(val, g)
        return val, g

    def chain_fn(a):
        for i in range(50):
            a = mx.sin(a, stream=s) if i % 2 else mx.multiply(a, 1.01, stream=s)
        return mx.sum(a, stream=s)

    gc = mx.grad(chain_fn)

    def chain():
        g = gc(mv)
        mx.eval(g)
        return g

    val, g = mlp()
    res = {"mlp": median_time(mlp, rep), "chain": median_time(chain, rep)}
    return res, (float(val.item()), np.array(g[0])), np.array(chain())


def torch_runs(dev, rep):
    import torch

    torch.set_grad_enabled(True)
    d = "cuda" if dev == "gpu" else "cpu"
    sync = torch.cuda.synchronize if dev == "gpu" else (lambda: None)
    ws, x, y, v = data()
    tws = [torch.tensor(w, device=d, requires_grad=True) for w in ws]
    tx, ty = torch.tensor(x, device=d), torch.tensor(y, device=d)
    tv = torch.tensor(v, device=d, requires_grad=True)

    def mlp():
        for w in tws:
            w.grad = None
        h = torch.relu(tx @ tws[0])
        h = torch.relu(h @ tws[1])
        loss = ((h @ tws[2] - ty) ** 2).mean()
        loss.backward()
        sync()
        return loss, tws[0].grad

    def chain():
        tv.grad = None
        a = tv
        for i in range(50):
            a = torch.sin(a) if i % 2 else a * 1.01
        a.sum().backward()
        sync()
        return tv.grad

    val, g0 = mlp()
    res = {"mlp": median_time(mlp, rep), "chain": median_time(chain, rep)}
    return res, (float(val.item()), g0.cpu().numpy()), chain().cpu().numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--devices", default="cpu,gpu")
    args = ap.parse_args()
    rep = 10 if args.quick else 50
    import tandem.core as mx

    for dev in args.devices.split(","):
        if dev == "gpu" and not mx.is_available(mx.gpu):
            print("gpu: not present, skipped")
            continue
        t, (tv, tg), tc = tandem_runs(dev, rep)
        try:
            p, (pv, pg), pc = torch_runs(dev, rep)
        except ImportError:
            p = None
        line = f"{dev}: tandem mlp {t['mlp'] * 1e3:.3f} ms, chain {t['chain'] * 1e3:.3f} ms"
        if p:
            assert abs(tv - pv) <= 1e-3 * abs(pv), (tv, pv)
            assert np.allclose(tg, pg, rtol=1e-3, atol=1e-5), "mlp gradients differ from torch"
            assert np.allclose(tc, pc, rtol=1e-3, atol=1e-5), "chain gradients differ from torch"
            line += (f"; torch mlp {p['mlp'] * 1e3:.3f} ms, chain {p['chain'] * 1e3:.3f} ms;"
                     f" ratio tandem/torch mlp {t['mlp'] / p['mlp']:.2f},"
                     f" chain {t['chain'] / p['chain']:.2f} (bar <= 1.0)")
        else:
            line += " (torch not installed)"
        print(line)


if __name__ == "__main__":
    main()
