// Reductions against float64 references computed here: sum, prod, max, min,
// all, any, mean, var, std, logsumexp, count_nonzero, argmax, argmin,
// softmax, median, allclose, array_equal, trace, diff.
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

const std::vector<std::vector<int>> kAxesSets = {{},     {0},      {1},       {2},   {-1},
                                                 {0, 2}, {-3, -2}, {0, 1, 2}, {2, 1}};

Dtype sum_type(Dtype t) {
  if (t == bool_) return int32;
  if (is_unsigned(t)) return t.size() <= 4 ? uint32 : uint64;
  if (is_integral(t)) return t.size() <= 4 ? int32 : int64;
  return t;
}

using RefFn = std::function<double(const std::vector<double>&)>;
using TolFn = std::function<double(const std::vector<double>&, double)>;
using OpFn = std::function<array(const array&, const std::vector<int>&, bool)>;

// Runs op over every axes set, keepdims and layout of a, comparing with ref
// (per group of reduced values) within tol(group, want), and the dtype.
void sweep(const array& a, const OpFn& op, const RefFn& ref, const TolFn& tol, Dtype want_type,
           const std::string& name, const std::vector<std::vector<int>>& axes_sets = kAxesSets) {
  auto vals = to_double(a);
  for (auto& axes : axes_sets) {
    auto gs = groups(vals, a.shape(), axes);
    std::vector<double> want, tols;
    for (auto& g : gs) {
      want.push_back(ref(g));
      tols.push_back(tol(g, want.back()));
    }
    for (bool keep : {false, true}) {
      for (auto& [lname, v] : layouts(a)) {
        std::string what = name + " " + desc(a.dtype(), axes, keep, lname);
        array r = op(v, axes, keep);
        EXPECT_EQ(r.dtype(), want_type) << what;
        EXPECT_EQ(r.shape(), reduced_shape(a.shape(), axes, keep)) << what;
        expect_near_each(to_double(r), want, tols, what);
      }
    }
  }
}

double ref_sum(const std::vector<double>& g) {
  double s = 0;
  for (double x : g) s += x;
  return s;
}
double abs_sum(const std::vector<double>& g) {
  double s = 0;
  for (double x : g) s += std::fabs(x);
  return s;
}

// Tolerance of a float result rounded to out type, accumulated in acc type.
TolFn float_tol(Dtype out, Dtype acc) {
  return [=](const std::vector<double>& g, double want) {
    return eps_of(out) * std::fabs(want) + 8 * eps_of(acc) * abs_sum(g) + 1e-300;
  };
}
TolFn exact_tol() {
  return [](const std::vector<double>&, double) { return 0.0; };
}

Dtype acc_of(Dtype t) {
  return (t == float16 || t == bfloat16) ? float32 : t;
}

}  // namespace

TEST(Reduce, SumAllDtypes) {
  for (Dtype t : real_dtypes()) {
    array a = random_array({4, 5, 6}, t);
    Dtype out = sum_type(t);
    sweep(
        a, [](const array& x, const std::vector<int>& ax, bool k) { return sum(x, ax, k); },
        ref_sum, is_inexact(t) ? float_tol(out, acc_of(t)) : exact_tol(), out, "sum");
  }
}

TEST(Reduce, ProdAllDtypes) {
  for (Dtype t : real_dtypes()) {
    array a = make_array(product_friendly(60, t), {3, 4, 5}, t);
    Dtype out = sum_type(t);
    auto ref = [](const std::vector<double>& g) {
      double p = 1;
      for (double x : g) p *= x;
      return p;
    };
    sweep(
        a, [](const array& x, const std::vector<int>& ax, bool k) { return prod(x, ax, k); }, ref,
        is_inexact(t) ? float_tol(out, acc_of(t)) : exact_tol(), out, "prod");
  }
}

TEST(Reduce, MaxMinAllDtypes) {
  for (Dtype t : real_dtypes()) {
    array a = random_array({4, 5, 6}, t);
    auto rmax = [](const std::vector<double>& g) { return *std::max_element(g.begin(), g.end()); };
    auto rmin = [](const std::vector<double>& g) { return *std::min_element(g.begin(), g.end()); };
    sweep(
        a, [](const array& x, const std::vector<int>& ax, bool k) { return max(x, ax, k); }, rmax,
        exact_tol(), t, "max");
    sweep(
        a, [](const array& x, const std::vector<int>& ax, bool k) { return min(x, ax, k); }, rmin,
        exact_tol(), t, "min");
  }
}

