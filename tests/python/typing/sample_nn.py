"""A small training loop over tandem.nn and tandem.optimizers that must pass
mypy (strict for this file; the untyped internals of tandem.nn are not
reported) against the generated stubs."""

from typing import Any

import tandem.core as mx
import tandem.nn as nn
import tandem.optimizers as optim


class MLP(nn.Module):
    def __init__(self, dims: int, hidden: int) -> None:
        super().__init__()
        self.l1 = nn.Linear(dims, hidden)
        self.l2 = nn.Linear(hidden, 1)

    def __call__(self, x: mx.array) -> mx.array:
        h: mx.array = nn.relu(self.l1(x))
        out: mx.array = self.l2(h)
        return out


def loss_fn(model: MLP, x: mx.array, y: mx.array) -> mx.array:
    out: mx.array = nn.losses.mse_loss(model(x), y)
    return out


def main() -> float:
    mx.random.seed(1)
    x = mx.random.uniform(-1.0, 1.0, (64, 4))
    y = mx.sum(x * mx.array([1.0, -2.0, 0.5, 3.0]), axis=1, keepdims=True)
    model = MLP(4, 32)
    opt = optim.Adam(learning_rate=1e-2)
    grad_fn = nn.value_and_grad(model, loss_fn)
    first = last = 0.0
    for i in range(100):
        loss, grads = grad_fn(model, x, y)
        opt.update(model, grads)
        state: Any = opt.state
        mx.eval(model.parameters(), state, loss)
        last = float(loss.item())
        if i == 0:
            first = last
    assert last < first
    return last


if __name__ == "__main__":
    print(f"final loss {main():.4f}")
