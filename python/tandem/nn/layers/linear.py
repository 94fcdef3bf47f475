"""Identity, Linear and Bilinear layers."""

import math

import tandem.core as mx
from tandem.nn.layers.base import Module


class Identity(Module):
    """A layer that returns its input unchanged.

    Args:
        *args: ignored, so it can stand in for any layer.
        **kwargs: ignored too.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def __call__(self, x):
        return x


class Linear(Module):
    """``y = x W^T + b``; W and b drawn uniformly from ±1/sqrt(input_dims).

    Args:
        input_dims: the size of the input's last axis.
        output_dims: the size of the output's last axis.
        bias: whether to learn the bias ``b`` (default True).

    ``layer(x)`` maps ``x`` of shape (..., input_dims) to (..., output_dims).
    """

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True):
        super().__init__()
        scale = math.sqrt(1.0 / input_dims)
        self.weight = mx.random.uniform(low=-scale, high=scale, shape=(output_dims, input_dims))
        if bias:
            self.bias = mx.random.uniform(low=-scale, high=scale, shape=(output_dims,))

    def _extra_repr(self):
        out, inp = self.weight.shape
        return f"input_dims={inp}, output_dims={out}, bias={'bias' in self}"

    def __call__(self, x):
        if "bias" in self:
            return mx.addmm(self["bias"], x, self["weight"].T)
        return x @ self["weight"].T

    def to_quantized(
        self,
        group_size: int = None,
        bits: int = None,
        mode: str = "affine",
        quantize_input: bool = False,
    ):
        """This layer as a ``QuantizedLinear`` (what ``nn.quantize`` calls)."""
        from tandem.nn.layers.quantized import QuantizedLinear

        if quantize_input:
            raise ValueError("[quantize] quantize_input=True is not supported yet.")
        return QuantizedLinear.from_linear(self, group_size, bits, mode)


class Bilinear(Module):
    """``y[o] = x1 W[o] x2 + b[o]``; W is (output, input2, input1), init ±1/sqrt(input1_dims).

    Args:
        input1_dims: the size of the first input's last axis.
        input2_dims: the size of the second input's last axis.
        output_dims: the size of the output's last axis.
        bias: whether to learn the bias ``b`` (default True).

    ``layer(x1, x2)`` takes (..., input1_dims) and (..., input2_dims) and
    returns (..., output_dims).
    """

    def __init__(self, input1_dims: int, input2_dims: int, output_dims: int, bias: bool = True):
        super().__init__()
        scale = math.sqrt(1.0 / input1_dims)
        self.weight = mx.random.uniform(
            low=-scale, high=scale, shape=(output_dims, input2_dims, input1_dims)
        )
        if bias:
            self.bias = mx.random.uniform(low=-scale, high=scale, shape=(output_dims,))

    def _extra_repr(self):
        out, in2, in1 = self.weight.shape
        return f"input1_dims={in1}, input2_dims={in2}, output_dims={out}, bias={'bias' in self}"

    def __call__(self, x1, x2):
        out, in2, in1 = self.weight.shape
        lead = x1.shape[:-1]
        a = x1.reshape(-1, in1)
        b = x2.reshape(-1, in2)
        # (N, in1) @ (in1, out*in2) then contract in2 against x2.
        y = (a @ self.weight.reshape(out * in2, in1).T).reshape(-1, out, in2)
        y = (y @ mx.expand_dims(b, -1)).squeeze(-1)
        if "bias" in self:
            y = y + self.bias
        return y.reshape(*lead, out)
