"""Multi-head attention and the Transformer encoder/decoder stacks."""

import math
from typing import Any, Callable, Optional

import tandem.core as mx
from tandem.nn.layers.activations import relu
from tandem.nn.layers.base import Module
from tandem.nn.layers.dropout import Dropout
from tandem.nn.layers.linear import Linear
from tandem.nn.layers.normalization import LayerNorm


def _attention(q, k, v, scale, mask):
    """softmax(q k^T * scale + mask) v over (B, H, L, D) arrays.

    A boolean mask keeps the True positions; any other mask is added.
    """
    scores = (q * scale) @ mx.swapaxes(k, -1, -2)
    if mask is not None:
        if mask.dtype == mx.bool_:
            scores = mx.where(mask, scores, mx.finfo(scores.dtype).min)
        else:
            scores = scores + mask
    weights = mx.softmax(scores.astype(mx.float32), axis=-1).astype(scores.dtype)
    return weights @ v


class MultiHeadAttention(Module):
    """Scaled dot-product attention over ``num_heads`` heads, with input/output projections.

    Args:
        dims: the size of the projected queries and keys; ``num_heads`` divides it.
        num_heads: the number of attention heads.
        query_input_dims: the queries' feature size (default ``dims``).
        key_input_dims: the keys' feature size (default ``dims``).
        value_input_dims: the values' feature size (default ``key_input_dims``).
        value_dims: the size of the projected values (default ``dims``).
        value_output_dims: the output's feature size (default ``dims``).
        bias: whether the four projections learn biases (default False).

    ``layer(queries, keys, values, mask=None)`` takes queries (B, L,
    query_input_dims) and keys and values (B, S, ...), and a mask (boolean,
    True where attention is allowed, or additive) broadcast to (B, heads, L,
    S); it returns (B, L, value_output_dims).
    """

    def __init__(
        self,
        dims: int,
        num_heads: int,
        query_input_dims: Optional[int] = None,
        key_input_dims: Optional[int] = None,
        value_input_dims: Optional[int] = None,
        value_dims: Optional[int] = None,
        value_output_dims: Optional[int] = None,
        bias: bool = False,
    ):
        super().__init__()
        if dims % num_heads != 0:
            raise ValueError(
                "The input feature dimensions should be divisible by the "
                f"number of heads ({dims} % {num_heads}) != 0"
            )
        query_input_dims = query_input_dims or dims
        key_input_dims = key_input_dims or dims
        value_input_dims = value_input_dims or key_input_dims
        value_dims = value_dims or dims
        value_output_dims = value_output_dims or dims
        self.num_heads = num_heads
        self.query_proj = Linear(query_input_dims, dims, bias=bias)
        self.key_proj = Linear(key_input_dims, dims, bias=bias)
        self.value_proj = Linear(value_input_dims, value_dims, bias=bias)
        self.out_proj = Linear(value_dims, value_output_dims, bias=bias)

    def __call__(self, queries, keys, values, mask=None):
        queries = self.query_proj(queries)
        keys = self.key_proj(keys)
        values = self.value_proj(values)
        h = self.num_heads
        b, lq, _ = queries.shape
        _, s, _ = keys.shape
        queries = queries.reshape(b, lq, h, -1).transpose(0, 2, 1, 3)
        keys = keys.reshape(b, s, h, -1).transpose(0, 2, 1, 3)
        values = values.reshape(b, s, h, -1).transpose(0, 2, 1, 3)
        scale = math.sqrt(1 / queries.shape[-1])
        out = _attention(queries, keys, values, scale, mask)
        out = out.transpose(0, 2, 1, 3).reshape(b, lq, -1)
        return self.out_proj(out)

    @staticmethod
    def create_additive_causal_mask(N: int, dtype=mx.float32):
        """(N, N) mask: 0 on and below the diagonal, the dtype's lowest value above."""
        idx = mx.arange(N)
        mask = mx.expand_dims(idx, 1) < mx.expand_dims(idx, 0)
        return mask.astype(dtype) * mx.finfo(dtype).min


