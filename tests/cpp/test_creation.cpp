// Creation and conversion ops: full/zeros/ones(_like), arange, linspace, eye,
// identity, tri, astype, contiguous, copy, against values computed here.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <limits>
#include <string>
#include <vector>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;

namespace {

using test::expect_invalid;

std::string dname(Dtype t) {
  return dtype_name(t);
}

// v converted to dtype t by NumPy's rules for in-range values, as double.
double cast_ref(double v, Dtype t) {
  if (t == bool_) return v != 0;
  if (is_integral(t)) {
    double r = std::trunc(v);
    if (is_unsigned(t) && r < 0) {  // integer sources wrap (float sources are kept >= 0)
      double m = std::ldexp(1.0, static_cast<int>(t.size() * 8));
      return r + m;
    }
    return r;
  }
  return dispatch_dtype(t, [&](auto tag) -> double {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, double>) {
      return v;
    } else if constexpr (std::is_floating_point_v<T> || is_half_v<T>) {
      return static_cast<double>(static_cast<float>(T(v)));
    } else {
      return v;
    }
  });
}

}  // namespace

TEST(Creation, FullZerosOnesAllDtypes) {
  for (Dtype t : all_dtypes) {
    for (Shape s : std::vector<Shape>{{}, {0}, {0, 3}, {7}, {3, 5}, {2, 3, 4}, {300001}}) {
      array z = zeros(s, t), o = ones(s, t);
      EXPECT_EQ(z.dtype(), t);
      EXPECT_EQ(o.dtype(), t);
      EXPECT_EQ(z.shape(), s);
      auto zv = z.to_vector<double>(), ov = o.to_vector<double>();
      ASSERT_EQ(zv.size(), shape_size(s));
      size_t bad = 0;
      for (size_t i = 0; i < zv.size(); ++i) bad += zv[i] != 0 || ov[i] != 1;
      EXPECT_EQ(bad, 0u) << dname(t) << " " << shape_str(s);
      z.eval();
      EXPECT_TRUE(z.flags().row_contiguous);
    }
    // full from a scalar of another dtype converts.
    array f = full({2, 3}, array(5), t);
    EXPECT_EQ(f.dtype(), t);
    for (double v : f.to_vector<double>()) EXPECT_EQ(v, t == bool_ ? 1 : 5) << dname(t);
    array fl = full({4}, array(2.75f), t);
    double want = cast_ref(2.75, t);
    for (double v : fl.to_vector<double>()) EXPECT_EQ(v, want) << dname(t);
  }
  // Default dtype follows vals; vals broadcast along leading axes.
  array f = full({2, 3}, array({1.5f, 2.5f, 3.5f}));
  EXPECT_EQ(f.dtype(), float32);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1.5f, 2.5f, 3.5f, 1.5f, 2.5f, 3.5f}));
  array fc = full({2, 2}, array(complex64_t(1, -2)));
  EXPECT_EQ(fc.dtype(), complex64);
  for (auto z : fc.to_vector<complex64_t>()) EXPECT_EQ(z, complex64_t(1, -2));
  // vals from a non-contiguous view.
  array src = transpose(reshape(arange(6), {2, 3}));  // (3, 2): [[0,3],[1,4],[2,5]]
  EXPECT_EQ(full({2, 3, 2}, src).to_vector<int>(),
            (std::vector<int>{0, 3, 1, 4, 2, 5, 0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(zeros({3}).dtype(), float32);
  EXPECT_EQ(ones({3}).dtype(), float32);
  expect_invalid([] { zeros({2, -1}); }, "full", {"(2, -1)"});
  expect_invalid([] { full({2, 3}, array({1, 2})); }, "broadcast_to", {"(2,)", "(2, 3)"});
}

TEST(Creation, Likes) {
  for (Dtype t : all_dtypes) {
    array a = test::random_array({3, 4}, t);
    array at = transpose(a);
    for (auto& [name, r, val] : std::vector<std::tuple<std::string, array, double>>{
             {"zeros_like", zeros_like(at), 0},
             {"ones_like", ones_like(at), 1},
             {"full_like", full_like(at, array(3)), t == bool_ ? 1.0 : 3.0}}) {
      EXPECT_EQ(r.dtype(), t) << name;
      EXPECT_EQ(r.shape(), (Shape{4, 3})) << name;
      for (double v : r.to_vector<double>()) EXPECT_EQ(v, val) << name << " " << dname(t);
    }
  }
  // full_like converts vals to a's dtype (MLX), not the other way round.
  array fl = full_like(zeros({2}, int32), array(2.9f));
  EXPECT_EQ(fl.dtype(), int32);
  EXPECT_EQ(fl.to_vector<int>(), (std::vector<int>{2, 2}));
}

TEST(Creation, Arange) {
  // int overloads -> int32
  EXPECT_EQ(arange(5).dtype(), int32);
  EXPECT_EQ(arange(5).to_vector<int>(), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(2, 11, 3).to_vector<int>(), (std::vector<int>{2, 5, 8}));
  EXPECT_EQ(arange(5, 0, -2).to_vector<int>(), (std::vector<int>{5, 3, 1}));
  EXPECT_EQ(arange(0, -5, -1).to_vector<int>(), (std::vector<int>{0, -1, -2, -3, -4}));
  EXPECT_EQ(arange(3, 3).size(), 0u);
  EXPECT_EQ(arange(5, 0).size(), 0u);
  EXPECT_EQ(arange(0).shape(), (Shape{0}));
  // double overloads -> float32
  EXPECT_EQ(arange(5.0).dtype(), float32);
  array f = arange(0.0, 1.0, 0.1);
  EXPECT_EQ(f.size(), 10u);
  auto fv = f.to_vector<double>();
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(fv[i], 0.1 * i, 1e-6);
  EXPECT_EQ(arange(0.5, 2.0, 0.5).to_vector<float>(), (std::vector<float>{0.5f, 1.0f, 1.5f}));
  EXPECT_EQ(arange(1.0, -1.0, -0.5).to_vector<float>(),
            (std::vector<float>{1.0f, 0.5f, 0.0f, -0.5f}));
  // Explicit dtypes.
  for (Dtype t : {uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16, float32,
                  float64, bfloat16}) {
    array r = arange(2.0, 40.0, 3.0, t);
    EXPECT_EQ(r.dtype(), t);
    std::vector<double> want;
    for (double v = 2; v < 40; v += 3) want.push_back(v);
    EXPECT_EQ(r.to_vector<double>(), want) << dname(t);
  }
  array d = arange(0.0, 1.0, 1.0 / 3.0, float64);
  EXPECT_EQ(d.size(), 3u);
  EXPECT_DOUBLE_EQ(d.to_vector<double>()[2], 2.0 / 3.0);
  // Large (threaded fill): exact in int32 and float64.
  auto big = arange(0, 300001, 1).to_vector<int>();
  for (int i = 0; i < 300001; ++i) ASSERT_EQ(big[i], i);
  auto bigd = arange(-5.0, 300000.0, 0.5, float64).to_vector<double>();
  ASSERT_EQ(bigd.size(), 600010u);
  for (size_t i = 0; i < bigd.size(); ++i) ASSERT_EQ(bigd[i], -5.0 + 0.5 * double(i));
  expect_invalid([] { arange(0, 5, 0); }, "arange", {"step"});
  expect_invalid([] { arange(0.0, std::nan(""), 1.0); }, "arange", {"NaN"});
  expect_invalid([] { arange(0.0, INFINITY, 1.0); }, "arange", {"inf"});
  expect_invalid([] { arange(0.0, 5.0, 1.0, bool_); }, "arange", {"bool"});
  expect_invalid([] { arange(0.0, 5.0, 1.0, complex64); }, "arange", {"complex"});
  expect_invalid([] { arange(0.0, 1e12, 1.0); }, "arange");
}

// The bits u wrapped to the integer dtype t, read back as int64_t the way
// to_vector<int64_t> converts (uint64 keeps its bits).
int64_t wrap_i64(Dtype t, uint64_t u) {
  int bits = static_cast<int>(t.size() * 8);
  if (bits < 64) {
    u &= (uint64_t(1) << bits) - 1;
    if (!is_unsigned(t) && ((u >> (bits - 1)) & 1)) u |= ~((uint64_t(1) << bits) - 1);
  }
  return static_cast<int64_t>(u);
}

// Issue 18: arange saturated past int32 and in narrow dtypes, and lost large
// int64 starts to double rounding.
TEST(Creation, ArangeIntegerWrapsAndIsExact) {
  // 2**31 - 3 .. 2**31 + 1 in int64 (the values a Python int range gives).
  array a = arange(int64_t{2147483645}, int64_t{2147483650}, int64_t{1}, int64);
  EXPECT_EQ(a.to_vector<int64_t>(),
            (std::vector<int64_t>{2147483645, 2147483646, 2147483647, 2147483648, 2147483649}));
  // uint8 wraps like NumPy instead of sticking at 255.
  EXPECT_EQ(arange(250, 260, 1, uint8).to_vector<int>(),
            (std::vector<int>{250, 251, 252, 253, 254, 255, 0, 1, 2, 3}));
  // 2**62 .. 2**62 + 3: not empty (double rounding made stop == start).
  int64_t big = int64_t(1) << 62;
  EXPECT_EQ(arange(big, big + 4, int64_t{1}, int64).to_vector<int64_t>(),
            (std::vector<int64_t>{big, big + 1, big + 2, big + 3}));
  // Random int64 ranges, every integer dtype, both step signs.
  auto& g = test::rng();
  for (int iter = 0; iter < 200; ++iter) {
    Dtype t = test::kIntTypes[g() % test::kIntTypes.size()];
    int64_t start = static_cast<int64_t>(g()) >> (g() % 63);
    int64_t step = static_cast<int64_t>(g() % 2000) - 1000;
    if (step == 0) step = 7;
    int64_t n = static_cast<int64_t>(g() % 50);
    // Stop inside int64, n elements away (fewer when that would leave it).
    __int128 stop128 = static_cast<__int128>(start) + static_cast<__int128>(n) * step;
    if (stop128 > INT64_MAX || stop128 < INT64_MIN) continue;
    int64_t stop = static_cast<int64_t>(stop128) - (g() % 2 ? (step > 0 ? 1 : -1) * (g() % 2) : 0);
    array r = arange(start, stop, step, t);
    __int128 span = static_cast<__int128>(stop) - start;
    int64_t want_n =
        static_cast<int64_t>(span / step + ((span % step != 0) && (span > 0) == (step > 0)));
    if (want_n < 0) want_n = 0;
    ASSERT_EQ(r.size(), static_cast<size_t>(want_n)) << start << " " << stop << " " << step;
    auto got = r.to_vector<int64_t>();
    for (int64_t i = 0; i < want_n; ++i) {
      ASSERT_EQ(got[i], wrap_i64(t, uint64_t(start) + uint64_t(i) * uint64_t(step)))
          << dname(t) << " start " << start << " step " << step << " i " << i;
    }
  }
  // Double arguments, integer dtype: NumPy's trunc(start) + i * (trunc(start +
  // step) - trunc(start)), wrapped.
  EXPECT_EQ(arange(2.5, 10.0, 3.0, int32).to_vector<int>(), (std::vector<int>{2, 5, 8}));
  EXPECT_EQ(arange(0.0, 1.0, 0.25, int32).to_vector<int>(), (std::vector<int>{0, 0, 0, 0}));
  EXPECT_EQ(arange(-1.0, 3.0, 1.0, uint8).to_vector<int>(), (std::vector<int>{255, 0, 1, 2}));
  EXPECT_EQ(arange(5.5, 0.0, -1.5, int16).to_vector<int>(), (std::vector<int>{5, 4, 3, 2}));
  // Float dtypes from int64 arguments.
  EXPECT_EQ(arange(int64_t{-3}, int64_t{3}, int64_t{2}, float32).to_vector<float>(),
            (std::vector<float>{-3.f, -1.f, 1.f}));
  // Ranges longer than a 32-bit dimension are refused, naming the count.
  expect_invalid([] { arange(int64_t{0}, int64_t{1} << 40, int64_t{1}, int64); }, "arange",
                 {"1099511627776", "32-bit"});
  expect_invalid([] { arange(int64_t{0}, int64_t{5}, int64_t{0}, int64); }, "arange", {"step"});
  expect_invalid([] { arange(1e19, 1e19 + 1e6, 1e5, int64); }, "arange", {"int64"});
}

TEST(Creation, Linspace) {
  for (int num : {0, 1, 2, 5, 50, 1001}) {
    for (auto [a, b] : std::vector<std::pair<double, double>>{{0, 1}, {-3, 7}, {5, -5}}) {
      for (Dtype t : {float32, float64, float16}) {
        array l = linspace(a, b, num, t);
        EXPECT_EQ(l.dtype(), t);
        ASSERT_EQ(l.shape(), (Shape{num}));
        auto v = l.to_vector<double>();
        double tol = t == float64 ? 1e-12 : t == float32 ? 2e-6 * 10 : 1e-2;
        for (int i = 0; i < num; ++i) {
          double want = num == 1 ? a : a + (b - a) * i / (num - 1);
          EXPECT_NEAR(v[i], want, tol * (1 + std::fabs(want))) << num << " " << i;
        }
        if (num >= 1) EXPECT_EQ(v[0], a);
        if (num >= 2) EXPECT_EQ(v[num - 1], b);
      }
    }
  }
  EXPECT_EQ(linspace(0, 1).size(), 50u);
  EXPECT_EQ(linspace(0, 1).dtype(), float32);
  EXPECT_EQ(linspace(0, 10, 6, int32).to_vector<int>(), (std::vector<int>{0, 2, 4, 6, 8, 10}));
  expect_invalid([] { linspace(0, 1, -1); }, "linspace", {"-1"});
}

TEST(Creation, EyeIdentityTri) {
  for (int n : {0, 1, 4}) {
    for (int m : {0, 3, 4, 6}) {
      for (int k : {-5, -1, 0, 2, 7}) {
        for (Dtype t : {float32, int32, bool_, float16, complex64}) {
          array e = eye(n, m, k, t), tr = tri(n, m, k, t);
          EXPECT_EQ(e.dtype(), t);
          EXPECT_EQ(e.shape(), (Shape{n, m}));
          EXPECT_EQ(tr.shape(), (Shape{n, m}));
          auto ev = e.to_vector<double>(), tv = tr.to_vector<double>();
          for (int i = 0; i < n; ++i) {
            for (int j = 0; j < m; ++j) {
              ASSERT_EQ(ev[i * m + j], j - i == k ? 1 : 0) << n << m << k << dname(t);
              ASSERT_EQ(tv[i * m + j], j <= i + k ? 1 : 0) << n << m << k << dname(t);
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(eye(3).shape(), (Shape{3, 3}));
  EXPECT_EQ(eye(3).dtype(), float32);
  EXPECT_EQ(identity(3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(identity(2, int64).dtype(), int64);
  EXPECT_EQ(tri(2).to_vector<float>(), (std::vector<float>{1, 0, 1, 1}));
  expect_invalid([] { eye(-1); }, "eye", {"-1"});
  expect_invalid([] { tri(2, -3); }, "tri", {"-3"});
}

TEST(Creation, AstypeAllPairs) {
  for (Dtype from : all_dtypes) {
    for (Dtype to : all_dtypes) {
      // Float sources stay in range of every target; negative only where defined.
      bool nonneg = is_unsigned(to) && !is_integral(from);
      double lo = nonneg ? 0.0 : -20.0;
      array a = test::random_array({3, 5}, from, lo, 20.0);
      if (from == complex64) {
        a = add(astype(test::random_array({3, 5}, float32, lo, 20.0), complex64),
                array(complex64_t(0, 1.5f)));
      }
      for (auto& [name, in] : std::vector<std::pair<std::string, array>>{
               {"contiguous", a},
               {"transposed", transpose(a)},
               {"reversed", slice(a, {2, 4}, {-4, -6}, {-1, -1})},
               {"broadcast", broadcast_to(slice(a, {0, 0}, {1, 5}), {4, 5})}}) {
        std::string what = dname(from) + " -> " + dname(to) + " " + name;
        array out = astype(in, to);
        EXPECT_EQ(out.dtype(), to) << what;
        EXPECT_EQ(out.shape(), in.shape()) << what;
        if (to == complex64) {
          auto x = in.to_vector<complex64_t>();
          auto got = out.to_vector<complex64_t>();
          for (size_t i = 0; i < x.size(); ++i) {
            float re = static_cast<float>(cast_ref(x[i].real(), float32));
            float im = from == complex64 ? x[i].imag() : 0.0f;
            ASSERT_EQ(got[i], complex64_t(re, im)) << what << " at " << i;
          }
          continue;
        }
        // Complex sources keep the real part (and != 0 for bool).
        std::vector<double> want;
        if (from == complex64) {
          for (auto z : in.to_vector<complex64_t>()) {
            want.push_back(to == bool_ ? 1.0 : cast_ref(z.real(), to));
          }
        } else {
          for (double v : in.to_vector<double>()) want.push_back(cast_ref(v, to));
        }
        auto got = out.to_vector<double>();
        size_t bad = 0;
        for (size_t i = 0; i < want.size(); ++i) {
          if (got[i] != want[i] && bad++ < 3) {
            ADD_FAILURE() << what << " at " << i << ": got " << got[i] << " want " << want[i];
          }
        }
      }
    }
  }
  // Same dtype: the same array, no copy.
  array a = test::random_array({4}, float32);
  array same = astype(a, float32);
  EXPECT_EQ(same.id(), a.id());
  // Large (threaded) conversions.
  array big = test::random_array({300001}, float32, -100, 100);
  auto bv = big.to_vector<float>();
  auto iv = astype(big, int32).to_vector<int>();
  for (size_t i = 0; i < bv.size(); ++i) ASSERT_EQ(iv[i], static_cast<int>(std::trunc(bv[i])));
  auto hv = astype(transpose(reshape(big, {1, 300001})), float16).to_vector<float>();
  for (size_t i = 0; i < bv.size(); ++i) ASSERT_EQ(hv[i], static_cast<float>(float16_t(bv[i])));
  // Specific conversions.
  EXPECT_EQ(astype(array({-1, 256, 255}), uint8).to_vector<int>(), (std::vector<int>{255, 0, 255}));
  EXPECT_EQ(astype(array({-2.7f, 2.7f, -0.5f}), int32).to_vector<int>(),
            (std::vector<int>{-2, 2, 0}));
  EXPECT_EQ(astype(array({NAN, 0.0f, -0.0f, 1e-30f}), bool_).to_vector<uint8_t>(),
            (std::vector<uint8_t>{1, 0, 0, 1}));
  EXPECT_EQ(astype(array({70000.0f, 65519.0f, 65520.0f}), float16).to_vector<float>(),
            (std::vector<float>{INFINITY, 65504.0f, INFINITY}));
  EXPECT_EQ(astype(array(uint64_t(18446744073709551615ull)), float32).item<float>(),
            18446744073709551616.0f);
  EXPECT_EQ(astype(array(int64_t(-9007199254740993)), float64).item<double>(), -9007199254740992.0);
}

TEST(Creation, ContiguousAndCopy) {
  array a = test::random_array({4, 6}, float32);
  array t = transpose(a);
  array c = contiguous(t);
  c.eval();
  EXPECT_TRUE(c.flags().row_contiguous);
  EXPECT_EQ(c.to_vector<float>(), t.to_vector<float>());
  EXPECT_NE(c.buffer(), a.buffer());
  // Already row-major and evaluated: itself.
  EXPECT_EQ(contiguous(a).id(), a.id());
  // Column-major allowed: the transposed view is kept.
  t.eval();
  EXPECT_EQ(contiguous(t, true).id(), t.id());
  // Broadcast and reversed views are materialised.
  array b = contiguous(broadcast_to(slice(a, {0, 0}, {1, 6}), {3, 6}));
  b.eval();
  EXPECT_TRUE(b.flags().row_contiguous);
  EXPECT_EQ(b.size(), 18u);
  auto av = a.to_vector<float>(), bv = b.to_vector<float>();
  for (int i = 0; i < 18; ++i) EXPECT_EQ(bv[i], av[i % 6]);
  array r = contiguous(slice(a, {3, 5}, {-5, -7}, {-1, -1}));
  auto rv = r.to_vector<float>();
  for (int i = 0; i < 24; ++i) EXPECT_EQ(rv[i], av[23 - i]);
  // Empty and 0-d.
  EXPECT_EQ(contiguous(zeros({0, 3})).shape(), (Shape{0, 3}));
  EXPECT_EQ(contiguous(array(2.5f)).item<float>(), 2.5f);

  // copy: new buffer, same values and dtype, for every dtype and layout.
  for (Dtype dt : all_dtypes) {
    array x = test::random_array({3, 4}, dt);
    for (array in : {x, transpose(x), slice(x, {2, 3}, {-4, -5}, {-1, -1})}) {
      array y = copy(in);
      y.eval();
      EXPECT_EQ(y.dtype(), dt);
      EXPECT_NE(y.buffer(), x.buffer());
      EXPECT_EQ(y.to_vector<double>(), in.to_vector<double>()) << dname(dt);
    }
  }
  // The source is untouched after a copy of a temporary is donated.
  array src = test::random_array({1000}, float32);
  auto sv = src.to_vector<float>();
  array cc = copy(exp(src));
  auto ev = exp(src).to_vector<float>();
  EXPECT_EQ(cc.to_vector<float>(), ev);
  EXPECT_EQ(src.to_vector<float>(), sv);
}
