// The canonical workload of the design brief: x = a @ b with a (4096, 512) and
// b (512, 4) random normal, and y = 500 chained exps of a small (512, 4)
// random uniform c. Cases: the matmul alone, the exp chain alone, both on one
// CPU stream, and both on two CPU streams (matmul on one, exps on the other,
// one eval(x, y)). Each iteration builds and evaluates the graph; ms per run.
// BM_Interleaved runs the matmul alone, the exps alone and both on two
// streams in turn within each iteration and reports their medians and the
// ratio of issue 2's bar (two streams over the longer part alone): the
// separate benchmarks run seconds apart, and a shared machine's speed
// drifts by a fifth over that.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "tandem/ops/matmul.h"
#include "tandem/ops/random.h"
#include "tandem/tandem.h"

using namespace tandem;

namespace {

struct Inputs {
  array a, b, c;
};

Inputs& inputs() {
  static Inputs in = [] {
    Stream s = default_stream(Device::cpu);
    Inputs r{random::normal({4096, 512}, float32, random::key(1), s),
             random::normal({512, 4}, float32, random::key(2), s),
             random::uniform({512, 4}, float32, random::key(3), s)};
    eval(r.a, r.b, r.c);
    return r;
  }();
  return in;
}

array exp_chain(const array& c, Stream s) {
  array y = c;
  for (int i = 0; i < 500; ++i) y = exp(y, s);
  return y;
}

Stream& second_stream() {
  static Stream s = new_stream(Device::cpu);
  return s;
}

}  // namespace

static void BM_MatmulAlone(benchmark::State& state) {
  auto& in = inputs();
  Stream s = default_stream(Device::cpu);
  for (auto _ : state) eval(matmul(in.a, in.b, s));
}

static void BM_ExpChainAlone(benchmark::State& state) {
  auto& in = inputs();
  Stream s = default_stream(Device::cpu);
  for (auto _ : state) eval(exp_chain(in.c, s));
}

static void BM_BothOneStream(benchmark::State& state) {
  auto& in = inputs();
  Stream s = default_stream(Device::cpu);
  for (auto _ : state) {
    array x = matmul(in.a, in.b, s);
    array y = exp_chain(in.c, s);
    eval(x, y);
  }
}

static void BM_BothTwoStreams(benchmark::State& state) {
  auto& in = inputs();
  Stream s1 = default_stream(Device::cpu);
  Stream s2 = second_stream();
  for (auto _ : state) {
    array x = matmul(in.a, in.b, s1);
    array y = exp_chain(in.c, s2);
    eval(x, y);
  }
}

static void BM_Interleaved(benchmark::State& state) {
  auto& in = inputs();
  Stream s1 = default_stream(Device::cpu);
  Stream s2 = second_stream();
  std::vector<double> t[3];
  auto run = [&](int which) {
    auto t0 = std::chrono::steady_clock::now();
    if (which == 0) {
      eval(matmul(in.a, in.b, s1));
    } else if (which == 1) {
      eval(exp_chain(in.c, s1));
    } else {
      array x = matmul(in.a, in.b, s1);
      array y = exp_chain(in.c, s2);
      eval(x, y);
    }
    t[which].push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  };
  int i = 0;
  for (auto _ : state) {
    // The order turns each iteration, so no case always follows the same one.
    for (int k = 0; k < 3; ++k) run((i + k) % 3);
    ++i;
  }
  auto median = [](std::vector<double>& v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  double m = median(t[0]), e = median(t[1]), two = median(t[2]);
  state.counters["matmul_ms"] = m;
  state.counters["exps_ms"] = e;
  state.counters["two_streams_ms"] = two;
  state.counters["ratio"] = two / std::max(m, e);
}

BENCHMARK(BM_MatmulAlone)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_ExpChainAlone)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_BothOneStream)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_BothTwoStreams)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_Interleaved)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.5);
BENCHMARK_MAIN();
