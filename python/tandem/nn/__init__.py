"""Neural network layers with the API of ``mlx.nn``: ``import tandem.nn as nn``.

Pure Python over ``tandem.core``.
"""

from tandem.nn import init, losses, utils  # noqa: F401
from tandem.nn.layers import *  # noqa: F401,F403
from tandem.nn.utils import average_gradients, checkpoint, value_and_grad  # noqa: F401
