// Scans (cumsum, cumprod, cummax, cummin, logcumsumexp) against
// float64 references computed here.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "tandem/tandem.h"
#include "test_reduce_util.h"
#include "test_utils.h"

using namespace tandem;
using namespace tandem::test;
using namespace tandem::test::rt;

namespace {

using StepFn = std::function<double(double, double)>;

// Inclusive / exclusive, forward / reverse scan of vals (row-major, shape)
// along axis, in float64.
std::vector<double> ref_scan(const std::vector<double>& vals, const Shape& shape, int axis,
                             const StepFn& f, double init, bool reverse, bool inclusive) {
  auto g = group_of(shape, {axis});
  size_t n_lines = shape_size(reduced_shape(shape, {axis}, false));
  std::vector<std::vector<size_t>> lines(n_lines);
  for (size_t i = 0; i < vals.size(); ++i) lines[g[i]].push_back(i);
  std::vector<double> out(vals.size());
  for (auto& line : lines) {
    if (reverse) std::reverse(line.begin(), line.end());
    double acc = init;
    for (size_t i : line) {
      double nxt = f(acc, vals[i]);
      out[i] = inclusive ? nxt : acc;
      acc = nxt;
    }
  }
  return out;
}

double lowest_of(Dtype t) {
  if (is_floating_point(t)) return -kInf;
  if (t == bool_ || is_unsigned(t)) return 0;
  if (t == int8) return -128;
  if (t == int16) return -32768;
  if (t == int32) return -2147483648.0;
  return -9223372036854775808.0;
}
double highest_of(Dtype t) {
  if (is_floating_point(t)) return kInf;
  if (t == bool_) return 1;
  if (t == uint8) return 255;
  if (t == uint16) return 65535;
  if (t == uint32) return 4294967295.0;
  if (t == uint64) return 18446744073709551615.0;
  if (t == int8) return 127;
  if (t == int16) return 32767;
  if (t == int32) return 2147483647.0;
  return 9223372036854775807.0;
}

double stepmax(double a, double x) {
  return (std::isnan(a) || std::isnan(x)) ? kNaN : std::max(a, x);
}
double stepmin(double a, double x) {
  return (std::isnan(a) || std::isnan(x)) ? kNaN : std::min(a, x);
}
double steplae(double a, double x) {
  if (std::isnan(a) || std::isnan(x)) return kNaN;
  double hi = std::max(a, x), lo = std::min(a, x);
  if (lo == -kInf || hi == kInf) return hi;
  return hi + std::log1p(std::exp(lo - hi));
}

enum class Kind { Sum, Prod, Max, Min, LogSumExp };

array run_scan(Kind k, const array& a, int axis, bool reverse, bool inclusive) {
  switch (k) {
    case Kind::Sum:
      return cumsum(a, axis, reverse, inclusive);
    case Kind::Prod:
      return cumprod(a, axis, reverse, inclusive);
    case Kind::Max:
      return cummax(a, axis, reverse, inclusive);
    case Kind::Min:
      return cummin(a, axis, reverse, inclusive);
    default:
      return logcumsumexp(a, axis, reverse, inclusive);
  }
}

void sweep_scan(Kind k, const array& a) {
  Dtype t = a.dtype();
  Dtype out = t;
  if ((k == Kind::Sum || k == Kind::Prod) && t == bool_) out = int32;
  if (k == Kind::LogSumExp) out = to_inexact(t);
  StepFn f;
  double init = 0;
  switch (k) {
    case Kind::Sum:
      f = [](double a, double x) { return a + x; };
      init = 0;
      break;
    case Kind::Prod:
      f = [](double a, double x) { return a * x; };
      init = 1;
      break;
    case Kind::Max:
      f = stepmax;
      init = lowest_of(t);
      break;
    case Kind::Min:
      f = stepmin;
      init = highest_of(t);
      break;
    case Kind::LogSumExp:
      f = steplae;
      init = -kInf;
      break;
  }
  auto vals = to_double(a);
  for (int axis = -a.ndim(); axis < a.ndim(); ++axis) {
    for (bool reverse : {false, true}) {
      for (bool inclusive : {true, false}) {
        auto want = ref_scan(vals, a.shape(), axis, f, init, reverse, inclusive);
        // Running magnitude bounds the accumulated rounding.
        auto mag = ref_scan(
            vals, a.shape(), axis, [](double acc, double x) { return acc + std::fabs(x); }, 0,
            reverse, true);
        std::vector<double> tol(want.size());
        for (size_t i = 0; i < tol.size(); ++i) {
          double w = std::isfinite(want[i]) ? std::fabs(want[i]) : 0;
          tol[i] = k == Kind::Max || k == Kind::Min
                       ? 0
                       : 2 * eps_of(out) * w +
                             4 * eps_of(out == float16 || out == bfloat16 ? float32 : out) * mag[i];
        }
        for (auto& [lname, v] : layouts(a)) {
          std::string what = std::string("scan ") + std::to_string(static_cast<int>(k)) + " " +
                             desc(t, {axis}, false, lname) + " reverse=" + std::to_string(reverse) +
                             " inclusive=" + std::to_string(inclusive);
          array r = run_scan(k, v, axis, reverse, inclusive);
          EXPECT_EQ(r.dtype(), out) << what;
          EXPECT_EQ(r.shape(), a.shape()) << what;
          expect_near_each(to_double(r), want, tol, what);
        }
      }
    }
  }
}

}  // namespace

