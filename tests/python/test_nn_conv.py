"""tandem.nn's convolution layers: shapes, init bounds, forward against the
core ops, repr as mlx.nn prints it, and a small conv net that trains."""
import math

import numpy as np
import pytest
import tandem.core as mx
import tandem.nn as nn
import tandem.optimizers as optim

LAYERS = [
    (nn.Conv1d, 1, dict(groups=2), False),
    (nn.Conv2d, 2, dict(stride=2, padding=1, dilation=1), False),
    (nn.Conv3d, 3, dict(padding=1), False),
    (nn.ConvTranspose1d, 1, dict(stride=2, output_padding=1), True),
    (nn.ConvTranspose2d, 2, dict(stride=(2, 1), padding=1), True),
    (nn.ConvTranspose3d, 3, dict(stride=2), True),
]


@pytest.mark.parametrize("cls,d,kw,transpose", LAYERS)
def test_layer_matches_core_op(cls, d, kw, transpose):
    mx.random.seed(0)
    layer = cls(4, 6, 3, **kw)
    groups = kw.get("groups", 1)
    assert layer.weight.shape == (6,) + (3,) * d + ((4,) if transpose else (4 // groups,))
    fan_in = (4 if transpose else 4 // groups) * 3**d
    bound = math.sqrt(1 / fan_in)
    w = np.array(layer.weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    layer.bias = mx.array(np.random.default_rng(1).standard_normal(6), dtype=mx.float32)
    x = mx.array(np.random.default_rng(2).standard_normal((2,) + (5,) * d + (4,)), dtype=mx.float32)
    name = f"conv_transpose{d}d" if transpose else f"conv{d}d"
    args = {k: v for k, v in kw.items()}
    want = getattr(mx, name)(x, layer.weight, **args) + layer.bias
    np.testing.assert_allclose(np.array(layer(x)), np.array(want), rtol=1e-6, atol=1e-6)
    assert sorted(layer.parameters()) == ["bias", "weight"]
    assert "bias" not in cls(4, 6, 3, bias=False).parameters()


def test_repr_as_mlx():
    assert repr(nn.Conv2d(4, 6, (3, 2), groups=2)) == (
        "Conv2d(4, 6, kernel_size=(3, 2), stride=(1, 1), padding=(0, 0), dilation=1, groups=2, "
        "bias=True)"
    )
    assert repr(nn.ConvTranspose1d(4, 6, 3)) == (
        "ConvTranspose1d(4, 6, kernel_size=3, stride=1, padding=0, dilation=1, output_padding=0, "
        "bias=True)"
    )


def test_groups_must_divide_channels():
    with pytest.raises(ValueError, match="divisible"):
        nn.Conv2d(4, 6, 3, groups=4)


def test_small_conv_net_trains():
    mx.random.seed(3)
    rng = np.random.default_rng(3)
    x = mx.array(rng.standard_normal((8, 10, 10, 2)), dtype=mx.float32)
    y = mx.array(rng.standard_normal((8, 3)), dtype=mx.float32)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(2, 4, 3, padding=1)
            self.c2 = nn.Conv2d(4, 4, 3, stride=2, groups=2)
            self.up = nn.ConvTranspose2d(4, 2, 2, stride=2)
            self.fc = nn.Linear(2 * 8 * 8, 3)

        def __call__(self, x):
            h = nn.relu(self.c1(x))
            h = nn.relu(self.c2(h))
            h = self.up(h)
            return self.fc(h.reshape(h.shape[0], -1))

    net = Net()
    opt = optim.Adam(learning_rate=1e-2)

    def loss_fn(model, x, y):
        return mx.mean((model(x) - y) ** 2)

    step = nn.value_and_grad(net, loss_fn)
    losses = []
    for _ in range(30):
        loss, grads = step(net, x, y)
        opt.update(net, grads)
        mx.eval(net.parameters(), opt.state)
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses
