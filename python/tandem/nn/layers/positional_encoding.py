"""Positional encodings: RoPE, ALiBi and sinusoidal."""

import math
from typing import Optional

import tandem.core as mx
from tandem.nn.layers.base import Module


class RoPE(Module):
    """Rotary positional encoding of the first ``dims`` features of (..., L, D) inputs.

    Position ``p`` (``offset + index along axis -2``, times ``scale``) rotates
    feature pair ``i`` by ``p * base**(-2i/dims)``. Pairs are the two halves of
    the rotated features, or adjacent features when ``traditional``.

    Args:
        dims: how many leading features are rotated (even).
        traditional: pair adjacent features instead of the two halves (default False).
        base: the base of the rotation frequencies (default 10000).
        scale: multiplies the positions (default 1).

    ``layer(x, offset=0)`` returns an array of ``x``'s shape.
    """

    def __init__(
        self, dims: int, traditional: bool = False, base: float = 10000, scale: float = 1.0
    ):
        super().__init__()
        self.dims = dims
        self.traditional = traditional
        self.base = base
        self.scale = scale

    def _extra_repr(self):
        return f"{self.dims}, traditional={self.traditional}"

    def __call__(self, x, offset: int = 0):
        return mx.fast.rope(
            x,
            self.dims,
            traditional=self.traditional,
            base=self.base,
            scale=self.scale,
            offset=offset,
        )


class ALiBi(Module):
    """Adds head-specific linear distance penalties to (B, H, L, S) attention scores."""

    @staticmethod
    def create_alibi_slope(num_heads):
        """The per-head slopes of ALiBi: a geometric sequence from ``2**(-8/num_heads)``
        down to ``2**-8``.

        Args:
            num_heads: the number of attention heads.

        Returns:
            A float32 array of shape (num_heads, 1, 1).
        """
        x = (2**8) ** (1.0 / num_heads)
        out = mx.power(x, -mx.arange(1, num_heads + 1, dtype=mx.float32))
        return out.reshape(num_heads, 1, 1)

    @staticmethod
    def create_alibi_matrix(
        q_sequence_length, k_sequence_length, num_heads, offset, dtype=mx.float32
    ):
        """The ALiBi bias: minus each head's slope times the distance between
        query and key positions.

        Args:
            q_sequence_length: the number of query positions plus ``offset``.
            k_sequence_length: the number of key positions.
            num_heads: the number of attention heads.
            offset: the position of the first query (for cached decoding).
            dtype: the dtype of the result (default float32).

        Returns:
            An array of shape (num_heads, q_sequence_length - offset, k_sequence_length).
        """
        q = mx.arange(offset, q_sequence_length, dtype=mx.float32)
        k = mx.arange(0, k_sequence_length, dtype=mx.float32)
        distance = -mx.abs(mx.expand_dims(q, 1) - mx.expand_dims(k, 0))
        slope = ALiBi.create_alibi_slope(num_heads)
        return (mx.expand_dims(distance, 0) * slope).astype(dtype)

    def __call__(self, attention_scores, offset: int = 0, mask=None):
        bias = self.create_alibi_matrix(
            q_sequence_length=attention_scores.shape[-2] + offset,
            k_sequence_length=attention_scores.shape[-1],
            num_heads=attention_scores.shape[-3],
            offset=offset,
            dtype=attention_scores.dtype,
        )
        if mask is not None:
            bias = bias + mask
        return attention_scores + bias


class SinusoidalPositionalEncoding(Module):
    """Maps each element of ``x`` to ``dims`` sines and cosines of geometric frequencies.

    Args:
        dims: the size of the encoding (half sines, half cosines).
        min_freq: the lowest frequency (default 1e-4).
        max_freq: the highest frequency (default 1).
        scale: multiplies the result (default ``sqrt(2 / dims)``).
        cos_first: put the cosines before the sines (default False).
        full_turns: multiply the frequencies by 2 pi (default False).

    ``layer(x)`` returns an array of shape ``x.shape + (dims,)``.
    """

    def __init__(
        self,
        dims: int,
        min_freq: float = 0.0001,
        max_freq: float = 1,
        scale: Optional[float] = None,
        cos_first: bool = False,
        full_turns: bool = False,
    ):
        super().__init__()
        half = dims // 2
        one_zero = 1 - mx.arange(0, half, dtype=mx.float32) / (half - 1)
        lo, hi = math.log(min_freq), math.log(max_freq)
        # Underscored: a constant, not a parameter.
        self._sigmas = mx.exp(one_zero * (hi - lo) + lo)
        if full_turns:
            self._sigmas = self._sigmas * (2 * math.pi)
        self.scale = scale or (2 / dims) ** 0.5
        self.cos_first = cos_first

    def __call__(self, x):
        y = mx.expand_dims(x, -1) * self._sigmas
        c, s = mx.cos(y), mx.sin(y)
        y = mx.concatenate([c, s] if self.cos_first else [s, c], axis=-1)
        if self.scale != 1:
            y = y * self.scale
        return y
