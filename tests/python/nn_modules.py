"""tandem.nn's losses and init modules, for their tests."""

import importlib


def load(name):
    """``tandem.nn.<name>``."""
    return importlib.import_module(f"tandem.nn.{name}")
