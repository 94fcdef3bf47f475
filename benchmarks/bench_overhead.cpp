// Per-op overhead: build and evaluate chains of tiny ops on a CPU stream
// (and on a GPU stream, where one is present: the *Gpu variants).
#include <benchmark/benchmark.h>

#include "tandem/tandem.h"

using namespace tandem;

// 1,000 tiny adds (4 float32 elements), built and evaluated: us per op.
// The GPU chain is also split to show where its time goes: building the
// 1,000 nodes alone (then dropping them), and building plus encoding them
// (async_eval) with the wait for the GPU left out of the timing.
enum class Part { all, build, host };
static void tiny_chain(benchmark::State& state, Device d, Part part = Part::all) {
  if (!is_available(d)) {
    state.SkipWithError("no GPU");
    return;
  }
  Stream s = default_stream(d);
  array x = ones({4}, float32, s);
  array one = ones({4}, float32, s);
  eval(x, one);
  auto chain = [&] {
    array y = x;
    for (int i = 0; i < 1000; ++i) y = add(y, one, s);
    return y;
  };
  // Warm-up: the first eval compiles the chain's fused GPU kernel (NVRTC).
  eval(chain());
  for (auto _ : state) {
    array y = x;
    for (int i = 0; i < 1000; ++i) y = add(y, one, s);
    if (part == Part::all) {
      eval(y);
    } else if (part == Part::host) {
      async_eval({y});
      state.PauseTiming();
      synchronize(s);
      state.ResumeTiming();
    }
  }
  // Reported time per iteration / 1000 = time per op.
}
static void BM_TinyChain1000(benchmark::State& state) {
  tiny_chain(state, Device::cpu);
}
// The same chain through compile(): traced once, replayed each iteration.
static void BM_TinyChain1000Compiled(benchmark::State& state) {
  Stream s = default_stream(Device::cpu);
  array x = ones({4}, float32, s);
  array one = ones({4}, float32, s);
  eval(x, one);
  ArrayFn chain = compile([&](const std::vector<array>& in) {
    array y = in[0];
    for (int i = 0; i < 1000; ++i) y = add(y, in[1], s);
    return std::vector<array>{y};
  });
  eval(chain({x, one}));
  for (auto _ : state) eval(chain({x, one}));
}
static void BM_TinyChain1000GpuBuildOnly(benchmark::State& state) {
  tiny_chain(state, Device::gpu, Part::build);
}
static void BM_TinyChain1000GpuHostOnly(benchmark::State& state) {
  tiny_chain(state, Device::gpu, Part::host);
}
static void BM_TinyChain1000Gpu(benchmark::State& state) {
  tiny_chain(state, Device::gpu);
}

// 500 exps on a 512x4 float32 array (the CPU half of the canonical workload).
// compiled: the chain traced once by compile() and replayed (no op-by-op
// validation or shape inference per call; eval fuses it as before).
static void exp_chain(benchmark::State& state, Device d, bool compiled = false) {
  if (!is_available(d)) {
    state.SkipWithError("no GPU");
    return;
  }
  Stream s = default_stream(d);
  array x = multiply(ones({512, 4}, float32, s), array(1e-3f), s);
  eval(x);
  auto chain = [&] {
    array y = x;
    for (int i = 0; i < 500; ++i) y = exp(y, s);
    return y;
  };
  ArrayFn traced = compile([&](const std::vector<array>& in) {
    array y = in[0];
    for (int i = 0; i < 500; ++i) y = exp(y, s);
    return std::vector<array>{y};
  });
  eval(compiled ? traced({x})[0] : chain());  // warm-up (trace, kernel compilation)
  for (auto _ : state) eval(compiled ? traced({x})[0] : chain());
}

static void BM_Exp500Chain(benchmark::State& state) {
  exp_chain(state, Device::cpu);
}
static void BM_Exp500ChainGpu(benchmark::State& state) {
  exp_chain(state, Device::gpu);
}
static void BM_Exp500ChainCompiled(benchmark::State& state) {
  exp_chain(state, Device::cpu, true);
}
static void BM_Exp500ChainCompiledGpu(benchmark::State& state) {
  exp_chain(state, Device::gpu, true);
}

BENCHMARK(BM_TinyChain1000)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_TinyChain1000Compiled)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_Exp500Chain)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_Exp500ChainCompiled)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_TinyChain1000Gpu)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_TinyChain1000GpuBuildOnly)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_TinyChain1000GpuHostOnly)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_Exp500ChainGpu)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_Exp500ChainCompiledGpu)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK_MAIN();
