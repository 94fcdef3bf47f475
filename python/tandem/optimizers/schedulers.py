"""Learning-rate schedules with the behaviour of ``mlx.optimizers``' schedules.

Each function returns a callable of the step (an integer array, or a Python
int) giving the hyperparameter's value; pass it where a float is accepted.
"""

import math
from typing import Callable, List

import tandem.core as mx

__all__ = [
    "exponential_decay",
    "step_decay",
    "cosine_decay",
    "join_schedules",
    "linear_schedule",
]


def exponential_decay(init: float, decay_rate: float) -> Callable:
    """Exponential decay: ``init * decay_rate ** step``.

    Args:
        init: the value at step 0.
        decay_rate: the factor applied at every step.

    Returns:
        A schedule: a function of the step (an int or an integer array)
        returning the value, to pass as an optimizer's ``learning_rate``.
    """

    def schedule(step):
        return init * decay_rate**step

    return schedule


def step_decay(init: float, decay_rate: float, step_size: int) -> Callable:
    """Step decay: ``init * decay_rate ** (step // step_size)``.

    Args:
        init: the value at step 0.
        decay_rate: the factor applied every ``step_size`` steps.
        step_size: the number of steps between decays.

    Returns:
        A schedule: a function of the step (an int or an integer array)
        returning the value, to pass as an optimizer's ``learning_rate``.
    """

    def schedule(step):
        return init * decay_rate ** (step // step_size)

    return schedule


def cosine_decay(init: float, decay_steps: int, end: float = 0.0) -> Callable:
    """Half a cosine from ``init`` down to ``end`` over ``decay_steps``, then ``end``.

    Args:
        init: the value at step 0.
        decay_steps: the number of steps of the decay.
        end: the final value (default 0).

    Returns:
        A schedule: a function of the step (an int or an integer array)
        returning the value, to pass as an optimizer's ``learning_rate``.
    """

    def schedule(step):
        s = mx.minimum(step, decay_steps)
        decay = 0.5 * (1.0 + mx.cos((math.pi / decay_steps) * s))
        return end + decay * (init - end)

    return schedule


def join_schedules(schedules: List[Callable], boundaries: List[int]) -> Callable:
    """Schedules one after the other: ``schedules[i+1]`` takes over at
    ``boundaries[i]``, and sees the step counted from that boundary.

    Args:
        schedules: the schedules, in order.
        boundaries: the steps where each next schedule starts, one fewer than
            ``schedules``.

    Returns:
        A schedule: a function of the step (an int or an integer array)
        returning the value, to pass as an optimizer's ``learning_rate``.
    """
    if len(schedules) == 0:
        raise ValueError("Must provide at least 1 schedule to join.")
    if len(schedules) != len(boundaries) + 1:
        raise ValueError(
            f"Received {len(boundaries)} boundaries but expected {len(schedules) - 1}."
        )

    def schedule(step):
        out = schedules[0](step)
        for boundary, fn in zip(boundaries, schedules[1:]):
            out = mx.where(step < boundary, out, fn(step - boundary))
        return out

    return schedule


def linear_schedule(init: float, end: float, steps: int) -> Callable:
    """A straight line from ``init`` to ``end`` over ``steps``, then ``end``
    (a warm-up, usually).

    Args:
        init: the value at step 0.
        end: the value from step ``steps`` on.
        steps: the length of the ramp, at least 1.

    Returns:
        A schedule: a function of the step (an int or an integer array)
        returning the value, to pass as an optimizer's ``learning_rate``.
    """
    if steps < 1:
        raise ValueError(f"steps must be greater than 0, but got {steps}.")

    def schedule(step):
        s = mx.minimum(step, steps)
        return s * ((end - init) / steps) + init

    return schedule
