"""tandem.nn: layers against mlx.nn with the same weights, and the Module API.

Layer tests build the same layer in both libraries, copy MLX's parameters into
Tandem's through ``load_weights`` (strict, so parameter names and shapes must
match too), and compare outputs on random inputs. They are skipped when mlx
is not importable; the Module API and training tests run without it.
"""

import math

import numpy as np
import pytest
import tandem.core as mx
import tandem.nn as nn
from tandem.utils import tree_flatten

try:
    import mlx.core as mx2
    import mlx.nn as nn2
    from mlx.utils import tree_flatten as tree_flatten2
except ImportError:
    mx2 = nn2 = None

needs_mlx = pytest.mark.skipif(nn2 is None, reason="mlx is not importable: MLX comparisons skipped")

RNG = np.random.default_rng(0)


def rand(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def to_np(x):
    if isinstance(x, (tuple, list)):
        return [to_np(v) for v in x]
    return np.array(x)


def copy_weights(src, dst):
    """Give Tandem module ``dst`` the parameters of MLX module ``src``."""
    weights = [(k, mx.array(np.array(v))) for k, v in tree_flatten2(src.parameters())]
    dst.load_weights(weights, strict=True)


def compare(make, inputs, rtol=1e-4, atol=1e-5, call=None, train=False):
    """Build ``make(nn)`` in both libraries and compare outputs on ``inputs`` (numpy)."""
    ref, mine = make(nn2), make(nn)
    copy_weights(ref, mine)
    if not train:
        ref.eval()
        mine.eval()
    call = call or (lambda m, lib, xs: m(*[lib.array(x) for x in xs]))
    expect = call(ref, mx2, inputs)
    got = call(mine, mx, inputs)
    if isinstance(expect, (tuple, list)):
        for e, g in zip(expect, got):
            np.testing.assert_allclose(to_np(g), to_np(e), rtol=rtol, atol=atol)
    else:
        np.testing.assert_allclose(to_np(got), to_np(expect), rtol=rtol, atol=atol)
    return ref, mine


# ---------------------------------------------------------------- activations

ACT_FUNCS = [
    "celu", "elu", "gelu", "gelu_approx", "gelu_fast_approx", "glu", "hard_shrink",
    "hard_tanh", "hardswish", "leaky_relu", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu2", "relu6", "selu", "sigmoid", "silu", "softmax", "softmin",
    "softplus", "softshrink", "softsign", "step", "tanh",
]  # fmt: skip

ACT_LAYERS = [
    ("CELU", ()), ("CELU", (0.7,)), ("ELU", ()), ("ELU", (1.3,)), ("GELU", ()),
    ("GELU", ("precise",)), ("GELU", ("tanh",)), ("GELU", ("fast",)), ("GLU", ()),
    ("GLU", (0,)), ("SELU", ()), ("HardShrink", ()), ("HardShrink", (0.2,)),
    ("Hardswish", ()), ("HardTanh", ()), ("LeakyReLU", ()), ("LeakyReLU", (0.2,)),
    ("LogSigmoid", ()), ("LogSoftmax", ()), ("Mish", ()), ("PReLU", ()),
    ("PReLU", (6, 0.1)), ("ReLU", ()), ("ReLU2", ()), ("ReLU6", ()), ("Sigmoid", ()),
    ("SiLU", ()), ("Softmax", ()), ("Softmin", ()), ("Softplus", ()), ("Softshrink", ()),
    ("Softshrink", (0.3,)), ("Softsign", ()), ("Step", ()), ("Step", (0.4,)), ("Tanh", ()),
]  # fmt: skip


@needs_mlx
@pytest.mark.parametrize("name", ACT_FUNCS)
def test_activation_functions(name):
    x = rand(4, 6, scale=4.0)
    x[0, :3] = [0.0, 6.5, -3.0]  # the kinks of relu6/hardswish/step
    got = getattr(nn, name)(mx.array(x))
    expect = getattr(nn2, name)(mx2.array(x))
    np.testing.assert_allclose(to_np(got), to_np(expect), rtol=1e-5, atol=1e-6)


@needs_mlx
@pytest.mark.parametrize("name,args", ACT_LAYERS)
def test_activation_layers(name, args):
    x = rand(2, 4, 6, scale=3.0)
    compare(lambda lib: getattr(lib, name)(*args), [x], rtol=1e-5, atol=1e-6)


def test_prelu_and_leaky_keep_dtype():
    x = mx.array(rand(3, 5)).astype(mx.float16)
    assert nn.leaky_relu(x).dtype == mx.float16
    assert nn.gelu(x).dtype == mx.float16
    assert nn.relu6(x).dtype == mx.float16


# ---------------------------------------------------------------- layers


@needs_mlx
@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias):
    compare(lambda lib: lib.Linear(5, 7, bias=bias), [rand(3, 4, 5)])


