"""Embedding: a lookup table of vectors."""

import math

import tandem.core as mx
from tandem.nn.layers.base import Module


class Embedding(Module):
    """Maps integer ids to rows of ``weight`` (num_embeddings, dims), init N(0, 1/dims).

    Args:
        num_embeddings: the number of rows (the vocabulary size).
        dims: the size of each embedding.

    ``layer(ids)`` returns the rows of the integer array ``ids``, of shape
    ``ids.shape + (dims,)``.
    """

    def __init__(self, num_embeddings: int, dims: int):
        super().__init__()
        scale = math.sqrt(1 / dims)
        self.weight = mx.random.normal(shape=(num_embeddings, dims), scale=scale)

    def _extra_repr(self):
        return f"{self.weight.shape[0]}, {self.weight.shape[1]}"

    def __call__(self, x):
        return mx.take(self.weight, x, axis=0)

    def as_linear(self, x):
        """Use the table as a tied output projection: ``x @ weight.T``."""
        return x @ self.weight.T

    def to_quantized(
        self,
        group_size: int = None,
        bits: int = None,
        mode: str = "affine",
        quantize_input: bool = False,
    ):
        """This layer as a ``QuantizedEmbedding`` (what ``nn.quantize`` calls)."""
        from tandem.nn.layers.quantized import QuantizedEmbedding

        if quantize_input:
            raise ValueError("[quantize] quantize_input is only supported for Linear layers.")
        return QuantizedEmbedding.from_embedding(self, group_size, bits, mode)
