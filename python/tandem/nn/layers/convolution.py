"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d, channels last
(inputs (N, ..., C_in)), with mlx.nn's arguments, initialisation and repr."""

import math

import tandem.core as mx
from tandem.nn.layers.base import Module


def _tuple(v, d):
    return (v,) * d if isinstance(v, int) else tuple(v)


class _Conv(Module):
    _dims = 0
    _transpose = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, output_padding=0):
        super().__init__()
        d = self._dims
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"The number of input channels ({in_channels}) and output channels "
                f"({out_channels}) must be divisible by groups ({groups})"
            )
        kernel = _tuple(kernel_size, d)
        if self._transpose:
            fan_in, shape = in_channels, (out_channels, *kernel, in_channels)
        else:
            fan_in = in_channels // groups
            shape = (out_channels, *kernel, in_channels // groups)
        scale = math.sqrt(1.0 / (fan_in * math.prod(kernel)))
        self.weight = mx.random.uniform(low=-scale, high=scale, shape=shape)
        if bias:
            self.bias = mx.zeros((out_channels,))
        # 1-d layers keep ints, as mlx.nn's do (their repr shows them).
        self.stride = stride if d == 1 else _tuple(stride, d)
        self.padding = padding if d == 1 else _tuple(padding, d)
        self.dilation = dilation
        self.groups = groups
        self.output_padding = output_padding if d == 1 else _tuple(output_padding, d)

    def _extra_repr(self):
        out_c, *kernel, in_c = self.weight.shape
        if not self._transpose:
            in_c *= self.groups
        k = kernel[0] if self._dims == 1 else tuple(kernel)
        s = (f"{in_c}, {out_c}, kernel_size={k}, stride={self.stride}, "
             f"padding={self.padding}, dilation={self.dilation}, ")
        if self._transpose:
            s += f"output_padding={self.output_padding}, "
        elif self._dims != 3:
            s += f"groups={self.groups}, "
        return s + f"bias={'bias' in self}"

    def __call__(self, x):
        d = self._dims
        if self._transpose:
            y = getattr(mx, f"conv_transpose{d}d")(
                x, self.weight, stride=self.stride, padding=self.padding,
                dilation=self.dilation, output_padding=self.output_padding)
        else:
            y = getattr(mx, f"conv{d}d")(
                x, self.weight, stride=self.stride, padding=self.padding,
                dilation=self.dilation, groups=self.groups)
        if "bias" in self:
            y = y + self.bias
        return y


class Conv1d(_Conv):
    """1-d convolution over (N, L, C_in) inputs; weight (C_out, K, C_in / groups)."""

    _dims = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias)


class Conv2d(_Conv):
    """2-d convolution over (N, H, W, C_in) inputs; weight (C_out, KH, KW, C_in / groups)."""

    _dims = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias)


class Conv3d(_Conv):
    """3-d convolution over (N, D, H, W, C_in) inputs; weight (C_out, KD, KH, KW, C_in / groups)."""

    _dims = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias)


class ConvTranspose1d(_Conv):
    """1-d transposed convolution over (N, L, C_in); weight (C_out, K, C_in)."""

    _dims = 1
    _transpose = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 output_padding=0, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 1,
                         bias, output_padding)


class ConvTranspose2d(_Conv):
    """2-d transposed convolution over (N, H, W, C_in); weight (C_out, KH, KW, C_in)."""

    _dims = 2
    _transpose = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 output_padding=0, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 1,
                         bias, output_padding)


class ConvTranspose3d(_Conv):
    """3-d transposed convolution over (N, D, H, W, C_in); weight (C_out, KD, KH, KW, C_in)."""

    _dims = 3
    _transpose = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 output_padding=0, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 1,
                         bias, output_padding)


_ARGS = """

    Args:
        in_channels: the number of input channels (the last axis of the input).
        out_channels: the number of output channels.
        kernel_size: the window size, an int for every spatial axis or one per axis.
        stride: the step between windows (default 1), an int or one per axis.
        padding: zeros added on both sides of each spatial axis (default 0).
        dilation: the spacing between the window's taps (default 1).
{extra}        bias: whether to learn a bias of ``out_channels`` (default True).

    The weight is drawn uniformly from ``[-s, s)`` with ``s = 1 / sqrt(fan_in)``
    (``fan_in`` the input channels per group times the window size). Calling
    the layer on an input returns an array of shape (N, *spatial_out,
    out_channels).
"""
_GROUPS = "        groups: split the channels into this many independent groups (default 1);\n            it divides both channel counts.\n"
_OUTPUT_PADDING = "        output_padding: extra size added on one side of each output axis (default 0).\n"
for _cls in (Conv1d, Conv2d, Conv3d):
    _cls.__doc__ = _cls.__doc__ + _ARGS.format(extra=_GROUPS)
for _cls in (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d):
    _cls.__doc__ = _cls.__doc__ + _ARGS.format(extra=_OUTPUT_PADDING)