class TransformerEncoderLayer(Module):
    """One Transformer encoder block: self-attention, then a two-layer
    feed-forward network, each with a residual connection and a LayerNorm.

    Args:
        dims: the model's feature size (the last axis of the input and output).
        num_heads: the number of attention heads; must divide ``dims``.
        mlp_dims: the hidden size of the feed-forward block (default ``4 * dims``).
        dropout: the dropout probability after attention and in the feed-forward
            block (default 0, no dropout).
        activation: the feed-forward block's activation (default ``relu``).
        norm_first: apply each LayerNorm before its block (pre-norm, the default)
            rather than after the residual sum (post-norm).

    Calling the layer as ``layer(x, mask)`` takes ``x`` of shape (B, L, dims)
    and an attention mask (boolean, True where attention is allowed, or
    additive, broadcast to (B, heads, L, L)) or None, and returns an array of
    ``x``'s shape.
    """

    def __init__(
        self,
        dims: int,
        num_heads: int,
        mlp_dims: Optional[int] = None,
        dropout: float = 0.0,
        activation: Callable[[Any], Any] = relu,
        norm_first: bool = True,
    ):
        super().__init__()
        mlp_dims = mlp_dims or dims * 4
        self.attention = MultiHeadAttention(dims, num_heads)
        self.ln1 = LayerNorm(dims)
        self.ln2 = LayerNorm(dims)
        self.linear1 = Linear(dims, mlp_dims)
        self.linear2 = Linear(mlp_dims, dims)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = activation
        self.norm_first = norm_first

    def _mlp(self, y):
        return self.linear2(self.dropout2(self.activation(self.linear1(y))))

    def __call__(self, x, mask):
        if self.norm_first:
            y = self.ln1(x)
            x = x + self.dropout1(self.attention(y, y, y, mask))
            return x + self._mlp(self.ln2(x))
        x = self.ln1(x + self.dropout1(self.attention(x, x, x, mask)))
        return self.ln2(x + self._mlp(x))


class _Stack(Module):
    """num_layers layers of one kind and a final LayerNorm."""

    layer_type = None

    def __init__(
        self,
        num_layers: int,
        dims: int,
        num_heads: int,
        mlp_dims: Optional[int] = None,
        dropout: float = 0.0,
        activation=relu,
        norm_first: bool = True,
        checkpoint: bool = False,
    ):
        super().__init__()
        self.layers = [
            self.layer_type(dims, num_heads, mlp_dims, dropout, activation, norm_first)
            for _ in range(num_layers)
        ]
        self.ln = LayerNorm(dims)
        self.checkpoint = checkpoint

    def _run(self, layer, *args):
        if self.checkpoint:
            from tandem.nn.utils import checkpoint

            return checkpoint(layer)(*args)
        return layer(*args)


class TransformerEncoder(_Stack):
    """A stack of ``num_layers`` ``TransformerEncoderLayer`` blocks followed by
    a final LayerNorm.

    Args:
        num_layers: how many layers are stacked.
        dims: the model's feature size.
        num_heads: the number of attention heads; must divide ``dims``.
        mlp_dims: the feed-forward hidden size (default ``4 * dims``).
        dropout: the dropout probability inside each layer (default 0).
        activation: the feed-forward activation (default ``relu``).
        norm_first: pre-norm (default) or post-norm layers.
        checkpoint: recompute each layer's activations in the backward pass
            instead of keeping them (``nn.utils.checkpoint``), trading compute
            for memory.

    ``encoder(x, mask)`` returns the encoded ``x``, of ``x``'s shape.
    """

    #: The class of each block of the stack.
    layer_type = TransformerEncoderLayer

    def __call__(self, x, mask):
        for layer in self.layers:
            x = self._run(layer, x, mask)
        return self.ln(x)


