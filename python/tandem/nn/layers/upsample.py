"""Upsample: nearest or (multi)linear resizing of the spatial axes of (N, *spatial, C)."""

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
    pos = mx.arange(m, dtype=mx.float32)
    if align_corners:
        src = pos * ((n - 1) / (m - 1)) if m > 1 else pos * 0
    else:
        # Output samples 1/scale apart, centred on the input's span (so a
        # non-integer n * scale that was truncated to m loses equal parts at
        # both ends), then sampled at pixel centres.
        src = (pos + 0.5 - m / 2) / scale + n / 2 - 0.5
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


class Upsample(Module):
    """Scale the spatial axes by ``scale_factor`` (one number or one per axis).

    ``mode`` is "nearest" or "linear" (linear along each axis, so bilinear,
    trilinear...); ``align_corners`` maps the corner samples onto each other.
    """

    def __init__(
        self,
        scale_factor: Union[float, Tuple],
        mode: str = "nearest",
        align_corners: bool = False,
    ):
        super().__init__()
        if mode not in ("nearest", "linear"):
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
            else:
                x = _linear(x, 1 + i, s, self.align_corners)
        return x
