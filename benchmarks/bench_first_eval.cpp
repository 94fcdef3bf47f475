// The first eval of a fused GPU program that no kernel cache holds, memory
// or disk: by default the eval runs the program's ops one kernel each while
// NVRTC compiles the fused kernel in the background; with TANDEM_JIT_ASYNC=0
// it waits for the compile. Each iteration builds a program never seen
// before (its ops drawn from a seed of the run), so every eval is a first.
// scripts/gpu.sh runs it both ways.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>

#include "tandem/tandem.h"

using namespace tandem;

namespace {

// A chain of n unary ops on a 512x4 array, each op picked by two bits of a
// counter hashed with the run's seed: 4^n programs.
array new_program(array x, int n, Stream s) {
  static uint64_t state =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  for (int i = 0; i < n; i += 32) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t bits = state;
    for (int j = i; j < n && j < i + 32; ++j, bits >>= 2) {
      switch (bits & 3) {
        case 0:
          x = sin(x, s);
          break;
        case 1:
          x = cos(x, s);
          break;
        case 2:
          x = negative(x, s);
          break;
        default:
          x = tanh(x, s);
          break;
      }
    }
  }
  return x;
}

void first_eval(benchmark::State& state, Dtype t) {
  if (!is_available(Device::gpu)) {
    state.SkipWithError("no GPU");
    return;
  }
  Stream s = default_stream(Device::gpu);
  array x = astype(ones({512, 4}, float32, s), t, s);
  eval(x);
  // A process's first NVRTC compile always runs on the evaluating thread.
  eval(new_program(x, 8, s));
  // The unfused kernels the op-by-op path uses, one eval each (a single op
  // is not fused): with a cold JIT disk cache their first use compiles them,
  // which is not what this measures (0.5 s for float64's).
  for (auto op : {sin, cos, negative, tanh}) eval(op(x, s));
  for (auto _ : state) eval(new_program(x, static_cast<int>(state.range(0)), s));
}

void BM_FirstEvalFloat32(benchmark::State& state) {
  first_eval(state, float32);
}
void BM_FirstEvalFloat64(benchmark::State& state) {
  first_eval(state, float64);
}

}  // namespace

BENCHMARK(BM_FirstEvalFloat32)->Arg(250)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FirstEvalFloat64)->Arg(100)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
