"""Transforms over a module's parameters: value_and_grad, checkpoint, average_gradients."""

from functools import wraps
from typing import Any, Callable, Optional

import tandem.core as mx


def value_and_grad(model, fn: Callable):
    """``fn``'s value and its gradient w.r.t. ``model.trainable_parameters()``.

    During the call the model holds the parameters being differentiated (so
    ``fn`` may just call the model); afterwards it holds the original arrays
    again.

    Args:
        model: the module whose trainable parameters are differentiated.
        fn: the loss function; it returns a scalar array.

    Returns:
        A function taking ``fn``'s arguments and returning ``(value, grads)``,
        ``grads`` a tree shaped like ``model.trainable_parameters()``.
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
    """``fn`` (default: calling ``module``) with its intermediates recomputed on the
    backward pass instead of kept, trading compute for memory.

    Args:
        module: the module whose trainable parameters ``fn`` uses.
        fn: the function to wrap (default ``module.__call__``).

    Returns:
        A function with ``fn``'s arguments and results.
    """
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

    Tandem runs a single process, so this returns ``gradients`` unchanged;
    the other arguments exist for MLX compatibility and are ignored.

    Args:
        gradients: a tree of gradient arrays.
        group: the process group (ignored).
        all_reduce_size: the byte size of the batches of the reduction (ignored).
        communication_stream: the stream of the communication (ignored).

    Returns:
        ``gradients``.
    """
    return gradients
