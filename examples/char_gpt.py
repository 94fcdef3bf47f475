"""A character-level GPT (6 layers, 6 heads, width 384, context 256, batch
64, AdamW, bfloat16 matmuls with float32 weights) trained on the source of
Python's standard library (a few MB that ship with Python; no download).

    python examples/char_gpt.py [--steps 500] [--device gpu|cpu] [--plot loss.png]

Prints tokens per second and the loss; --plot saves the loss curve.
benchmarks/torch_twins.py gpt runs the same model with PyTorch beside it.
"""

import argparse
import os
import time
from functools import partial

import numpy as np

CONFIG = {"layers": 6, "heads": 6, "width": 384, "context": 256, "batch": 64, "lr": 3e-4}


def load_text(max_bytes=4 << 20):
    """The standard library's .py files as bytes (vocabulary: the 256 byte values)."""
    root = os.path.dirname(os.__file__)
    chunks, total = [], 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "test", "tests"))
        for name in sorted(filenames):
            if name.endswith(".py") and total < max_bytes:
                with open(os.path.join(dirpath, name), "rb") as f:
                    chunks.append(f.read())
                total += len(chunks[-1])
    data = np.frombuffer(b"".join(chunks)[:max_bytes], dtype=np.uint8).astype(np.int32)
    return data, list(range(256))


def batches(data, batch, ctx, seed=0):
    """Random windows of the text: inputs and the next byte of each."""
    rng = np.random.default_rng(seed)
    while True:
        starts = rng.integers(0, len(data) - ctx - 1, size=batch)
        x = np.stack([data[s : s + ctx] for s in starts])
        y = np.stack([data[s + 1 : s + ctx + 1] for s in starts])
        yield x, y


def build(mx, nn, vocab, cfg):
    d, h, ctx = cfg["width"], cfg["heads"], cfg["context"]
    half = mx.bfloat16

    def linear(layer, x):
        # bfloat16 matmul, float32 master weights (their gradients too).
        return mx.matmul(x, layer.weight.astype(half).T) + layer.bias.astype(half)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def __call__(self, x):
            b, t, _ = x.shape
            qkv = linear(self.qkv, self.ln1(x).astype(half))
            q, k, v = (z.reshape(b, t, h, d // h).transpose(0, 2, 1, 3) for z in mx.split(qkv, 3, axis=-1))
            a = mx.fast.scaled_dot_product_attention(q, k, v, scale=(d // h) ** -0.5, mask="causal")
            x = x + linear(self.proj, a.transpose(0, 2, 1, 3).reshape(b, t, d)).astype(mx.float32)
            m = nn.gelu(linear(self.fc1, self.ln2(x).astype(half)))
            return x + linear(self.fc2, m).astype(mx.float32)

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(len(vocab), d), nn.Embedding(ctx, d)
            self.blocks = [Block() for _ in range(cfg["layers"])]
            self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, len(vocab))

        def __call__(self, idx):
            x = self.tok(idx) + self.pos(mx.arange(idx.shape[1]))
            for blk in self.blocks:
                x = blk(x)
            return linear(self.head, self.ln(x).astype(half)).astype(mx.float32)

    return GPT()


def setup(device="gpu", seed=0, framework="tandem", **kw):
    """(mx, step, state, cfg, data): the compiled training step (step(x, y)
    returns the loss; evaluate it with state) on `device`; framework "mlx"
    runs the same code on MLX (its peer)."""
    import importlib

    mx = importlib.import_module(framework + ".core")
    nn = importlib.import_module(framework + ".nn")
    optim = importlib.import_module(framework + ".optimizers")

    cfg = dict(CONFIG, **kw)
    mx.set_default_device(mx.gpu if device == "gpu" else mx.cpu)
    mx.random.seed(seed)
    data, vocab = load_text()
    model = build(mx, nn, vocab, cfg)
    # Bias-corrected moments, as PyTorch's AdamW (MLX's default is without).
    opt = optim.AdamW(learning_rate=cfg["lr"], weight_decay=0.1, bias_correction=True)
    opt.init(model.trainable_parameters())
    mx.eval(model.parameters(), opt.state)

    def loss_fn(model, x, y):
        return nn.losses.cross_entropy(model(x), y, reduction="mean")

    grad_fn = nn.value_and_grad(model, loss_fn)
    state = [model.state, opt.state]

    @partial(mx.compile, inputs=state, outputs=state)
    def step(x, y):
        loss, grads = grad_fn(model, x, y)
        opt.update(model, grads)
        return loss

    return mx, step, state, cfg, data


def train(steps=500, device="gpu", seed=0, quiet=False, framework="tandem", **kw):
    """Trains for `steps`; framework "mlx" runs the same code on MLX (its peer)."""
    mx, step, state, cfg, data = setup(device, seed, framework, **kw)
    times, losses = [], []
    t_first = None
    for i, (x, y) in enumerate(batches(data, cfg["batch"], cfg["context"], seed)):
        if i == steps:
            break
        x, y = mx.array(x), mx.array(y)
        t0 = time.perf_counter()
        loss = step(x, y)
        mx.eval(loss, state)
        losses.append(loss.item())
        times.append(time.perf_counter() - t0)
        if t_first is None:
            t_first = times[0]
        if not quiet and (i + 1) % 50 == 0:
            print(f"step {i + 1:4d}  loss {np.mean(losses[-50:]):.3f}  {1e3 * np.median(times[-50:]):.1f} ms/step")
    step_s = float(np.median(times[5:])) if len(times) > 5 else float(np.median(times))
    return {"step_ms": 1e3 * step_s, "first_step_s": t_first, "losses": losses,
            "tokens_per_s": cfg["batch"] * cfg["context"] / step_s}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--device", choices=["cpu", "gpu"], default="gpu")
    ap.add_argument("--plot", help="save the loss curve to this PNG")
    args = ap.parse_args()
    r = train(args.steps, args.device)
    print(f"{r['tokens_per_s']:.0f} tokens/s, {r['step_ms']:.1f} ms/step (first step {r['first_step_s']:.1f} s), "
          f"final loss {np.mean(r['losses'][-20:]):.3f}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        plt.plot(r["losses"])
        plt.xlabel("step")
        plt.ylabel("cross-entropy (nats/byte)")
        plt.title("char GPT on the Python standard library")
        plt.savefig(args.plot, dpi=100)


if __name__ == "__main__":
    main()