@needs_mlx
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(bias):
    compare(lambda lib: lib.Bilinear(3, 4, 5, bias=bias), [rand(2, 6, 3), rand(2, 6, 4)])


@needs_mlx
def test_identity_and_sequential():
    compare(lambda lib: lib.Identity(3, foo=1), [rand(2, 3)])
    compare(
        lambda lib: lib.Sequential(
            lib.Linear(4, 8), lib.ReLU(), lib.Sequential(lib.Linear(8, 3), lib.Tanh())
        ),
        [rand(5, 4)],
    )


@needs_mlx
def test_embedding():
    ids = RNG.integers(0, 10, size=(3, 5)).astype(np.int32)
    compare(lambda lib: lib.Embedding(10, 6), [ids])
    compare(
        lambda lib: lib.Embedding(10, 6),
        [rand(3, 6)],
        call=lambda m, lib, xs: m.as_linear(lib.array(xs[0])),
    )


@needs_mlx
@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.LayerNorm(6),
        lambda lib: lib.LayerNorm(6, eps=1e-3, affine=False),
        lambda lib: lib.LayerNorm(6, bias=False),
        lambda lib: lib.RMSNorm(6),
        lambda lib: lib.RMSNorm(6, eps=1e-2),
        lambda lib: lib.GroupNorm(3, 6),
        lambda lib: lib.GroupNorm(2, 6, pytorch_compatible=True),
        lambda lib: lib.GroupNorm(3, 6, affine=False),
        lambda lib: lib.InstanceNorm(6),
        lambda lib: lib.InstanceNorm(6, affine=True),
    ],
)
def test_norms(make):
    x = rand(2, 5, 4, 6, scale=2.0) + 0.5
    ref, mine = compare(make, [x])
    # Non-default affine parameters, so a mix-up of weight and bias shows.
    if "weight" in ref:
        ref.weight = mx2.array(rand(6))
        if "bias" in ref:
            ref.bias = mx2.array(rand(6))
        copy_weights(ref, mine)
        np.testing.assert_allclose(
            to_np(mine(mx.array(x))), to_np(ref(mx2.array(x))), rtol=1e-4, atol=1e-5
        )


@needs_mlx
@pytest.mark.parametrize("shape", [(8, 5), (4, 7, 5), (3, 4, 6, 5)])
def test_batchnorm_train_then_eval(shape):
    ref, mine = nn2.BatchNorm(5, momentum=0.3), nn.BatchNorm(5, momentum=0.3)
    for _ in range(3):
        x = rand(*shape, scale=2.0) + 1.0
        np.testing.assert_allclose(
            to_np(mine(mx.array(x))), to_np(ref(mx2.array(x))), rtol=1e-4, atol=1e-5
        )
    np.testing.assert_allclose(to_np(mine.running_var), to_np(ref.running_var), rtol=1e-5)
    np.testing.assert_allclose(to_np(mine.running_mean), to_np(ref.running_mean), atol=1e-6)
    ref.eval()
    mine.eval()
    x = rand(*shape)
    np.testing.assert_allclose(
        to_np(mine(mx.array(x))), to_np(ref(mx2.array(x))), rtol=1e-4, atol=1e-5
    )
    # Without running statistics it always uses the batch's.
    compare(lambda lib: lib.BatchNorm(5, affine=False, track_running_stats=False), [x])


