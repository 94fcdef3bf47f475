"""Max and average pooling over the spatial axes of (N, *spatial, C) inputs.

Windows are built with ``as_strided`` (a view of each window's elements as
extra axes) and then reduced.
"""

import math
from typing import Optional, Tuple, Union

import tandem.core as mx
from tandem.nn.layers.base import Module


def _tuple(value, n: int, name: str) -> Tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value}")
    return value


def _windows(x, kernel, stride):
    """(N, *out, *kernel, C): each output position's window."""
    n = len(kernel)
    shape = x.shape
    spatial = shape[1:-1]
    out = [(s - k) // st + 1 for s, k, st in zip(spatial, kernel, stride)]
    if any(o <= 0 for o in out):
        raise ValueError(f"Pooling window {kernel} does not fit the input of shape {shape}")
    # Element strides of the contiguous input.
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    sp = strides[1 : 1 + n]
    view_shape = [shape[0], *out, *kernel, shape[-1]]
    view_strides = [strides[0], *[s * st for s, st in zip(sp, stride)], *sp, strides[-1]]
    return mx.as_strided(mx.contiguous(x), view_shape, view_strides)


class _Pool(Module):
    _dims = 1

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        n = self._dims
        self.kernel_size = _tuple(kernel_size, n, "kernel_size")
        self.stride = _tuple(stride, n, "stride") if stride is not None else self.kernel_size
        self.padding = _tuple(padding, n, "padding")

    def _extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def __call__(self, x):
        n = self._dims
        if x.ndim != n + 2:
            raise ValueError(
                f"{type(self).__name__} expects {n + 2}-D input (N, ..., C), got {x.ndim}-D"
            )
        if any(self.padding):
            widths = [(0, 0)] + [(p, p) for p in self.padding] + [(0, 0)]
            x = mx.pad(x, widths, constant_values=self._pad_value(x))
        w = _windows(x, self.kernel_size, self.stride)
        axes = tuple(range(1 + n, 1 + 2 * n))
        return self._reduce(w, axes)


class _MaxPool(_Pool):
    def _pad_value(self, x):
        if mx.issubdtype(x.dtype, mx.inexact):
            return -math.inf
        return mx.iinfo(x.dtype).min

    def _reduce(self, w, axes):
        return mx.max(w, axis=axes)


class _AvgPool(_Pool):
    def _pad_value(self, x):
        return 0

    def _reduce(self, w, axes):
        return mx.mean(w, axis=axes)


IntOrTuple = Union[int, Tuple[int, ...]]


def _make(base, name, dims, what):
    doc = (
        f"{what} pooling over (N, {'...' if dims > 1 else 'L'}, C) inputs with {dims} spatial axes."
        "\n\n    Args:\n"
        "        kernel_size: the window size, an int for every spatial axis or one per axis.\n"
        "        stride: the step between windows, an int or one per axis (default: the\n"
        "            window size, so windows do not overlap).\n"
        "        padding: how much each spatial axis is padded on both sides (default 0);\n"
        "            padded positions never win a max and count as zeros in an average.\n\n"
        f"    Calling the layer on an input of {dims + 2} dimensions returns the pooled\n"
        "    array, of shape (N, *spatial_out, C).\n"
    )

    def __init__(
        self, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None, padding: IntOrTuple = 0
    ):
        base.__init__(self, kernel_size, stride, padding)

    return type(
        name, (base,), {"_dims": dims, "__init__": __init__, "__doc__": doc, "__module__": __name__}
    )


MaxPool1d = _make(_MaxPool, "MaxPool1d", 1, "Max")
MaxPool2d = _make(_MaxPool, "MaxPool2d", 2, "Max")
MaxPool3d = _make(_MaxPool, "MaxPool3d", 3, "Max")
AvgPool1d = _make(_AvgPool, "AvgPool1d", 1, "Average")
AvgPool2d = _make(_AvgPool, "AvgPool2d", 2, "Average")
AvgPool3d = _make(_AvgPool, "AvgPool3d", 3, "Average")
