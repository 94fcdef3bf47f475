"""Transforms over a module's parameters: value_and_grad, checkpoint, average_gradients."""

from functools import wraps
from typing import Any, Callable, Optional

import tandem.core as mx


def value_and_grad(model, fn: Callable):
    """``fn``'s value and its gradient w.r.t. ``model.trainable_parameters()``.

    The returned function takes ``fn``'s arguments. During the call the model
    holds the parameters being differentiated (so ``fn`` may just call the
    model); afterwards it holds the original arrays again.
    """

    def inner(params, *args, **kwargs):
        model.update(params)
        return fn(*args, **kwargs)

    value_grad = mx.value_and_grad(inner)

    @wraps(fn)
    def wrapped(*args, **kwargs):
        params = model.trainable_parameters()
        try:
            return value_grad(params, *args, **kwargs)
        finally:
            model.update(params)

    return wrapped


def checkpoint(module, fn: Optional[Callable] = None):
    """``fn`` (default: calling ``module``) with its intermediates recomputed on the backward pass."""
    if fn is None:
        fn = module.__call__

    def inner(params, *args, **kwargs):
        module.update(params)
        return fn(*args, **kwargs)

    recomputed = mx.checkpoint(inner)

    @wraps(fn)
    def wrapped(*args, **kwargs):
        return recomputed(module.trainable_parameters(), *args, **kwargs)

    return wrapped


def average_gradients(
    gradients: Any,
    group: Optional[Any] = None,
    all_reduce_size: int = 32 * 1024**2,
    communication_stream: Optional[Any] = None,
):
    """Average ``gradients`` over the processes of a distributed group.

    Tandem runs a single process, so this returns ``gradients`` unchanged.
    """
    return gradients