def test_batchnorm_state_is_frozen():
    bn = nn.BatchNorm(4)
    assert set(bn.parameters()) == {"weight", "bias", "running_mean", "running_var"}
    assert set(bn.trainable_parameters()) == {"weight", "bias"}
    bn.unfreeze()
    assert set(bn.trainable_parameters()) == {"weight", "bias"}
    with pytest.raises(ValueError):
        bn(mx.zeros((2, 3, 4, 5, 4)))


@needs_mlx
@pytest.mark.parametrize("bias", [False, True])
def test_multi_head_attention(bias):
    def call(m, lib, xs):
        q, k, v, mask = [lib.array(x) for x in xs]
        return m(q, k, v, mask)

    mask = rand(7, 9)
    compare(
        lambda lib: lib.MultiHeadAttention(8, 2, bias=bias),
        [rand(2, 7, 8), rand(2, 9, 8), rand(2, 9, 8), mask],
        call=call,
    )
    compare(
        lambda lib: lib.MultiHeadAttention(
            8, 4, query_input_dims=3, key_input_dims=5, value_input_dims=6,
            value_dims=12, value_output_dims=7, bias=bias,
        ),
        [rand(2, 7, 3), rand(2, 9, 5), rand(2, 9, 6), np.zeros((7, 9), np.float32)],
        call=call,
    )  # fmt: skip
    causal = nn.MultiHeadAttention.create_additive_causal_mask(5)
    np.testing.assert_allclose(
        to_np(causal), to_np(nn2.MultiHeadAttention.create_additive_causal_mask(5))
    )
    with pytest.raises(ValueError):
        nn.MultiHeadAttention(10, 3)


@needs_mlx
def test_attention_boolean_mask():
    mask = RNG.random((5, 5)) > 0.3
    np.fill_diagonal(mask, True)

    def call(m, lib, xs):
        x = lib.array(xs[0])
        return m(x, x, x, lib.array(mask))

    compare(lambda lib: lib.MultiHeadAttention(8, 2), [rand(2, 5, 8)], call=call)


@needs_mlx
@pytest.mark.parametrize("norm_first", [True, False])
def test_transformer(norm_first):
    act = {"relu": None, "gelu": "gelu"}
    for name in act:

        def make(lib, name=name):
            kw = {} if name == "relu" else {"activation": lib.gelu}
            return lib.Transformer(
                dims=8, num_heads=2, num_encoder_layers=2, num_decoder_layers=2,
                mlp_dims=16, norm_first=norm_first, **kw,
            )  # fmt: skip

        def call(m, lib, xs):
            src, tgt = lib.array(xs[0]), lib.array(xs[1])
            tmask = type(m.decoder.layers[0].self_attention).create_additive_causal_mask(4)
            return m(src, tgt, None, tmask, None)

        compare(make, [rand(2, 6, 8), rand(2, 4, 8)], call=call, rtol=2e-4, atol=2e-5)


def test_transformer_checkpoint_matches():
    mx.random.seed(3)
    enc = nn.TransformerEncoder(2, 8, 2, mlp_dims=16)
    x = mx.array(rand(2, 5, 8))

    def loss(m):
        return nn.value_and_grad(m, lambda: (m(x, None) ** 2).sum())()

    v1, g1 = loss(enc)
    enc.checkpoint = True
    v2, g2 = loss(enc)
    assert abs(v1.item() - v2.item()) < 1e-4
    for (k, a), (_, b) in zip(tree_flatten(g1), tree_flatten(g2)):
        np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-4, atol=1e-5, err_msg=k)


@needs_mlx
@pytest.mark.parametrize("traditional", [False, True])
@pytest.mark.parametrize("dims", [8, 6])
def test_rope(traditional, dims):
    x = rand(2, 3, 5, 8)
    for offset, base, scale in [(0, 10000, 1.0), (3, 500, 0.5)]:
        compare(
            lambda lib: lib.RoPE(dims, traditional=traditional, base=base, scale=scale),
            [x],
            call=lambda m, lib, xs: m(lib.array(xs[0]), offset=offset),
            rtol=1e-4,
            atol=1e-4,
        )


