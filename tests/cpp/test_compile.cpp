// compile from C++: replays against the uncompiled function on random
// inputs, the simplifications (common subexpressions, constants), streams,
// shapeless replays and their limits, random keys, and bad input.
#include <gtest/gtest.h>

#include "tandem/primitive.h"
#include "test_utils.h"

using namespace tandem;
using namespace tandem::test;

namespace {

void expect_same(array a, array b) {
  ASSERT_EQ(a.shape(), b.shape());
  auto x = to_double(a), y = to_double(b);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i], y[i]) << "at " << i;
}

std::vector<array> f(const std::vector<array>& in) {
  array p = multiply(in[0], in[1]);
  array q = multiply(in[0], in[1]);  // the same value again
  return {add(exp(p), q), sum(p, std::vector<int>{0})};
}

}  // namespace

TEST(Compile, MatchesUncompiledAndMergesCommonSubexpressions) {
  for (Dtype t : {float32, float16, float64, int32}) {
    CompiledGraph g(f, {random_array({3, 4}, t), random_array({3, 4}, t)});
    // Six nodes uncompiled: multiply, exp, multiply, add, and sum's
    // reduce and reshape; the second multiply merges into the first. int32
    // adds two casts to float32 (for exp and for add), which differ in
    // layout policy and stay apart.
    EXPECT_EQ(g.num_nodes(), t == int32 ? 6u : 5u) << dtype_name(t);
    for (int rep = 0; rep < 3; ++rep) {
      std::vector<array> in{strided_view(random_array({3, 4}, t)), random_array({3, 4}, t)};
      auto got = g.replay(in);
      auto want = f(in);
      ASSERT_EQ(got.size(), 2u);
      expect_same(got[0], want[0]);
      expect_same(got[1], want[1]);
    }
  }
}

TEST(Compile, ConstantsAreComputedOnceAndKept) {
  array c = random_array({4}, float32);
  auto fun = [&](const std::vector<array>& in) {
    array k = multiply(exp(c), array(2.0f));  // no input: a constant
    return std::vector<array>{add(in[0], k)};
  };
  CompiledGraph g(fun, {random_array({4}, float32)});
  EXPECT_EQ(g.num_nodes(), 1u);
  EXPECT_EQ(g.num_constants(), 1u);
  array x = random_array({4}, float32);
  expect_same(g.replay({x})[0], fun({x})[0]);
}

TEST(Compile, ReplaysKeepEachOpsStream) {
  Stream side = new_stream(Device::cpu);
  auto fun = [&](const std::vector<array>& in) {
    return std::vector<array>{add(exp(in[0], side), in[0])};
  };
  CompiledGraph g(fun, {random_array({8}, float32)});
  array x = random_array({8}, float32);
  array out = g.replay({x})[0];
  EXPECT_EQ(out.primitive().stream(), default_stream(default_device()));
  EXPECT_EQ(out.inputs()[0].primitive().stream(), side);
  expect_same(out, fun({x})[0]);
}

TEST(Compile, ShapelessFollowsShapesWhereRulesExist) {
  auto elementwise = [](const std::vector<array>& in) {
    return std::vector<array>{sum(add(exp(in[0]), in[1]), std::vector<int>{1})};
  };
  CompiledGraph g(elementwise, {random_array({2, 3}, float32), random_array({3}, float32)}, true);
  EXPECT_TRUE(g.shape_polymorphic());
  std::vector<array> in{random_array({5, 7}, float32), random_array({7}, float32)};
  auto got = g.replay(in)[0];
  auto want = elementwise(in)[0];
  ASSERT_EQ(got.shape(), want.shape());
  auto x = to_double(got), y = to_double(want);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], y[i], 1e-5 * (1 + std::abs(y[i])));
  // Another rank or dtype is refused.
  EXPECT_THROW(g.replay({random_array({5}, float32), random_array({5}, float32)}),
               std::invalid_argument);
  EXPECT_THROW(g.replay({random_array({2, 3}, float64), random_array({3}, float32)}),
               std::invalid_argument);

  // A reshape to a fixed shape has no rule: traced shapes only.
  auto flat = [](const std::vector<array>& in) { return std::vector<array>{reshape(in[0], {-1})}; };
  CompiledGraph h(flat, {random_array({2, 3}, float32)}, true);
  EXPECT_FALSE(h.shape_polymorphic());
  EXPECT_THROW(h.replay({random_array({4, 3}, float32)}), std::invalid_argument);
}

