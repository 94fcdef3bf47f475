"""The sharded layers of nn for Tandem's one-process group: each computes
what the Linear it shards computes (values and gradients), from_linear keeps
the weights, fully_shard returns its module, FullyShardedModule forwards
(in compute_dtype when given)."""
import numpy as np
import pytest
import tandem.core as mx
import tandem.nn as nn


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("cls", [nn.AllToShardedLinear, nn.ShardedToAllLinear])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 8), (2, 3, 8), (8,)])
def test_sharded_linear_is_linear(rng, cls, bias, shape):
    lin = nn.Linear(8, 6, bias=bias)
    layer = cls.from_linear(lin)
    assert layer.weight.shape == (6, 8) and ("bias" in layer) == bias
    x = mx.array(rng.standard_normal(shape).astype(np.float32))
    np.testing.assert_allclose(np.array(layer(x)), np.array(lin(x)), rtol=1e-6, atol=1e-6)

    def loss(model, x):
        return (model(x) ** 2).sum()

    _, g_layer = nn.value_and_grad(layer, loss)(layer, x)
    _, g_lin = nn.value_and_grad(lin, loss)(lin, x)
    for k in g_lin:
        np.testing.assert_allclose(np.array(g_layer[k]), np.array(g_lin[k]), rtol=1e-5, atol=1e-5)


def test_constructors_and_errors(rng):
    g = mx.distributed.init()
    a = nn.AllToShardedLinear(4, 10, group=g)
    s = nn.ShardedToAllLinear(4, 10, bias=False)
    assert a.weight.shape == (10, 4) and a.bias.shape == (10,) and "bias" not in s
    assert "AllToShardedLinear(input_dims=4, output_dims=10, bias=True)" in repr(a)
    w = np.array(a.weight)
    assert np.abs(w).max() <= 0.5 and w.std() > 0.1  # uniform in +-1/sqrt(4)
    with pytest.raises(ValueError, match="segments"):
        nn.AllToShardedLinear.from_linear(nn.Linear(4, 10), segments=3)
    assert nn.AllToShardedLinear.from_linear(nn.Linear(4, 12), segments=3).weight.shape == (12, 4)


def test_fully_shard(rng):
    lin = nn.Linear(8, 4)
    assert nn.fully_shard(lin) is lin  # a group of one process: unchanged
    wrapped = nn.FullyShardedModule(lin)
    x = mx.array(rng.standard_normal((3, 8)).astype(np.float32))
    np.testing.assert_array_equal(np.array(wrapped(x)), np.array(lin(x)))
    assert "num_sharded_params=2" in repr(wrapped)
    half = nn.FullyShardedModule(lin, compute_dtype=mx.bfloat16)
    y = half(x)
    want = x @ lin.weight.astype(mx.bfloat16).T + lin.bias.astype(mx.bfloat16)
    np.testing.assert_array_equal(np.array(y.astype(mx.float32)), np.array(want.astype(mx.float32)))
    assert lin.weight.dtype == mx.float32  # the parameters are restored after the forward