@needs_mlx
def test_alibi():
    scores = rand(2, 4, 5, 7)
    mask = rand(5, 7)
    for offset in (0, 2):
        compare(
            lambda lib: lib.ALiBi(),
            [scores, mask],
            call=lambda m, lib, xs: m(lib.array(xs[0]), offset=offset, mask=lib.array(xs[1])),
        )
    compare(lambda lib: lib.ALiBi(), [scores])


@needs_mlx
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"cos_first": True},
        {"full_turns": True, "scale": 1.0},
        {"min_freq": 0.01, "max_freq": 2},
    ],
)
def test_sinusoidal(kw):
    compare(lambda lib: lib.SinusoidalPositionalEncoding(10, **kw), [rand(3, 4, scale=5)])


def _seq_call(with_state):
    def call(m, lib, xs):
        args = [lib.array(x) for x in xs]
        return m(*args) if with_state else m(args[0])

    return call


@needs_mlx
@pytest.mark.parametrize("bias", [True, False])
def test_rnn(bias):
    x, h = rand(2, 5, 3), rand(2, 4)
    compare(lambda lib: lib.RNN(3, 4, bias=bias), [x], call=_seq_call(False))
    compare(lambda lib: lib.RNN(3, 4, bias=bias), [x, h], call=_seq_call(True))
    compare(lambda lib: lib.RNN(3, 4, nonlinearity=lib.relu), [x[0]], call=_seq_call(False))


@needs_mlx
@pytest.mark.parametrize("bias", [True, False])
def test_gru(bias):
    x, h = rand(2, 5, 3), rand(2, 4)
    compare(lambda lib: lib.GRU(3, 4, bias=bias), [x], call=_seq_call(False))
    compare(lambda lib: lib.GRU(3, 4, bias=bias), [x, h], call=_seq_call(True))


@needs_mlx
@pytest.mark.parametrize("bias", [True, False])
def test_lstm(bias):
    x, h, c = rand(2, 5, 3), rand(2, 4), rand(2, 4)
    compare(lambda lib: lib.LSTM(3, 4, bias=bias), [x], call=_seq_call(False))
    compare(lambda lib: lib.LSTM(3, 4, bias=bias), [x, h, c], call=_seq_call(True))
    compare(lambda lib: lib.LSTM(3, 4), [x[1]], call=_seq_call(False))


POOL_CASES = [
    (1, 2, None, 0), (1, 3, 2, 1), (1, (4,), (1,), (2,)),
    (2, 2, None, 0), (2, (2, 3), (1, 2), (1, 1)), (2, 3, 2, 1),
    (3, 2, None, 0), (3, (2, 1, 2), 1, (1, 0, 0)),
]  # fmt: skip


@needs_mlx
@pytest.mark.parametrize("kind", ["Max", "Avg"])
@pytest.mark.parametrize("n,kernel,stride,padding", POOL_CASES)
def test_pooling(kind, n, kernel, stride, padding):
    shape = (2,) + (7, 6, 5)[:n] + (3,)
    name = f"{kind}Pool{n}d"
    ref, mine = compare(
        lambda lib: getattr(lib, name)(kernel, stride=stride, padding=padding), [rand(*shape)]
    )
    assert repr(ref) == repr(mine)


@needs_mlx
@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize(
    "shape,scale",
    [
        ((2, 5, 3), 2),
        ((2, 4, 5, 3), (2, 3)),
        ((1, 3, 4, 2, 2), 2),
        ((2, 5, 3), 1.5),
        ((2, 7, 3), 2.4),
        ((2, 6, 3), 0.5),
    ],
)
def test_upsample(mode, align, shape, scale):
    if mode == "nearest" and align:
        pytest.skip("align_corners only applies to linear")
    if mode == "nearest" and scale in (1.5, 2.4):
        pytest.skip("nearest with non-integer scales picks some neighbours differently from MLX")
    ref, mine = compare(
        lambda lib: lib.Upsample(scale, mode=mode, align_corners=align), [rand(*shape)]
    )
    assert repr(ref) == repr(mine)


