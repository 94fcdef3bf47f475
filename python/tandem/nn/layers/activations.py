"""Activation functions, as functions and as parameterless (or nearly) layers."""

import math

import tandem.core as mx
from tandem.nn.layers.base import Module

# -- functions --


def sigmoid(x):
    return mx.sigmoid(x)


def tanh(x):
    return mx.tanh(x)


def relu(x):
    return mx.maximum(x, 0)


def relu2(x):
    """The square of ``relu``."""
    return mx.square(mx.maximum(x, 0))


def relu6(x):
    return mx.minimum(mx.maximum(x, 0), 6.0)


def leaky_relu(x, negative_slope=0.01):
    return mx.maximum(negative_slope * x, x)


def log_softmax(x, axis=-1):
    return x - mx.logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=-1):
    return mx.softmax(x, axis=axis)


def softmin(x, axis=-1):
    return mx.softmax(-x, axis=axis)


def elu(x, alpha=1.0):
    return mx.where(x > 0, x, alpha * (mx.exp(x) - 1))


def celu(x, alpha=1.0):
    return mx.maximum(x, 0.0) + alpha * (mx.exp(mx.minimum(x, 0.0) / alpha) - 1)


_SELU_ALPHA = 1.67326
_SELU_SCALE = 1.0507


def selu(x):
    return elu(x, _SELU_ALPHA) * _SELU_SCALE


def softplus(x):
    return mx.logaddexp(x, 0)


def softsign(x):
    return mx.divide(x, 1 + mx.abs(x))


def softshrink(x, lambd: float = 0.5):
    return mx.where(mx.abs(x) > lambd, x - mx.sign(x) * lambd, 0)


def hard_shrink(x, lambd=0.5):
    return mx.where(mx.abs(x) > lambd, x, 0)


def hard_tanh(x, min_val=-1.0, max_val=1.0):
    return mx.minimum(mx.maximum(x, min_val), max_val)


def hardswish(x):
    return x * mx.minimum(mx.maximum(x + 3, 0), 6) / 6


def silu(x):
    return x * mx.sigmoid(x)


def log_sigmoid(x):
    return -softplus(-x)


def gelu(x):
    """Exact GELU: ``x * Phi(x)`` with Phi the standard normal CDF."""
    return x * (1 + mx.erf(x / math.sqrt(2))) / 2


def gelu_approx(x):
    """GELU through the tanh approximation."""
    return 0.5 * x * (1 + mx.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def gelu_fast_approx(x):
    """GELU through ``x * sigmoid(1.702 x)``."""
    return x * mx.sigmoid(1.702 * x)


def glu(x, axis: int = -1):
    """Gated linear unit: the first half of ``axis`` times sigmoid of the second."""
    a, b = mx.split(x, indices_or_sections=2, axis=axis)
    return a * mx.sigmoid(b)


def step(x, threshold: float = 0.0):
    return mx.where(x >= threshold, 1, 0)


def prelu(x, alpha):
    return mx.maximum(0, x) + alpha * mx.minimum(0, x)


def mish(x):
    return x * mx.tanh(softplus(x))


# -- layers --


def _layer(fn, name, doc):
    """A parameterless layer class applying ``fn``."""

    def __call__(self, x):
        return fn(x)

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
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self._negative_slope = negative_slope

    def __call__(self, x):
        return leaky_relu(x, self._negative_slope)


class ELU(Module):
    def __init__(self, alpha=1.0):
        super().__init__()
        self._alpha = alpha

    def __call__(self, x):
        return elu(x, self._alpha)


class CELU(Module):
    def __init__(self, alpha=1.0):
        super().__init__()
        self._alpha = alpha

    def __call__(self, x):
        return celu(x, self._alpha)


class Softshrink(Module):
    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def __call__(self, x):
        return softshrink(x, self.lambd)


class HardShrink(Module):
    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def __call__(self, x):
        return hard_shrink(x, self.lambd)


class Step(Module):
    def __init__(self, threshold: float = 0.0):
        super().__init__()
        self.threshold = threshold

    def __call__(self, x):
        return step(x, self.threshold)


class GLU(Module):
    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = axis

    def __call__(self, x):
        return glu(x, self.axis)


class PReLU(Module):
    """``prelu`` with a learnt slope per channel (``num_parameters`` of them) or shared."""

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.weight = mx.full([num_parameters], init)

    def __call__(self, x):
        return prelu(x, self.weight)


class GELU(Module):
    """GELU; ``approx`` is "none", "precise" or "tanh" (tanh form), or "fast" (sigmoid form)."""

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
