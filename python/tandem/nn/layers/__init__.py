"""The layers of tandem.nn."""

# ruff: noqa: F401  (re-exports)

from tandem.nn.layers.activations import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    HardShrink,
    Hardswish,
    HardTanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU2,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Step,
    Tanh,
    celu,
    elu,
    gelu,
    gelu_approx,
    gelu_fast_approx,
    glu,
    hard_shrink,
    hard_tanh,
    hardswish,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    mish,
    prelu,
    relu,
    relu2,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    step,
    tanh,
)
from tandem.nn.layers.base import Module
from tandem.nn.layers.containers import Sequential
from tandem.nn.layers.convolution import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from tandem.nn.layers.dropout import Dropout, Dropout2d, Dropout3d
from tandem.nn.layers.embedding import Embedding
from tandem.nn.layers.linear import Bilinear, Identity, Linear
from tandem.nn.layers.normalization import BatchNorm, GroupNorm, InstanceNorm, LayerNorm, RMSNorm
from tandem.nn.layers.pooling import (
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from tandem.nn.layers.positional_encoding import ALiBi, RoPE, SinusoidalPositionalEncoding
from tandem.nn.layers.quantized import QuantizedEmbedding, QuantizedLinear, quantize
from tandem.nn.layers.recurrent import GRU, LSTM, RNN
from tandem.nn.layers.transformer import (
    MultiHeadAttention,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from tandem.nn.layers.upsample import Upsample