def test_dropout():
    x = mx.array(rand(200, 50) + 3.0)
    d = nn.Dropout(0.25)
    y = np.array(d(x))
    dropped = (y == 0).mean()
    assert 0.2 < dropped < 0.3
    kept = y != 0
    np.testing.assert_allclose(y[kept], np.array(x)[kept] / 0.75, rtol=1e-6)
    d.eval()
    assert np.array_equal(np.array(d(x)), np.array(x))
    assert np.array_equal(np.array(nn.Dropout(0.0)(x)), np.array(x))
    with pytest.raises(ValueError):
        nn.Dropout(1.0)
    # Channel dropout zeroes whole channels.
    x4 = mx.array(rand(4, 5, 6, 32) + 3.0)
    y4 = np.array(nn.Dropout2d(0.5)(x4))
    zero = y4 == 0
    assert np.all(zero.all(axis=(1, 2)) | (~zero).all(axis=(1, 2)))
    assert 0 < zero.all(axis=(1, 2)).mean() < 1
    x5 = mx.array(rand(2, 3, 4, 5, 32) + 3.0)
    y5 = np.array(nn.Dropout3d(0.5)(x5))
    zero = y5 == 0
    assert np.all(zero.all(axis=(1, 2, 3)) | (~zero).all(axis=(1, 2, 3)))
    with pytest.raises(ValueError):
        nn.Dropout2d(0.5)(mx.zeros((2, 3)))


# ---------------------------------------------------------------- Module API


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, bias=False)]
        self.extra = {"a": mx.array(rand(2)), "b": [mx.array(rand(3))]}
        self.norm = nn.LayerNorm(2)
        self._hidden = mx.zeros((2,))
        self.scale = 2.0

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.norm(x) * self.scale + self.extra["a"]


def test_module_trees():
    m = Custom()
    names = [k for k, _ in tree_flatten(m.parameters())]
    assert names == [
        "layers.0.weight", "layers.0.bias", "layers.2.weight",
        "extra.a", "extra.b.0", "norm.weight", "norm.bias",
    ]  # fmt: skip
    assert m.parameters()["layers"][1] == {}
    children = m.children()
    # Like MLX: containers keep their shape, with {} where no module is.
    assert children["extra"] == {"a": {}, "b": [{}]}
    assert [k for k, _ in tree_flatten(children, is_leaf=nn.Module.is_module)] == [
        "layers.0",
        "layers.1",
        "layers.2",
        "norm",
    ]
    assert children["layers"][1] is m.layers[1]
    assert children["norm"] is m.norm
    leaves = m.leaf_modules()
    assert leaves["layers"][2] is m.layers[2]
    assert [k for k, _ in m.named_modules()] == ["", "norm", "layers.2", "layers.1", "layers.0"]
    assert len(m.modules()) == 5
    seen = []
    m.apply_to_modules(lambda k, mod: seen.append((k, type(mod).__name__)))
    assert seen[0] == ("", "Custom") and ("layers.1", "ReLU") in seen
    assert m.scale == 2.0 and "scale" not in m
    assert "_hidden" in m and "_hidden" not in m.parameters()
    with pytest.raises(AttributeError):
        m.missing
    m.layers[2].bias = None  # replacing a parameter by None removes it
    assert "bias" not in m.layers[2] and m.layers[2].bias is None
    m.shape = (1, 2)  # tuples are stored but never hold parameters
    assert "shape" in m and "shape" not in m.parameters() and "shape" not in m.children()
    m.update({"shape": [{}, {}]})
    m.new_param = mx.ones((3,))
    assert "new_param" in m.parameters()
    del m.new_param
    assert "new_param" not in m


def test_module_repr():
    m = nn.Sequential(nn.Linear(2, 3), nn.GELU(), nn.Sequential(nn.LayerNorm(3)))
    assert repr(m) == (
        "Sequential(\n"
        "  (layers.0): Linear(input_dims=2, output_dims=3, bias=True)\n"
        "  (layers.1): GELU()\n"
        "  (layers.2): Sequential(\n"
        "    (layers.0): LayerNorm(3, eps=1e-05, affine=True)\n"
        "  )\n"
        ")"
    )


