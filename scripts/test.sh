#!/usr/bin/env bash
# Fresh Debian machine, as root: installs what is needed, builds, and runs every
# test: the C++ suite (ctest) and the Python suite (pytest). DEVICE=cpu|gpu
# picks the default device of the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
# Style first: it takes seconds and fails the run on unformatted changes.
bash scripts/check_format.sh
bash scripts/build.sh
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 900)
# The installed library from another project (find_package): seconds, the
# library being built already.
bash scripts/test_install.sh build
if [ -f pyproject.toml ]; then
  # The extension's build recompiles the library: let ccache serve it.
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  PIP="python3 -m pip"
  $PIP --version >/dev/null
  $PIP install -q --no-build-isolation . 2>/dev/null || \
    $PIP install --no-build-isolation --break-system-packages .
  python3 -m pytest tests/python -q
fi
