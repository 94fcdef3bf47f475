"""Load tandem.nn's losses and init by file, so their tests need no tandem/nn/__init__.py."""

import importlib
import importlib.util
import pathlib


def load(name):
    """``tandem.nn.<name>``: imported normally when tandem.nn exists, else from its file."""
    try:
        return importlib.import_module(f"tandem.nn.{name}")
    except ImportError:
        import tandem

        path = pathlib.Path(tandem.__file__).parent / "nn" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"tandem_nn_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