@needs_mlx
def test_repr_matches_mlx():
    def make(lib):
        return [
            lib.Embedding(3, 4), lib.RMSNorm(4), lib.BatchNorm(4), lib.GroupNorm(2, 4),
            lib.InstanceNorm(3), lib.Bilinear(2, 3, 4), lib.Dropout(0.25), lib.RoPE(4),
            lib.LSTM(2, 3), lib.GRU(2, 3, bias=False), lib.MultiHeadAttention(8, 2),
            lib.Sequential(lib.Linear(2, 3, bias=False), lib.ReLU()),
            lib.TransformerEncoderLayer(8, 2),
        ]  # fmt: skip

    for a, b in zip(make(nn2), make(nn)):
        assert repr(a) == repr(b)


def test_update_and_update_modules():
    m = Custom()
    new_w = mx.array(rand(4, 3))
    m.update({"layers": [{"weight": new_w}]})
    assert m.layers[0].weight is new_w
    with pytest.raises(ValueError):
        m.update({"nope": mx.zeros((1,))})
    m.update({"nope": mx.zeros((1,))}, strict=False)
    assert "nope" not in m
    with pytest.raises(ValueError):
        m.update({"layers": [{"weight": 3}]})
    lin = nn.Linear(4, 2)
    m.update_modules({"layers": [{}, {}, lin]})
    assert m.layers[2] is lin
    m.update_modules({"norm": nn.RMSNorm(2)})
    assert isinstance(m.norm, nn.RMSNorm)
    with pytest.raises(ValueError):
        m.update_modules({"missing": nn.ReLU()})
    doubled = {k: np.array(v) * 2 for k, v in tree_flatten(m.parameters())}
    m.apply(lambda p: p * 2)
    for k, v in tree_flatten(m.parameters()):
        np.testing.assert_allclose(np.array(v), doubled[k])
    m.set_dtype(mx.float16)
    assert all(v.dtype == mx.float16 for _, v in tree_flatten(m.parameters()))


def test_freeze_unfreeze():
    m = Custom()
    m.freeze()
    assert tree_flatten(m.trainable_parameters()) == []
    m.unfreeze()
    assert len(tree_flatten(m.trainable_parameters())) == 7
    m.freeze(keys="bias")
    names = [k for k, _ in tree_flatten(m.trainable_parameters())]
    assert names == ["layers.0.weight", "layers.2.weight", "extra.a", "extra.b.0", "norm.weight"]
    m.unfreeze(keys=["bias"])
    m.layers[0].freeze()
    m.freeze(recurse=False, keys="extra")
    names = [k for k, _ in tree_flatten(m.trainable_parameters())]
    assert names == ["layers.2.weight", "norm.weight", "norm.bias"]
    m.unfreeze()
    m.freeze(recurse=False)  # only m's own arrays
    names = [k for k, _ in tree_flatten(m.trainable_parameters())]
    assert names == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.2.weight",
        "norm.weight",
        "norm.bias",
    ]
    with pytest.raises(KeyError):
        m.freeze(keys="nothing", strict=True)
    m.freeze(keys="bias", strict=True)  # some module has it
    with pytest.raises(KeyError):
        m.freeze(keys="bias", strict=True, recurse=False)


def test_train_eval():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.BatchNorm(2)))
    assert m.training and all(mod.training for mod in m.modules())
    assert m.eval() is m
    assert not m.training and not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    m.train(False)
    assert not m.layers[2].layers[0].training


