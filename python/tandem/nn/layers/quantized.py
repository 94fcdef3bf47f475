"""Quantized layers and ``quantize`` with the API of ``mlx.nn``.

The weight is stored as ``mx.quantize`` gives it (``weight`` packed uint32,
``scales``, ``biases``), under MLX's parameter names, so the weights of a
quantized MLX model load with ``load_weights`` / ``update``. The parameters
start frozen, as in MLX.
"""

import math
from typing import Callable, Optional, Union

import tandem.core as mx
from tandem.nn.layers.base import Module
from tandem.utils import tree_map_with_path


def _defaults(mode: str, group_size: Optional[int], bits: Optional[int]):
    """MLX's defaults per mode (affine: group 64, 4 bits)."""
    table = {"affine": (64, 4), "mxfp4": (32, 4), "mxfp8": (32, 8), "nvfp4": (16, 4)}
    g, b = table.get(mode, (64, 4))
    return (g if group_size is None else group_size), (b if bits is None else bits)


class QuantizedLinear(Module):
    """``Linear`` with a quantized weight: ``y = quantized_matmul(x, W) + b``.

    Args:
        input_dims: the size of the input's last axis.
        output_dims: the size of the output's last axis.
        bias: whether to learn a bias (default True).
        group_size: how many consecutive weights share a scale (default: the
            mode's, 64 for "affine").
        bits: bits per quantized weight (default: the mode's, 4 for "affine").
        mode: the quantization format: "affine" (default), "mxfp4", "mxfp8" or
            "nvfp4".

    ``layer(x)`` maps (..., input_dims) to (..., output_dims).
    """

    def __init__(
        self,
        input_dims: int,
        output_dims: int,
        bias: bool = True,
        group_size: int = None,
        bits: int = None,
        mode: str = "affine",
    ):
        super().__init__()
        self.group_size, self.bits = _defaults(mode, group_size, bits)
        self.mode = mode
        scale = math.sqrt(1 / input_dims)
        weight = mx.random.uniform(low=-scale, high=scale, shape=(output_dims, input_dims))
        self.weight, self.scales, *rest = mx.quantize(weight, self.group_size, self.bits, mode=mode)
        if rest:
            self.biases = rest[0]
        if bias:
            self.bias = mx.zeros((output_dims,))
        self.freeze()

    def _extra_repr(self):
        out_dims, in_dims = self.weight.shape
        in_dims = in_dims * 32 // self.bits
        return (
            f"input_dims={in_dims}, output_dims={out_dims}, bias={'bias' in self}, "
            f"group_size={self.group_size}, bits={self.bits}, mode={self.mode}"
        )

    def __call__(self, x):
        y = mx.quantized_matmul(
            x,
            self["weight"],
            scales=self["scales"],
            biases=self.get("biases"),
            transpose=True,
            group_size=self.group_size,
            bits=self.bits,
            mode=self.mode,
        )
        if "bias" in self:
            y = y + self["bias"]
        return y

    @classmethod
    def from_linear(
        cls, linear_layer: Module, group_size: int = None, bits: int = None, mode: str = "affine"
    ):
        """A ``QuantizedLinear`` holding ``linear_layer``'s weight (and bias) quantized."""
        output_dims, input_dims = linear_layer.weight.shape
        ql = cls(input_dims, output_dims, False, group_size, bits, mode=mode)
        ql.weight, ql.scales, *rest = mx.quantize(
            linear_layer.weight, ql.group_size, ql.bits, mode=mode
        )
        if rest:
            ql.biases = rest[0]
        if "bias" in linear_layer:
            ql.bias = linear_layer.bias
        ql.freeze()
        return ql


class QQLinear(Module):
    """A bias-free ``Linear`` whose input and weight are both quantized:
    ``y = mx.qqmm(x, W)``.

    In training mode (the default) the weight is kept in floating point and
    quantized on the fly at each call, so it takes gradients (straight
    through the quantizer); ``eval()`` stores it quantized (``weight`` packed
    uint32 and ``scales``), ``train()`` turns it back into floating point.

    Args:
        input_dims: the size of the input's last axis.
        output_dims: the size of the output's last axis.
        group_size: how many consecutive weights share a scale (default: the
            mode's, 16 for "nvfp4", 32 for "mxfp8").
        bits: bits per quantized weight (default: the mode's, 4 or 8).
        mode: "nvfp4" (default) or "mxfp8".
    """

    def __init__(
        self,
        input_dims: int,
        output_dims: int,
        group_size: int = None,
        bits: int = None,
        mode: str = "nvfp4",
    ):
        super().__init__()
        if mode not in ("nvfp4", "mxfp8"):
            raise ValueError(f"[QQLinear] mode must be 'nvfp4' or 'mxfp8'; got {mode!r}")
        self.group_size, self.bits = _defaults(mode, group_size, bits)
        self.mode = mode
        scale = math.sqrt(1 / input_dims)
        self.weight = mx.random.uniform(low=-scale, high=scale, shape=(output_dims, input_dims))

    @property
    def is_quantized(self) -> bool:
        """Whether the weight is stored quantized (eval mode)."""
        return "scales" in self

    def _extra_repr(self):
        out_dims, in_dims = self.weight.shape
        if self.is_quantized:
            in_dims = in_dims * 32 // self.bits
        return (
            f"input_dims={in_dims}, output_dims={out_dims}, group_size={self.group_size}, "
            f"bits={self.bits}, mode={self.mode}"
        )

    def _set_training_mode(self, mode: bool):
        super()._set_training_mode(mode)
        if mode and self.is_quantized:
            self.weight = mx.dequantize(
                self.weight, self.scales, group_size=self.group_size, bits=self.bits,
                mode=self.mode, dtype=mx.float32,
            )
            delattr(self, "scales")
        elif not mode and not self.is_quantized:
            self.weight, self.scales = mx.quantize(
                self.weight, self.group_size, self.bits, mode=self.mode
            )

    def __call__(self, x):
        return mx.qqmm(
            x, self["weight"], scales=self.get("scales"), group_size=self.group_size,
            bits=self.bits, mode=self.mode,
        )

    @classmethod
    def from_linear(
        cls, linear_layer: Module, group_size: int = None, bits: int = None, mode: str = "nvfp4"
    ):
        """A ``QQLinear`` with ``linear_layer``'s weight (it must have no bias)."""
        if "bias" in linear_layer:
            raise NotImplementedError("[QQLinear] has no bias term; the Linear layer has one")
        output_dims, input_dims = linear_layer.weight.shape
        layer = cls(input_dims, output_dims, group_size, bits, mode=mode)
        layer.weight = linear_layer.weight
        return layer