TEST(Reduce, AllAnyAllDtypes) {
  for (Dtype t : all_dtypes) {
    // About half zeros, so both outcomes occur along short axes.
    array a = make_array(sparse_values(120, t, 0.5), {4, 5, 6}, t);
    auto rall = [](const std::vector<double>& g) {
      return std::all_of(g.begin(), g.end(), [](double x) { return x != 0; }) ? 1.0 : 0.0;
    };
    auto rany = [](const std::vector<double>& g) {
      return std::any_of(g.begin(), g.end(), [](double x) { return x != 0; }) ? 1.0 : 0.0;
    };
    if (t == complex64) continue;  // complex covered below (to_double drops the imaginary part)
    sweep(
        a, [](const array& x, const std::vector<int>& ax, bool k) { return all(x, ax, k); }, rall,
        exact_tol(), bool_, "all");
    sweep(
        a, [](const array& x, const std::vector<int>& ax, bool k) { return any(x, ax, k); }, rany,
        exact_tol(), bool_, "any");
  }
  // Complex: an element with zero real part but nonzero imaginary part is true.
  std::vector<complex64_t> c = {{0, 0}, {0, 1}, {0, 0}, {0, 0}, {2, 0}, {3, 3}};
  array ac(c.data(), {3, 2}, complex64);
  EXPECT_EQ(bools(any(ac, 1)), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(bools(all(ac, 1)), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(bools(all(ac, 0)), (std::vector<bool>{false, false}));
}

TEST(Reduce, CountNonzero) {
  for (Dtype t : real_dtypes()) {
    array a = make_array(sparse_values(120, t, 0.4), {4, 5, 6}, t);
    auto ref = [](const std::vector<double>& g) {
      return static_cast<double>(
          std::count_if(g.begin(), g.end(), [](double x) { return x != 0; }));
    };
    sweep(
        a,
        [](const array& x, const std::vector<int>& ax, bool k) { return count_nonzero(x, ax, k); },
        ref, exact_tol(), int32, "count_nonzero");
  }
  array b = array({1.0f, 0.0f, 2.0f, 0.0f});
  EXPECT_EQ(count_nonzero(b).item<int>(), 2);
  EXPECT_EQ(count_nonzero(b, 0).item<int>(), 2);
}

TEST(Reduce, MeanAllDtypes) {
  for (Dtype t : real_dtypes()) {
    array a = random_array({4, 5, 6}, t);
    Dtype out = to_inexact(t);
    auto ref = [](const std::vector<double>& g) { return ref_sum(g) / g.size(); };
    auto tol = [=](const std::vector<double>& g, double want) {
      return 2 * eps_of(out) * std::fabs(want) + 8 * eps_of(acc_of(out)) * abs_sum(g) / g.size();
    };
    sweep(
        a, [](const array& x, const std::vector<int>& ax, bool k) { return mean(x, ax, k); }, ref,
        tol, out, "mean");
  }
}

namespace {
double ref_var(const std::vector<double>& g, int ddof) {
  double m = ref_sum(g) / g.size(), s = 0;
  for (double x : g) s += (x - m) * (x - m);
  return s / std::max<double>(static_cast<double>(g.size()) - ddof, 0.0);
}
}  // namespace

TEST(Reduce, VarStdAllDtypes) {
  for (Dtype t : real_dtypes()) {
    array a = random_array({4, 5, 6}, t);
    Dtype out = to_inexact(t);
    for (int ddof : {0, 1}) {
      auto vref = [=](const std::vector<double>& g) { return ref_var(g, ddof); };
      auto sref = [=](const std::vector<double>& g) { return std::sqrt(ref_var(g, ddof)); };
      auto tol = [=](const std::vector<double>& g, double want) {
        double scale = abs_sum(g) / g.size();
        return 4 * eps_of(out) * std::fabs(want) + 64 * eps_of(acc_of(out)) * scale * scale;
      };
      auto stol = [=](const std::vector<double>& g, double want) {
        double scale = abs_sum(g) / g.size();
        return 4 * eps_of(out) * std::fabs(want) + 64 * eps_of(acc_of(out)) * scale;
      };
      // Single-element groups with ddof = 1 divide by zero: checked separately.
      std::vector<std::vector<int>> sets = {{0}, {2}, {0, 2}, {0, 1, 2}, {-1, -2}};
      sweep(
          a,
          [=](const array& x, const std::vector<int>& ax, bool k) { return var(x, ax, k, ddof); },
          vref, tol, out, "var", sets);
      sweep(
          a,
          [=](const array& x, const std::vector<int>& ax, bool k) {
            return tandem::std(x, ax, k, ddof);
          },
          sref, stol, out, "std", sets);
    }
  }
  // ddof >= n: division by zero, as NumPy (inf, or nan for zero deviation).
  array one = array({2.0f, 4.0f});
  EXPECT_TRUE(std::isinf(var(one, false, 2).item<float>()));
  EXPECT_TRUE(std::isnan(var(array({3.0f}), false, 1).item<float>()));
  // var is shift invariant in the two-pass form: a large offset loses nothing.
  array shifted = array({1e6 + 1.0, 1e6 + 2.0, 1e6 + 3.0, 1e6 + 4.0}, float32);
  EXPECT_NEAR(var(shifted).item<float>(), 1.25f, 1e-6);
}

TEST(Reduce, ComplexSumProdMeanVar) {
  std::vector<complex64_t> c(24);
  std::vector<std::complex<double>> cd(24);
  for (size_t i = 0; i < c.size(); ++i) {
    auto v = random_values(2, float32);
    c[i] = complex64_t(static_cast<float>(v[0]), static_cast<float>(v[1]));
    cd[i] = std::complex<double>(c[i].real(), c[i].imag());
  }
  array a(c.data(), {2, 3, 4}, complex64);
  for (auto& [lname, v] : layouts(a)) {
    for (auto axes : std::vector<std::vector<int>>{{1}, {0, 2}, {0, 1, 2}}) {
      auto gs = groups(cd, a.shape(), axes);
      auto s = sum(v, axes).to_vector<complex64_t>();
      auto p = prod(v, axes).to_vector<complex64_t>();
      auto m = mean(v, axes).to_vector<complex64_t>();
      array vr = var(v, axes);
      EXPECT_EQ(vr.dtype(), float32);
      auto vv = vr.to_vector<float>();
      EXPECT_EQ(sum(v, axes).dtype(), complex64);
      ASSERT_EQ(s.size(), gs.size());
      for (size_t o = 0; o < gs.size(); ++o) {
        std::complex<double> ws = 0, wp = 1;
        double mag = 0;
        for (auto& x : gs[o]) {
          ws += x;
          wp *= x;
          mag += std::abs(x);
        }
        std::complex<double> wm = ws / double(gs[o].size());
        double wv = 0;
        for (auto& x : gs[o]) wv += std::norm(x - wm);
        wv /= gs[o].size();
        std::string what = lname + " group " + std::to_string(o);
        EXPECT_LE(std::abs(std::complex<double>(s[o]) - ws), 1e-5 * mag) << what;
        EXPECT_LE(std::abs(std::complex<double>(p[o]) - wp), 1e-5 * std::abs(wp) + 1e-6) << what;
        EXPECT_LE(std::abs(std::complex<double>(m[o]) - wm), 1e-5 * mag) << what;
        EXPECT_NEAR(vv[o], wv, 1e-5 * (wv + 1)) << what;
      }
    }
  }
}

TEST(Reduce, ComplexMaxMinLexicographic) {
  std::vector<complex64_t> c = {{1, 5}, {2, -1}, {2, 3}, {-1, 0}, {-1, -2}, {0, 9}};
  array a(c.data(), {2, 3}, complex64);
  auto mx = max(a, 1).to_vector<complex64_t>();
  auto mn = min(a, 1).to_vector<complex64_t>();
  EXPECT_EQ(mx[0], complex64_t(2, 3));
  EXPECT_EQ(mx[1], complex64_t(0, 9));
  EXPECT_EQ(mn[0], complex64_t(1, 5));
  EXPECT_EQ(mn[1], complex64_t(-1, -2));
  EXPECT_EQ(argmax(a, 1).to_vector<uint32_t>(), (std::vector<uint32_t>{2, 2}));
  EXPECT_EQ(argmin(a, 1).to_vector<uint32_t>(), (std::vector<uint32_t>{0, 1}));
}

TEST(Reduce, ArgMaxArgMinAllDtypes) {
  for (Dtype t : real_dtypes()) {
    array a = random_array({4, 5, 6}, t);  // small integer ranges give ties: first wins
    auto vals = to_double(a);
    for (int axis : {0, 1, 2, -1, -3}) {
      auto gs = groups(vals, a.shape(), {axis});
      std::vector<double> wmax, wmin;
      for (auto& g : gs) {
        wmax.push_back(std::max_element(g.begin(), g.end()) - g.begin());
        wmin.push_back(std::min_element(g.begin(), g.end()) - g.begin());
      }
      for (bool keep : {false, true}) {
        for (auto& [lname, v] : layouts(a)) {
          std::string what = desc(t, {axis}, keep, lname);
          array rx = argmax(v, axis, keep), rn = argmin(v, axis, keep);
          EXPECT_EQ(rx.dtype(), uint32) << what;
          EXPECT_EQ(rx.shape(), reduced_shape(a.shape(), {axis}, keep)) << what;
          expect_exact(to_double(rx), wmax, "argmax " + what);
          expect_exact(to_double(rn), wmin, "argmin " + what);
        }
      }
    }
    // Over the flattened array.
    double fmax = std::max_element(vals.begin(), vals.end()) - vals.begin();
    double fmin = std::min_element(vals.begin(), vals.end()) - vals.begin();
    EXPECT_EQ(argmax(a).item<double>(), fmax) << dtype_name(t);
    EXPECT_EQ(argmin(strided_view(a)).item<double>(), fmin) << dtype_name(t);
    EXPECT_EQ(argmax(a, true).shape(), Shape({1, 1, 1}));
    EXPECT_EQ(argmax(a).shape(), Shape{});
  }
}

TEST(Reduce, NaNPropagation) {
  double nan = kNaN;
  std::vector<double> v = {1, nan, 3, 4, 5, 6, nan, 0, -1, 2, 2, 9};
  for (Dtype t : {float16, float32, float64, bfloat16}) {
    array a = make_array(v, {3, 4}, t);
    auto mx = to_double(max(a, 1));
    auto mn = to_double(min(a, 1));
    EXPECT_TRUE(std::isnan(mx[0]) && std::isnan(mx[1])) << dtype_name(t);
    EXPECT_EQ(mx[2], 9);
    EXPECT_TRUE(std::isnan(mn[0]) && std::isnan(mn[1]));
    EXPECT_EQ(mn[2], -1);
    // Column reductions go through the row-accumulating path.
    auto cmx = to_double(max(a, 0));
    EXPECT_TRUE(std::isnan(cmx[1]) && std::isnan(cmx[2]));
    EXPECT_EQ(cmx[0], 5);
    EXPECT_EQ(cmx[3], 9);
    EXPECT_EQ(to_double(argmax(a, 1)), (std::vector<double>{1, 2, 3}));
    EXPECT_EQ(to_double(argmin(a, 1)), (std::vector<double>{1, 2, 0}));
    EXPECT_EQ(to_double(argmax(a, 0)), (std::vector<double>{1, 0, 1, 2}));
    EXPECT_TRUE(std::isnan(to_double(sum(a))[0]));
    EXPECT_TRUE(std::isnan(to_double(max(a))[0]));
    EXPECT_EQ(argmax(a).item<int>(), 1);
  }
  // Infinities are ordinary values.
  array inf = array({1.0f, std::numeric_limits<float>::infinity(), -2.0f});
  EXPECT_TRUE(std::isinf(max(inf).item<float>()));
  EXPECT_EQ(argmax(inf).item<int>(), 1);
}

TEST(Reduce, LogSumExp) {
  for (Dtype t : real_dtypes()) {
    array a = random_array({4, 5, 6}, t, -20, 20);
    Dtype out = to_inexact(t);
    auto ref = [](const std::vector<double>& g) {
      double m = *std::max_element(g.begin(), g.end()), s = 0;
      for (double x : g) s += std::exp(x - m);
      return std::log(s) + m;
    };
    auto tol = [=](const std::vector<double>&, double want) {
      return 2 * eps_of(out) * std::fabs(want) + 8 * eps_of(acc_of(out));
    };
    sweep(
        a, [](const array& x, const std::vector<int>& ax, bool k) { return logsumexp(x, ax, k); },
        ref, tol, out, "logsumexp");
  }
  // No overflow for large values; infinities handled.
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_NEAR(logsumexp(array({1000.0f, 1000.0f})).item<float>(), 1000.0f + std::log(2.0f), 1e-3);
  EXPECT_EQ(logsumexp(array({-inf, -inf})).item<float>(), -inf);
  EXPECT_EQ(logsumexp(array({inf, 1.0f})).item<float>(), inf);
  EXPECT_NEAR(logsumexp(array({-inf, 0.0f})).item<float>(), 0.0f, 1e-7);
  EXPECT_TRUE(std::isnan(logsumexp(array({std::nanf(""), 1.0f})).item<float>()));
  // Large rows in float16 do not overflow the intermediate sum.
  array big = full({70000}, array(0.0f), float16);
  EXPECT_NEAR(logsumexp(big).item<float>(), std::log(70000.0), 0.02);
}

TEST(Reduce, Softmax) {
  for (Dtype t : {float16, float32, float64, bfloat16, int32, bool_}) {
    array a = random_array({4, 5, 6}, t, -10, 10);
    auto vals = to_double(a);
    Dtype out = to_inexact(t);
    for (auto axes : std::vector<std::vector<int>>{{-1}, {0}, {1}, {0, 2}, {0, 1, 2}}) {
      auto g = group_of(a.shape(), axes);
      size_t n_out = shape_size(reduced_shape(a.shape(), axes, false));
      std::vector<double> m(n_out, -kInf), s(n_out, 0);
      for (size_t i = 0; i < vals.size(); ++i) m[g[i]] = std::max(m[g[i]], vals[i]);
      for (size_t i = 0; i < vals.size(); ++i) s[g[i]] += std::exp(vals[i] - m[g[i]]);
      std::vector<double> want(vals.size()), tol(vals.size());
      for (size_t i = 0; i < vals.size(); ++i) {
        want[i] = std::exp(vals[i] - m[g[i]]) / s[g[i]];
        tol[i] = 2 * eps_of(out) * want[i] + 16 * eps_of(acc_of(out)) * want[i] + tiny_of(out);
      }
      for (auto& [lname, v] : layouts(a)) {
        for (bool precise : {false, true}) {
          array r = softmax(v, axes, precise);
          EXPECT_EQ(r.dtype(), out);
          EXPECT_EQ(r.shape(), a.shape());
          expect_near_each(to_double(r), want, tol, "softmax " + desc(t, axes, false, lname));
        }
      }
    }
  }
  // Masked entries (-inf) get 0; a single axis int overload; all axes.
  float inf = std::numeric_limits<float>::infinity();
  auto r = softmax(array({0.0f, -inf, 1.0f}), 0).to_vector<float>();
  EXPECT_NEAR(r[0], 1 / (1 + std::exp(1.0f)), 1e-6);
  EXPECT_EQ(r[1], 0.0f);
  EXPECT_NEAR(r[2], std::exp(1.0f) / (1 + std::exp(1.0f)), 1e-6);
  auto big = softmax(array({1000.0f, 1000.0f})).to_vector<float>();
  EXPECT_NEAR(big[0], 0.5f, 1e-6);
  EXPECT_EQ(softmax(zeros({0, 3})).shape(), Shape({0, 3}));
}

TEST(Reduce, Median) {
  for (Dtype t : real_dtypes()) {
    array a = random_array({4, 5, 6}, t);
    Dtype out = to_inexact(t);
    auto ref = [](std::vector<double> g) {
      std::sort(g.begin(), g.end());
      size_t n = g.size();
      return n % 2 ? g[n / 2] : 0.5 * (g[n / 2 - 1] + g[n / 2]);
    };
    auto tol = [=](const std::vector<double>&, double want) {
      return eps_of(out) * std::fabs(want) * 2;
    };
    std::vector<std::vector<int>> sets = {{0}, {1}, {2}, {0, 2}, {0, 1, 2}, {-1, 0}};
    sweep(
        a, [](const array& x, const std::vector<int>& ax, bool k) { return median(x, ax, k); }, ref,
        tol, out, "median", sets);
  }
  EXPECT_EQ(median(array({3, 1, 2, 10})).item<float>(), 2.5f);
  EXPECT_EQ(median(array({3, 1, 2, 10})).dtype(), float32);
  EXPECT_TRUE(std::isnan(median(array({1.0f, std::nanf(""), 2.0f})).item<float>()));
  auto rows =
      median(array({1.0f, std::nanf(""), 2.0f, 1.0f, 5.0f, 3.0f}, {2, 3}), 1).to_vector<float>();
  EXPECT_TRUE(std::isnan(rows[0]));
  EXPECT_EQ(rows[1], 3.0f);
  EXPECT_EQ(median(array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2}), true).shape(), Shape({1, 1}));
}

