// Memory bandwidth of elementwise ops: add and exp over 1K .. 64M float32
// elements beside std::memcpy, all in GB/s of bytes read + written (counter "GB=x/s";
// bytes_per_second is the same figure). Inputs are
// evaluated once; each iteration builds and evaluates the op (default
// settings: the output goes back to the allocator's cache in between).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "tandem/ops/random.h"
#include "tandem/tandem.h"

using namespace tandem;

namespace {

void set_bandwidth(benchmark::State& state, double bytes_per_iter) {
  state.counters["GB"] =
      benchmark::Counter(bytes_per_iter * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(static_cast<int64_t>(bytes_per_iter) * state.iterations());
}

array input(int n, uint64_t seed, Stream s) {
  array x = random::uniform(array(-1.f), array(1.f), {n}, float32, random::key(seed), s);
  eval(x);
  return x;
}

}  // namespace

static void BM_Add(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  Stream s = default_stream(Device::cpu);
  array a = input(n, 1, s), b = input(n, 2, s);
  for (auto _ : state) {
    array c = add(a, b, s);
    eval(c);
  }
  set_bandwidth(state, 3.0 * 4 * n);  // two reads, one write
}

static void BM_Exp(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  Stream s = default_stream(Device::cpu);
  array a = input(n, 3, s);
  for (auto _ : state) {
    array c = exp(a, s);
    eval(c);
  }
  set_bandwidth(state, 2.0 * 4 * n);  // one read, one write
}

// std::memcpy of n float32 elements: n * 4 bytes read and n * 4 written.
static void BM_Memcpy(benchmark::State& state) {
  size_t n = static_cast<size_t>(state.range(0));
  std::vector<float> src(n, 1.f), dst(n, 0.f);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n * sizeof(float));
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  set_bandwidth(state, 2.0 * 4 * n);
}

#define SIZES ->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20)->Arg(1 << 24)->Arg(1 << 26)
BENCHMARK(BM_Add) SIZES->UseRealTime();
BENCHMARK(BM_Exp) SIZES->UseRealTime();
BENCHMARK(BM_Memcpy) SIZES->UseRealTime();
BENCHMARK_MAIN();