TEST(Compile, CompiledFunctionCachesPerSignature) {
  int calls = 0;
  ArrayFn fun = [&](const std::vector<array>& in) {
    ++calls;
    return std::vector<array>{multiply(in[0], in[0])};
  };
  auto cf = compile(fun);
  for (int i = 0; i < 3; ++i) cf({random_array({3}, float32)});
  EXPECT_EQ(calls, 1);
  cf({random_array({4}, float32)});
  EXPECT_EQ(calls, 2);
  auto sf = compile(fun, /*shapeless=*/true);
  for (int n : {2, 5, 9}) {
    array x = random_array({n}, float32);
    expect_same(sf({x})[0], multiply(x, x));
  }
  EXPECT_EQ(calls, 3);
  disable_compile();
  cf({random_array({3}, float32)});
  enable_compile();
  EXPECT_EQ(calls, 4);
}

TEST(Compile, RandomKeysAreDrawnAtEachReplay) {
  auto fun = [](const std::vector<array>& in) {
    return std::vector<array>{add(in[0], random::normal({4}, float32))};
  };
  array x = random_array({4}, float32);
  random::seed(7);
  CompiledGraph g(fun, {x});
  auto a = to_double(g.replay({x})[0]), b = to_double(g.replay({x})[0]);
  random::seed(7);
  auto c = to_double(fun({x})[0]), d = to_double(fun({x})[0]);
  EXPECT_EQ(a, c);
  EXPECT_EQ(b, d);
  EXPECT_NE(a, b);
}

TEST(Compile, EvaluatingATracerThrows) {
  auto fun = [](const std::vector<array>& in) {
    eval(in[0]);
    return in;
  };
  EXPECT_THROW(CompiledGraph(fun, {random_array({2}, float32)}), std::invalid_argument);
  // Still usable afterwards.
  array x = random_array({2}, float32);
  expect_same(compile([](const std::vector<array>& in) { return in; })({x})[0], x);
}

// Elementwise runs are fused when compiled: one Fused node per run (cut by
// a stream change and by a node that reads the run's values), inputs in
// any layout (strided, transposed, broadcast) read through a row-major
// copy, values read after the run returned, results bit-equal to the
// uncompiled function's, and unfused replays inside transforms.
TEST(Compile, ElementwiseRunsAreFusedAtTraceTime) {
  Stream other = new_stream(default_device());
  auto fun = [&](const std::vector<array>& in) {
    array x = in[0];
    for (int i = 0; i < 40; ++i) x = i % 3 ? multiply(sin(x), in[1]) : add(x, array(0.25f));
    array mid = x;
    array s = sum(mid, std::vector<int>{1}, true);  // reads the run's value
    array y = subtract(exp(mid), s);
    for (int i = 0; i < 5; ++i) y = abs(negative(y, other), other);
    return std::vector<array>{mid, y};
  };
  for (Dtype t : {float32, float16}) {
    std::vector<array> traced{random_array({6, 5}, t), random_array({6, 5}, t)};
    CompiledGraph g(fun, traced);
    // The 40-op run, sum's nodes, the exp-subtract run and the 10-op run
    // on the other stream.
    EXPECT_LT(g.num_fused_nodes(), 8u) << dtype_name(t);
    EXPECT_GT(g.num_nodes(), 50u);
    for (int rep = 0; rep < 3; ++rep) {
      array a = random_array({5, 6}, t);
      std::vector<array> in{transpose(a, {1, 0}), broadcast_to(random_array({1, 5}, t), {6, 5})};
      if (rep == 2) in = {random_array({6, 5}, t), random_array({6, 5}, t)};
      auto got = g.replay(in);
      auto want = fun(in);
      if (rep == 2) {
        expect_same(got[0], want[0]);
        expect_same(got[1], want[1]);
      } else {
        // Uncompiled, ops on a strided input run one by one, and a strided
        // sin may take another path than a contiguous one (last bit).
        double tol = t == float16 ? 1e-2 : 1e-4;
        EXPECT_TRUE(allclose(got[0], want[0], tol, tol).item<bool>()) << dtype_name(t);
        EXPECT_TRUE(allclose(got[1], want[1], tol, tol).item<bool>()) << dtype_name(t);
      }
    }
  }
  // Under a transform the replay is unfused, with the same values.
  std::vector<array> x{random_array({6, 5}, float32), random_array({6, 5}, float32)};
  CompiledGraph g(fun, x);
  auto scalar = [&](const std::vector<array>& in) {
    return std::vector<array>{sum(g.replay(in)[1])};
  };
  auto direct = [&](const std::vector<array>& in) { return std::vector<array>{sum(fun(in)[1])}; };
  auto [v1, g1] = vjp(scalar, x, {array(1.0f)});
  auto [v2, g2] = vjp(direct, x, {array(1.0f)});
  expect_same(g1[0], g2[0]);
  expect_same(g1[1], g2[1]);
}
