#!/usr/bin/env bash
# The GPU check, run on a machine with an NVIDIA GPU (the device machine):
# builds with CUDA, runs every C++ and Python test with the GPU as the default
# device, compute-sanitizer memcheck over the GPU tests, the GPU benchmarks,
# and prints a short summary (also written to $OUT/summary.txt).
#
#   bash scripts/gpu.sh [steps...]     steps: build ctest pytest bench memcheck (default: all)
#
# Dependencies come from Debian packages: installed with apt-get where it
# works, else unpacked from .deps/*.deb into /tmp/deps (scripts/fetch_debs.sh
# downloads them, on Debian, for machines without a package registry).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/tandem-gpu}
mkdir -p "$OUT"
STEPS=${*:-build ctest pytest bench memcheck}
has() { [[ " $STEPS " == *" $1 "* ]]; }
summary="$OUT/summary.txt"
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }

if ls .deps/*.deb >/dev/null 2>&1; then
  for f in .deps/*.deb; do dpkg -x "$f" /tmp/deps; done
  export CMAKE_PREFIX_PATH=/tmp/deps/usr
  ML=/tmp/deps/usr/lib/x86_64-linux-gnu
  export LD_LIBRARY_PATH=$ML:$ML/openblas-pthread:${LD_LIBRARY_PATH:-}
  CBLAS="-DCBLAS_INCLUDE_DIR=/tmp/deps/usr/include/x86_64-linux-gnu/openblas-pthread"
  BLAS="-DBLAS_LIBRARIES=$ML/openblas-pthread/libopenblas.so"
elif command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  bash scripts/install_deps.sh
fi
export TANDEM_JIT_CACHE=${TANDEM_JIT_CACHE:-/tmp/tandem-jit}
BUILD=${BUILD:-build-gpu}
note "card: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null)"

if has build; then
  t0=$SECONDS
  # The Python module is built in the same tree (build/python_stage), so the
  # pytest step needs no second build through pip.
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTANDEM_CUDA=ON \
    -DTANDEM_BUILD_PYTHON=ON ${CBLAS:-} ${BLAS:-} >"$OUT/cmake.log" 2>&1 &&
    cmake --build "$BUILD" -j"$(nproc)" >"$OUT/build.log" 2>&1
  rc=$?
  note "build: rc=$rc in $((SECONDS - t0)) s"
  [ $rc -eq 0 ] || { tail -40 "$OUT/build.log"; exit 1; }
fi

# The in-tree module (the build step makes it) for every Python step below.
[ -d "$BUILD/python_stage/tandem" ] && export PYTHONPATH=$PWD/$BUILD/python_stage

if has ctest; then
  t0=$SECONDS
  # Warm the JIT cache serially first would cost more than the duplicate
  # compiles of parallel test processes; the cache is shared on disk.
  DEVICE=gpu ctest --test-dir "$BUILD" -j12 --timeout 120 --output-on-failure >"$OUT/ctest.log" 2>&1
  note "ctest (DEVICE=gpu): $(grep -E 'tests passed|tests failed' "$OUT/ctest.log") in $((SECONDS - t0)) s"
  grep -E '^\s+[0-9]+ - ' "$OUT/ctest.log" | head -40 | tee -a "$summary"
  # Stacks of crashed test processes (tests/cpp/crash_backtrace.cpp), with
  # the test binary's frames turned into function names.
  if grep -q '^\[crash\] signal' "$OUT/ctest.log"; then
    bin="$BUILD/tests/cpp/tandem_tests"
    awk '/^\[crash\] signal/ {p = 1} p {print} /^\[crash\] end/ {p = 0}' "$OUT/ctest.log" |
      while IFS= read -r line; do
        if [[ $line =~ tandem_tests\(\+(0x[0-9a-f]+)\) ]]; then
          echo "  $(addr2line -f -C -e "$bin" "${BASH_REMATCH[1]}" | paste -sd' ')"
        else
          echo "$line"
        fi
      done >"$OUT/crash_stacks.txt"
    note "crashed test processes: $(grep -c '^\[crash\] signal' "$OUT/ctest.log"), stacks in crash_stacks.txt:"
    head -60 "$OUT/crash_stacks.txt" | tee -a "$summary"
  fi
  # The runtime tests again with plain launches (TANDEM_CUDA_GRAPHS=0).
  DEVICE=gpu TANDEM_CUDA_GRAPHS=0 "$BUILD"/tests/cpp/tandem_tests --gtest_brief=1 \
    --gtest_filter='Gpu*:Fusion.*:Unary.*:Reduce.*' >"$OUT/ctest-nographs.log" 2>&1
  note "tests without CUDA graphs: $(grep -E 'PASSED|FAILED' "$OUT/ctest-nographs.log" | tr '\n' ' ')"
fi

if has pytest; then
  t0=$SECONDS
  PY=${PYTHON:-python3}
  if [ -z "${PYTHONPATH:-}" ]; then
    CMAKE_ARGS="-DTANDEM_CUDA=ON ${CBLAS:-} ${BLAS:-}" $PY -m pip install --no-build-isolation \
      --config-settings=build.tool-args=-j"$(nproc)" \
      --no-deps -q . >"$OUT/pip.log" 2>&1 || { note "pip install failed"; tail -30 "$OUT/pip.log"; }
  fi
  XDIST=$($PY -c 'import xdist' 2>/dev/null && echo "-n 8")
  # Outcomes go to tests.log as they finish (a run cut by the timeout still
  # says what failed); a test stuck for 120 s has its Python stack printed.
  DEVICE=gpu TANDEM_TEST_LOG="$OUT/tests.log" timeout "${PYTEST_TIMEOUT:-1200}" $PY -m pytest \
    tests/python -q -p no:cacheprovider -o faulthandler_timeout=120 \
    --maxfail=50 -rf $XDIST ${PYTEST_ARGS:-} >"$OUT/pytest.log" 2>&1
  note "pytest (DEVICE=gpu): $(tail -1 "$OUT/pytest.log") in $((SECONDS - t0)) s"
  grep -E '^FAILED' "$OUT/tests.log" 2>/dev/null | sort -u | head -30 | tee -a "$summary"
fi

if has bench; then
  # The first eval of a never-seen fused program: ops one by one while the
  # kernel compiles in the background (default), against waiting for NVRTC.
  for a in 1 0; do
    TANDEM_JIT_ASYNC=$a "$BUILD"/benchmarks/bench_first_eval 2>&1 | grep -E "^BM_" |
      sed "s/$/   (TANDEM_JIT_ASYNC=$a)/" | tee -a "$summary"
  done
  # Steady state: a warm-up eval compiles each fused program before timing
  # starts (in the background it could still be compiling when it does).
  export TANDEM_JIT_ASYNC=0
  "$BUILD"/benchmarks/bench_overhead --benchmark_filter=Gpu 2>&1 | grep -E "^BM_" | tee -a "$summary"
  # The same with plain launches instead of CUDA graphs, for comparison.
  TANDEM_CUDA_GRAPHS=0 "$BUILD"/benchmarks/bench_overhead --benchmark_filter=Gpu 2>&1 |
    grep -E "^BM_" | sed 's/$/   (TANDEM_CUDA_GRAPHS=0)/' | tee -a "$summary"
  # The canonical workload on one vs two CPU streams (issue 2's bar, on this
  # machine's cores): the four cases once, then three runs of all three cases
  # taken in turn (medians; two streams over the longer part alone).
  "$BUILD"/benchmarks/bench_canonical --benchmark_filter='BM_[MEB]' 2>&1 | grep -E "^BM_" |
    tee -a "$OUT/canonical.log" | tee -a "$summary"
  for i in 1 2 3; do
    "$BUILD"/benchmarks/bench_canonical --benchmark_filter=Interleaved 2>&1 | grep -E "^BM_" |
      tee -a "$OUT/canonical.log" | tr ' ' '\n' | grep = |
      awk -F= '{v[$1] = $2} END {printf "canonical, cases in turn: matmul %.3f ms, exps %.3f, two streams %.3f: %.2fx the longer part (<= 1.15)\n",
        v["matmul_ms"], v["exps_ms"], v["two_streams_ms"], v["ratio"]}' | tee -a "$summary"
  done
  "$BUILD"/examples/demo 2>&1 | tee "$OUT/demo.log" | tee -a "$summary"
  ${PYTHON:-python3} benchmarks/bench_gpu.py 2>&1 | tee "$OUT/bench.log" | tee -a "$summary"
  # value_and_grad beside PyTorch autograd (CPU and GPU), and the host cost
  # of building backward graphs.
  ${PYTHON:-python3} benchmarks/bench_transforms.py 2>&1 | tee -a "$OUT/bench.log" | tee -a "$summary"
  "$BUILD"/benchmarks/bench_transforms 2>&1 | grep -E "^BM_" | tee -a "$summary"
  # The canonical workload without fusion: 500 exp kernels on the GPU, as
  # MLX runs it without mx.compile (for the split <= 0.5x all-GPU bar).
  note "canonical with TANDEM_FUSION=0:"
  TANDEM_FUSION=0 ${PYTHON:-python3} benchmarks/bench_gpu.py --canonical-only 2>&1 |
    tee -a "$OUT/bench.log" | tee -a "$summary"
fi
if has memcheck; then
  t0=$SECONDS
  # A representative subset: memcheck slows kernels (and JIT) many times over.
  # Not the exit death tests: each child process would start under memcheck.
  filter='Gpu*:Fusion.*:Unary.*:Binary.Where*:Reduce.SumAllDtypes:Reduce.ArgMaxArgMinAllDtypes:Scan.CumsumAllDtypes:Sort.SortArgsortAllDtypes:Matmul.OnTestDevice*:Random.*:IndexingOnDevice.*:Creation.AstypeAllPairs-*DeathTest.*'
  # The same tests once without memcheck fill the JIT cache, whose NVRTC
  # compiles memcheck would slow as much as the kernels (a cold cache ran
  # past 400 s).
  DEVICE=gpu "$BUILD"/tests/cpp/tandem_tests --gtest_filter="$filter" --gtest_brief=1 >"$OUT/memcheck-warm.log" 2>&1
  DEVICE=gpu timeout "${MEMCHECK_TIMEOUT:-300}" compute-sanitizer --tool memcheck --error-exitcode 9 \
    "$BUILD"/tests/cpp/tandem_tests --gtest_filter="$filter" >"$OUT/memcheck.log" 2>&1
  rc=$?
  note "memcheck: rc=$rc, $(grep -E 'ERROR SUMMARY' "$OUT/memcheck.log" | tail -1), $(grep -E 'tests? from .* ran|PASSED|FAILED' "$OUT/memcheck.log" | tr '\n' ' ') in $((SECONDS - t0)) s"
  # A short graph-fuzz run and the transform tests from Python under memcheck
  # (the package as the pytest step installed it, or PYTHONPATH's).
  t0=$SECONDS
  DEVICE=gpu TANDEM_FUZZ_GRAPHS=${MEMCHECK_FUZZ_GRAPHS:-150} timeout "${MEMCHECK_TIMEOUT:-300}" \
    compute-sanitizer --tool memcheck --error-exitcode 9 ${PYTHON:-python3} -m pytest -q -p no:cacheprovider \
    tests/python/test_fuzz_graphs.py tests/python/test_transforms.py >"$OUT/memcheck-py.log" 2>&1
  rc=$?
  note "memcheck (Python: graph fuzz, transforms): rc=$rc, $(grep -E 'ERROR SUMMARY' "$OUT/memcheck-py.log" | tail -1), $(tail -1 "$OUT/memcheck-py.log") in $((SECONDS - t0)) s"
fi

echo "logs in $OUT"
