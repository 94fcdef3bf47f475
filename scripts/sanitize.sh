#!/usr/bin/env bash
# Runs the C++ tests under ASan+UBSan, and the scheduler/stream/memory tests
# under TSan. Run before resolving an issue that touches the core.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake --preset asan >/dev/null && cmake --build --preset asan -j"$(nproc)"
# Big-array tests take the threaded paths; keep the stress count moderate.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 TANDEM_STRESS_GRAPHS=500 \
  ./build-asan/tests/cpp/tandem_tests --gtest_brief=1
cmake --preset tsan >/dev/null && cmake --build --preset tsan -j"$(nproc)"
# Not the memory soak (one thread evaluating large arrays; ASan covers it):
# under TSan even 200-iteration rounds (TANDEM_SOAK_ROUNDS) ran past 15
# minutes on the 2-core dev machine, and its 12,000 iterations past 40.
TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/scripts/tsan.supp" TANDEM_STRESS_GRAPHS=1000 \
  ./build-tsan/tests/cpp/tandem_tests --gtest_filter='Scheduler*:Memory*:Fusion*:WorkSharing*:Transforms*:Compile*:ThreadLocal*:Event*:-MemorySoak*' --gtest_brief=1
echo "sanitizers: clean"
