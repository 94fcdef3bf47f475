// Elementwise fusion inside eval (tandem/fusion.h): random programs of
// Unary and Binary ops give bit for bit the results of the same ops evaluated
// one at a time (which never fuse), on the test device (DEVICE=cpu|gpu), for
// every kind of value a fused group must keep: the final value, values the
// caller holds, values other nodes read; and across every reason a group
// ends (op count, inputs, outputs, another stream or shape, a node that
// needs its value, layouts it cannot read).
#include <cstring>

#include "tandem/fusion.h"
#include "test_utils.h"

namespace tandem {
namespace {

Stream test_stream() {
  return default_stream(test::test_device());
}

// Equal bit for bit, as far as values go: doubles equal (NaN to NaN) with
// the same sign (so -0 and +0 differ); complex by parts.
void expect_same(array got, array want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  if (got.dtype() == complex64) {
    expect_same(real(got, Device::cpu), real(want, Device::cpu), what + " (real)");
    expect_same(imag(got, Device::cpu), imag(want, Device::cpu), what + " (imag)");
    return;
  }
  auto g = test::to_double(got), w = test::to_double(want);
  for (size_t i = 0; i < g.size(); ++i) {
    bool same = (std::isnan(g[i]) && std::isnan(w[i])) ||
                (g[i] == w[i] && std::signbit(g[i]) == std::signbit(w[i]));
    if (!same) {
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", want " << w[i];
      return;
    }
  }
}

// a, evaluated at once when `eager` (then nothing built on it fuses with it).
array maybe_eval(bool eager, array a) {
  if (eager) a.eval();
  return a;
}

// A random program of elementwise ops over a few inputs. Built twice from the
// same seed: once lazily (evaluated at the end, so it fuses) and once eagerly
// (each op evaluated as it is built, so nothing fuses).
struct Program {
  std::vector<array> held;  // values the caller keeps
  array result = array(0.0f);
};

Program build(uint64_t seed, Dtype t, const Shape& shape, int ops, bool eager,
              const std::vector<array>& inputs) {
  std::mt19937_64 g(seed);
  Stream s = test_stream();
  std::vector<array> pool = inputs;
  Program p;
  auto pick = [&]() -> array {
    // Mostly the latest values, so chains form; sometimes an older one.
    size_t n = pool.size();
    size_t back = g() % 4 == 0 ? g() % n : g() % std::min<size_t>(n, 2);
    return pool[n - 1 - back];
  };
  bool fl = is_floating_point(t) || t == complex64;
  for (int i = 0; i < ops; ++i) {
    array a = pick();
    array b = pick();
    array r = a;
    int k = static_cast<int>(g() % 12);
    if (t == bool_) {
      switch (k % 4) {
        case 0:
          r = logical_and(a, b, s);
          break;
        case 1:
          r = logical_or(a, b, s);
          break;
        case 2:
          r = logical_not(a, s);
          break;
        default:
          r = not_equal(a, b, s);
          break;
      }
    } else if (fl) {
      switch (k) {
        case 0:
          r = add(a, b, s);
          break;
        case 1:
          r = multiply(a, b, s);
          break;
        case 2:
          r = subtract(a, b, s);
          break;
        case 3:
          r = exp(multiply(a, array(0.25f), s), s);
          break;
        case 4:
          r = sin(a, s);
          break;
        case 5:
          r = t == complex64 ? negative(a, s) : tanh(a, s);
          break;
        case 6:
          r = t == complex64 ? add(a, array(1.5f), s) : maximum(a, b, s);
          break;
        case 7:
          r = divide(a, add(abs(b, s), array(1.0f), s), s);
          break;
        case 8:
          r = square(a, s);
          break;
        case 9:
          r = t == complex64 ? conjugate(a, s) : sigmoid(a, s);
          break;
        case 10:
          r = multiply(a, array(-0.5f), s);
          break;
        default:
          r = t == complex64 ? subtract(a, b, s) : minimum(log1p(abs(a, s), s), b, s);
          break;
      }
    } else {
      switch (k) {
        case 0:
          r = add(a, b, s);
          break;
        case 1:
          r = multiply(a, b, s);
          break;
        case 2:
          r = subtract(a, b, s);
          break;
        case 3:
          r = is_unsigned(t) ? bitwise_xor(a, b, s) : negative(a, s);
          break;
        case 4:
          r = floor_divide(a, add(b, array(1, t), s), s);
          break;
        case 5:
          r = remainder(a, add(abs(b, s), array(1, t), s), s);
          break;
        case 6:
          r = maximum(a, b, s);
          break;
        case 7:
          r = bitwise_and(a, b, s);
          break;
        case 8:
          r = square(a, s);
          break;
        case 9:
          r = abs(a, s);
          break;
        case 10:
          r = bitwise_or(a, array(3, t), s);
          break;
        default:
          r = minimum(a, b, s);
          break;
      }
    }
    // Sometimes a value of another dtype in between (a comparison, back
    // through where, which does not fuse).
    if (g() % 16 == 0 && t != bool_) r = where(greater(r, a, s), r, b, s);
    r = maybe_eval(eager, r);
    if (g() % 10 == 0) p.held.push_back(r);
    pool.push_back(r);
  }
  p.result = pool.back();
  return p;
}

void check_program(uint64_t seed, Dtype t, const Shape& shape, int ops) {
  std::vector<array> inputs;
  for (int i = 0; i < 3; ++i) inputs.push_back(test::random_array(shape, t, -2.0, 2.0));
  inputs.push_back(test::random_array({}, t, -2.0, 2.0));  // broadcast into the shape
  std::string what = "seed " + std::to_string(seed) + " dtype " + dtype_name(t) + " shape " +
                     shape_str(shape) + " ops " + std::to_string(ops);
  Program want = build(seed, t, shape, ops, true, inputs);
  uint64_t before = fused_node_count();
  Program got = build(seed, t, shape, ops, false, inputs);
  std::vector<array> targets = got.held;
  targets.push_back(got.result);
  eval(targets);
  if (ops >= 4 && fusion_enabled() && shape_size(shape) <= kMaxFusedSize) {
    EXPECT_GT(fused_node_count(), before) << what << ": nothing was fused";
  }
  ASSERT_EQ(got.held.size(), want.held.size());
  for (size_t i = 0; i < got.held.size(); ++i) {
    expect_same(got.held[i], want.held[i], what + " held value " + std::to_string(i));
  }
  expect_same(got.result, want.result, what + " result");
}

TEST(Fusion, RandomProgramsMatchUnfusedAcrossDtypes) {
  uint64_t seed = 1;
  for (Dtype t :
       {float32, float16, bfloat16, float64, int32, int8, uint8, int64, bool_, complex64}) {
    for (int ops : {2, 7, 40}) check_program(seed++, t, {3, 5}, ops);
  }
}

TEST(Fusion, RandomProgramsMatchUnfusedAcrossShapes) {
  uint64_t seed = 100;
  // 0-d, one element, tiles of the CPU kernel (512) and past them, the size
  // limit and just past it (not fused).
  for (Shape s : {Shape{}, Shape{1}, Shape{4}, Shape{2, 3, 4}, Shape{1000}, Shape{1 << 16},
                  Shape{(1 << 16) + 1}}) {
    check_program(seed++, float32, s, 30);
  }
}

TEST(Fusion, LongChainsSplitIntoGroups) {
  // More ops than one fused node takes, each reading a new scalar array (more
  // inputs than one takes).
  Stream s = test_stream();
  array x = test::random_array({8}, float32);
  std::vector<double> want = test::to_double(x);
  array y = x;
  int n = 3 * kMaxFusedOps + 5;
  for (int i = 0; i < n; ++i) {
    float c = 1.0f + float(i % 7) * 1e-3f;
    y = multiply(y, array(c), s);
    for (auto& w : want) w = double(float(float(w) * c));
  }
  uint64_t before = fused_node_count();
  auto got = test::to_double(y);
  if (fusion_enabled()) {
    int cap = test::test_device() == Device::gpu ? kMaxFusedOpsGpu : kMaxFusedOps;
    EXPECT_GE(fused_node_count() - before, uint64_t(n / cap));
  }
  EXPECT_EQ(got, want);
}

TEST(Fusion, HeldValuesBeyondTheOutputLimit) {
  // More held values than a fused node writes: the group falls back, and
  // every held value is still right.
  Stream s = test_stream();
  array x = test::random_array({5}, float32);
  std::vector<array> held;
  array y = x;
  for (int i = 0; i < 3 * kMaxFusedOutputs; ++i) {
    y = add(y, x, s);
    held.push_back(y);
  }
  eval(held);
  auto xv = test::to_double(x);
  std::vector<float> acc(xv.begin(), xv.end());
  for (size_t i = 0; i < held.size(); ++i) {
    for (size_t j = 0; j < acc.size(); ++j) acc[j] = acc[j] + float(xv[j]);
    auto got = test::to_double(held[i]);
    for (size_t j = 0; j < acc.size(); ++j) EXPECT_EQ(got[j], double(acc[j])) << i << "," << j;
  }
}

TEST(Fusion, NodesThatNeedTheChainMidwayAndOtherStreams) {
  // A reduction reads a value in the middle of a chain, a second stream's
  // chain reads the first's values, and a node of another shape comes in
  // between: every boundary, compared with one-at-a-time evaluation.
  Stream s1 = test_stream();
  Stream s2 = new_stream(test::test_device());
  auto run = [&](bool eager) {
    array x = test::random_array({6, 4}, float32, -1, 1);
    array y = maybe_eval(eager, exp(x, s1));
    y = maybe_eval(eager, multiply(y, array(0.5f), s1));
    array total = maybe_eval(eager, sum(y, false, s1));  // needs y
    y = maybe_eval(eager, add(y, total, s1));
    array z = maybe_eval(eager, subtract(y, x, s2));  // another stream reads y
    z = maybe_eval(eager, tanh(z, s2));
    array other = maybe_eval(eager, negative(sum(x, 0, false, s1), s1));  // another shape
    y = maybe_eval(eager, add(y, z, s1));
    y = maybe_eval(eager, sin(y, s1));
    return std::vector<array>{y, z, other, total};
  };
  test::rng().seed(7);
  auto want = run(true);
  test::rng().seed(7);
  auto got = run(false);
  eval(got);
  for (size_t i = 0; i < got.size(); ++i)
    expect_same(got[i], want[i], "value " + std::to_string(i));
}

TEST(Fusion, StridedInputsFallBackCorrectly) {
  // A transposed input is neither dense row-major nor a scalar: the group
  // runs unfused (or past it), with the same results.
  Stream s = test_stream();
  array a = test::random_array({4, 6}, float32);
  array t = transpose(test::random_array({6, 4}, float32), s);
  auto run = [&](bool eager) {
    array y = maybe_eval(eager, add(a, t, s));
    y = maybe_eval(eager, exp(y, s));
    y = maybe_eval(eager, multiply(y, t, s));
    return maybe_eval(eager, sqrt(abs(y, s), s));
  };
  expect_same(run(false), run(true), "transposed input");
}

TEST(Fusion, ReusedArraysAfterFusedEval) {
  // Arrays built into one fused node stay usable as inputs of later graphs.
  Stream s = test_stream();
  array x = test::random_array({7}, float32, 0.5, 1.5);
  array a = exp(x, s);
  array b = multiply(a, a, s);
  array c = log(b, s);
  eval({c, a});
  expect_same(add(a, c, s), add(exp(x, s), log(square(exp(x, s), s), s), s), "reuse");
}

TEST(Fusion, GroupOpeningIsAnnounced) {
  // The Fuser tells its caller when a group opens, before the group's node
  // exists, so eval can hand other streams their staged work at that point
  // (a matmul on one stream then runs while a chain on another is fused).
  Stream s1 = test_stream();
  Stream s2 = new_stream(test::test_device());
  array a = test::random_array({8, 4}, float32, -1, 1);
  array x = sum(a, 1, false, s1);
  array e = exp(a, s2);
  array y = multiply(e, a, s2);
  struct Log {
    std::vector<std::string> events;
    Stream s2;
  } log{{}, s2};
  Fuser f(
      [](array arr, void* c) { static_cast<Log*>(c)->events.push_back(arr.primitive().name()); },
      &log,
      [](Stream s, void* c) {
        auto& l = *static_cast<Log*>(c);
        l.events.push_back(s == l.s2 ? "opened s2" : "opened elsewhere");
      });
  f.add(x);
  f.add(e);
  f.add(y);
  f.finish();
  ASSERT_EQ(log.events.size(), 3u);
  EXPECT_EQ(log.events[1], "opened s2");
  EXPECT_EQ(log.events[2], "Fused");
  EXPECT_NE(log.events[0], "Fused");
  // The nodes passed on but never scheduled still evaluate, to the values of
  // the ops one at a time.
  eval({x, y});
  expect_same(y, multiply(maybe_eval(true, exp(a, s2)), a, s2), "y");
  expect_same(x, maybe_eval(true, sum(a, 1, false, s1)), "x");
}

}  // namespace
}  // namespace tandem
