"""Loss functions with the signatures and behaviour of ``mlx.nn.losses``.

Every loss takes ``reduction``: ``'none'`` keeps the per-element (or
per-sample) losses, ``'mean'`` averages them, ``'sum'`` adds them. Defaults
differ between losses as they do in MLX.
"""

import math
from typing import Literal, Optional

import tandem.core as mx

__all__ = [
    "cross_entropy",
    "binary_cross_entropy",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "gaussian_nll_loss",
    "kl_div_loss",
    "smooth_l1_loss",
    "triplet_loss",
    "hinge_loss",
    "huber_loss",
    "log_cosh_loss",
    "cosine_similarity_loss",
    "margin_ranking_loss",
]

Reduction = Literal["none", "mean", "sum"]
_REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss: mx.array, reduction: Reduction = "none") -> mx.array:
    if reduction == "mean":
        return mx.mean(loss)
    if reduction == "sum":
        return mx.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"Invalid reduction. Must be one of {_REDUCTIONS}.")


def _check_same_shape(a, b, a_name="Predictions", b_name="targets"):
    if a.shape != b.shape:
        raise ValueError(f"{a_name} shape {a.shape} does not match {b_name} shape {b.shape}.")


def _apply_weights(loss, weights):
    if weights is None:
        return loss
    if weights.shape != loss.shape:
        raise ValueError(
            f"Weights with shape {weights.shape} is not the same as output loss with shape "
            f"{loss.shape}."
        )
    return loss * weights


def cross_entropy(
    logits: mx.array,
    targets: mx.array,
    weights: Optional[mx.array] = None,
    axis: int = -1,
    label_smoothing: float = 0.0,
    reduction: Reduction = "none",
) -> mx.array:
    """Cross entropy of unnormalized ``logits`` along ``axis``.

    Args:
        logits: the scores of each class, unnormalized.
        targets: class indices (the shape of ``logits`` without ``axis``) or
            probabilities (the shape of ``logits``).
        weights: per-sample weights of the loss's shape, or None.
        axis: the class axis (default the last).
        label_smoothing: in [0, 1): mixes the target distribution with a
            uniform one by this much (default 0).
        reduction: "none" (one loss per element of ``logits`` without ``axis``), "mean" or "sum" (default "none").

    Returns:
        A scalar array, or with "none" an array of ``logits``' shape without ``axis``.
    """
    if label_smoothing < 0 or label_smoothing >= 1:
        raise ValueError(f"Label smoothing must be in [0, 1), got {label_smoothing}.")
    probs = targets.ndim == logits.ndim
    if probs:
        if targets.shape != logits.shape:
            raise ValueError(
                f"Targets shape {targets.shape} does not match logits shape {logits.shape}."
            )
        score = mx.sum(logits * targets, axis=axis)
    else:
        expected = list(logits.shape)
        expected.pop(axis)
        if list(targets.shape) != expected:
            raise ValueError(
                f"Targets shape {targets.shape} does not match logits shape {logits.shape}."
            )
        score = mx.take_along_axis(logits, mx.expand_dims(targets, axis), axis).squeeze(axis)
    lse = mx.logsumexp(logits, axis=axis)
    if label_smoothing > 0:
        # Smoothed target: (1 - ls) * target + ls / C, so the score takes
        # (1 - ls) of the target logit and ls of the mean logit.
        loss = lse - (1 - label_smoothing) * score - label_smoothing * mx.mean(logits, axis=axis)
    else:
        loss = lse - score
    return _reduce(_apply_weights(loss, weights), reduction)


def binary_cross_entropy(
    inputs: mx.array,
    targets: mx.array,
    weights: Optional[mx.array] = None,
    with_logits: bool = True,
    reduction: Reduction = "mean",
) -> mx.array:
    """Binary cross entropy of logits (or, with ``with_logits=False``, probabilities).

    Args:
        inputs: logits, or probabilities in [0, 1] when ``with_logits`` is False
            (their logarithms are clipped at -100, so 0 and 1 give finite losses).
        targets: the wanted probabilities (usually 0 or 1), of ``inputs``' shape.
        weights: per-element weights of ``inputs``' shape, or None.
        with_logits: whether ``inputs`` are logits (default True).
        reduction: "none" (one loss per element), "mean" or "sum" (default "mean").

    Returns:
        A scalar array, or with "none" an array of ``inputs``' shape.
    """
    _check_same_shape(inputs, targets, "Inputs")
    if with_logits:
        # log(1 + e^x) - x * t, stable for large |x|.
        loss = mx.logaddexp(0.0, inputs) - inputs * targets
    else:
        log_p = mx.maximum(mx.log(inputs), -100)
        log_q = mx.maximum(mx.log(1 - inputs), -100)
        loss = -(targets * log_p + (1 - targets) * log_q)
    return _reduce(_apply_weights(loss, weights), reduction)


