"""Upsample: nearest, (multi)linear or (multi)cubic resizing of the spatial axes of (N, *spatial, C)."""

from typing import Tuple, Union

import tandem.core as mx
from tandem.nn.layers.base import Module


def _nearest(x, axis, scale):
    # Output i takes input floor(i / scale): MLX's choice for integer scales
    # (and downsampling by 1/k); for other scales MLX picks some neighbours
    # differently.
    n = x.shape[axis]
    m = int(n * scale)
    idx = mx.floor(mx.arange(m, dtype=mx.float32) / scale).astype(mx.int32)
    return mx.take(x, mx.minimum(idx, n - 1), axis=axis)


def _linear(x, axis, scale, align_corners):
    n = x.shape[axis]
    m = int(n * scale)
    src = _source_positions(n, m, scale, align_corners)
    src = mx.clip(src, 0, n - 1)
    lo = mx.floor(src)
    frac = src - lo
    lo = lo.astype(mx.int32)
    hi = mx.minimum(lo + 1, n - 1)
    shape = [1] * x.ndim
    shape[axis] = m
    frac = frac.reshape(shape).astype(x.dtype)
    a = mx.take(x, lo, axis=axis)
    b = mx.take(x, hi, axis=axis)
    return a + (b - a) * frac


def _source_positions(n, m, scale, align_corners):
    """Where each of the ``m`` outputs samples the ``n`` inputs (in input units)."""
    pos = mx.arange(m, dtype=mx.float32)
    if align_corners:
        return pos * ((n - 1) / (m - 1)) if m > 1 else pos * 0
    # Output samples 1/scale apart, centred on the input's span (a truncated
    # n * scale loses equal parts at both ends), sampled at pixel centres.
    return (pos + 0.5 - m / 2) / scale + n / 2 - 0.5


def _cubic_weight(t, a=-0.75):
    """Keys' cubic convolution kernel (a = -0.75, as MLX and PyTorch use)."""
    t = mx.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return mx.where(t <= 1, near, mx.where(t < 2, far, 0))


def _cubic(x, axis, scale, align_corners):
    n = x.shape[axis]
    m = int(n * scale)
    src = _source_positions(n, m, scale, align_corners)
    base = mx.floor(src)
    shape = [1] * x.ndim
    shape[axis] = m
    out = None
    for k in (-1, 0, 1, 2):
        tap = base + k
        w = _cubic_weight(src - tap).reshape(shape).astype(x.dtype)
        idx = mx.clip(tap, 0, n - 1).astype(mx.int32)
        term = mx.take(x, idx, axis=axis) * w
        out = term if out is None else out + term
    return out


class Upsample(Module):
    """Scale the spatial axes of (N, *spatial, C) inputs by ``scale_factor``.

    Args:
        scale_factor: one factor for every spatial axis or one per axis.
        mode: "nearest" (default), "linear" or "cubic", each applied along one
            axis after the other (so bilinear, bicubic, trilinear...).
        align_corners: with "linear" or "cubic", map the corner samples onto
            each other (default False).

    ``layer(x)`` returns the resized array.
    """

    def __init__(
        self,
        scale_factor: Union[float, Tuple],
        mode: str = "nearest",
        align_corners: bool = False,
    ):
        super().__init__()
        if mode not in ("nearest", "linear", "cubic"):
            raise ValueError(f"[Upsample] Got unsupported upsampling algorithm: {mode}")
        if isinstance(scale_factor, (list, tuple)):
            self.scale_factor = tuple(map(float, scale_factor))
        else:
            self.scale_factor = float(scale_factor)
        self.mode = mode
        self.align_corners = align_corners

    def _extra_repr(self):
        return f"scale_factor={self.scale_factor}, mode={self.mode!r}, align_corners={self.align_corners}"

    def __call__(self, x):
        dims = x.ndim - 2
        if dims <= 0:
            raise ValueError(
                f"[Upsample] The input should have at least 1 spatial dimension, got shape {x.shape}"
            )
        scales = self.scale_factor
        if isinstance(scales, tuple):
            if len(scales) != dims:
                raise ValueError(
                    f"[Upsample] One scale per spatial dimension is required: {len(scales)} for {dims}"
                )
        else:
            scales = (scales,) * dims
        for i, s in enumerate(scales):
            if self.mode == "nearest":
                x = _nearest(x, 1 + i, s)
            elif self.mode == "linear":
                x = _linear(x, 1 + i, s, self.align_corners)
            else:
                x = _cubic(x, 1 + i, s, self.align_corners)
        return x
