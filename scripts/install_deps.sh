#!/usr/bin/env bash
# Installs what building and testing Tandem needs on Debian (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build ccache git clang-format \
  libopenblas-dev libhwy-dev libtbb-dev zlib1g-dev libkissfft-dev \
  libgtest-dev libbenchmark-dev \
  python3 python3-dev python3-pip >/dev/null
PIP="python3 -m pip"
# Debian's own Python refuses system-wide pip installs; allow them for this tool chain.
if ! $PIP install -q --upgrade pip >/dev/null 2>&1; then PIP="$PIP --break-system-packages"; fi
$PIP install -q numpy pytest hypothesis "nanobind>=3.1" "scikit-build-core>=0.10" ruff sphinx myst-parser mypy scikit-learn
