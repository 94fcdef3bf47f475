"""PyTorch twins of the training examples, run beside them in one process:
the same model, data, batch order and hyper-parameters, so step times and
losses compare side by side.

    python benchmarks/torch_twins.py digits [--epochs 40]
    python benchmarks/torch_twins.py gpt [--steps 500] [--device gpu] [--torch-compile]

The Tandem and MLX steps are compiled (the example's `mx.compile`); with
--torch-compile the PyTorch twin also runs once more under `torch.compile`
(its first steps, which compile, are left out of the median).
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))


def torch_digits(epochs=40, batch=64, lr=1e-3, hidden=128, seed=0, threads=None):
    import torch
    from mlp_digits import load

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    xtr, ytr, xte, yte = load(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, hidden), torch.nn.ReLU(),
        torch.nn.Linear(hidden, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    times, losses = [], []
    for _ in range(epochs):
        order = rng.permutation(len(xtr))
        for i in range(0, len(order) - batch + 1, batch):
            idx = order[i : i + batch]
            x, y = torch.from_numpy(xtr[idx]), torch.from_numpy(ytr[idx]).long()
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t0)
            losses.append(loss.item())
    with torch.no_grad():
        acc = float((model(torch.from_numpy(xte)).argmax(-1).numpy() == yte).mean())
    return {"accuracy": acc, "step_ms": 1e3 * float(np.median(times[10:])), "losses": losses}


def torch_gpt(steps, device, seed=0, compiled=False, **kw):
    import torch
    from char_gpt import CONFIG, batches, load_text

    cfg = dict(CONFIG, **kw)
    dev = "cuda" if device == "gpu" else "cpu"
    torch.manual_seed(seed)
    data, vocab = load_text()
    d, h, n_layers, ctx = cfg["width"], cfg["heads"], cfg["layers"], cfg["context"]

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
            self.qkv, self.proj = torch.nn.Linear(d, 3 * d), torch.nn.Linear(d, d)
            self.fc1, self.fc2 = torch.nn.Linear(d, 4 * d), torch.nn.Linear(4 * d, d)

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
            q, k, v = (z.view(b, t, h, d // h).transpose(1, 2) for z in (q, k, v))
            a = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
            return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.ln2(x))))

    class GPT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = torch.nn.Embedding(len(vocab), d), torch.nn.Embedding(ctx, d)
            self.blocks = torch.nn.Sequential(*[Block() for _ in range(n_layers)])
            self.ln, self.head = torch.nn.LayerNorm(d), torch.nn.Linear(d, len(vocab))

        def forward(self, idx):
            x = self.tok(idx) + self.pos(torch.arange(idx.shape[1], device=idx.device))
            return self.head(self.ln(self.blocks(x)))

    model = GPT()
    with torch.no_grad():  # embeddings initialized as mlx.nn.Embedding's: N(0, 1/d)
        for e in (model.tok, model.pos):
            e.weight.normal_(0.0, d**-0.5)
    model = model.to(dev)
    fwd = torch.compile(model) if compiled else model
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.1)
    times, losses = [], []
    for step, (x, y) in enumerate(batches(data, cfg["batch"], ctx, seed)):
        if step == steps:
            break
        x, y = torch.from_numpy(x).long().to(dev), torch.from_numpy(y).long().to(dev)
        t0 = time.perf_counter()
        with torch.autocast(device_type="cuda" if dev == "cuda" else "cpu", dtype=torch.bfloat16):
            logits = fwd(x)
            loss = torch.nn.functional.cross_entropy(logits.float().view(-1, len(vocab)), y.view(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())  # synchronizes, as the Tandem loop's eval does
        times.append(time.perf_counter() - t0)
    warm = 20 if compiled else 5  # torch.compile compiles in the first steps
    return {"step_ms": 1e3 * float(np.median(times[warm:])), "losses": losses,
            "tokens_per_s": cfg["batch"] * ctx / (float(np.median(times[warm:]))),
            "first_step_ms": 1e3 * times[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", choices=["digits", "gpt"])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--device", choices=["cpu", "gpu"], default="gpu")
    ap.add_argument("--torch-compile", action="store_true", help="also time the PyTorch twin under torch.compile")
    args = ap.parse_args()
    if args.which == "digits":
        from mlp_digits import train

        t = train(args.epochs, quiet=True)
        p = torch_digits(args.epochs)
        print(f"digits MLP, CPU: tandem {t['step_ms']:.3f} ms/step, accuracy {t['accuracy'] * 100:.1f}%; "
              f"torch {p['step_ms']:.3f} ms/step, accuracy {p['accuracy'] * 100:.1f}%; "
              f"tandem / torch {t['step_ms'] / p['step_ms']:.2f} (bar <= 1.0)")
    else:
        from char_gpt import train

        t = train(args.steps, device=args.device, quiet=True)
        p = torch_gpt(args.steps, args.device)
        lt, lp = np.mean(t["losses"][-20:]), np.mean(p["losses"][-20:])
        print(f"char GPT, {args.device}, {args.steps} steps: tandem {t['step_ms']:.1f} ms/step "
              f"({t['tokens_per_s']:.0f} tok/s), loss {lt:.3f}; torch {p['step_ms']:.1f} ms/step "
              f"({p['tokens_per_s']:.0f} tok/s), loss {lp:.3f}; step ratio {t['step_ms'] / p['step_ms']:.2f} "
              f"(bar <= 1.0), loss ratio {lt / lp:.3f} (bar within 3%); first steps: tandem "
              f"{1e3 * t['first_step_s']:.0f} ms, torch {p['first_step_ms']:.0f} ms")
        if args.torch_compile:
            try:
                c = torch_gpt(args.steps, args.device, compiled=True)
            except Exception as e:  # no compiler toolchain (triton) for this device
                print(f"char GPT under torch.compile: not measured ({type(e).__name__}: {e})")
            else:
                lc = np.mean(c["losses"][-20:])
                print(f"char GPT under torch.compile: {c['step_ms']:.1f} ms/step (first step "
                      f"{c['first_step_ms']:.0f} ms), loss {lc:.3f}; tandem / torch.compile step "
                      f"{t['step_ms'] / c['step_ms']:.2f}")
        # MLX (its CUDA build on the GPU machine) runs the example's own code.
        try:
            m = train(args.steps, device=args.device, quiet=True, framework="mlx")
        except Exception as e:  # not installed, or no device of that kind
            print(f"char GPT on MLX: not measured ({type(e).__name__}: {e})")
        else:
            lm = np.mean(m["losses"][-20:])
            print(f"char GPT on MLX: {m['step_ms']:.1f} ms/step, loss {lm:.3f}; tandem / mlx step "
                  f"{t['step_ms'] / m['step_ms']:.2f} (bar <= 1.0)")


if __name__ == "__main__":
    main()
