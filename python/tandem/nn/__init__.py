"""Neural network layers with the API of ``mlx.nn``: ``import tandem.nn as nn``.

Pure Python over ``tandem.core``.
"""

from tandem.nn import init, layers, losses, utils
from tandem.nn.layers import *  # noqa: F401,F403
from tandem.nn.utils import average_gradients, checkpoint, value_and_grad

# The public names (type checkers re-export only these): the layers, the
# submodules and the training helpers.
__all__ = ["init", "losses", "utils", "average_gradients", "checkpoint", "value_and_grad"]
__all__ += layers.__all__