class TransformerDecoderLayer(Module):
    """One Transformer decoder block: self-attention over the targets,
    attention over the encoder's output (``memory``), then a two-layer
    feed-forward network, each with a residual connection and a LayerNorm.

    Args:
        dims: the model's feature size (the last axis of the input and output).
        num_heads: the number of attention heads; must divide ``dims``.
        mlp_dims: the hidden size of the feed-forward block (default ``4 * dims``).
        dropout: the dropout probability after attention and in the feed-forward
            block (default 0, no dropout).
        activation: the feed-forward block's activation (default ``relu``).
        norm_first: apply each LayerNorm before its block (pre-norm, the default)
            rather than after the residual sum (post-norm).

    Calling the layer as ``layer(x, memory, x_mask, memory_mask)`` takes the
    targets ``x`` (B, L, dims), the encoder output ``memory`` (B, S, dims) and
    the two attention masks (or None), and returns an array of ``x``'s shape.
    """

    def __init__(
        self,
        dims: int,
        num_heads: int,
        mlp_dims: Optional[int] = None,
        dropout: float = 0.0,
        activation: Callable[[Any], Any] = relu,
        norm_first: bool = True,
    ):
        super().__init__()
        mlp_dims = mlp_dims or dims * 4
        self.self_attention = MultiHeadAttention(dims, num_heads)
        self.cross_attention = MultiHeadAttention(dims, num_heads)
        self.ln1 = LayerNorm(dims)
        self.ln2 = LayerNorm(dims)
        self.ln3 = LayerNorm(dims)
        self.linear1 = Linear(dims, mlp_dims)
        self.linear2 = Linear(mlp_dims, dims)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = activation
        self.norm_first = norm_first

    def _mlp(self, y):
        return self.linear2(self.dropout3(self.activation(self.linear1(y))))

    def __call__(self, x, memory, x_mask, memory_mask):
        if self.norm_first:
            y = self.ln1(x)
            x = x + self.dropout1(self.self_attention(y, y, y, x_mask))
            y = self.ln2(x)
            x = x + self.dropout2(self.cross_attention(y, memory, memory, memory_mask))
            return x + self._mlp(self.ln3(x))
        x = self.ln1(x + self.dropout1(self.self_attention(x, x, x, x_mask)))
        x = self.ln2(x + self.dropout2(self.cross_attention(x, memory, memory, memory_mask)))
        return self.ln3(x + self._mlp(x))


class TransformerDecoder(_Stack):
    """A stack of ``num_layers`` ``TransformerDecoderLayer`` blocks followed by
    a final LayerNorm.

    Args:
        num_layers: how many layers are stacked.
        dims: the model's feature size.
        num_heads: the number of attention heads; must divide ``dims``.
        mlp_dims: the feed-forward hidden size (default ``4 * dims``).
        dropout: the dropout probability inside each layer (default 0).
        activation: the feed-forward activation (default ``relu``).
        norm_first: pre-norm (default) or post-norm layers.
        checkpoint: recompute each layer's activations in the backward pass
            instead of keeping them (``nn.utils.checkpoint``), trading compute
            for memory.

    ``decoder(x, memory, x_mask, memory_mask)`` returns the decoded targets,
    of ``x``'s shape.
    """

    #: The class of each block of the stack.
    layer_type = TransformerDecoderLayer

    def __call__(self, x, memory, x_mask, memory_mask):
        for layer in self.layers:
            x = self._run(layer, x, memory, x_mask, memory_mask)
        return self.ln(x)


class Transformer(Module):
    """Encoder-decoder Transformer.

    Args:
        dims: the model's feature size (default 512).
        num_heads: the number of attention heads (default 8).
        num_encoder_layers: the encoder's depth (default 6).
        num_decoder_layers: the decoder's depth (default 6).
        mlp_dims: the feed-forward hidden size (default ``4 * dims``).
        dropout: the dropout probability inside the layers (default 0).
        activation: the feed-forward activation (default ``relu``).
        custom_encoder: a module used instead of the encoder stack.
        custom_decoder: a module used instead of the decoder stack.
        norm_first: pre-norm (default) or post-norm layers.
        checkpoint: recompute the layers' activations in the backward pass.

    ``model(src, tgt, src_mask, tgt_mask, memory_mask)`` encodes ``src``
    (B, S, dims) and decodes ``tgt`` (B, L, dims) against it; it returns
    (B, L, dims).
    """

    def __init__(
        self,
        dims: int = 512,
        num_heads: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        mlp_dims: Optional[int] = None,
        dropout: float = 0.0,
        activation: Callable[[Any], Any] = relu,
        custom_encoder: Optional[Any] = None,
        custom_decoder: Optional[Any] = None,
        norm_first: bool = True,
        checkpoint: bool = False,
    ):
        super().__init__()
        self.encoder = custom_encoder or TransformerEncoder(
            num_encoder_layers,
            dims,
            num_heads,
            mlp_dims,
            dropout,
            activation,
            norm_first,
            checkpoint,
        )
        self.decoder = custom_decoder or TransformerDecoder(
            num_decoder_layers,
            dims,
            num_heads,
            mlp_dims,
            dropout,
            activation,
            norm_first,
            checkpoint,
        )

    def __call__(self, src, tgt, src_mask, tgt_mask, memory_mask):
        memory = self.encoder(src, src_mask)
        return self.decoder(tgt, memory, tgt_mask, memory_mask)
