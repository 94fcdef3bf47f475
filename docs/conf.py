"""Sphinx configuration: Markdown pages (MyST) plus a generated API reference.

Build with `bash scripts/build_docs.sh` (HTML in docs/_build/html).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import tandem.core  # noqa: F401  (the installed package, or PYTHONPATH)
except ImportError:
    # An in-tree build (scripts/gpu.sh) puts the extension under python/.
    sys.path.insert(0, os.path.join(HERE, "..", "python"))
    import tandem.core  # noqa: F401

sys.path.insert(0, HERE)
import gen_reference  # noqa: E402

project = "Tandem"
author = "Tandem developers"
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "README.md"]
myst_heading_anchors = 3
html_theme = "alabaster"


def _generate(app):
    gen_reference.main(os.path.join(HERE, "reference"))


def setup(app):
    app.connect("builder-inited", _generate)
