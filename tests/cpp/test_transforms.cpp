// The C++ transform API (vjp, jvp, grad, value_and_grad, vmap) on small
// functions with known derivatives; the per-op rules are checked against
// finite differences in tests/python/test_transforms.py.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;

namespace {

std::vector<double> values(array a) {
  a = astype(a, float64);
  return a.to_vector<double>();
}

}  // namespace

TEST(Transforms, GradOfSinIsCos) {
  array x({0.3f, -1.2f, 2.5f});
  auto g = values(grad([](const array& v) { return sum(sin(v)); })(x));
  std::vector<double> xs{0.3, -1.2, 2.5};
  for (size_t i = 0; i < xs.size(); ++i) EXPECT_NEAR(g[i], std::cos(xs[i]), 1e-6);
}

TEST(Transforms, SecondDerivative) {
  auto f = [](const array& v) { return multiply(multiply(v, v), v); };  // x^3
  auto d2 = grad(grad(f))(array(1.5f));
  EXPECT_NEAR(d2.item<float>(), 9.0f, 1e-5);  // 6x
}

TEST(Transforms, VjpAndJvpOfMatmulAgree) {
  array a = random::normal({3, 4}, float32, 0.f, 1.f, random::key(1));
  array b = random::normal({4, 2}, float32, 0.f, 1.f, random::key(2));
  array ta = random::normal({3, 4}, float32, 0.f, 1.f, random::key(3));
  array c = random::normal({3, 2}, float32, 0.f, 1.f, random::key(4));
  auto f = [&](const std::vector<array>& x) { return std::vector<array>{matmul(x[0], b)}; };
  // <c, J ta> == <J^T c, ta>
  auto [o1, jv] = jvp(f, {a}, {ta});
  auto [o2, vj] = vjp(f, {a}, {c});
  double lhs = sum(multiply(c, jv[0])).item<float>();
  double rhs = sum(multiply(vj[0], ta)).item<float>();
  EXPECT_NEAR(lhs, rhs, 1e-4 * (1 + std::abs(lhs)));
}

TEST(Transforms, ValueAndGradArgnums) {
  auto f = [](const std::vector<array>& x) {
    return std::vector<array>{sum(multiply(x[0], x[1])), x[0]};
  };
  array a({1.f, 2.f}), b({3.f, 5.f});
  auto [vals, grads] = value_and_grad(f, {1})({a, b});
  ASSERT_EQ(vals.size(), 2u);
  EXPECT_FLOAT_EQ(vals[0].item<float>(), 13.f);
  ASSERT_EQ(grads.size(), 1u);
  EXPECT_EQ(values(grads[0]), (std::vector<double>{1, 2}));
}

TEST(Transforms, NonScalarLossIsAnError) {
  auto f = [](const array& v) { return exp(v); };
  EXPECT_THROW(grad(f)(array({1.f, 2.f})), std::invalid_argument);
}

TEST(Transforms, VmapMatchesALoop) {
  array x = random::normal({5, 3}, float32, 0.f, 1.f, random::key(7));
  auto f = [](const array& r) { return sum(multiply(exp(r), r)); };
  auto batched = values(vmap(f)(x));
  ASSERT_EQ(batched.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    array row = take(x, i, 0);
    EXPECT_NEAR(batched[i], f(row).item<float>(), 1e-5 * (1 + std::abs(batched[i])));
  }
}

TEST(Transforms, GradAcrossStreams) {
  Stream s = new_stream(Device::cpu);
  array x({0.5f, 1.5f});
  auto g = values(grad([&](const array& v) { return sum(exp(multiply(v, v), s)); })(x));
  EXPECT_NEAR(g[0], 2 * 0.5 * std::exp(0.25), 1e-5);
  EXPECT_NEAR(g[1], 2 * 1.5 * std::exp(2.25), 1e-4);
}

// Transforms in several threads at once: the tracing state is per thread.
TEST(Transforms, ConcurrentThreads) {
  std::vector<std::thread> ts;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([t, &bad] {
      for (int i = 0; i < 50; ++i) {
        float x0 = 0.1f * (t + 1) + 0.01f * i;
        auto g = grad([](const array& v) { return sum(multiply(sin(v), v)); })(array({x0}));
        float want = std::sin(x0) + x0 * std::cos(x0);
        if (std::abs(g.item<float>() - want) > 1e-5f) bad++;
        auto vm = vmap([](const array& v) { return sum(exp(v)); })(ones({3, 2}));
        if (std::abs(vm.to_vector<float>()[2] - 2 * std::exp(1.f)) > 1e-4f) bad++;
      }
    });
  }
  for (auto& th : ts) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(Transforms, CustomFunctionVjpOverrideIsUsed) {
  auto f = custom_function(
      [](const std::vector<array>& x) { return std::vector<array>{exp(x[0])}; },
      [](const std::vector<array>&, const std::vector<array>& cot, const std::vector<array>&) {
        return std::vector<array>{multiply(cot[0], array(3.f))};  // not exp's derivative
      });
  auto g = grad([&](const std::vector<array>& x) { return sum(f(x)[0]); })({array({0.f, 1.f})});
  EXPECT_EQ(values(g[0]), (std::vector<double>{3, 3}));
}

TEST(Transforms, CheckpointGivesThePlainGradient) {
  auto body = [](const std::vector<array>& x) {
    return std::vector<array>{sin(multiply(cos(x[0]), x[0]))};
  };
  auto loss = [](ArrayFn fn) {
    return [fn](const std::vector<array>& x) { return sum(fn(x)[0]); };
  };
  array x({0.3f, -0.7f, 1.9f});
  auto plain = values(grad(loss(body))({x})[0]);
  auto ckpt = values(grad(loss(checkpoint(body)))({x})[0]);
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_NEAR(plain[i], ckpt[i], 1e-6);
}
