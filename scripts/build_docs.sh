#!/usr/bin/env bash
# Builds the documentation site into docs/_build/html. Needs the tandem
# package importable (pip install ., or PYTHONPATH=python after an in-tree
# build) and sphinx + myst-parser (scripts/install_deps.sh installs them).
# Warnings are errors, as in tests/python/test_docs.py.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m sphinx -W --keep-going -b html docs docs/_build/html "$@"
echo "docs: $PWD/docs/_build/html/index.html"
