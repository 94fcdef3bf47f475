// The canonical workload of the design brief: x = a @ b with a (4096, 512) and
// b (512, 4) random normal, and y = 500 chained exps of a small (512, 4)
// random uniform c. Cases: the matmul alone, the exp chain alone, both on one
// CPU stream, and both on two CPU streams (matmul on one, exps on the other,
// one eval(x, y)). Each iteration builds and evaluates the graph; ms per run.
#include <benchmark/benchmark.h>

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

BENCHMARK(BM_MatmulAlone)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_ExpChainAlone)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_BothOneStream)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_BothTwoStreams)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
BENCHMARK_MAIN();
