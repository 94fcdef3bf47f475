#!/usr/bin/env bash
# Fresh Debian machine, as root: installs what is needed, builds, runs the demo
# (the canonical workload: a matmul beside 500 small exps on another stream).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
./build/examples/demo