TEST(Reduce, EmptyAndScalar) {
  array e = zeros({0, 3}, float32);
  EXPECT_EQ(sum(e, 0).to_vector<float>(), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(sum(e, 1).shape(), Shape{0});
  EXPECT_EQ(prod(e, 0).to_vector<float>(), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(sum(zeros({0}, int8)).item<int>(), 0);
  EXPECT_EQ(sum(zeros({0}, int8)).dtype(), int32);
  EXPECT_EQ(prod(zeros({0}, int32)).item<int>(), 1);
  EXPECT_TRUE(all(e).item<bool>());
  EXPECT_FALSE(any(e).item<bool>());
  EXPECT_EQ(bools(all(e, 0)), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(count_nonzero(e).item<int>(), 0);
  auto m = mean(e, 0).to_vector<float>();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_TRUE(std::isnan(m[0]));
  EXPECT_TRUE(std::isnan(mean(e).item<float>()));
  EXPECT_TRUE(std::isnan(var(e).item<float>()));
  EXPECT_TRUE(std::isnan(median(e).item<float>()));
  EXPECT_EQ(logsumexp(e).item<float>(), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(max(e, 1).shape(), Shape{0});  // nothing to compute
  EXPECT_EQ(argmax(e, 1).shape(), Shape{0});
  expect_invalid_eval([&] { return max(e); }, "max", "(0, 3)");
  expect_invalid_eval([&] { return min(e, 0); }, "min", "(0, 3)");
  expect_invalid_eval([&] { return argmax(e); }, "argmax", "(0, 3)");
  expect_invalid_eval([&] { return argmin(e, 0); }, "argmin", "(0, 3)");
  // Empty reduction of a non-empty array with a zero-length kept dim.
  EXPECT_EQ(sum(zeros({2, 0}), 1).to_vector<float>(), (std::vector<float>{0, 0}));

  array s = array(2.5f);
  EXPECT_EQ(sum(s).item<float>(), 2.5f);
  EXPECT_EQ(sum(s).shape(), Shape{});
  EXPECT_EQ(sum(s, std::vector<int>{}).item<float>(), 2.5f);
  EXPECT_EQ(max(s).item<float>(), 2.5f);
  EXPECT_EQ(mean(s).item<float>(), 2.5f);
  EXPECT_EQ(var(s).item<float>(), 0.0f);
  EXPECT_EQ(argmax(s).item<int>(), 0);
  EXPECT_EQ(argmax(s).shape(), Shape{});
  EXPECT_EQ(logsumexp(s).item<float>(), 2.5f);
  EXPECT_EQ(median(s).item<float>(), 2.5f);
  EXPECT_EQ(sum(array(true)).dtype(), int32);
  EXPECT_EQ(sum(array(true), true).shape(), Shape{});
  expect_invalid_eval([&] { return sum(s, 0); }, "sum", "()");
  // A size-1 axis reduces without a kernel; dtype still changes.
  array one = array({7}, int8);
  EXPECT_EQ(sum(one, 0).dtype(), int32);
  EXPECT_EQ(sum(one, 0).item<int>(), 7);
  EXPECT_EQ(argmax(one, 0).item<int>(), 0);
}

TEST(Reduce, BadArguments) {
  array a = random_array({2, 3}, float32);
  expect_invalid_eval([&] { return sum(a, 2); }, "sum", "(2, 3)");
  expect_invalid_eval([&] { return sum(a, -3); }, "sum", "(2, 3)");
  expect_invalid_eval([&] { return prod(a, std::vector<int>{0, -2}); }, "prod", "repeated");
  expect_invalid_eval([&] { return max(a, 5); }, "max", "(2, 3)");
  expect_invalid_eval([&] { return min(a, std::vector<int>{1, 1}); }, "min");
  expect_invalid_eval([&] { return mean(a, 3); }, "mean");
  expect_invalid_eval([&] { return var(a, 2); }, "var");
  expect_invalid_eval([&] { return tandem::std(a, -4); }, "std");
  expect_invalid_eval([&] { return all(a, 2); }, "all");
  expect_invalid_eval([&] { return any(a, 2); }, "any");
  expect_invalid_eval([&] { return logsumexp(a, 2); }, "logsumexp");
  expect_invalid_eval([&] { return count_nonzero(a, 9); }, "count_nonzero");
  expect_invalid_eval([&] { return argmax(a, 2); }, "argmax", "(2, 3)");
  expect_invalid_eval([&] { return argmin(a, -3); }, "argmin");
  expect_invalid_eval([&] { return median(a, 2); }, "median");
  expect_invalid_eval([&] { return softmax(a, 2); }, "softmax");
  array c = astype(a, complex64);
  expect_invalid_eval([&] { return logsumexp(c); }, "logsumexp", "complex");
  expect_invalid_eval([&] { return softmax(c); }, "softmax", "complex");
  expect_invalid_eval([&] { return trace(array({1, 2})); }, "trace", "(2,)");
  expect_invalid_eval([&] { return trace(a, 0, 1, -1); }, "trace", "differ");
  expect_invalid_eval([&] { return trace(a, 0, 0, 2); }, "trace");
}

TEST(Reduce, BroadcastInput) {
  // Zero strides along the reduced axis.
  array row = array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f});
  array b = broadcast_to(reshape(row, {1, 5}), {1000, 5});
  EXPECT_EQ(sum(b, 0).to_vector<float>(), (std::vector<float>{1000, 2000, 3000, 4000, 5000}));
  EXPECT_EQ(sum(b, 1).to_vector<float>(), std::vector<float>(1000, 15.0f));
  EXPECT_EQ(max(b).item<float>(), 5.0f);
  EXPECT_EQ(argmax(b, 1).to_vector<uint32_t>(), std::vector<uint32_t>(1000, 4));
  EXPECT_EQ(sum(b).item<float>(), 15000.0f);
  array scalar_b = broadcast_to(array(2, int32), {300, 400});
  EXPECT_EQ(sum(scalar_b).item<int>(), 240000);
}

namespace {
// Large inputs that take the threaded and chunked paths of every loop shape.
void check_large(const Shape& shape, const std::vector<int>& axes, Dtype t) {
  array a = random_array(shape, t);
  auto vals = to_double(a);
  auto gs = groups(vals, shape, axes);
  std::vector<double> ws, wmax, wmin, tol;
  std::vector<double> wargmax;
  for (auto& g : gs) {
    ws.push_back(ref_sum(g));
    tol.push_back(
        is_inexact(t) ? 16 * eps_of(acc_of(t)) * abs_sum(g) + eps_of(t) * std::fabs(ws.back()) : 0);
    wmax.push_back(*std::max_element(g.begin(), g.end()));
    wmin.push_back(*std::min_element(g.begin(), g.end()));
  }
  for (auto& [lname, v] : layouts(a)) {
    std::string what = desc(t, axes, false, lname) + " shape " + shape_str(shape);
    expect_near_each(to_double(sum(v, axes)), ws, tol, "sum " + what);
    expect_exact(to_double(max(v, axes)), wmax, "max " + what);
    expect_exact(to_double(min(v, axes)), wmin, "min " + what);
    if (axes.size() == 1) {
      std::vector<double> wa, wi;
      for (auto& g : gs) {
        wa.push_back(std::max_element(g.begin(), g.end()) - g.begin());
        wi.push_back(std::min_element(g.begin(), g.end()) - g.begin());
      }
      expect_exact(to_double(argmax(v, axes[0])), wa, "argmax " + what);
      expect_exact(to_double(argmin(v, axes[0])), wi, "argmin " + what);
    }
  }
}
}  // namespace

TEST(Reduce, LargeThreaded) {
  check_large({300000}, {0}, float32);
  check_large({300000}, {0}, int32);
  check_large({600, 500}, {0}, float32);
  check_large({600, 500}, {1}, float32);
  check_large({3, 100000}, {1}, float32);
  check_large({100000, 3}, {0}, float32);
  check_large({100000, 3}, {1}, int16);
  check_large({50, 60, 100}, {0, 2}, float64);
  check_large({50, 60, 100}, {1}, bfloat16);
  check_large({200, 1500}, {0}, float16);
  check_large({2, 300, 500}, {0, 1}, float32);
}

TEST(Reduce, LargeAccuracy) {
  // 1M float32 values: the pairwise sum stays within a few ulps of the exact
  // mean, where a naive running sum would drift.
  array a = full({1 << 20}, array(0.1f), float32);
  double want = (1 << 20) * static_cast<double>(0.1f);
  EXPECT_NEAR(sum(a).item<float>(), want, want * 1e-6);
  EXPECT_NEAR(mean(a).item<float>(), 0.1f, 1e-7);
  array col = full({1 << 18, 2}, array(0.1f), float32);
  auto cs = sum(col, 0).to_vector<float>();
  EXPECT_NEAR(cs[0], (1 << 18) * static_cast<double>(0.1f), (1 << 18) * 1e-7);
  // float16 means of many values do not overflow.
  array h = full({300000}, array(3.0f), float16);
  EXPECT_EQ(mean(h).item<float>(), 3.0f);
  EXPECT_EQ(mean(h).dtype(), float16);
  EXPECT_NEAR(tandem::std(random_array({300000}, float16)).item<float>(), std::sqrt(3.0), 0.02);
}

TEST(Reduce, AllcloseArrayEqual) {
  array a = array({1.0f, 2.0f, 3.0f});
  array b = array({1.0f, 2.0f + 1e-6f, 3.0f});
  EXPECT_TRUE(allclose(a, b).item<bool>());
  EXPECT_FALSE(allclose(a, array({1.0f, 2.1f, 3.0f})).item<bool>());
  EXPECT_TRUE(allclose(a, array({1.0f, 2.1f, 3.0f}), 0.1).item<bool>());
  EXPECT_TRUE(allclose(a, array({1.05f, 2.0f, 3.0f}), 0.0, 0.1).item<bool>());
  float nan = std::nanf("");
  array n1 = array({1.0f, nan}), n2 = array({1.0f, nan});
  EXPECT_FALSE(allclose(n1, n2).item<bool>());
  EXPECT_TRUE(allclose(n1, n2, 1e-5, 1e-8, true).item<bool>());
  EXPECT_TRUE(allclose(a, reshape(a, {1, 3})).item<bool>());  // broadcasts
  EXPECT_EQ(allclose(a, b).shape(), Shape{});

  EXPECT_TRUE(array_equal(a, a).item<bool>());
  EXPECT_FALSE(array_equal(a, b).item<bool>());
  EXPECT_FALSE(array_equal(a, reshape(a, {1, 3})).item<bool>());  // shapes differ
  EXPECT_TRUE(array_equal(array({1, 2, 3}), a).item<bool>());     // dtypes may differ
  EXPECT_FALSE(array_equal(n1, n2).item<bool>());
  EXPECT_TRUE(array_equal(n1, n2, true).item<bool>());
  EXPECT_TRUE(array_equal(zeros({0, 2}), zeros({0, 2}, int32)).item<bool>());
  array big = random_array({300, 400}, float32);
  EXPECT_TRUE(array_equal(big, strided_view(big)).item<bool>());
  EXPECT_TRUE(allclose(big, flip_all(contiguous(flip_all(big)))).item<bool>());
}

TEST(Reduce, Trace) {
  for (Dtype t : {int32, float32, float64, int8, bool_, float16}) {
    array a = random_array({4, 5, 6}, t);
    auto vals = to_double(a);
    auto at = [&](int i, int j, int k) { return vals[(i * 5 + j) * 6 + k]; };
    for (int offset : {0, 1, -1, 3, -3, 7, -9}) {
      // axis1 = 0, axis2 = 1: result indexed by k.
      std::vector<double> w01(6, 0), w12(4, 0), w20(5, 0);
      for (int k = 0; k < 6; ++k) {
        for (int i = 0; i < 4; ++i) {
          int j = i + offset;
          if (j >= 0 && j < 5) w01[k] += at(i, j, k);
        }
      }
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 5; ++j) {
          int k = j + offset;
          if (k >= 0 && k < 6) w12[i] += at(i, j, k);
        }
      }
      for (int j = 0; j < 5; ++j) {
        for (int k = 0; k < 6; ++k) {
          int i = k + offset;  // axis1 = 2 (k), axis2 = 0 (i)
          if (i >= 0 && i < 4) w20[j] += at(i, j, k);
        }
      }
      std::string what = std::string(dtype_name(t)) + " offset " + std::to_string(offset);
      double tol = eps_of(t) * 64;
      array r = trace(a, offset, 0, 1);
      EXPECT_EQ(r.dtype(), sum_type(t)) << what;
      expect_near_each(to_double(r), w01, std::vector<double>(6, tol), what);
      expect_near_each(to_double(trace(strided_view(a), offset, 1, 2)), w12,
                       std::vector<double>(4, tol), what);
      expect_near_each(to_double(trace(a, offset, -1, 0)), w20, std::vector<double>(5, tol), what);
    }
  }
  array m = array({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3});
  EXPECT_EQ(trace(m).item<int>(), 15);
  EXPECT_EQ(trace(m).shape(), Shape{});
  EXPECT_EQ(trace(m, 1, 0, 1).item<int>(), 8);
  EXPECT_EQ(trace(m, -2, 0, 1).item<int>(), 7);
  EXPECT_EQ(trace(m, 0, 0, 1, float32).dtype(), float32);
  EXPECT_EQ(trace(m, 0, 0, 1, int8).dtype(), int8);
  EXPECT_EQ(trace(m, 0, 0, 1, float32).item<float>(), 15.0f);
  EXPECT_EQ(trace(zeros({0, 3})).item<float>(), 0.0f);
}

