"""Optimizers with the behaviour of ``mlx.optimizers``.

An optimizer keeps its state as a tree: ``state["step"]`` (a uint64 array
counting updates), one entry per hyperparameter that may be scheduled
(``state["learning_rate"]``, ...), and for every parameter a dict of its own
arrays (moments, accumulators) at the parameter's path. Saving the state is
``tree_flatten(opt.state)``; restoring is assigning ``opt.state = ...``.

Written from MLX's documentation and its observed behaviour (the tests compare
update sequences against mlx.optimizers when it is installed).
"""

import math
from typing import Callable, List, Optional, Tuple, Union

import tandem.core as mx

from ..utils import tree_flatten, tree_map, tree_merge, tree_unflatten

__all__ = [
    "Optimizer",
    "MultiOptimizer",
    "SGD",
    "RMSprop",
    "Adagrad",
    "AdaDelta",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "Adafactor",
    "Muon",
    "clip_grad_norm",
]

_Schedule = Union[float, Callable[[mx.array], mx.array]]


def _grow_state(params, state):
    """Give ``state`` an empty dict for every leaf of ``params`` it lacks.

    Existing entries are kept, so re-initialising after adding parameters (or
    loading a state) does not reset what was already there.
    """
    if isinstance(params, (list, tuple)):
        state = list(state) if isinstance(state, (list, tuple)) else []
        for i, p in enumerate(params):
            if i < len(state):
                state[i] = _grow_state(p, state[i])
            else:
                state.append(tree_map(lambda _: {}, p))
        return type(params)(state) if not hasattr(params, "_fields") else state
    if isinstance(params, dict):
        for k, p in params.items():
            if k in state:
                state[k] = _grow_state(p, state[k])
            else:
                state[k] = tree_map(lambda _: {}, p)
        return state
    return state


class Optimizer:
    """Base class of the optimizers: subclasses define ``init_single`` and
    ``apply_single``; ``update(model, gradients)`` applies one step.

    Args:
        schedulers: maps hyperparameter names to schedules (functions of the
            step); they are re-evaluated before every update, at the step count
            before it is bumped.
    """

    def __init__(self, schedulers=None):
        self._initialized = False
        self._state = {"step": mx.array(0, mx.uint64)}
        self._schedulers = dict(schedulers) if schedulers else {}

    # -- hyperparameters -------------------------------------------------
    def _maybe_schedule(self, name: str, param: _Schedule):
        if callable(param):
            self._schedulers[name] = param
            value = param(self.step)
        else:
            value = mx.array(param)
        self.state[name] = value

    @property
    def state(self):
        """The optimizer's state: a dict holding ``step``, ``learning_rate`` (and any
        other scheduled hyperparameter) and one dict per parameter, shaped like the
        parameter tree. Assigning a saved state restores it; missing per-parameter
        entries are filled on the next update."""
        return self._state

    @state.setter
    def state(self, state):
        # A loaded state may lack entries for some parameters: init fills them.
        self._initialized = False
        self._state = state

    @property
    def step(self):
        """The number of updates applied so far, as an unsigned integer array."""
        return self.state["step"]

    @property
    def learning_rate(self):
        """The current learning rate, an array (a schedule's value at ``step``).
        Assigning a number or array replaces it."""
        return self.state["learning_rate"]

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.state["learning_rate"] = mx.array(learning_rate)

    # -- updates ---------------------------------------------------------
    def init(self, parameters: dict):
        """Create the per-parameter state for ``parameters`` (kept if present)."""
        self._state = _grow_state(parameters, self._state)

        def fill(p, s):
            if not s:
                self.init_single(p, s)
            return s

        tree_map(fill, parameters, self._state)
        self._initialized = True

    def init_single(self, parameter: mx.array, state: dict):
        """Fill ``state``, the empty dict of one parameter, with the optimizer's
        per-parameter buffers (momenta and the like). Subclasses implement it.

        Args:
            parameter: the parameter array the state belongs to.
            state: the dict to fill, in place.
        """
        raise NotImplementedError

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        """One parameter's update rule. Subclasses implement it.

        Args:
            gradient: the gradient of the loss with respect to ``parameter``.
            parameter: the parameter's current value.
            state: the parameter's state dict, updated in place.

        Returns:
            The parameter's new value.
        """
        raise NotImplementedError

    def update(self, model, gradients: dict):
        """Apply ``gradients`` to ``model``'s parameters in place.

        ``model`` is a tandem.nn Module (a dict of parameter trees with
        ``update``); gradients usually cover its trainable parameters.
        """
        params = model if isinstance(model, dict) else model.trainable_parameters()
        model.update(self.apply_gradients(gradients, params))

    def apply_gradients(self, gradients: dict, parameters: dict):
        """The updated parameters, as a tree shaped like ``gradients``."""
        if not self._initialized:
            self.init(gradients)
        for name, schedule in self._schedulers.items():
            self.state[name] = schedule(self.step)
        self.state["step"] = self.step + 1
        return tree_map(self.apply_single, gradients, parameters, self.state)


