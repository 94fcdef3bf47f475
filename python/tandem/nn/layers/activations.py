"""Activation functions, as functions and as parameterless (or nearly) layers."""

import math

import tandem.core as mx
from tandem.nn.layers.base import Module

# -- functions --


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, elementwise.

    Args:
        x: input array.

    Returns:
        An array of ``x``'s shape with values in (0, 1).
    """
    return mx.sigmoid(x)


def tanh(x):
    """The hyperbolic tangent, elementwise.

    Args:
        x: input array.

    Returns:
        An array of ``x``'s shape with values in (-1, 1).
    """
    return mx.tanh(x)


def relu(x):
    """Rectified linear unit: ``max(x, 0)``, elementwise.

    Args:
        x: input array.

    Returns:
        ``x`` with its negative entries replaced by zero.
    """
    return mx.maximum(x, 0)


def relu2(x):
    """The square of ``relu``: ``max(x, 0) ** 2``, elementwise.

    Args:
        x: input array.

    Returns:
        An array of ``x``'s shape.
    """
    return mx.square(mx.maximum(x, 0))


def relu6(x):
    """ReLU clipped at 6: ``min(max(x, 0), 6)``, elementwise.

    Args:
        x: input array.

    Returns:
        ``x`` clamped to the range [0, 6].
    """
    return mx.minimum(mx.maximum(x, 0), 6.0)


def leaky_relu(x, negative_slope=0.01):
    """Leaky ReLU: ``x`` where positive, ``negative_slope * x`` elsewhere.

    Args:
        x: input array.
        negative_slope: the slope used for negative inputs (default 0.01).

    Returns:
        An array of ``x``'s shape.
    """
    return mx.maximum(negative_slope * x, x)


def log_softmax(x, axis=-1):
    """The logarithm of ``softmax``, computed as ``x - logsumexp(x)`` so it stays finite.

    Args:
        x: input array (logits).
        axis: the axis that is normalized (default the last).

    Returns:
        An array of ``x``'s shape whose exponentials sum to 1 along ``axis``.
    """
    return x - mx.logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=-1):
    """Softmax: ``exp(x)`` divided by its sum along ``axis``.

    Args:
        x: input array (logits).
        axis: the axis that is normalized (default the last).

    Returns:
        An array of ``x``'s shape, non-negative and summing to 1 along ``axis``.
    """
    return mx.softmax(x, axis=axis)


def softmin(x, axis=-1):
    """Softmin: the softmax of ``-x``, so that the smallest entries get the largest weight.

    Args:
        x: input array.
        axis: the axis that is normalized (default the last).

    Returns:
        An array of ``x``'s shape summing to 1 along ``axis``.
    """
    return mx.softmax(-x, axis=axis)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Args:
        x: input array.
        alpha: the scale of the negative branch, which tends to ``-alpha`` (default 1).

    Returns:
        An array of ``x``'s shape.
    """
    return mx.where(x > 0, x, alpha * (mx.exp(x) - 1))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)``.

    Args:
        x: input array.
        alpha: the scale of the negative branch (default 1); must not be 0.

    Returns:
        An array of ``x``'s shape.
    """
    return mx.maximum(x, 0.0) + alpha * (mx.exp(mx.minimum(x, 0.0) / alpha) - 1)


_SELU_ALPHA = 1.67326
_SELU_SCALE = 1.0507


def selu(x):
    """Scaled ELU: ``elu(x, 1.67326) * 1.0507``, the self-normalizing activation.

    Args:
        x: input array.

    Returns:
        An array of ``x``'s shape.
    """
    return elu(x, _SELU_ALPHA) * _SELU_SCALE


def softplus(x):
    """Softplus: ``log(1 + exp(x))``, a smooth ReLU, computed without overflow.

    Args:
        x: input array.

    Returns:
        A positive array of ``x``'s shape.
    """
    return mx.logaddexp(x, 0)


def softsign(x):
    """Softsign: ``x / (1 + |x|)``, elementwise.

    Args:
        x: input array.

    Returns:
        An array of ``x``'s shape with values in (-1, 1).
    """
    return mx.divide(x, 1 + mx.abs(x))


def softshrink(x, lambd: float = 0.5):
    """Soft shrinkage: moves ``x`` toward zero by ``lambd``, and sets entries with ``|x| <= lambd`` to zero.

    Args:
        x: input array.
        lambd: the threshold and shift (default 0.5), non-negative.

    Returns:
        An array of ``x``'s shape.
    """
    return mx.where(mx.abs(x) > lambd, x - mx.sign(x) * lambd, 0)


def hard_shrink(x, lambd=0.5):
    """Hard shrinkage: keeps the entries with ``|x| > lambd`` and zeroes the others.

    Args:
        x: input array.
        lambd: the threshold (default 0.5).

    Returns:
        An array of ``x``'s shape.
    """
    return mx.where(mx.abs(x) > lambd, x, 0)


def hard_tanh(x, min_val=-1.0, max_val=1.0):
    """Hard tanh: ``x`` clamped to ``[min_val, max_val]``.

    Args:
        x: input array.
        min_val: the lower bound (default -1).
        max_val: the upper bound (default 1).

    Returns:
        An array of ``x``'s shape.
    """
    return mx.minimum(mx.maximum(x, min_val), max_val)


def hardswish(x):
    """Hard swish: ``x * relu6(x + 3) / 6``, a piecewise-linear approximation of ``silu``.

    Args:
        x: input array.

    Returns:
        An array of ``x``'s shape.
    """
    return x * mx.minimum(mx.maximum(x + 3, 0), 6) / 6


def silu(x):
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``.

    Args:
        x: input array.

    Returns:
        An array of ``x``'s shape.
    """
    return x * mx.sigmoid(x)