def l1_loss(predictions: mx.array, targets: mx.array, reduction: Reduction = "mean") -> mx.array:
    """Absolute error ``|predictions - targets|``, elementwise, then reduced.

    Args:
        predictions: the model's outputs.
        targets: the wanted values, of the same shape as ``predictions``.
        reduction: "none" (the elementwise losses), "mean" (default) or "sum".

    Returns:
        The loss: a scalar array, or an array of ``predictions``' shape for "none".
    """
    _check_same_shape(predictions, targets)
    return _reduce(mx.abs(predictions - targets), reduction)


def mse_loss(predictions: mx.array, targets: mx.array, reduction: Reduction = "mean") -> mx.array:
    """Squared error ``(predictions - targets)**2``, elementwise, then reduced.

    Args:
        predictions: the model's outputs.
        targets: the wanted values, of the same shape as ``predictions``.
        reduction: "none" (the elementwise losses), "mean" (default) or "sum".

    Returns:
        The loss: a scalar array, or an array of ``predictions``' shape for "none".
    """
    _check_same_shape(predictions, targets)
    return _reduce(mx.square(predictions - targets), reduction)


def nll_loss(
    inputs: mx.array, targets: mx.array, axis: int = -1, reduction: Reduction = "none"
) -> mx.array:
    """Negative log likelihood of class ``targets`` given log probabilities ``inputs``.

    Args:
        inputs: log probabilities of each class along ``axis``.
        targets: integer class indices, of ``inputs``' shape without ``axis``.
        axis: the class axis (default the last).
        reduction: "none" (one loss per element), "mean" or "sum" (default "none").

    Returns:
        A scalar array, or with "none" an array of ``targets``' shape.
    """
    picked = mx.take_along_axis(inputs, mx.expand_dims(targets, axis), axis).squeeze(axis)
    return _reduce(-picked, reduction)


def gaussian_nll_loss(
    inputs: mx.array,
    targets: mx.array,
    vars: mx.array,
    full: bool = False,
    eps: float = 1e-6,
    reduction: Reduction = "mean",
) -> mx.array:
    """Negative log likelihood of ``targets`` under a normal distribution of
    mean ``inputs`` and variance ``vars``.

    Args:
        inputs: the predicted means.
        targets: the observed values, of ``inputs``' shape.
        vars: the predicted variances, of ``inputs``' shape; clamped below at ``eps``.
        full: add the constant ``log(2 pi) / 2`` (default False).
        eps: the smallest variance used (default 1e-6).
        reduction: "none" (one loss per element), "mean" or "sum" (default "mean").

    Returns:
        A scalar array, or with "none" an array of ``inputs``' shape.
    """
    _check_same_shape(inputs, targets, "Inputs")
    _check_same_shape(inputs, vars, "Inputs", "vars")
    vars = mx.maximum(vars, eps)
    loss = 0.5 * (mx.log(vars) + mx.square(targets - inputs) / vars)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def kl_div_loss(
    inputs: mx.array, targets: mx.array, axis: int = -1, reduction: Reduction = "none"
) -> mx.array:
    """Kullback-Leibler divergence KL(targets || inputs) along ``axis``.

    Args:
        inputs: log probabilities of the approximating distribution.
        targets: log probabilities of the reference distribution, of ``inputs``' shape.
        axis: the axis of the distribution (default the last).
        reduction: "none" (one loss per element of ``inputs`` without ``axis``), "mean" or "sum" (default "none").

    Returns:
        A scalar array, or with "none" an array of ``inputs``' shape without ``axis``.
    """
    loss = mx.sum(mx.exp(targets) * (targets - inputs), axis=axis)
    return _reduce(loss, reduction)


def smooth_l1_loss(
    predictions: mx.array, targets: mx.array, beta: float = 1.0, reduction: Reduction = "mean"
) -> mx.array:
    """Smooth L1 loss: ``0.5 * d**2 / beta`` where ``d = |predictions - targets|``
    is below ``beta``, ``d - beta / 2`` elsewhere.

    Args:
        predictions: the model's outputs.
        targets: the wanted values, of ``predictions``' shape.
        beta: where the loss turns from quadratic to linear (default 1).
        reduction: "none" (one loss per element), "mean" or "sum" (default "mean").

    Returns:
        A scalar array, or with "none" an array of ``predictions``' shape.
    """
    _check_same_shape(predictions, targets)
    diff = mx.abs(predictions - targets)
    loss = mx.where(diff < beta, 0.5 * mx.square(diff) / beta, diff - 0.5 * beta)
    return _reduce(loss, reduction)