def test_load_save_weights(tmp_path):
    m = Custom()
    path = str(tmp_path / "w.npz")
    m.save_weights(path)
    m2 = Custom()
    m2.load_weights(path)
    for (k, a), (k2, b) in zip(tree_flatten(m.parameters()), tree_flatten(m2.parameters())):
        assert k == k2
        np.testing.assert_array_equal(np.array(a), np.array(b))
    x = mx.array(rand(5, 3))
    np.testing.assert_array_equal(np.array(m(x)), np.array(m2(x)))
    # Strict loading checks names and shapes; non-strict loads what it gets.
    with pytest.raises(ValueError, match="Missing"):
        m2.load_weights([("norm.weight", mx.ones((2,)))])
    with pytest.raises(ValueError, match="not in model"):
        m2.load_weights(list(tree_flatten(m.parameters())) + [("bogus", mx.ones((1,)))])
    bad = [(k, mx.zeros((1,)) if k == "norm.bias" else v) for k, v in tree_flatten(m.parameters())]
    with pytest.raises(ValueError, match="shape"):
        m2.load_weights(bad)
    w = mx.array(rand(2))
    m2.load_weights([("norm.weight", w)], strict=False)
    assert m2.norm.weight is w
    m.save_weights(str(tmp_path / "w.safetensors"))
    m3 = Custom()
    m3.load_weights(str(tmp_path / "w.safetensors"))
    np.testing.assert_array_equal(np.array(m(x)), np.array(m3(x)))
    with pytest.raises(ValueError, match="extension"):
        m3.save_weights(str(tmp_path / "w.bin"))


@needs_mlx
def test_npz_interchange_with_mlx(tmp_path):
    """Weights saved by MLX load into Tandem and back."""
    ref = nn2.Sequential(nn2.Linear(3, 4), nn2.ReLU(), nn2.Linear(4, 2))
    mine = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    ref.save_weights(str(tmp_path / "a.npz"))
    mine.load_weights(str(tmp_path / "a.npz"))
    x = rand(6, 3)
    np.testing.assert_allclose(
        to_np(mine(mx.array(x))), to_np(ref(mx2.array(x))), rtol=1e-5, atol=1e-6
    )
    mine.layers[0].weight = mx.array(rand(4, 3))
    mine.save_weights(str(tmp_path / "b.npz"))
    ref.load_weights(str(tmp_path / "b.npz"))
    np.testing.assert_allclose(
        to_np(mine(mx.array(x))), to_np(ref(mx2.array(x))), rtol=1e-5, atol=1e-6
    )


def test_initialisation_ranges():
    lin = nn.Linear(16, 300)
    w = np.array(lin.weight)
    bound = 1 / math.sqrt(16)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(np.array(lin.bias)).max() <= bound
    emb = np.array(nn.Embedding(500, 16).weight)
    assert abs(emb.std() - 1 / math.sqrt(16)) < 0.02
    lstm = nn.LSTM(3, 25)
    assert np.abs(np.array(lstm.Wx)).max() <= 1 / math.sqrt(25)


# ---------------------------------------------------------------- gradients and training


def _mlp():
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))


def test_value_and_grad_finite_differences():
    mx.random.seed(1)
    model = _mlp()
    x, y = mx.array(rand(8, 3)), mx.array(rand(8, 2))

    def loss_fn(x, y):
        return ((model(x) - y) ** 2).mean()

    originals = model.trainable_parameters()
    loss, grads = nn.value_and_grad(model, loss_fn)(x, y)
    # Afterwards the model holds its original arrays.
    for (_, a), (_, b) in zip(tree_flatten(originals), tree_flatten(model.parameters())):
        assert a is b
    flat_params = dict(tree_flatten(model.parameters()))
    assert [k for k, _ in tree_flatten(grads)] == list(flat_params)
    eps = 1e-2
    for name, g in tree_flatten(grads):
        p = np.array(flat_params[name]).astype(np.float64)
        g = np.array(g)
        for idx in list(np.ndindex(p.shape))[:4]:
            vals = []
            for sign in (1, -1):
                q = p.copy()
                q[idx] += sign * eps
                model.load_weights([(name, mx.array(q.astype(np.float32)))], strict=False)
                vals.append(loss_fn(x, y).item())
            model.load_weights([(name, mx.array(p.astype(np.float32)))], strict=False)
            fd = (vals[0] - vals[1]) / (2 * eps)
            assert abs(fd - g[idx]) < 2e-3 + 2e-2 * abs(fd), (name, idx, fd, g[idx])
    assert abs(loss.item() - loss_fn(x, y).item()) < 1e-6


