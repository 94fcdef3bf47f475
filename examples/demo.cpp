// The canonical workload: a (4096x512) @ (512x4) matmul on one device while a
// chain of 500 exps on a tiny (512x4) array runs on another stream. Prints the
// time of each arrangement; with a GPU, the matmul goes to the GPU and the
// exps to a CPU stream, else both halves go to two CPU streams.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include "tandem/ops/matmul.h"
#include "tandem/ops/random.h"
#include "tandem/tandem.h"

using namespace tandem;

namespace {

double best_ms(const std::function<void()>& f, int reps = 20) {
  f();  // warm up: caches, allocator, streams
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(
        best,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

void workload(const array& a, const array& b, const array& c, Stream mm, Stream ex) {
  array x = matmul(a, b, mm);
  array y = c;
  for (int i = 0; i < 500; ++i) y = exp(y, ex);
  eval(x, y);
}

}  // namespace

int main() {
  bool gpu = is_available(Device::gpu);
  Stream cpu1 = new_stream(Device::cpu), cpu2 = new_stream(Device::cpu);
  Stream big = gpu ? new_stream(Device::gpu) : cpu1;
  array a = random::normal({4096, 512}, float32, 0.0f, 1.0f, random::key(0), cpu1);
  array b = random::normal({512, 4}, float32, 0.0f, 1.0f, random::key(1), cpu1);
  array c = random::uniform(0.0f, 1.0f, {512, 4}, float32, random::key(2), cpu1);
  eval(a, b, c);

  std::printf("canonical workload: (4096x512)@(512x4) matmul + 500 exp on (512x4), best of 20\n");
  double matmul_only = best_ms([&] { eval(matmul(a, b, big)); });
  double exps_only = best_ms([&] {
    array y = c;
    for (int i = 0; i < 500; ++i) y = exp(y, cpu2);
    eval(y);
  });
  if (gpu) {
    double all_gpu = best_ms([&] { workload(a, b, c, big, big); });
    double split = best_ms([&] { workload(a, b, c, big, cpu2); });
    double all_cpu = best_ms([&] { workload(a, b, c, cpu1, cpu1); });
    std::printf("  all on the GPU:            %8.3f ms\n", all_gpu);
    std::printf("  GPU matmul + CPU exps:     %8.3f ms\n", split);
    std::printf("  all on the CPU:            %8.3f ms\n", all_cpu);
  } else {
    double one = best_ms([&] { workload(a, b, c, cpu1, cpu1); });
    double two = best_ms([&] { workload(a, b, c, cpu1, cpu2); });
    std::printf("  (no GPU: both halves on CPU streams)\n");
    std::printf("  one CPU stream:            %8.3f ms\n", one);
    std::printf("  two CPU streams:           %8.3f ms\n", two);
    std::printf("  two streams / longer part: %8.2fx\n", two / std::max(matmul_only, exps_only));
  }
  std::printf("  matmul alone:              %8.3f ms\n", matmul_only);
  std::printf("  500 exps alone:            %8.3f ms\n", exps_only);
  return 0;
}