TEST(Reduce, HalfSpecialValues) {
  // Subnormal, zero-signed, infinite and NaN float16 values read exactly.
  std::vector<uint16_t> bits = {0x0001, 0x0003, 0x8002, 0x03ff, 0x0400, 0x7bff, 0x8000};
  std::vector<double> want = {std::ldexp(1.0, -24),
                              3 * std::ldexp(1.0, -24),
                              -2 * std::ldexp(1.0, -24),
                              1023 * std::ldexp(1.0, -24),
                              std::ldexp(1.0, -14),
                              65504.0,
                              -0.0};
  array h = array::from_bytes(bits.data(), {7}, float16);
  EXPECT_EQ(to_double(h), want);
  // 1025 * 2^-24 is exact in float16; the float32 accumulator must see every subnormal.
  EXPECT_EQ(sum(slice(h, {0}, {4})).item<double>(), 1025 * std::ldexp(1.0, -24));
  EXPECT_EQ(sum(h).item<double>(), 65504.0);
  EXPECT_EQ(max(h).item<double>(), 65504.0);
  EXPECT_EQ(min(h).item<double>(), -2 * std::ldexp(1.0, -24));
  EXPECT_EQ(argmin(h).item<int>(), 2);
  EXPECT_EQ(to_double(sort(h)),
            (std::vector<double>{want[2], -0.0, want[0], want[1], want[3], want[4], want[5]}));
  std::vector<uint16_t> special = {0x7c00, 0xfc00, 0x7e00, 0x3c00};  // inf, -inf, nan, 1
  array s = array::from_bytes(special.data(), {4}, float16);
  EXPECT_TRUE(std::isnan(max(s).item<float>()));
  EXPECT_EQ(max(slice(s, {0}, {2})).item<float>(), std::numeric_limits<float>::infinity());
  EXPECT_EQ(min(slice(s, {0}, {2})).item<float>(), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(argmax(s).item<int>(), 2);
  EXPECT_EQ(argmax(slice(s, {0}, {2})).item<int>(), 0);
}

TEST(Reduce, LongChunkedNaNAndTies) {
  // Long reductions the GPU splits into chunks and reduces again: the first
  // NaN and the first of tied extremes must win across chunks.
  const int n = 3000000;
  std::vector<double> v(n, 1.0);
  v[2500000] = kNaN;
  v[2900000] = kNaN;
  array a = make_array(v, {n}, float32);
  EXPECT_TRUE(std::isnan(max(a).item<float>()));
  EXPECT_TRUE(std::isnan(min(a).item<float>()));
  EXPECT_TRUE(std::isnan(sum(a).item<float>()));
  EXPECT_EQ(argmax(a).item<uint32_t>(), 2500000u);
  EXPECT_EQ(argmin(a).item<uint32_t>(), 2500000u);
  // Integer-valued floats sum exactly in any order.
  EXPECT_EQ(sum(ones({5000000}, float32)).item<float>(), 5000000.0f);
  EXPECT_EQ(sum(ones({5000000}, float64)).item<double>(), 5000000.0);
  // float16 sums accumulate in float32 and overflow only when rounded.
  EXPECT_TRUE(std::isinf(sum(ones({100000}, float16)).item<float>()));
  EXPECT_EQ(sum(ones({100000}, float16), std::vector<int>{0}, false).dtype(), float16);

  std::vector<double> t(2000000, 0.0);
  t[1500000] = 5;
  t[1999999] = 5;
  t[1700000] = -3;
  t[1800000] = -3;
  array b = make_array(t, {2000000}, int8);
  EXPECT_EQ(argmax(b).item<uint32_t>(), 1500000u);
  EXPECT_EQ(argmin(b).item<uint32_t>(), 1700000u);
  EXPECT_EQ(max(b).item<int>(), 5);
  EXPECT_EQ(sum(b).item<int>(), 4);
  EXPECT_FALSE(all(b).item<bool>());
  EXPECT_TRUE(any(b).item<bool>());

  // Columns over many rows (chunked, then reduced again), NaN in one column.
  std::vector<double> c(40000 * 3);
  for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<double>(i % 7);
  c[39000 * 3 + 1] = kNaN;
  c[39500 * 3 + 1] = kNaN;
  c[20000 * 3 + 2] = 9;
  c[30000 * 3 + 2] = 9;
  array m = make_array(c, {40000, 3}, float32);
  auto mx = to_double(max(m, 0));
  EXPECT_EQ(mx[0], 6);
  EXPECT_TRUE(std::isnan(mx[1]));
  EXPECT_EQ(mx[2], 9);
  auto am = to_double(argmax(m, 0));
  EXPECT_EQ(am[1], 39000);
  EXPECT_EQ(am[2], 20000);
  array w = ones({300000, 5}, int32);
  EXPECT_EQ(to_double(sum(w, 0)), std::vector<double>(5, 300000));
  EXPECT_EQ(to_double(sum(transpose(w), 1)), std::vector<double>(5, 300000));
}

// ---- diff ----

TEST(Diff, AgainstReference) {
  for (Dtype t : {int32, int8, float32, float64, float16, uint8}) {
    array a = random_array({4, 5, 6}, t);
    auto vals = to_double(a);
    for (int axis : {0, 1, 2, -1}) {
      for (int n : {0, 1, 2, 3}) {
        int ax = axis < 0 ? axis + 3 : axis;
        // Reference: repeated first differences on a float64 copy.
        std::vector<double> cur = vals;
        Shape shape = a.shape();
        for (int it = 0; it < n; ++it) {
          Shape ns = shape;
          ns[ax] = std::max(0, shape[ax] - 1);
          std::vector<double> nxt(shape_size(ns));
          std::vector<int> idx(3, 0);
          for (size_t i = 0; i < nxt.size(); ++i) {
            size_t r = i;
            for (int d = 2; d >= 0; --d) {
              idx[d] = static_cast<int>(r % ns[d]);
              r /= ns[d];
            }
            auto at = [&](int shift) {
              std::vector<int> j = idx;
              j[ax] += shift;
              return cur[(static_cast<size_t>(j[0]) * shape[1] + j[1]) * shape[2] + j[2]];
            };
            nxt[i] = at(1) - at(0);
          }
          cur = nxt;
          shape = ns;
        }
        for (auto& [lname, v] : layouts(a)) {
          std::string what = desc(t, {axis}, false, lname) + " n=" + std::to_string(n);
          array r = diff(v, n, axis);
          EXPECT_EQ(r.shape(), shape) << what;
          EXPECT_EQ(r.dtype(), t) << what;
          if (is_unsigned(t)) continue;       // differences wrap around, compared below
          if (t == int8 && n == 3) continue;  // third differences may overflow int8
          std::vector<double> tol(cur.size());
          for (size_t i = 0; i < cur.size(); ++i) tol[i] = eps_of(t) * 8 * (std::fabs(cur[i]) + 40);
          expect_near_each(to_double(r), cur, tol, what);
        }
      }
    }
  }
  EXPECT_EQ(diff(array({1, 4, 9, 16})).to_vector<int>(), (std::vector<int>{3, 5, 7}));
  EXPECT_EQ(diff(array({1, 4, 9, 16}), 2).to_vector<int>(), (std::vector<int>{2, 2}));
  EXPECT_EQ(diff(array({1, 4, 9, 16}), 5).shape(), Shape{0});
  EXPECT_EQ(diff(array({true, true, false, true})).dtype(), bool_);
  EXPECT_EQ(bools(diff(array({true, true, false, true}))), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(diff(array({5u, 3u}, uint32)).to_vector<uint32_t>(),
            (std::vector<uint32_t>{4294967294u}));
  EXPECT_EQ(diff(zeros({0, 3}), 1, 0).shape(), Shape({0, 3}));
  expect_invalid_eval([&] { return diff(array(1.0f)); }, "diff", "scalar");
  expect_invalid_eval([&] { return diff(array({1, 2}), -1); }, "diff", "-1");
  expect_invalid_eval([&] { return diff(array({1, 2}), 1, 1); }, "diff", "(2,)");
}
