// float32 square matmul: Tandem (build + eval each iteration; the output
// buffer comes back from the allocator's cache) beside cblas_sgemm called
// directly on the same sizes, both reported in GFLOP/s (the counter "GFLOP" is a rate: GFLOP=x/s).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "tandem/ops/matmul.h"
#include "tandem/ops/random.h"
#include "tandem/tandem.h"

#if __has_include(<cblas.h>)
#include <cblas.h>
#else
// OpenBLAS's CBLAS entry point (linked through tandem); the include dir is
// private to the tandem target.
extern "C" {
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112 };
void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m,
                 int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
                 float beta, float* c, int ldc);
}
#endif

using namespace tandem;

namespace {

void set_gflops(benchmark::State& state, int64_t n) {
  state.counters["GFLOP"] = benchmark::Counter(2.0 * double(n) * double(n) * double(n) * 1e-9,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

static void BM_TandemMatmul(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  Stream s = default_stream(Device::cpu);
  array a = random::normal({n, n}, float32, random::key(1), s);
  array b = random::normal({n, n}, float32, random::key(2), s);
  eval(a, b);
  for (auto _ : state) {
    array c = matmul(a, b, s);
    eval(c);
  }
  set_gflops(state, n);
}

static void BM_CblasSgemm(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  std::vector<float> a(size_t(n) * n), b(size_t(n) * n), c(size_t(n) * n);
  std::mt19937 g(0);
  std::normal_distribution<float> d;
  for (auto& x : a) x = d(g);
  for (auto& x : b) x = d(g);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a.data(), n, b.data(), n,
                0.f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_gflops(state, n);
}

BENCHMARK(BM_TandemMatmul)
    ->Arg(256)
    ->Arg(1024)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_CblasSgemm)
    ->Arg(256)
    ->Arg(1024)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_MAIN();
