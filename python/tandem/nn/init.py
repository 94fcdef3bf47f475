"""Parameter initializers with the signatures of ``mlx.nn.init``.

Each function returns an initializer: a callable that takes an array and
returns a new array of its shape (and the initializer's ``dtype``), drawn from
the global random state. Fans follow MLX's weight layout ``[out, ..., in]``:
``fan_in`` is the last axis times the receptive field (the middle axes),
``fan_out`` the first axis times it.
"""

import math
from typing import Callable, Literal

import numpy as np

import tandem.core as mx

__all__ = [
    "constant",
    "normal",
    "uniform",
    "identity",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "sparse",
    "orthogonal",
]


def constant(value: float, dtype: mx.Dtype = mx.float32) -> Callable[[mx.array], mx.array]:
    """An initializer that fills arrays with ``value``.

    Args:
        value: the fill value.
        dtype: the dtype of the arrays it makes (default float32).

    Returns:
        An initializer: ``init(a)`` returns a new array of ``a``'s shape.
    """

    def initializer(a: mx.array) -> mx.array:
        return mx.full(a.shape, value, dtype=dtype)

    return initializer


def normal(
    mean: float = 0.0, std: float = 1.0, dtype: mx.Dtype = mx.float32
) -> Callable[[mx.array], mx.array]:
    """An initializer that draws from the normal distribution N(mean, std**2).

    Args:
        mean: the mean (default 0).
        std: the standard deviation (default 1).
        dtype: the dtype of the arrays it makes (default float32).

    Returns:
        An initializer: ``init(a)`` returns a new array of ``a``'s shape.
    """

    def initializer(a: mx.array) -> mx.array:
        return mx.random.normal(shape=a.shape, dtype=dtype, loc=mean, scale=std)

    return initializer


def uniform(
    low: float = 0.0, high: float = 1.0, dtype: mx.Dtype = mx.float32
) -> Callable[[mx.array], mx.array]:
    """An initializer that draws uniformly from [low, high).

    Args:
        low: the lower bound (default 0).
        high: the upper bound, excluded (default 1).
        dtype: the dtype of the arrays it makes (default float32).

    Returns:
        An initializer: ``init(a)`` returns a new array of ``a``'s shape.
    """

    def initializer(a: mx.array) -> mx.array:
        return mx.random.uniform(low, high, a.shape, dtype=dtype)

    return initializer


def identity(dtype: mx.Dtype = mx.float32) -> Callable[[mx.array], mx.array]:
    """An initializer that makes identity matrices.

    Args:
        dtype: the dtype of the arrays it makes (default float32).

    Returns:
        An initializer: ``init(a)`` returns the identity matrix of ``a``'s
        shape, which must be square.
    """

    def initializer(a: mx.array) -> mx.array:
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise ValueError(f"The input array must be a square matrix but got shape {a.shape}.")
        return mx.eye(a.shape[0], dtype=dtype)

    return initializer


def _fans(a: mx.array):
    if a.ndim < 2:
        raise ValueError(
            "Glorot / He initialization requires at least 2 dimensional input"
            f" but input with {a.ndim} dimensions."
        )
    receptive = math.prod(a.shape[1:-1])
    return a.shape[-1] * receptive, a.shape[0] * receptive


def glorot_normal(dtype: mx.Dtype = mx.float32) -> Callable[[mx.array, float], mx.array]:
    """An initializer that draws from a normal distribution of standard deviation
    ``gain * sqrt(2 / (fan_in + fan_out))`` (Glorot and Bengio, 2010).

    Args:
        dtype: the dtype of the arrays it makes (default float32).

    Returns:
        An initializer ``init(a, gain=1.0)``: a new array of ``a``'s shape
        (``a`` has at least 2 dimensions); ``gain`` scales the spread.
    """

    def initializer(a: mx.array, gain: float = 1.0) -> mx.array:
        fan_in, fan_out = _fans(a)
        std = gain * math.sqrt(2.0 / (fan_in + fan_out))
        return mx.random.normal(shape=a.shape, dtype=dtype) * std

    return initializer


def glorot_uniform(dtype: mx.Dtype = mx.float32) -> Callable[[mx.array, float], mx.array]:
    """An initializer that draws uniformly from
    ``[-limit, limit)`` with ``limit = gain * sqrt(6 / (fan_in + fan_out))``
    (Glorot and Bengio, 2010).

    Args:
        dtype: the dtype of the arrays it makes (default float32).

    Returns:
        An initializer ``init(a, gain=1.0)``: a new array of ``a``'s shape
        (``a`` has at least 2 dimensions); ``gain`` scales the spread.
    """

    def initializer(a: mx.array, gain: float = 1.0) -> mx.array:
        fan_in, fan_out = _fans(a)
        limit = gain * math.sqrt(6.0 / (fan_in + fan_out))
        return mx.random.uniform(-limit, limit, a.shape, dtype=dtype)

    return initializer