def log_sigmoid(x):
    """The logarithm of ``sigmoid``, computed as ``-softplus(-x)`` so it stays finite for large negative ``x``.

    Args:
        x: input array.

    Returns:
        A non-positive array of ``x``'s shape.
    """
    return -softplus(-x)


def gelu(x):
    """Exact GELU: ``x * Phi(x)`` with Phi the standard normal CDF.

    Args:
        x: input array.

    Returns:
        An array of ``x``'s shape.
    """
    return x * (1 + mx.erf(x / math.sqrt(2))) / 2


def gelu_approx(x):
    """GELU through the tanh approximation
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``.

    Args:
        x: input array.

    Returns:
        An array of ``x``'s shape.
    """
    return 0.5 * x * (1 + mx.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def gelu_fast_approx(x):
    """GELU through ``x * sigmoid(1.702 x)``, the cheapest approximation.

    Args:
        x: input array.

    Returns:
        An array of ``x``'s shape.
    """
    return x * mx.sigmoid(1.702 * x)


def glu(x, axis: int = -1):
    """Gated linear unit: the first half of ``axis`` times sigmoid of the second.

    Args:
        x: input array.
        axis: the axis split in two halves; its size must be even (default the last).

    Returns:
        An array of ``x``'s shape with ``axis`` halved.
    """
    a, b = mx.split(x, indices_or_sections=2, axis=axis)
    return a * mx.sigmoid(b)


def step(x, threshold: float = 0.0):
    """Heaviside step: 1 where ``x >= threshold``, 0 elsewhere.

    Args:
        x: input array.
        threshold: the value at which the output switches to 1 (default 0).

    Returns:
        An integer array of ``x``'s shape holding 0s and 1s; its gradient is zero.
    """
    return mx.where(x >= threshold, 1, 0)


def prelu(x, alpha):
    """Parametric ReLU: ``x`` where positive, ``alpha * x`` elsewhere.

    Args:
        x: input array.
        alpha: the slope for negative inputs, an array broadcast against ``x``
            (usually one value per channel, the last axis).

    Returns:
        An array of the broadcast shape of ``x`` and ``alpha``.
    """
    return mx.maximum(0, x) + alpha * mx.minimum(0, x)


def mish(x):
    """Mish: ``x * tanh(softplus(x))``, a smooth self-gated activation.

    Args:
        x: input array.

    Returns:
        An array of ``x``'s shape.
    """
    return x * mx.tanh(softplus(x))


# -- layers --


def _layer(fn, name, doc):
    """A parameterless layer class applying ``fn``."""

    def __call__(self, x):
        return fn(x)

    doc += " The layer has no parameters; ``layer(x)`` returns an array of ``x``'s shape."
    return type(name, (Module,), {"__call__": __call__, "__doc__": doc, "__module__": __name__})


Sigmoid = _layer(sigmoid, "Sigmoid", "Applies ``sigmoid``.")
Tanh = _layer(tanh, "Tanh", "Applies ``tanh``.")
ReLU = _layer(relu, "ReLU", "Applies ``relu``.")
ReLU2 = _layer(relu2, "ReLU2", "Applies ``relu2``.")
ReLU6 = _layer(relu6, "ReLU6", "Applies ``relu6``.")
SELU = _layer(selu, "SELU", "Applies ``selu``.")
Softplus = _layer(softplus, "Softplus", "Applies ``softplus``.")
Softsign = _layer(softsign, "Softsign", "Applies ``softsign``.")
Hardswish = _layer(hardswish, "Hardswish", "Applies ``hardswish``.")
HardTanh = _layer(hard_tanh, "HardTanh", "Applies ``hard_tanh``.")
SiLU = _layer(silu, "SiLU", "Applies ``silu``.")
LogSigmoid = _layer(log_sigmoid, "LogSigmoid", "Applies ``log_sigmoid``.")
Mish = _layer(mish, "Mish", "Applies ``mish``.")
Softmax = _layer(softmax, "Softmax", "Applies ``softmax`` over the last axis.")
Softmin = _layer(softmin, "Softmin", "Applies ``softmin`` over the last axis.")
LogSoftmax = _layer(log_softmax, "LogSoftmax", "Applies ``log_softmax`` over the last axis.")


class LeakyReLU(Module):
    """Layer applying ``leaky_relu``.

    Args:
        negative_slope: the slope used for negative inputs (default 0.01).
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self._negative_slope = negative_slope

    def __call__(self, x):
        return leaky_relu(x, self._negative_slope)


class ELU(Module):
    """Layer applying ``elu``.

    Args:
        alpha: the scale of the negative branch (default 1).
    """

    def __init__(self, alpha=1.0):
        super().__init__()
        self._alpha = alpha

    def __call__(self, x):
        return elu(x, self._alpha)


class CELU(Module):
    """Layer applying ``celu``.

    Args:
        alpha: the scale of the negative branch (default 1).
    """

    def __init__(self, alpha=1.0):
        super().__init__()
        self._alpha = alpha

    def __call__(self, x):
        return celu(x, self._alpha)


class Softshrink(Module):
    """Layer applying ``softshrink``.

    Args:
        lambd: the threshold and shift toward zero (default 0.5).
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def __call__(self, x):
        return softshrink(x, self.lambd)


class HardShrink(Module):
    """Layer applying ``hard_shrink``.

    Args:
        lambd: the threshold below which entries become zero (default 0.5).
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def __call__(self, x):
        return hard_shrink(x, self.lambd)


class Step(Module):
    """Layer applying ``step``: 1 where the input is at least ``threshold``, else 0.

    Args:
        threshold: the switching value (default 0).
    """

    def __init__(self, threshold: float = 0.0):
        super().__init__()
        self.threshold = threshold

    def __call__(self, x):
        return step(x, self.threshold)


class GLU(Module):
    """Layer applying ``glu``: splits the input in two halves along ``axis`` and
    returns the first half times the sigmoid of the second.

    Args:
        axis: the axis that is split; its size must be even (default the last).
    """

    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = axis

    def __call__(self, x):
        return glu(x, self.axis)


class PReLU(Module):
    """``prelu`` with a learnt slope per channel (``num_parameters`` of them) or shared.

    Args:
        num_parameters: how many slopes: 1 (shared, the default) or the number
            of channels (the input's last axis).
        init: the slopes' initial value (default 0.25).

    ``layer(x)`` returns an array of ``x``'s shape.
    """

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.weight = mx.full([num_parameters], init)

    def __call__(self, x):
        return prelu(x, self.weight)


class GELU(Module):
    """Layer applying GELU.

    Args:
        approx: "none" (exact, the default), "precise" or "tanh" (the tanh
            approximation) or "fast" (the sigmoid approximation).

    ``layer(x)`` returns an array of ``x``'s shape.
    """

    def __init__(self, approx="none"):
        super().__init__()
        if approx == "none":
            self._act = gelu
        elif approx in ("precise", "tanh"):
            self._act = gelu_approx
        elif approx == "fast":
            self._act = gelu_fast_approx
        else:
            raise ValueError(
                f"The approximation should be in ['none', 'precise', 'tanh', 'fast'] but '{approx}' was given"
            )

    def __call__(self, x):
        return self._act(x)
