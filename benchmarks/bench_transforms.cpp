// Host cost of the transforms (issue 12's bar: building the backward graph
// costs at most 2x building the forward graph, host time per op). Nothing is
// evaluated: each benchmark builds a graph of a chain of elementwise ops on a
// small array and drops it.
//   BM_BuildForward: the chain alone.
//   BM_BuildValueAndGrad: value_and_grad of the chain's sum (the forward
//     trace plus the backward graph).
//   BM_BackwardPerOp: both in turn each iteration (so load on the machine
//     hits them alike); reports the forward's time per node, the backward
//     graph's time per node it adds ((value_and_grad - forward) / its nodes)
//     and their ratio, the bar's number.
#include <benchmark/benchmark.h>
#include <time.h>

#include <unordered_set>

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

// Nodes of the graph behind outs (each node once).
double count_nodes(const std::vector<array>& outs) {
  std::unordered_set<uintptr_t> seen;
  std::vector<array> stack(outs.begin(), outs.end());
  size_t n = 0;
  while (!stack.empty()) {
    array a = stack.back();
    stack.pop_back();
    if (!a.has_primitive() || !seen.insert(reinterpret_cast<uintptr_t>(a.node().get())).second)
      continue;
    ++n;
    for (auto& in : a.inputs()) stack.push_back(in);
  }
  return static_cast<double>(n);
}

auto value_and_grad_of_chain() {
  return value_and_grad([](const array& v) { return sum(chain(v)); });
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
  auto vg = value_and_grad_of_chain();
  for (auto _ : state) {
    auto [v, g] = vg(x);
    benchmark::DoNotOptimize(g);
  }
  state.counters["ns_per_op"] =
      benchmark::Counter(double(state.iterations()) * (kOps + 1),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

static void BM_BackwardPerOp(benchmark::State& state) {
  array x = ones({16});
  eval(x);
  auto vg = value_and_grad_of_chain();
  double fwd_nodes = count_nodes({sum(chain(x))});
  double bwd_nodes;
  {
    auto [v, g] = vg(x);
    bwd_nodes = count_nodes({v, g}) - fwd_nodes;
  }
  // This thread's CPU time: other processes on a loaded machine do not count.
  auto now = [] {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return 1e9 * double(t.tv_sec) + double(t.tv_nsec);
  };
  double fwd_ns = 0, vag_ns = 0;
  for (auto _ : state) {
    double t0 = now();
    {
      array y = sum(chain(x));
      benchmark::DoNotOptimize(y);
    }
    double t1 = now();
    {
      auto [v, g] = vg(x);
      benchmark::DoNotOptimize(g);
    }
    double t2 = now();
    fwd_ns += t1 - t0;
    vag_ns += t2 - t1;
  }
  double it = static_cast<double>(state.iterations());
  double fwd_per_op = fwd_ns / it / fwd_nodes;
  double bwd_per_op = (vag_ns - fwd_ns) / it / bwd_nodes;
  state.counters["fwd_nodes"] = fwd_nodes;
  state.counters["bwd_nodes"] = bwd_nodes;
  state.counters["fwd_ns_per_op"] = fwd_per_op;
  state.counters["bwd_ns_per_op"] = bwd_per_op;
  state.counters["ratio"] = bwd_per_op / fwd_per_op;  // the bar: <= 2
}

BENCHMARK(BM_BuildForward)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_BuildValueAndGrad)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_BackwardPerOp)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK_MAIN();
