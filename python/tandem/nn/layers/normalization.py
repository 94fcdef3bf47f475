"""Normalization layers. Channels are the last axis, as in MLX."""

import tandem.core as mx
from tandem.nn.layers.base import Module


def _normalize(x, axes, eps):
    mean = mx.mean(x, axis=axes, keepdims=True)
    var = mx.var(x, axis=axes, keepdims=True)
    return (x - mean) * mx.rsqrt(var + eps)


class LayerNorm(Module):
    """Normalizes over the last axis, then scales by ``weight`` and shifts by ``bias``.

    Args:
        dims: the size of the last axis (of ``weight`` and ``bias``).
        eps: added to the variance for stability (default 1e-5).
        affine: learn ``weight`` (initialized to ones) and ``bias`` (default True).
        bias: with ``affine``, whether to learn ``bias`` too (default True).

    ``layer(x)`` returns an array of ``x``'s shape.
    """

    def __init__(self, dims: int, eps: float = 1e-5, affine: bool = True, bias: bool = True):
        super().__init__()
        if affine:
            self.weight = mx.ones((dims,))
            if bias:
                self.bias = mx.zeros((dims,))
        self.eps = eps
        self.dims = dims

    def _extra_repr(self):
        return f"{self.dims}, eps={self.eps}, affine={'weight' in self}"

    def __call__(self, x):
        return mx.fast.layer_norm(x, self.get("weight"), self.get("bias"), self.eps)


class RMSNorm(Module):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the last axis.

    Args:
        dims: the size of the last axis (of the learnt ``weight``, initialized to ones).
        eps: added to the mean square for stability (default 1e-5).

    ``layer(x)`` returns an array of ``x``'s shape.
    """

    def __init__(self, dims: int, eps: float = 1e-5):
        super().__init__()
        self.weight = mx.ones((dims,))
        self.eps = eps

    def _extra_repr(self):
        return f"{self.weight.shape[0]}, eps={self.eps}"

    def __call__(self, x):
        return mx.fast.rms_norm(x, self.get("weight"), self.eps)


class GroupNorm(Module):
    """Normalizes groups of channels over the spatial axes of (N, ..., C) inputs.

    By default channel c is in group ``c % num_groups`` (MLX's grouping);
    ``pytorch_compatible`` groups consecutive channels instead.

    Args:
        num_groups: the number of groups; it divides ``dims``.
        dims: the number of channels C.
        eps: added to the variance for stability (default 1e-5).
        affine: learn a per-channel ``weight`` and ``bias`` (default True).
        pytorch_compatible: group consecutive channels (default False).

    ``layer(x)`` returns an array of ``x``'s shape.
    """

    def __init__(
        self,
        num_groups: int,
        dims: int,
        eps: float = 1e-5,
        affine: bool = True,
        pytorch_compatible: bool = False,
    ):
        super().__init__()
        if affine:
            self.bias = mx.zeros((dims,))
            self.weight = mx.ones((dims,))
        self.num_groups = num_groups
        self.dims = dims
        self.eps = eps
        self.pytorch_compatible = pytorch_compatible

    def _extra_repr(self):
        return (
            f"{self.num_groups}, {self.dims}, eps={self.eps}, "
            f"affine={'weight' in self}, pytorch_compatible={self.pytorch_compatible}"
        )

    def __call__(self, x):
        shape = x.shape
        batch, dims, g = shape[0], shape[-1], self.num_groups
        if self.pytorch_compatible:
            y = x.reshape(batch, -1, g, dims // g)
            y = _normalize(y, (1, 3), self.eps)
        else:
            y = x.reshape(batch, -1, g)
            y = _normalize(y, 1, self.eps)
        y = y.reshape(shape)
        if "weight" in self:
            y = y * self.weight + self.bias
        return y


class InstanceNorm(Module):
    """Normalizes each channel of each sample over the spatial axes of (N, ..., C) inputs.

    Args:
        dims: the number of channels C.
        eps: added to the variance for stability (default 1e-5).
        affine: learn a per-channel ``weight`` and ``bias`` (default False).

    ``layer(x)`` returns an array of ``x``'s shape.
    """

    def __init__(self, dims: int, eps: float = 1e-5, affine: bool = False):
        super().__init__()
        if affine:
            self.weight = mx.ones((dims,))
            self.bias = mx.zeros((dims,))
        self.dims = dims
        self.eps = eps

    def _extra_repr(self):
        return f"{self.dims}, eps={self.eps}, affine={'weight' in self}"

    def __call__(self, x):
        y = _normalize(x, tuple(range(1, x.ndim - 1)), self.eps)
        if "weight" in self:
            y = y * self.weight + self.bias
        return y


class BatchNorm(Module):
    """Normalizes each channel over the batch (and spatial) axes of (N, C) ... (N, H, W, C).

    In training mode it uses the batch statistics and, with
    ``track_running_stats``, updates ``running_mean``/``running_var`` (frozen
    parameters); in eval mode it uses the running statistics.

    Args:
        num_features: the number of channels C.
        eps: added to the variance for stability (default 1e-5).
        momentum: the weight of the new batch in the running statistics (default 0.1).
        affine: learn a per-channel ``weight`` and ``bias`` (default True).
        track_running_stats: keep running statistics for eval mode (default True).

    ``layer(x)`` returns an array of ``x``'s shape.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = mx.ones((num_features,))
            self.bias = mx.zeros((num_features,))
        if track_running_stats:
            self.running_mean = mx.zeros((num_features,))
            self.running_var = mx.ones((num_features,))
            self.freeze(keys=["running_mean", "running_var"], recurse=False)

    def unfreeze(self, *args, **kwargs):
        """Like ``Module.unfreeze``, but the running mean and variance stay
        frozen: they are statistics, never trained.

        Returns:
            This module.
        """
        # The running statistics are state, never trained.
        super().unfreeze(*args, **kwargs)
        self.freeze(keys=["running_mean", "running_var"], recurse=False, strict=False)
        return self

    def _extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={'weight' in self}, track_running_stats={self.track_running_stats}"
        )

    def __call__(self, x):
        if x.ndim < 2 or x.ndim > 4:
            raise ValueError(
                f"Expected input tensor to have 2, 3 or 4 dimensions, but got {x.ndim}"
            )
        axes = tuple(range(x.ndim - 1))
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            mean = mx.mean(x, axis=axes)
            var = mx.var(x, axis=axes)
            if self.track_running_stats and self.training:
                m = self.momentum
                self.running_mean = (1 - m) * self.running_mean + m * mean
                # The running variance is the unbiased estimate.
                n = x.size // x.shape[-1]
                self.running_var = (1 - m) * self.running_var + m * var * (n / max(n - 1, 1))
        else:
            mean, var = self.running_mean, self.running_var
        y = (x - mean) * mx.rsqrt(var + self.eps)
        if "weight" in self:
            y = y * self.weight + self.bias
        return y
