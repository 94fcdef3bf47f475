"""An MLP classifier on scikit-learn's bundled digits (8x8 images, no
download), trained on the CPU with a compiled training step.

    python examples/mlp_digits.py [--epochs 40] [--device cpu|gpu]

Prints the test accuracy and the median step time; benchmarks/torch_twins.py
runs the same model with PyTorch beside it.
"""

import argparse
import time
from functools import partial

import numpy as np


def load(seed=0):
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    split = int(0.8 * len(x))
    return x[order[:split]], y[order[:split]], x[order[split:]], y[order[split:]]


def train(epochs=40, batch=64, lr=1e-3, hidden=128, seed=0, device="cpu", quiet=False):
    import tandem.core as mx
    import tandem.nn as nn
    import tandem.optimizers as optim

    mx.set_default_device(mx.cpu if device == "cpu" else mx.gpu)
    mx.random.seed(seed)
    xtr, ytr, xte, yte = load(seed)
    model = nn.Sequential(
        nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 10)
    )
    opt = optim.Adam(learning_rate=lr, bias_correction=True)  # as PyTorch's Adam
    opt.init(model.trainable_parameters())

    def loss_fn(model, x, y):
        return nn.losses.cross_entropy(model(x), y, reduction="mean")

    grad_fn = nn.value_and_grad(model, loss_fn)
    state = [model.state, opt.state]

    @partial(mx.compile, inputs=state, outputs=state)
    def step(x, y):
        loss, grads = grad_fn(model, x, y)
        opt.update(model, grads)
        return loss

    rng = np.random.default_rng(seed)
    times, losses = [], []
    for epoch in range(epochs):
        order = rng.permutation(len(xtr))
        for i in range(0, len(order) - batch + 1, batch):
            idx = order[i : i + batch]
            x, y = mx.array(xtr[idx]), mx.array(ytr[idx])
            t0 = time.perf_counter()
            loss = step(x, y)
            mx.eval(loss, state)
            times.append(time.perf_counter() - t0)
            losses.append(loss.item())
        if not quiet and (epoch + 1) % 10 == 0:
            print(f"epoch {epoch + 1:3d}  loss {np.mean(losses[-20:]):.4f}")
    model.eval()
    pred = mx.argmax(model(mx.array(xte)), axis=-1)
    acc = float(np.mean(np.array(pred) == yte))
    return {"accuracy": acc, "step_ms": 1e3 * float(np.median(times[10:])), "losses": losses}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    args = ap.parse_args()
    r = train(args.epochs, device=args.device)
    print(f"test accuracy {r['accuracy'] * 100:.1f}%   median step {r['step_ms']:.3f} ms")


if __name__ == "__main__":
    main()
