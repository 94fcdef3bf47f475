// Host cost of the transforms (issue 12's bar: building the backward graph
// costs at most 2x building the forward graph, per op). Nothing is
// evaluated: each benchmark builds a graph of a chain of elementwise ops on a
// small array and drops it.
//   BM_BuildForward: the chain alone.
//   BM_BuildValueAndGrad: value_and_grad of the chain's sum (the forward
//     trace plus the backward graph).
// backward / forward = (ValueAndGrad - Forward) / Forward.
#include <benchmark/benchmark.h>

#include "tandem/tandem.h"

using namespace tandem;

namespace {

constexpr int kOps = 200;

array chain(const array& x) {
  array y = x;
  for (int i = 0; i < kOps; ++i) {
    y = i % 3 == 0 ? exp(y) : i % 3 == 1 ? multiply(y, y) : add(y, x);
  }
  return y;
}

}  // namespace

static void BM_BuildForward(benchmark::State& state) {
  array x = ones({16});
  eval(x);
  for (auto _ : state) {
    array y = sum(chain(x));
    benchmark::DoNotOptimize(y);
  }
  state.counters["ns_per_op"] =
      benchmark::Counter(double(state.iterations()) * (kOps + 1),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

static void BM_BuildValueAndGrad(benchmark::State& state) {
  array x = ones({16});
  eval(x);
  auto vg = value_and_grad([](const array& v) { return sum(chain(v)); });
  for (auto _ : state) {
    auto [v, g] = vg(x);
    benchmark::DoNotOptimize(g);
  }
  state.counters["ns_per_op"] =
      benchmark::Counter(double(state.iterations()) * (kOps + 1),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_BuildForward)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_BuildValueAndGrad)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK_MAIN();
