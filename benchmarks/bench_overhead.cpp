// Per-op overhead: build and evaluate chains of tiny ops on a CPU stream.
#include <benchmark/benchmark.h>

#include "tandem/tandem.h"

using namespace tandem;

// 1,000 tiny adds (4 float32 elements), built and evaluated: us per op.
static void BM_TinyChain1000(benchmark::State& state) {
  Stream s = default_stream(Device::cpu);
  array x = ones({4}, float32, s);
  array one = ones({4}, float32, s);
  eval(x, one);
  for (auto _ : state) {
    array y = x;
    for (int i = 0; i < 1000; ++i) y = add(y, one, s);
    eval(y);
  }
  state.counters["us_per_op"] = benchmark::Counter(
      1000.0 * state.iterations(), benchmark::Counter::kIsRate | benchmark::Counter::kInvert,
      benchmark::Counter::OneK::kIs1000);
  state.counters["us_per_op"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 1000, benchmark::Counter::kIsIterationInvariantRate);
}

// 500 exps on a 512x4 float32 array (the CPU half of the canonical workload).
static void BM_Exp500Chain(benchmark::State& state) {
  Stream s = default_stream(Device::cpu);
  array x = multiply(ones({512, 4}, float32, s), array(1e-3f), s);
  eval(x);
  for (auto _ : state) {
    array y = x;
    for (int i = 0; i < 500; ++i) y = exp(y, s);
    eval(y);
  }
}

BENCHMARK(BM_TinyChain1000)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_Exp500Chain)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK_MAIN();