class MultiOptimizer(Optimizer):
    """Route each parameter to the first optimizer whose filter accepts it.

    Args:
        optimizers: the optimizers, in order of precedence.
        filters: one fewer than ``optimizers``: ``filters[i](path, parameter)``
            says whether ``optimizers[i]`` updates the parameter at ``path``; the
            last optimizer takes everything no filter claimed.
    """

    def __init__(self, optimizers, filters: list = []):
        super().__init__()
        self._state = {}
        if len(filters) != len(optimizers) - 1:
            raise ValueError(f"Given {len(filters)} filters but {len(optimizers) - 1} needed.")
        self.optimizers = list(optimizers)
        self.filters = list(filters) + [lambda *args, **kwargs: True]

    def _split(self, gradients):
        parts = [[] for _ in self.optimizers]
        for path, g in tree_flatten(gradients):
            for i, keep in enumerate(self.filters):
                if keep(path, g):
                    parts[i].append((path, g))
                    break
        return [tree_unflatten(p) for p in parts]

    def init(self, parameters: dict):
        """Create each wrapped optimizer's state for the parameters routed to it."""
        for opt, params in zip(self.optimizers, self._split(parameters)):
            opt.init(params)

    def apply_gradients(self, gradients: dict, parameters: dict):
        """Split ``gradients`` by the filters, let each optimizer update its
        share, and return the merged tree of updated parameters."""
        tree = {}
        for opt, grads in zip(self.optimizers, self._split(gradients)):
            tree = tree_merge(tree, opt.apply_gradients(grads, parameters))
        return tree

    @property
    def state(self):
        """``{"states": [...]}``, the wrapped optimizers' states in order;
        assigning one of that form restores them."""
        return {"states": [o.state for o in self.optimizers]}

    @state.setter
    def state(self, state):
        if "states" not in state or len(state["states"]) != len(self.optimizers):
            raise ValueError("Invalid state provided")
        for opt, s in zip(self.optimizers, state["states"]):
            opt.state = s

    @property
    def learning_rate(self):
        """The first optimizer's learning rate; assigning sets it on every
        wrapped optimizer."""
        return self.optimizers[0].learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        for opt in self.optimizers:
            opt.learning_rate = learning_rate


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and weight decay.

    With momentum: ``v = momentum * v + (1 - dampening) * g`` (so the first
    step already damps), ``update = g + momentum * v`` with Nesterov, else
    ``v``; then ``p -= learning_rate * update``.

    Args:
        learning_rate: the step size: a number, or a schedule (a function of the
            step count returning the rate, see ``cosine_decay`` and friends).
        momentum: the momentum factor; 0 (default) is plain SGD.
        weight_decay: L2 penalty added to the gradient as ``weight_decay * p``
            (default 0).
        dampening: how much of the new gradient is left out of the momentum
            (default 0).
        nesterov: use Nesterov momentum (default False).
    """

    def __init__(
        self,
        learning_rate: _Schedule,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
    ):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening.")
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.dampening = dampening
        self.nesterov = nesterov

    def init_single(self, parameter, state):
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        if self.weight_decay != 0:
            gradient = gradient + self.weight_decay * parameter
        lr = self.learning_rate.astype(gradient.dtype)
        if self.momentum <= 0:
            return parameter - lr * gradient
        v = self.momentum * state["v"]
        if self.dampening > 0:
            v = v + (1 - self.dampening) * gradient
        else:
            v = v + gradient
        update = gradient + self.momentum * v if self.nesterov else v
        state["v"] = v
        return parameter - lr * update


class RMSprop(Optimizer):
    """RMSprop: ``v = alpha * v + (1 - alpha) * g^2``; ``p -= lr * g / (sqrt(v) + eps)``.

    Args:
        learning_rate: the step size: a number, or a schedule (a function of the
            step count returning the rate, see ``cosine_decay`` and friends).
        alpha: the smoothing constant of the squared-gradient average (default 0.99).
        eps: added to the denominator for stability (default 1e-8), positive.
    """

    def __init__(self, learning_rate: _Schedule, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.alpha = alpha
        self.eps = eps
        if alpha < 0.0:
            raise ValueError(f"RMSprop alpha should be >=0, {alpha} was provided instead")
        if eps < 0.0:
            raise ValueError(f"RMSprop epsilon should be >0, {eps} was provided instead")

    def init_single(self, parameter, state):
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        v = self.alpha * state["v"] + (1 - self.alpha) * mx.square(gradient)
        state["v"] = v
        return parameter - lr * gradient / (mx.sqrt(v) + self.eps)


class Adagrad(Optimizer):
    """Adagrad: ``v += g^2``; ``p -= lr * g / (sqrt(v) + eps)``.

    Args:
        learning_rate: the step size: a number, or a schedule (a function of the
            step count returning the rate, see ``cosine_decay`` and friends).
        eps: added to the denominator for stability (default 1e-8), positive.
    """

    def __init__(self, learning_rate: _Schedule, eps: float = 1e-8):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.eps = eps
        if eps < 0.0:
            raise ValueError(f"Adagrad epsilon should be >0, {eps} was provided instead")

    def init_single(self, parameter, state):
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        v = state["v"] + mx.square(gradient)
        state["v"] = v
        return parameter - lr * gradient / (mx.sqrt(v) + self.eps)


class AdaDelta(Optimizer):
    """AdaDelta: running averages of squared gradients (v) and squared steps (u):
    ``v = rho * v + (1 - rho) * g^2``, ``d = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho * u + (1 - rho) * d^2``, ``p -= lr * d``.

    Args:
        learning_rate: the step size: a number, or a schedule (a function of the
            step count returning the rate, see ``cosine_decay`` and friends).
        rho: the decay of both averages (default 0.9), non-negative.
        eps: added under the square roots (default 1e-6).
    """

    def __init__(self, learning_rate: _Schedule, rho: float = 0.9, eps: float = 1e-6):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.rho = rho
        self.eps = eps
        if rho < 0.0:
            raise ValueError(f"AdaDelta rho should be >=0, {rho} was provided instead")
        if eps < 0.0:
            raise ValueError(f"AdaDelta epsilon should be >0, {eps} was provided instead")

    def init_single(self, parameter, state):
        state["v"] = mx.zeros_like(parameter)
        state["u"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        rho, eps = self.rho, self.eps
        v = rho * state["v"] + (1 - rho) * mx.square(gradient)
        d = mx.sqrt(state["u"] + eps) / mx.sqrt(v + eps) * gradient
        state["u"] = rho * state["u"] + (1 - rho) * mx.square(d)
        state["v"] = v
        return parameter - lr * d


class Adam(Optimizer):
    """Adam: ``m = b1 * m + (1 - b1) * g``, ``v = b2 * v + (1 - b2) * g^2``,
    ``p -= lr * m / (sqrt(v) + eps)``.

    Args:
        learning_rate: the step size: a number, or a schedule (a function of the
            step count returning the rate, see ``cosine_decay`` and friends).
        betas: ``(b1, b2)``, the decay rates of the gradient's first and second
            moment averages (default (0.9, 0.999)).
        eps: added to the denominator for stability (default 1e-8).
        bias_correction: divide the moments by ``1 - b**step`` (the Adam paper's
            form); False by default, as in MLX, which uses them raw.
    """

    def __init__(
        self,
        learning_rate: _Schedule,
        betas: List[float] = [0.9, 0.999],
        eps: float = 1e-8,
        bias_correction: bool = False,
    ):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.betas = betas
        self.eps = eps
        self.bias_correction = bias_correction

    def init_single(self, parameter, state):
        state["m"] = mx.zeros_like(parameter)
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        b1, b2 = self.betas
        m = b1 * state["m"] + (1 - b1) * gradient
        v = b2 * state["v"] + (1 - b2) * mx.square(gradient)
        state["m"] = m
        state["v"] = v
        if self.bias_correction:
            # The step was bumped before apply_single: the first update sees 1.
            step = self.step
            scale = (lr / (1 - b1**step)).astype(gradient.dtype)
            inv_c2 = mx.rsqrt(1 - b2**step).astype(gradient.dtype)
            return parameter - scale * m / (mx.sqrt(v) * inv_c2 + self.eps)
        return parameter - lr * m / (mx.sqrt(v) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay``, then the
    Adam step.

    Args:
        learning_rate: the step size: a number, or a schedule (a function of the
            step count returning the rate, see ``cosine_decay`` and friends).
        betas: ``(b1, b2)``, the moment decay rates (default (0.9, 0.999)).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: the decay factor (default 0.01).
        bias_correction: as for ``Adam`` (default False).
    """

    def __init__(
        self,
        learning_rate: _Schedule,
        betas: List[float] = [0.9, 0.999],
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        bias_correction: bool = False,
    ):
        super().__init__(learning_rate, betas, eps, bias_correction)
        self.weight_decay = weight_decay

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        return super().apply_single(gradient, parameter * (1 - lr * self.weight_decay), state)