class QuantizedEmbedding(Module):
    """``Embedding`` with a quantized table; rows are dequantized as they are looked up.

    Args:
        num_embeddings: the number of rows (the vocabulary size).
        dims: the size of each embedding.
        group_size: how many consecutive weights share a scale (default: the
            mode's, 64 for "affine").
        bits: bits per quantized weight (default: the mode's, 4 for "affine").
        mode: the quantization format: "affine" (default), "mxfp4", "mxfp8" or
            "nvfp4".

    ``layer(ids)`` returns the rows of the integer ``ids``, shape
    ``ids.shape + (dims,)``.
    """

    def __init__(
        self,
        num_embeddings: int,
        dims: int,
        group_size: int = None,
        bits: int = None,
        mode: str = "affine",
    ):
        super().__init__()
        self.group_size, self.bits = _defaults(mode, group_size, bits)
        self.mode = mode
        scale = math.sqrt(1 / dims)
        weight = mx.random.normal(shape=(num_embeddings, dims), scale=scale)
        self.weight, self.scales, *rest = mx.quantize(weight, self.group_size, self.bits, mode=mode)
        if rest:
            self.biases = rest[0]
        self.num_embeddings = num_embeddings
        self.dims = dims
        self.freeze()

    def _extra_repr(self):
        return (
            f"{self.num_embeddings}, {self.dims}, group_size={self.group_size}, "
            f"bits={self.bits}, mode={self.mode}"
        )

    def __call__(self, x):
        biases = self.get("biases")
        return mx.dequantize(
            self["weight"][x],
            scales=self["scales"][x],
            biases=None if biases is None else biases[x],
            group_size=self.group_size,
            bits=self.bits,
            mode=self.mode,
        )

    def as_linear(self, x):
        """Use the table as a tied output projection: ``x @ dequantize(weight).T``."""
        return mx.quantized_matmul(
            x,
            self["weight"],
            scales=self["scales"],
            biases=self.get("biases"),
            transpose=True,
            group_size=self.group_size,
            bits=self.bits,
            mode=self.mode,
        )

    @classmethod
    def from_embedding(
        cls, embedding_layer: Module, group_size: int = None, bits: int = None, mode: str = "affine"
    ):
        """A ``QuantizedEmbedding`` holding ``embedding_layer``'s table quantized."""
        num_embeddings, dims = embedding_layer.weight.shape
        qe = cls(num_embeddings, dims, group_size, bits, mode=mode)
        qe.weight, qe.scales, *rest = mx.quantize(
            embedding_layer.weight, qe.group_size, qe.bits, mode=mode
        )
        if rest:
            qe.biases = rest[0]
        qe.freeze()
        return qe


def quantize(
    model: Module,
    group_size: int = None,
    bits: int = None,
    *,
    mode: str = "affine",
    quantize_input: bool = False,
    class_predicate: Optional[Callable[[str, Module], Union[bool, dict]]] = None,
):
    """Replace, in place, the submodules that have ``to_quantized`` (and pass
    ``class_predicate``) by their quantized versions.

    Args:
        model: the module whose submodules are quantized.
        group_size: how many consecutive weights share a scale (default: the mode's).
        bits: bits per quantized weight (default: the mode's).
        mode: the quantization format: "affine" (default), "mxfp4", "mxfp8" or "nvfp4".
        quantize_input: quantize the layers' inputs too; not supported yet
            (True raises ValueError).
        class_predicate: ``class_predicate(path, module)`` says whether to
            quantize a submodule; it may return a dict of ``to_quantized``
            arguments for that one. By default every submodule with
            ``to_quantized`` is quantized.
    """
    if quantize_input:
        raise ValueError("[quantize] quantize_input=True needs mode 'nvfp4' or 'mxfp8', not here yet.")
    class_predicate = class_predicate or (lambda _, m: hasattr(m, "to_quantized"))

    def maybe_quantize(path, m):
        if not hasattr(m, "to_quantized"):
            return m
        wanted = class_predicate(path, m)
        if wanted is False or wanted is None:
            return m
        if isinstance(wanted, dict):
            return m.to_quantized(**wanted)
        return m.to_quantized(group_size=group_size, bits=bits, mode=mode)

    leaves = model.leaf_modules()
    leaves = tree_map_with_path(maybe_quantize, leaves, is_leaf=Module.is_module)
    model.update_modules(leaves)
