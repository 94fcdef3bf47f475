// The program of the C++ guide (docs/cpp_guide.md shows this file): arrays,
// lazy evaluation, a gradient, streams, and the canonical workload, a large
// matmul on the GPU beside 500 small exps on a CPU stream (both on CPU
// streams when no GPU is usable).
#include <cstdio>
#include <iostream>
#include <vector>

#include "tandem/tandem.h"

using namespace tandem;

int main() {
  // Arrays are lazy: building b computes nothing; eval (or reading) does.
  array a({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2});
  array b = matmul(a, a) + 1.0f;
  eval(b);
  std::cout << "b = " << b << "\n";

  // Function transforms: the gradient of sum(x * x) is 2 * x.
  auto f = [](const array& x) { return sum(x * x); };
  std::vector<float> g = grad(f)(a).to_vector<float>();
  std::printf("grad at a: %g %g %g %g\n", g[0], g[1], g[2], g[3]);

  // Streams: each op takes a Stream or a Device as its last argument.
  Device big = is_available(Device::gpu) ? Device::gpu : Device::cpu;
  Stream big_stream = new_stream(big);
  Stream small_stream = new_stream(Device::cpu);
  array m = random::normal({4096, 512}, float32, 0.0f, 1.0f, random::key(0));
  array n = random::normal({512, 4}, float32, 0.0f, 1.0f, random::key(1));
  array c = random::uniform(0.0f, 1.0f, {512, 4}, float32, random::key(2));

  array x = matmul(m, n, big_stream);  // on the GPU when there is one
  array y = c;
  for (int i = 0; i < 500; ++i) {
    y = exp(negative(y, small_stream), small_stream);  // beside it, on a CPU stream
  }
  eval(x, y);  // the scheduler orders the streams; both parts run at once
  std::printf("x: %d x %d, mean of y: %g (matmul on %s)\n", x.shape(0), x.shape(1),
              mean(y).item<float>(), big == Device::cpu ? "cpu" : "gpu");
  return 0;
}