TEST(Scan, CumsumAllDtypes) {
  for (Dtype t : real_dtypes()) sweep_scan(Kind::Sum, random_array({4, 5, 6}, t));
}

TEST(Scan, CumprodAllDtypes) {
  for (Dtype t : real_dtypes()) {
    sweep_scan(Kind::Prod, make_array(product_friendly(60, t), {3, 4, 5}, t));
  }
}

TEST(Scan, CummaxCumminAllDtypes) {
  for (Dtype t : real_dtypes()) {
    array a = random_array({4, 5, 6}, t);
    sweep_scan(Kind::Max, a);
    sweep_scan(Kind::Min, a);
  }
}

TEST(Scan, LogcumsumexpFloatAndInt) {
  for (Dtype t : {float16, float32, float64, bfloat16, int32, uint8, bool_}) {
    sweep_scan(Kind::LogSumExp, random_array({3, 4, 5}, t, -10, 10));
  }
  float inf = std::numeric_limits<float>::infinity();
  auto r = logcumsumexp(array({-inf, 0.0f, -inf, inf, 1.0f})).to_vector<float>();
  EXPECT_EQ(r[0], -inf);
  EXPECT_EQ(r[1], 0.0f);
  EXPECT_EQ(r[2], 0.0f);
  EXPECT_EQ(r[3], inf);
  EXPECT_EQ(r[4], inf);
  EXPECT_NEAR(logcumsumexp(array({1000.0f, 1000.0f})).to_vector<float>()[1],
              1000.0f + std::log(2.0f), 1e-3);
}

TEST(Scan, Complex) {
  std::vector<complex64_t> c = {{1, 1}, {2, -1}, {0, 3}, {-1, 0}, {1, 2}, {2, 2}};
  array a(c.data(), {2, 3}, complex64);
  auto s = cumsum(a, 1).to_vector<complex64_t>();
  EXPECT_EQ(s[2], complex64_t(3, 3));
  EXPECT_EQ(s[5], complex64_t(2, 4));
  auto p = cumprod(a, 0).to_vector<complex64_t>();
  EXPECT_EQ(p[3], complex64_t(-1, -1));
  EXPECT_EQ(p[4], complex64_t(4, 3));
  auto m = cummax(a, 1).to_vector<complex64_t>();
  EXPECT_EQ(m[1], complex64_t(2, -1));
  EXPECT_EQ(m[2], complex64_t(2, -1));
  EXPECT_EQ(cumsum(a).shape(), Shape{6});
  expect_invalid_eval([&] { return logcumsumexp(a); }, "logcumsumexp", "complex");
}

