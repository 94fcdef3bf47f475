"""Recurrent layers: Elman RNN, GRU and LSTM over (..., L, D) sequences."""

import math
from typing import Callable, Optional

import tandem.core as mx
from tandem.nn.layers.activations import tanh
from tandem.nn.layers.base import Module


def _uniform(scale, shape):
    return mx.random.uniform(low=-scale, high=scale, shape=shape)


def _project(x, w, b):
    return mx.addmm(b, x, w.T) if b is not None else x @ w.T


class RNN(Module):
    """Elman recurrent layer: ``h_t = nonlinearity(x_t W_xh^T + b + h_{t-1} W_hh^T)``.

    Args:
        input_size: the size of each input step (the last axis of ``x``).
        hidden_size: the size of the hidden state.
        bias: whether to learn ``b`` (default True).
        nonlinearity: the activation (default ``tanh``).

    ``layer(x, hidden=None)`` runs over ``x`` of shape (..., L, input_size)
    from the initial state ``hidden`` (zeros when None) and returns every
    hidden state, (..., L, hidden_size).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: Optional[Callable] = None,
    ):
        super().__init__()
        self.nonlinearity = nonlinearity or tanh
        if not callable(self.nonlinearity):
            raise ValueError(f"Nonlinearity must be callable. Current value: {nonlinearity}.")
        scale = 1.0 / math.sqrt(hidden_size)
        self.hidden_size = hidden_size
        self.Wxh = _uniform(scale, (hidden_size, input_size))
        self.Whh = _uniform(scale, (hidden_size, hidden_size))
        self.bias = _uniform(scale, (hidden_size,)) if bias else None

    def _extra_repr(self):
        return (
            f"input_dims={self.Wxh.shape[1]}, hidden_size={self.hidden_size}, "
            f"nonlinearity={self.nonlinearity}, bias={self.bias is not None}"
        )

    def __call__(self, x, hidden=None):
        x = _project(x, self.Wxh, self.bias)
        states = []
        for t in range(x.shape[-2]):
            h = x[..., t, :]
            if hidden is not None:
                h = mx.addmm(h, hidden, self.Whh.T)
            hidden = self.nonlinearity(h)
            states.append(hidden)
        return mx.stack(states, axis=-2)


class GRU(Module):
    """Gated recurrent unit (gates r, z, n in that order).

    Args:
        input_size: the size of each input step (the last axis of ``x``).
        hidden_size: the size of the hidden state.
        bias: whether to learn the biases (default True).

    ``layer(x, hidden=None)`` runs over ``x`` of shape (..., L, input_size)
    from ``hidden`` (zeros when None) and returns every hidden state,
    (..., L, hidden_size).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.hidden_size = hidden_size
        scale = 1.0 / math.sqrt(hidden_size)
        self.Wx = _uniform(scale, (3 * hidden_size, input_size))
        self.Wh = _uniform(scale, (3 * hidden_size, hidden_size))
        self.b = _uniform(scale, (3 * hidden_size,)) if bias else None
        self.bhn = _uniform(scale, (hidden_size,)) if bias else None

    def _extra_repr(self):
        return (
            f"input_dims={self.Wx.shape[1]}, hidden_size={self.hidden_size}, "
            f"bias={self.b is not None}"
        )

    def __call__(self, x, hidden=None):
        n_h = self.hidden_size
        x = _project(x, self.Wx, self.b)
        states = []
        for t in range(x.shape[-2]):
            x_rz = x[..., t, : 2 * n_h]
            x_n = x[..., t, 2 * n_h :]
            h_n = None
            if hidden is not None:
                h_proj = hidden @ self.Wh.T
                x_rz = x_rz + h_proj[..., : 2 * n_h]
                h_n = h_proj[..., 2 * n_h :]
            if self.bhn is not None:
                h_n = self.bhn if h_n is None else h_n + self.bhn
            r, z = mx.split(mx.sigmoid(x_rz), 2, axis=-1)
            if h_n is not None:
                x_n = x_n + r * h_n
            n = mx.tanh(x_n)
            hidden = (1 - z) * n if hidden is None else (1 - z) * n + z * hidden
            states.append(hidden)
        return mx.stack(states, axis=-2)


class LSTM(Module):
    """Long short-term memory (gates i, f, g, o).

    Args:
        input_size: the size of each input step (the last axis of ``x``).
        hidden_size: the size of the hidden and cell states.
        bias: whether to learn the bias (default True).

    ``layer(x, hidden=None, cell=None)`` runs over ``x`` of shape
    (..., L, input_size) from the given states (zeros when None) and returns
    ``(hidden_states, cell_states)``, both (..., L, hidden_size).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.hidden_size = hidden_size
        scale = 1.0 / math.sqrt(hidden_size)
        self.Wx = _uniform(scale, (4 * hidden_size, input_size))
        self.Wh = _uniform(scale, (4 * hidden_size, hidden_size))
        self.bias = _uniform(scale, (4 * hidden_size,)) if bias else None

    def _extra_repr(self):
        return (
            f"input_dims={self.Wx.shape[1]}, hidden_size={self.hidden_size}, "
            f"bias={self.bias is not None}"
        )

    def __call__(self, x, hidden=None, cell=None):
        x = _project(x, self.Wx, self.bias)
        hs, cs = [], []
        for t in range(x.shape[-2]):
            ifgo = x[..., t, :]
            if hidden is not None:
                ifgo = mx.addmm(ifgo, hidden, self.Wh.T)
            i, f, g, o = mx.split(ifgo, 4, axis=-1)
            i, f, g, o = mx.sigmoid(i), mx.sigmoid(f), mx.tanh(g), mx.sigmoid(o)
            cell = i * g if cell is None else f * cell + i * g
            hidden = o * mx.tanh(cell)
            hs.append(hidden)
            cs.append(cell)
        return mx.stack(hs, axis=-2), mx.stack(cs, axis=-2)