class Adamax(Adam):
    """Adamax, Adam with the infinity norm: ``v = max(b2 * v, |g|)``,
    ``p -= lr * m / (v + eps)``.

    Args:
        learning_rate: the step size: a number, or a schedule (a function of the
            step count returning the rate, see ``cosine_decay`` and friends).
        betas: ``(b1, b2)``, the decay rates of ``m`` and ``v`` (default (0.9, 0.999)).
        eps: added to the denominator for stability (default 1e-8), non-negative.
    """

    def __init__(
        self, learning_rate: _Schedule, betas: List[float] = [0.9, 0.999], eps: float = 1e-8
    ):
        super().__init__(learning_rate, betas, eps)
        if not 0.0 <= eps:
            raise ValueError(f"Epsilon value should be >=0, {eps} was provided instead")

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        b1, b2 = self.betas
        m = b1 * state["m"] + (1 - b1) * gradient
        v = mx.maximum(b2 * state["v"], mx.abs(gradient))
        state["m"] = m
        state["v"] = v
        return parameter - lr * m / (v + self.eps)


class Lion(Optimizer):
    """Lion: steps by the sign of an interpolated momentum:
    ``p -= lr * sign(b1 * m + (1 - b1) * g)``, then ``m = b2 * m + (1 - b2) * g``.

    Args:
        learning_rate: the step size: a number, or a schedule (a function of the
            step count returning the rate, see ``cosine_decay`` and friends).
        betas: ``(b1, b2)``: the interpolation of the step and the decay of the
            momentum (default (0.9, 0.99)).
        weight_decay: decoupled weight decay, ``p *= 1 - lr * weight_decay``
            before the step (default 0).
    """

    def __init__(
        self, learning_rate: _Schedule, betas: List[float] = [0.9, 0.99], weight_decay: float = 0.0
    ):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.betas = betas
        self.weight_decay = weight_decay

    def init_single(self, parameter, state):
        state["m"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        b1, b2 = self.betas
        c = b1 * state["m"] + (1 - b1) * gradient
        state["m"] = b2 * state["m"] + (1 - b2) * gradient
        if self.weight_decay > 0:
            parameter = (1 - lr * self.weight_decay) * parameter
        return parameter - lr * mx.sign(c)


def _rms(x):
    return mx.sqrt(mx.mean(mx.square(x)))


class Adafactor(Optimizer):
    """Adafactor: second moments of matrices kept as row and column averages.

    Parameters with two or more dimensions are factored over their last two
    axes; vectors keep a full second moment. Updates are clipped to an RMS of
    ``clip_threshold``.

    Args:
        learning_rate: the step size (a number or a schedule); used only when
            ``relative_step`` is False.
        eps: ``(eps1, eps2)``: ``eps1`` is added to the squared gradients,
            ``eps2`` is the smallest parameter RMS used by ``scale_parameter``
            (default (1e-30, 1e-3)).
        clip_threshold: the largest RMS of an update (default 1).
        decay_rate: the second moments decay by ``1 - step**decay_rate``
            (default -0.8).
        beta_1: the decay of an optional first-moment average of the updates;
            None (default) keeps none.
        weight_decay: decoupled weight decay, scaled by the step size (default 0).
        scale_parameter: scale the step size by the parameter's RMS (default True).
        relative_step: use the step size ``min(1e-2, 1/sqrt(step))`` instead of
            ``learning_rate`` (default True).
        warmup_init: with ``relative_step``, start from ``1e-6 * step`` instead of
            1e-2 (default False).
    """

    def __init__(
        self,
        learning_rate: Optional[_Schedule] = None,
        eps: Tuple[float, float] = (1e-30, 1e-3),
        clip_threshold: float = 1.0,
        decay_rate: float = -0.8,
        beta_1: Optional[float] = None,
        weight_decay: float = 0.0,
        scale_parameter: bool = True,
        relative_step: bool = True,
        warmup_init: bool = False,
    ):
        super().__init__()
        if learning_rate is not None:
            self._maybe_schedule("learning_rate", learning_rate)
        self.eps = eps
        self.clip_threshold = clip_threshold
        self.decay_rate = decay_rate
        self.beta_1 = beta_1
        self.weight_decay = weight_decay
        self.scale_parameter = scale_parameter
        self.relative_step = relative_step
        self.warmup_init = warmup_init

    def init_single(self, parameter, state):
        shape = parameter.shape
        if parameter.ndim >= 2:
            state["exp_avg_sq_row"] = mx.zeros(shape[:-1], dtype=parameter.dtype)
            state["exp_avg_sq_col"] = mx.zeros(shape[:-2] + shape[-1:], dtype=parameter.dtype)
        else:
            state["exp_avg_sq"] = mx.zeros_like(parameter)
        if self.beta_1 is not None:
            state["exp_avg"] = mx.zeros_like(parameter)

    def _step_size(self, step, parameter_rms):
        if self.relative_step:
            min_step = 1e-6 * step if self.warmup_init else 1e-2
            size = mx.minimum(min_step, mx.rsqrt(step))
        else:
            size = self.learning_rate
        if self.scale_parameter:
            return mx.maximum(self.eps[1], parameter_rms) * size
        return size

    def apply_single(self, gradient, parameter, state):
        step = self.step
        lr = self._step_size(step, _rms(parameter)).astype(gradient.dtype)
        beta_2 = (1.0 - mx.power(step, self.decay_rate)).astype(gradient.dtype)
        sq = mx.square(gradient) + self.eps[0]
        if gradient.ndim >= 2:
            row = beta_2 * state["exp_avg_sq_row"] + (1 - beta_2) * mx.mean(sq, axis=-1)
            col = beta_2 * state["exp_avg_sq_col"] + (1 - beta_2) * mx.mean(sq, axis=-2)
            state["exp_avg_sq_row"] = row
            state["exp_avg_sq_col"] = col
            # Rank-one estimate of 1/sqrt(v): rows normalised by their mean.
            r = mx.rsqrt(row / mx.mean(row, axis=-1, keepdims=True))
            c = mx.rsqrt(col)
            update = mx.expand_dims(r, -1) * mx.expand_dims(c, -2) * gradient
        else:
            v = beta_2 * state["exp_avg_sq"] + (1 - beta_2) * sq
            state["exp_avg_sq"] = v
            update = mx.rsqrt(v) * gradient
        update = update / mx.maximum(1.0, _rms(update) / self.clip_threshold)
        update = lr * update
        if self.beta_1 is not None:
            update = self.beta_1 * state["exp_avg"] + (1 - self.beta_1) * update
            state["exp_avg"] = update
        if self.weight_decay != 0:
            parameter = parameter + parameter * (-self.weight_decay * lr)
        return parameter - update


# Quintic Newton-Schulz coefficients from the Muon write-up: they push all
# singular values towards 1 in few steps.
_NS_COEFFS = (3.4445, -4.7750, 2.0315)


def _orthogonalize(x, steps: int):
    """Approximate U V^T of ``x = U S V^T`` (x 2-D) by Newton-Schulz iteration."""
    a, b, c = _NS_COEFFS
    wide = x.shape[0] <= x.shape[1]
    if not wide:
        x = x.T
    x = x / (mx.sqrt(mx.sum(mx.square(x))) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x if wide else x.T


class Muon(Optimizer):
    """Muon: SGD momentum whose matrix updates are orthogonalized.

    Parameters of three or more dimensions are flattened to
    ``(shape[0], -1)`` for the orthogonalization (a few Newton-Schulz
    iterations); vectors and scalars get the plain momentum update. Weight
    decay is added to the gradient.

    Args:
        learning_rate: the step size: a number, or a schedule (a function of the
            step count returning the rate, see ``cosine_decay`` and friends).
        momentum: the momentum factor (default 0.95).
        weight_decay: L2 penalty added to the gradient as ``weight_decay * p``
            (default 0.01).
        nesterov: use Nesterov momentum (default True).
        ns_steps: the number of Newton-Schulz iterations (default 5).
    """

    def __init__(
        self,
        learning_rate: _Schedule,
        momentum: float = 0.95,
        weight_decay: float = 0.01,
        nesterov: bool = True,
        ns_steps: int = 5,
    ):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.ns_steps = ns_steps

    def init_single(self, parameter, state):
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        if self.weight_decay != 0:
            gradient = gradient + self.weight_decay * parameter
        m = self.momentum
        v = m * state["v"] + (1 - m) * gradient
        state["v"] = v
        update = (1 - m) * gradient + m * v if self.nesterov else v
        if update.ndim >= 2:
            shape = update.shape
            flat = update.reshape(shape[0], -1) if update.ndim > 2 else update
            update = _orthogonalize(flat, self.ns_steps).reshape(shape)
            # Tall matrices get larger steps, by the original aspect ratio.
            update = update * math.sqrt(max(1.0, shape[-2] / shape[-1]))
        return parameter - lr * update


def clip_grad_norm(grads, max_norm: float):
    """Scale ``grads`` so their global L2 norm is at most ``max_norm``.

    Args:
        grads: a tree of gradient arrays.
        max_norm: the largest norm allowed.

    Returns:
        ``(clipped_grads, total_norm)``: the scaled tree (unchanged when the
        norm is below ``max_norm``) and the norm before clipping, taken over all
        leaves at once.
    """
    leaves = [g for _, g in tree_flatten(grads)]
    total = mx.sqrt(sum(mx.sum(mx.square(g)) for g in leaves))
    scale = max_norm / (total + 1e-6)
    clipped = tree_map(lambda g: mx.where(total < max_norm, g, g * scale), grads)
    return clipped, total
