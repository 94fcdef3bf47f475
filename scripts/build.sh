#!/usr/bin/env bash
# Configures and builds the C++ library, tests, benchmarks and examples in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake --preset release "$@" >/dev/null
cmake --build build -j"$(nproc)"