def triplet_loss(
    anchors: mx.array,
    positives: mx.array,
    negatives: mx.array,
    axis: int = -1,
    p: int = 2,
    margin: float = 1.0,
    eps: float = 1e-6,
    reduction: Reduction = "none",
) -> mx.array:
    """Triplet margin loss ``max(d(a, pos) - d(a, neg) + margin, 0)`` along ``axis``,
    with ``d(x, y) = (sum |x - y|**p + eps)**(1/p)``, a p-norm kept
    differentiable at 0.

    Args:
        anchors: the reference embeddings.
        positives: embeddings that should be near the anchors.
        negatives: embeddings that should be far from the anchors.
        axis: the embedding axis (default the last).
        p: the order of the norm (default 2).
        margin: how much farther the negatives should be (default 1).
        eps: added inside the root for a finite gradient at 0 (default 1e-6).
        reduction: "none" (one loss per element of ``anchors`` without ``axis``), "mean" or "sum" (default "none").

    Returns:
        A scalar array, or with "none" an array of ``anchors``' shape without ``axis``.
    """

    def dist(x, y):
        return mx.power(mx.sum(mx.power(mx.abs(x - y), p), axis=axis) + eps, 1.0 / p)

    d_pos = dist(anchors, positives)
    d_neg = dist(anchors, negatives)
    return _reduce(mx.maximum(d_pos - d_neg + margin, 0), reduction)


def hinge_loss(inputs: mx.array, targets: mx.array, reduction: Reduction = "none") -> mx.array:
    """Hinge loss ``max(1 - inputs * targets, 0)``.

    Args:
        inputs: the predicted scores.
        targets: the labels, -1 or 1, broadcast against ``inputs``.
        reduction: "none" (one loss per element), "mean" or "sum" (default "none").

    Returns:
        A scalar array, or with "none" an array of the broadcast shape.
    """
    return _reduce(mx.maximum(1 - inputs * targets, 0), reduction)


def huber_loss(
    inputs: mx.array, targets: mx.array, delta: float = 1.0, reduction: Reduction = "none"
) -> mx.array:
    """Huber loss: half the squared error up to ``delta``, linear with slope
    ``delta`` beyond it.

    Args:
        inputs: the predictions.
        targets: the wanted values, broadcast against ``inputs``.
        delta: where the loss turns from quadratic to linear (default 1).
        reduction: "none" (one loss per element), "mean" or "sum" (default "none").

    Returns:
        A scalar array, or with "none" an array of the broadcast shape.
    """
    err = mx.abs(inputs - targets)
    quadratic = mx.minimum(err, delta)
    linear = err - quadratic
    return _reduce(0.5 * mx.square(quadratic) + delta * linear, reduction)


def log_cosh_loss(inputs: mx.array, targets: mx.array, reduction: Reduction = "none") -> mx.array:
    """``log(cosh(inputs - targets))``, computed without overflowing cosh.

    Args:
        inputs: the predictions.
        targets: the wanted values, broadcast against ``inputs``.
        reduction: "none" (one loss per element), "mean" or "sum" (default "none").

    Returns:
        A scalar array, or with "none" an array of the broadcast shape.
    """
    err = inputs - targets
    return _reduce(mx.logaddexp(err, -err) - math.log(2), reduction)


def cosine_similarity_loss(
    x1: mx.array, x2: mx.array, axis: int = 1, eps: float = 1e-8, reduction: Reduction = "none"
) -> mx.array:
    """Cosine similarity of ``x1`` and ``x2`` along ``axis`` (1 for the same
    direction, -1 for opposite ones).

    Args:
        x1: the first embeddings.
        x2: the second embeddings, broadcast against ``x1``.
        axis: the embedding axis (default 1).
        eps: the smallest value of the product of the norms (default 1e-8).
        reduction: "none" (one loss per element of the broadcast shape without ``axis``), "mean" or "sum" (default "none").

    Returns:
        A scalar array, or with "none" an array of the broadcast shape without ``axis``.
    """
    n1 = mx.sqrt(mx.sum(mx.square(x1), axis=axis))
    n2 = mx.sqrt(mx.sum(mx.square(x2), axis=axis))
    loss = mx.sum(x1 * x2, axis=axis) / mx.maximum(n1 * n2, eps)
    return _reduce(loss, reduction)


def margin_ranking_loss(
    inputs1: mx.array,
    inputs2: mx.array,
    targets: mx.array,
    margin: float = 0.0,
    reduction: Reduction = "none",
) -> mx.array:
    """Margin ranking loss ``max(-targets * (inputs1 - inputs2) + margin, 0)``.

    Args:
        inputs1: the scores of the first items.
        inputs2: the scores of the second items, of ``inputs1``' shape.
        targets: 1 where the first item should rank higher, -1 where the
            second should, of ``inputs1``' shape.
        margin: how much higher the preferred score should be (default 0).
        reduction: "none" (one loss per element), "mean" or "sum" (default "none").

    Returns:
        A scalar array, or with "none" an array of ``inputs1``' shape.
    """
    if not (inputs1.shape == inputs2.shape == targets.shape):
        raise ValueError(
            "The shapes of the arguments do not match. The provided shapes are "
            f"inputs1.shape={inputs1.shape}, inputs2.shape={inputs2.shape}, and "
            f"targets.shape={targets.shape}."
        )
    return _reduce(mx.maximum(-targets * (inputs1 - inputs2) + margin, 0), reduction)