TEST(Scan, NaNPropagates) {
  float nan = std::nanf("");
  auto mx = cummax(array({1.0f, nan, 5.0f, 2.0f})).to_vector<float>();
  EXPECT_EQ(mx[0], 1.0f);
  EXPECT_TRUE(std::isnan(mx[1]) && std::isnan(mx[2]) && std::isnan(mx[3]));
  auto mn = cummin(array({1.0f, 0.0f, nan}), 0, true).to_vector<float>();
  EXPECT_TRUE(std::isnan(mn[0]) && std::isnan(mn[1]) && std::isnan(mn[2]));
  auto cs = cumsum(array({1.0f, nan, 1.0f})).to_vector<float>();
  EXPECT_EQ(cs[0], 1.0f);
  EXPECT_TRUE(std::isnan(cs[2]));
}

TEST(Scan, FlattenedEmptyScalar) {
  array a = array({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(cumsum(a).to_vector<int>(), (std::vector<int>{1, 3, 6, 10, 15, 21}));
  EXPECT_EQ(cumsum(a, true).to_vector<int>(), (std::vector<int>{21, 20, 18, 15, 11, 6}));
  EXPECT_EQ(cumsum(a, false, false).to_vector<int>(), (std::vector<int>{0, 1, 3, 6, 10, 15}));
  EXPECT_EQ(cumprod(a, 1).to_vector<int>(), (std::vector<int>{1, 2, 6, 4, 20, 120}));
  EXPECT_EQ(cumsum(array({true, true, false})).dtype(), int32);
  EXPECT_EQ(cumsum(array({true, true, false})).to_vector<int>(), (std::vector<int>{1, 2, 2}));
  EXPECT_EQ(cummax(array({true, false})).dtype(), bool_);
  EXPECT_EQ(cumsum(array({1, 2}, int8)).dtype(), int8);  // MLX keeps integer dtypes
  EXPECT_EQ(cumsum(array(3.0f)).shape(), Shape{1});
  EXPECT_EQ(cumsum(zeros({0, 3}), 0).shape(), Shape({0, 3}));
  EXPECT_EQ(cumsum(zeros({2, 0}), 0).shape(), Shape({2, 0}));
  EXPECT_EQ(cummax(zeros({0})).shape(), Shape{0});
  EXPECT_EQ(logcumsumexp(zeros({0}, int32)).dtype(), float32);
  expect_invalid_eval([&] { return cumsum(a, 2); }, "cumsum", "(2, 3)");
  expect_invalid_eval([&] { return cumprod(a, -3); }, "cumprod");
  expect_invalid_eval([&] { return cummax(array(1.0f), 0); }, "cummax", "()");
  expect_invalid_eval([&] { return cummin(a, 5); }, "cummin");
  expect_invalid_eval([&] { return logcumsumexp(a, 3); }, "logcumsumexp");
}

TEST(Scan, DonatedInputInPlace) {
  // A temporary row-major input is reused as the output.
  array a = random_array({50, 40}, float32);
  auto vals = to_double(a);
  array r = cumsum(add(a, array(0.0f)), 1);
  auto want = ref_scan(
      vals, a.shape(), 1, [](double x, double y) { return x + y; }, 0, false, true);
  expect_near_each(to_double(r), want, std::vector<double>(want.size(), 1e-4), "donated cumsum");
  array r2 = cummax(multiply(a, array(1.0f)), 0, true, false);
  auto want2 = ref_scan(vals, a.shape(), 0, stepmax, -kInf, true, false);
  expect_exact(to_double(r2), want2, "donated cummax");
}

TEST(Scan, LargeThreaded) {
  struct Case {
    Shape shape;
    int axis;
    Dtype t;
  };
  std::vector<Case> cases = {{{300000}, 0, float32},    {{300, 1000}, 1, float32},
                             {{100000, 3}, 0, float32}, {{20, 1000, 30}, 1, float64},
                             {{1000, 300}, 0, int32},   {{300, 1000}, 0, bfloat16},
                             {{3, 100000}, 1, float16}};
  for (auto& c : cases) {
    array a = random_array(c.shape, c.t);
    auto vals = to_double(a);
    auto want = ref_scan(
        vals, c.shape, c.axis, [](double x, double y) { return x + y; }, 0, false, true);
    auto mag = ref_scan(
        vals, c.shape, c.axis, [](double x, double y) { return x + std::fabs(y); }, 0, false, true);
    std::vector<double> tol(want.size());
    for (size_t i = 0; i < tol.size(); ++i) {
      // float16/bfloat16 accumulate in float32, the others in float64 (or
      // exactly); a few ulps of the magnitude sum cover the GPU's tiled order.
      double acc_eps = (c.t == float16 || c.t == bfloat16) ? 1.2e-7 : is_inexact(c.t) ? 1e-15 : 0;
      tol[i] = eps_of(c.t) * std::fabs(want[i]) + acc_eps * mag[i];
    }
    for (auto& [lname, v] : layouts(a)) {
      std::string what = desc(c.t, {c.axis}, false, lname) + " " + shape_str(c.shape);
      expect_near_each(to_double(cumsum(v, c.axis)), want, tol, "large cumsum " + what);
    }
    auto wmax = ref_scan(vals, c.shape, c.axis, stepmax, -kInf, true, true);
    expect_exact(to_double(cummax(a, c.axis, true)), wmax, "large cummax");
  }
}

TEST(Scan, LongLinesEveryMode) {
  // Lines longer than one GPU tile (scanned in tiles with carries, whose
  // totals are themselves scanned in tiles) and columns split into chunks,
  // in every direction and mode; integers compare exactly.
  struct Case {
    Shape shape;
    int axis;
  };
  std::vector<Case> cases = {{{300000}, 0}, {{3, 5000}, 1}, {{50000, 4}, 0}, {{4, 20000, 3}, 1}};
  for (auto& c : cases) {
    array a = random_array(c.shape, int32);
    auto vals = to_double(a);
    for (bool reverse : {false, true}) {
      for (bool inclusive : {false, true}) {
        std::string what = shape_str(c.shape) + " axis " + std::to_string(c.axis) +
                           (reverse ? " reverse" : "") + (inclusive ? " inclusive" : " exclusive");
        auto want = ref_scan(
            vals, c.shape, c.axis, [](double x, double y) { return x + y; }, 0, reverse, inclusive);
        expect_exact(to_double(cumsum(a, c.axis, reverse, inclusive)), want, "cumsum " + what);
        auto wmax = ref_scan(vals, c.shape, c.axis, stepmax, lowest_of(int32), reverse, inclusive);
        expect_exact(to_double(cummax(strided_view(a), c.axis, reverse, inclusive)), wmax,
                     "cummax " + what);
      }
    }
  }
  // A NaN in the middle of a long float line sticks for cummax and cumsum.
  std::vector<double> v(100000, 1.0);
  v[60000] = kNaN;
  array f = make_array(v, {100000}, float32);
  auto m = to_double(cummax(f));
  EXPECT_EQ(m[59999], 1);
  EXPECT_TRUE(std::isnan(m[60000]));
  EXPECT_TRUE(std::isnan(m[99999]));
  auto s = to_double(cumsum(f, 0, true, false));  // reverse exclusive
  EXPECT_TRUE(std::isnan(s[0]));
  EXPECT_TRUE(std::isnan(s[59999]));
  EXPECT_EQ(s[60000], 39999);
  EXPECT_EQ(s[99999], 0);
  auto l = to_double(logcumsumexp(zeros({70000}, float32)));
  EXPECT_NEAR(l[69999], std::log(70000.0), 2e-3);  // float steps (sequential on the CPU)
}