def test_value_and_grad_skips_frozen():
    model = _mlp()
    model.layers[0].freeze()
    x = mx.array(rand(4, 3))
    _, grads = nn.value_and_grad(model, lambda x: model(x).sum())(x)
    assert [k for k, _ in tree_flatten(grads)] == ["layers.2.weight", "layers.2.bias"]
    assert nn.utils.average_gradients(grads) is grads


def test_checkpoint_gradients_match():
    model = _mlp()
    x = mx.array(rand(4, 3))

    def grads(fn):
        def loss(params):
            model.update(params)
            return (fn(x) ** 2).sum()

        return mx.grad(loss)(model.trainable_parameters())

    plain = grads(model)
    ckpt = grads(nn.checkpoint(model))
    for (k, a), (_, b) in zip(tree_flatten(plain), tree_flatten(ckpt)):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6, err_msg=k)


def test_training_decreases_loss():
    mx.random.seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.GELU(), nn.LayerNorm(16), nn.Linear(16, 1))
    x = mx.array(rand(64, 4))
    y = mx.array(np.sin(np.array(x).sum(axis=1, keepdims=True)))

    def loss_fn(x, y):
        return ((model(x) - y) ** 2).mean()

    step = nn.value_and_grad(model, loss_fn)
    losses = []
    for _ in range(30):
        loss, grads = step(x, y)
        model.update({k: v for k, v in _tree_sub(model.trainable_parameters(), grads, 0.1).items()})
        mx.eval(model.parameters())
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def _tree_sub(params, grads, lr):
    from tandem.utils import tree_map

    return tree_map(lambda p, g: p - lr * g, params, grads)


GRAD_CASES = [
    ("mlp", lambda lib: lib.Sequential(lib.Linear(6, 8), lib.GELU(), lib.Linear(8, 6)), (2, 5, 6)),
    ("norms", lambda lib: lib.Sequential(lib.LayerNorm(6), lib.RMSNorm(6), lib.GroupNorm(2, 6)), (2, 5, 6)),
    ("batchnorm", lambda lib: lib.BatchNorm(6), (4, 5, 6)),
    ("encoder", lambda lib: lib.TransformerEncoder(1, 6, 2, mlp_dims=12), (2, 5, 6)),
    ("lstm", lambda lib: lib.LSTM(6, 4), (2, 5, 6)),
    ("gru", lambda lib: lib.GRU(6, 4), (2, 5, 6)),
    ("rnn", lambda lib: lib.RNN(6, 4), (2, 5, 6)),
    ("bilinear_self", lambda lib: lib.Bilinear(6, 6, 3), (2, 5, 6)),
    ("pool_upsample", lambda lib: lib.Sequential(lib.Linear(6, 6), lib.MaxPool1d(2), lib.AvgPool1d(2, 1), lib.Upsample(2, mode="linear")), (2, 8, 6)),
]  # fmt: skip


@needs_mlx
@pytest.mark.parametrize("name,make,shape", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradients_match_mlx(name, make, shape):
    """nn.value_and_grad through each layer agrees with MLX's."""
    ref, mine = make(nn2), make(nn)
    copy_weights(ref, mine)
    x = rand(*shape)

    def loss_of(model, lib):
        def loss(x):
            if name == "bilinear_self":
                y = model(x, x)
            elif name == "encoder":
                y = model(x, None)
            else:
                y = model(x)
            if isinstance(y, tuple):
                y = y[0] + y[1]
            return lib.mean(lib.square(y - 0.3)) + lib.mean(lib.sin(3 * y))

        return loss

    for model in (ref, mine):
        model.train()
    v2, g2 = nn2.value_and_grad(ref, loss_of(ref, mx2))(mx2.array(x))
    v1, g1 = nn.value_and_grad(mine, loss_of(mine, mx))(mx.array(x))
    assert abs(v1.item() - v2.item()) <= 1e-4 * max(1.0, abs(v2.item()))
    expect = dict(tree_flatten2(g2))
    got = dict(tree_flatten(g1))
    assert set(got) == set(expect)
    for k in expect:
        np.testing.assert_allclose(to_np(got[k]), to_np(expect[k]), rtol=1e-3, atol=1e-5, err_msg=k)