def _fan_for(a, mode):
    fan_in, fan_out = _fans(a)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"Invalid mode: {mode}. Valid modes are: fan_in, fan_out")


def he_normal(
    dtype: mx.Dtype = mx.float32,
) -> Callable[[mx.array, Literal["fan_in", "fan_out"], float], mx.array]:
    """An initializer that draws from a normal distribution of standard deviation
    ``gain / sqrt(fan)`` (He et al., 2015); a gain of ``sqrt(2)`` suits ReLU.

    Args:
        dtype: the dtype of the arrays it makes (default float32).

    Returns:
        An initializer ``init(a, mode="fan_in", gain=1.0)``: a new array of ``a``'s shape
        (``a`` has at least 2 dimensions); ``mode`` picks the fan, "fan_in" or "fan_out"; ``gain`` scales the spread.
    """

    def initializer(
        a: mx.array, mode: Literal["fan_in", "fan_out"] = "fan_in", gain: float = 1.0
    ) -> mx.array:
        std = gain / math.sqrt(_fan_for(a, mode))
        return mx.random.normal(shape=a.shape, dtype=dtype) * std

    return initializer


def he_uniform(
    dtype: mx.Dtype = mx.float32,
) -> Callable[[mx.array, Literal["fan_in", "fan_out"], float], mx.array]:
    """An initializer that draws uniformly from ``[-limit, limit)`` with
    ``limit = gain * sqrt(3 / fan)`` (He et al., 2015).

    Args:
        dtype: the dtype of the arrays it makes (default float32).

    Returns:
        An initializer ``init(a, mode="fan_in", gain=1.0)``: a new array of ``a``'s shape
        (``a`` has at least 2 dimensions); ``mode`` picks the fan, "fan_in" or "fan_out"; ``gain`` scales the spread.
    """

    def initializer(
        a: mx.array, mode: Literal["fan_in", "fan_out"] = "fan_in", gain: float = 1.0
    ) -> mx.array:
        limit = gain * math.sqrt(3.0 / _fan_for(a, mode))
        return mx.random.uniform(-limit, limit, a.shape, dtype=dtype)

    return initializer


def sparse(
    sparsity: float, mean: float = 0.0, std: float = 1.0, dtype: mx.Dtype = mx.float32
) -> Callable[[mx.array], mx.array]:
    """An initializer of sparse matrices: normal samples with
    ``ceil(sparsity * columns)`` zeros at random places in every row.

    Args:
        sparsity: the fraction of each row that is zero, in [0, 1].
        mean: the mean of the nonzero entries (default 0).
        std: their standard deviation (default 1).
        dtype: the dtype of the arrays it makes (default float32).

    Returns:
        An initializer: ``init(a)`` returns a new array of ``a``'s shape, which
        must be 2-D.
    """

    def initializer(a: mx.array) -> mx.array:
        if a.ndim != 2:
            raise ValueError("Only tensors with 2 dimensions are supported")
        rows, cols = a.shape
        num_zeros = int(math.ceil(sparsity * cols))
        # A random permutation per row: its first num_zeros entries are zeroed.
        order = mx.argsort(mx.random.uniform(shape=a.shape), axis=1)
        out = mx.random.normal(shape=a.shape, dtype=dtype, loc=mean, scale=std)
        if num_zeros == 0:
            return out
        zeros = mx.zeros((rows, num_zeros), dtype=dtype)
        return mx.put_along_axis(out, order[:, :num_zeros], zeros, axis=1)

    return initializer


def _qr(x: mx.array):
    """QR of a square matrix: tandem's linalg.qr when built, else NumPy on the host.

    It runs once per parameter at construction, so the host round trip is cheap.
    """
    linalg = getattr(mx, "linalg", None)
    if linalg is not None and hasattr(linalg, "qr"):
        return linalg.qr(x, stream=mx.cpu)
    q, r = np.linalg.qr(np.array(x, dtype=np.float32))
    return mx.array(q), mx.array(r)


def orthogonal(gain: float = 1.0, dtype: mx.Dtype = mx.float32) -> Callable[[mx.array], mx.array]:
    """An initializer of random matrices with orthonormal rows or columns
    (whichever are fewer), times ``gain``.

    They are taken from the QR factors of an n x n normal matrix
    (n = max(rows, cols)), with the signs of R's diagonal folded into Q so the
    draw is uniform (Saxe et al., 2013).

    Args:
        gain: the scale of the result (default 1).
        dtype: the dtype of the arrays it makes (default float32).

    Returns:
        An initializer: ``init(a)`` returns a new array of ``a``'s shape, which
        must be 2-D.
    """

    def initializer(a: mx.array) -> mx.array:
        if a.ndim != 2:
            raise ValueError(
                f"Orthogonal initialization requires a 2D array but got a {a.ndim}D array."
            )
        rows, cols = a.shape
        n = max(rows, cols)
        q, r = _qr(mx.random.normal(shape=(n, n)))
        q = q * mx.sign(mx.diagonal(r))
        return (gain * q[:rows, :cols]).astype(dtype)

    return initializer
