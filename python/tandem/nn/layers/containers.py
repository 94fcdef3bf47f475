"""Sequential: layers applied one after the other."""

from tandem.nn.layers.base import Module


class Sequential(Module):
    """Calls its ``layers`` in order; any callable may be a layer.

    Args:
        *modules: the layers (modules or plain functions), kept in ``layers``.

    ``model(x)`` returns the last layer's output.
    """

    def __init__(self, *modules):
        super().__init__()
        self.layers = list(modules)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
