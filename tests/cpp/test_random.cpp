// Tests of tandem::random: Threefry known answers, the bit layout, keys and
// splitting, and the samplers' ranges and moments (~1e5 samples, bounds of
// several standard errors).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <thread>

#include "tandem/ops/random.h"
#include "tandem/primitives/random.h"
#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;

namespace {

struct Moments {
  double mean = 0, var = 0, skew = 0, kurt = 0, min = 0, max = 0;
};

Moments moments(const std::vector<double>& v) {
  Moments m;
  double n = static_cast<double>(v.size());
  m.mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
  double m2 = 0, m3 = 0, m4 = 0;
  for (double x : v) {
    double d = x - m.mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m.var = m2 / n;
  m.skew = (m3 / n) / std::pow(m.var, 1.5);
  m.kurt = (m4 / n) / (m.var * m.var);
  m.min = *std::min_element(v.begin(), v.end());
  m.max = *std::max_element(v.begin(), v.end());
  return m;
}

// The words of key's bit stream, computed on the host.
std::vector<uint32_t> host_words(uint32_t k0, uint32_t k1, size_t nwords) {
  std::vector<uint32_t> w((nwords + 1) / 2 * 2);
  for (size_t j = 0; j < w.size() / 2; ++j) random_block(k0, k1, j, w[2 * j], w[2 * j + 1]);
  w.resize(nwords);
  return w;
}

template <typename F>
void expect_invalid(F fn, const std::string& prefix, const std::string& has) {
  try {
    fn();
    ADD_FAILURE() << "no exception, expected " << prefix;
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind(prefix, 0), 0u) << m;
    EXPECT_NE(m.find(has), std::string::npos) << m;
  }
}

constexpr int kN = 100000;

}  // namespace

TEST(Random, ThreefryKnownAnswers) {
  // Random123's kat_vectors for threefry2x32 with 20 rounds: counter, key -> output.
  struct Kat {
    uint32_t c0, c1, k0, k1, y0, y1;
  };
  const Kat kats[] = {
      {0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x6b200159, 0x99ba4efe},
      {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc, 0xbb002be7},
      {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xc4923a9c, 0x483df7a0},
  };
  for (auto& k : kats) {
    uint32_t y0, y1;
    threefry2x32_20(k.k0, k.k1, k.c0, k.c1, y0, y1);
    EXPECT_EQ(y0, k.y0);
    EXPECT_EQ(y1, k.y1);
  }
}

TEST(Random, KeyFromSeed) {
  auto v = random::key(0x123456789abcdef0ull).to_vector<uint32_t>();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], 0x12345678u);
  EXPECT_EQ(v[1], 0x9abcdef0u);
  array k = random::key(7);
  EXPECT_EQ(k.dtype(), uint32);
  EXPECT_EQ(k.shape(), Shape({2}));
  EXPECT_EQ(k.to_vector<uint32_t>(), std::vector<uint32_t>({0u, 7u}));
}

TEST(Random, BitsFollowTheDocumentedLayout) {
  uint32_t k0 = 0x243f6a88, k1 = 0x85a308d3;
  array k = array(std::vector<uint32_t>{k0, k1}, {2}, uint32);
  // The first block of key (0, 0) is the published answer.
  auto b0 = random::bits({2}, 4, random::key(0)).to_vector<uint32_t>();
  EXPECT_EQ(b0, std::vector<uint32_t>({0x6b200159u, 0x99ba4efeu}));
  for (size_t n : {1u, 2u, 3u, 7u, 1001u, 200003u}) {
    auto want = host_words(k0, k1, n);
    auto got = random::bits({static_cast<ShapeElem>(n)}, 4, k).to_vector<uint32_t>();
    EXPECT_EQ(got, want) << "n = " << n;
  }
  // Other widths read the same little-endian byte stream.
  auto words = host_words(k0, k1, 64);
  const auto* bytes = reinterpret_cast<const uint8_t*>(words.data());
  auto b1 = random::bits({13}, 1, k).to_vector<uint8_t>();
  for (int i = 0; i < 13; ++i) EXPECT_EQ(b1[i], bytes[i]);
  auto b2 = random::bits({2, 5}, 2, k).to_vector<uint16_t>();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b2[i], uint16_t(bytes[2 * i] | bytes[2 * i + 1] << 8));
  auto b8 = random::bits({5}, 8, k).to_vector<uint64_t>();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(b8[i], uint64_t(words[2 * i]) | uint64_t(words[2 * i + 1]) << 32);
  }
  EXPECT_EQ(random::bits({3}, 1, k).dtype(), uint8);
  EXPECT_EQ(random::bits({3}, 2, k).dtype(), uint16);
  EXPECT_EQ(random::bits({3}, k).dtype(), uint32);
  EXPECT_EQ(random::bits({3}, 8, k).dtype(), uint64);
  // Empty and 0-d shapes.
  EXPECT_EQ(random::bits({0, 3}, k).size(), 0u);
  EXPECT_EQ(random::bits({}, k).to_vector<uint32_t>()[0], words[0]);
}

TEST(Random, SameKeySameNumbersAnywhere) {
  array k = random::key(42);
  auto a = random::normal({1000}, k).to_vector<float>();
  auto b = random::normal({1000}, k).to_vector<float>();
  EXPECT_EQ(a, b);
  // Another CPU stream gives the same numbers.
  Stream s2 = new_stream(Device::cpu);
  auto c = random::normal({1000}, k, s2).to_vector<float>();
  EXPECT_EQ(a, c);
  // A different key gives different numbers.
  auto d = random::normal({1000}, random::key(43)).to_vector<float>();
  int same = 0;
  for (int i = 0; i < 1000; ++i) same += a[i] == d[i];
  EXPECT_LT(same, 5);
  // Strided key views work as keys.
  array ks = random::split(k, 4);
  array k2 = reshape(slice(ks, {2, 0}, {3, 2}), {2});
  auto ref = random::uniform({10}, array(ks.to_vector<uint32_t>().data() + 4, {2}, uint32));
  EXPECT_EQ(random::uniform({10}, k2).to_vector<float>(), ref.to_vector<float>());
}

TEST(Random, SplitMatchesLayoutAndIsIndependent) {
  uint32_t k0 = 0, k1 = 1234;
  array k = random::key(1234);
  array ks = random::split(k, 5);
  EXPECT_EQ(ks.shape(), Shape({5, 2}));
  EXPECT_EQ(ks.dtype(), uint32);
  auto v = ks.to_vector<uint32_t>();
  for (uint64_t r = 0; r < 5; ++r) {
    uint32_t y0, y1;
    threefry2x32_20(k0, k1, 0, static_cast<uint32_t>(r), y0, y1);
    EXPECT_EQ(v[2 * r], y0);
    EXPECT_EQ(v[2 * r + 1], y1);
  }
  auto [a, b] = random::split(k);
  EXPECT_EQ(a.shape(), Shape({2}));
  EXPECT_EQ(a.to_vector<uint32_t>(), std::vector<uint32_t>(v.begin(), v.begin() + 2));
  EXPECT_EQ(b.to_vector<uint32_t>(), std::vector<uint32_t>(v.begin() + 2, v.begin() + 4));
  // All subkeys distinct, and their streams uncorrelated.
  std::set<std::pair<uint32_t, uint32_t>> seen;
  for (int r = 0; r < 5; ++r) seen.insert({v[2 * r], v[2 * r + 1]});
  EXPECT_EQ(seen.size(), 5u);
  auto x = random::uniform({kN}, float64, a).to_vector<double>();
  auto y = random::uniform({kN}, float64, b).to_vector<double>();
  auto z = random::uniform({kN}, float64, k).to_vector<double>();
  auto corr = [](const std::vector<double>& p, const std::vector<double>& q) {
    Moments mp = moments(p), mq = moments(q);
    double c = 0;
    for (size_t i = 0; i < p.size(); ++i) c += (p[i] - mp.mean) * (q[i] - mq.mean);
    return c / p.size() / std::sqrt(mp.var * mq.var);
  };
  // Standard error of a correlation of independent samples: 1/sqrt(n) ~ 0.003.
  EXPECT_LT(std::fabs(corr(x, y)), 0.015);
  EXPECT_LT(std::fabs(corr(x, z)), 0.015);
  EXPECT_LT(std::fabs(corr(y, z)), 0.015);
  // Splits of splits differ from each other and from the parent.
  auto aa = random::split(a, 2).to_vector<uint32_t>();
  EXPECT_NE(aa, std::vector<uint32_t>(v.begin(), v.begin() + 4));
  EXPECT_EQ(random::split(k, 0).shape(), Shape({0, 2}));
}

TEST(Random, GlobalKeyAndSeed) {
  random::seed(7);
  array s0 = random::state();
  EXPECT_EQ(s0.to_vector<uint32_t>(), std::vector<uint32_t>({0u, 7u}));
  auto a = random::uniform({100}).to_vector<float>();
  auto a2 = random::uniform({100}).to_vector<float>();
  random::seed(7);
  auto b = random::uniform({100}).to_vector<float>();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, a2);
  // The first draw after seed(s) uses split(key(s))[1]; the state becomes [0].
  auto [st, sub] = random::split(random::key(7));
  EXPECT_EQ(random::uniform({100}, sub).to_vector<float>(), a);
  random::seed(7);
  random::uniform({1});
  EXPECT_EQ(random::state().to_vector<uint32_t>(), st.to_vector<uint32_t>());
  // Each thread has its own key: seeding here leaves another thread's alone.
  random::seed(9);
  std::vector<float> other;
  std::thread t([&] {
    random::seed(9);
    other = random::uniform({100}).to_vector<float>();
  });
  t.join();
  EXPECT_EQ(random::uniform({100}).to_vector<float>(), other);
}

TEST(Random, UniformRangeAndMoments) {
  array k = random::key(1);
  for (Dtype t : {float32, float64, float16, bfloat16}) {
    array u = random::uniform({kN}, t, k);
    EXPECT_EQ(u.dtype(), t);
    auto v = u.to_vector<double>();
    Moments m = moments(v);
    EXPECT_GE(m.min, 0.0) << t;
    EXPECT_LT(m.max, 1.0) << t;
    // Standard error of the mean: 0.289 / sqrt(1e5) ~ 0.0009.
    EXPECT_NEAR(m.mean, 0.5, 0.005) << t;
    EXPECT_NEAR(m.var, 1.0 / 12, 0.002) << t;
    // Ten equal bins, each within 5 standard errors (sqrt(n p (1-p)) ~ 95).
    std::vector<int> hist(10, 0);
    for (double x : v) hist[std::min(9, static_cast<int>(x * 10))]++;
    for (int h : hist) EXPECT_NEAR(h, kN / 10, 500) << t;
  }
  // Bounds as arrays, broadcast per column, and a reversed interval.
  array lo(std::vector<float>{0.f, 10.f, -5.f}, {3});
  array hi(std::vector<float>{1.f, 20.f, -6.f}, {3});
  auto v = random::uniform(lo, hi, {kN / 3, 3}, float32, k).to_vector<double>();
  for (int c = 0; c < 3; ++c) {
    double l = std::vector<double>{0, 10, -5}[c], h = std::vector<double>{1, 20, -6}[c];
    std::vector<double> col;
    for (size_t i = c; i < v.size(); i += 3) col.push_back(v[i]);
    Moments m = moments(col);
    EXPECT_GE(std::min(m.min, m.max), std::min(l, h));
    EXPECT_LE(std::max(m.min, m.max), std::max(l, h));
    for (double x : col) EXPECT_NE(x, h);
    EXPECT_NEAR(m.mean, (l + h) / 2, 0.02 * std::fabs(h - l));
  }
  // Scalar bounds.
  auto w = random::uniform(array(-2.0), array(3.0), {kN}, float64, k).to_vector<double>();
  Moments mw = moments(w);
  EXPECT_GE(mw.min, -2.0);
  EXPECT_LT(mw.max, 3.0);
  EXPECT_NEAR(mw.mean, 0.5, 0.03);
  EXPECT_NEAR(mw.var, 25.0 / 12, 0.05);
  EXPECT_EQ(random::uniform({0}, k).size(), 0u);
  EXPECT_EQ(random::uniform({}, k).ndim(), 0);
}

TEST(Random, NormalMoments) {
  array k = random::key(2);
  for (Dtype t : {float32, float64, float16, bfloat16}) {
    array n = random::normal({kN}, t, k);
    EXPECT_EQ(n.dtype(), t);
    auto v = n.to_vector<double>();
    for (double x : v) ASSERT_TRUE(std::isfinite(x)) << t;
    Moments m = moments(v);
    // Standard errors: mean 0.0032, variance 0.0045, skew 0.008, kurtosis 0.015.
    EXPECT_NEAR(m.mean, 0.0, 0.016) << t;
    EXPECT_NEAR(m.var, 1.0, t == bfloat16 ? 0.03 : 0.025) << t;
    EXPECT_NEAR(m.skew, 0.0, 0.04) << t;
    EXPECT_NEAR(m.kurt, 3.0, 0.1) << t;
    double within1 = 0;
    for (double x : v) within1 += std::fabs(x) < 1.0;
    EXPECT_NEAR(within1 / kN, 0.682689, 0.008) << t;
    EXPECT_GT(m.max, 3.0) << t;  // P(max of 1e5 < 3) is about e^-135
    EXPECT_LT(m.min, -3.0) << t;
  }
  auto v = random::normal({kN}, 3.0f, 0.5f, k).to_vector<double>();
  Moments m = moments(v);
  EXPECT_NEAR(m.mean, 3.0, 0.008);
  EXPECT_NEAR(m.var, 0.25, 0.007);
  // loc/scale arrays broadcast per column.
  array loc(std::vector<float>{-1.f, 4.f}, {2});
  array scale(std::vector<float>{2.f, 0.1f}, {2});
  auto w = random::normal({kN / 2, 2}, float32, loc, scale, k).to_vector<double>();
  for (int c = 0; c < 2; ++c) {
    std::vector<double> col;
    for (size_t i = c; i < w.size(); i += 2) col.push_back(w[i]);
    Moments mc = moments(col);
    double l = c ? 4.0 : -1.0, sc = c ? 0.1 : 2.0;
    EXPECT_NEAR(mc.mean, l, 0.03 * sc);
    EXPECT_NEAR(std::sqrt(mc.var), sc, 0.03 * sc);
  }
}

TEST(Random, Randint) {
  array k = random::key(3);
  auto v = random::randint(array(-3), array(5), {kN}, int32, k).to_vector<int64_t>();
  std::vector<int> counts(8, 0);
  for (auto x : v) {
    ASSERT_GE(x, -3);
    ASSERT_LT(x, 5);
    counts[x + 3]++;
  }
  // Each of 8 values within 5 standard errors (sqrt(1e5 * 1/8 * 7/8) ~ 105).
  for (int c : counts) EXPECT_NEAR(c, kN / 8, 525);
  for (Dtype t : {int8, uint8, int16, uint32, int64, uint64}) {
    array r = random::randint(array(0), array(100), {1000}, t, k);
    EXPECT_EQ(r.dtype(), t);
    for (auto x : r.to_vector<int64_t>()) {
      EXPECT_GE(x, 0);
      EXPECT_LT(x, 100);
    }
  }
  // A full 32-bit range and large int64 ranges.
  auto big = random::randint(array(std::numeric_limits<int32_t>::min()),
                             array(std::numeric_limits<int32_t>::max()), {kN}, int32, k)
                 .to_vector<double>();
  Moments mb = moments(big);
  EXPECT_NEAR(mb.mean, 0.0, 0.02 * 4.3e9);
  EXPECT_LT(mb.max, 2147483647.0);
  array lo64(int64_t(-1) << 40), hi64(int64_t(1) << 40);
  for (auto x : random::randint(lo64, hi64, {1000}, int64, k).to_vector<int64_t>()) {
    EXPECT_GE(x, -(int64_t(1) << 40));
    EXPECT_LT(x, int64_t(1) << 40);
  }
  // Bounds broadcast per column; an empty range gives low.
  array lo(std::vector<int>{0, 10, 7}, {3}), hi(std::vector<int>{2, 13, 7}, {3});
  auto w = random::randint(lo, hi, {1000, 3}, int32, k).to_vector<int>();
  std::set<int> c0, c1, c2;
  for (size_t i = 0; i < w.size(); i += 3) {
    c0.insert(w[i]);
    c1.insert(w[i + 1]);
    c2.insert(w[i + 2]);
  }
  EXPECT_EQ(c0, std::set<int>({0, 1}));
  EXPECT_EQ(c1, std::set<int>({10, 11, 12}));
  EXPECT_EQ(c2, std::set<int>({7}));
}

TEST(Random, Bernoulli) {
  array k = random::key(4);
  array b = random::bernoulli(array(0.3f), {kN}, k);
  EXPECT_EQ(b.dtype(), bool_);
  auto v = b.to_vector<double>();
  // Standard error: sqrt(0.21 / 1e5) ~ 0.00145.
  EXPECT_NEAR(moments(v).mean, 0.3, 0.0075);
  array p(std::vector<float>{0.f, 1.f, 0.9f}, {3});
  auto w = random::bernoulli(p, {kN / 3, 3}, k).to_vector<double>();
  double s0 = 0, s1 = 0, s2 = 0;
  for (size_t i = 0; i < w.size(); i += 3) {
    s0 += w[i];
    s1 += w[i + 1];
    s2 += w[i + 2];
  }
  EXPECT_EQ(s0, 0);
  EXPECT_EQ(s1, kN / 3);
  EXPECT_NEAR(s2 / (kN / 3), 0.9, 0.01);
  EXPECT_EQ(random::bernoulli(p, k).shape(), Shape({3}));
  // A bare array argument is p; pass a key as std::optional (as in MLX).
  EXPECT_EQ(random::bernoulli(std::optional<array>(k)).ndim(), 0);
  double mean = moments(random::bernoulli(array(0.5, float64), {kN}, k).to_vector<double>()).mean;
  EXPECT_NEAR(mean, 0.5, 0.008);
}

TEST(Random, TruncatedNormal) {
  array k = random::key(5);
  auto v =
      random::truncated_normal(array(-1.0f), array(2.0f), {kN}, float32, k).to_vector<double>();
  Moments m = moments(v);
  EXPECT_GE(m.min, -1.0);
  EXPECT_LE(m.max, 2.0);
  // Mean of N(0,1) truncated to [a, b]: (phi(a) - phi(b)) / (Phi(b) - Phi(a)).
  auto phi = [](double x) { return std::exp(-x * x / 2) / std::sqrt(2 * M_PI); };
  auto Phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  double want = (phi(-1) - phi(2)) / (Phi(2) - Phi(-1));
  EXPECT_NEAR(m.mean, want, 0.01);
  // Half-normal: upper bound infinite.
  auto h =
      random::truncated_normal(array(0.0f), array(INFINITY), {kN}, float32, k).to_vector<double>();
  Moments mh = moments(h);
  EXPECT_GE(mh.min, 0.0);
  EXPECT_TRUE(std::isfinite(mh.max));
  EXPECT_NEAR(mh.mean, std::sqrt(2 / M_PI), 0.01);
  // Shape from the bounds; other dtypes.
  array lo(std::vector<float>{-0.5f, 1.f}, {2}), hi(std::vector<float>{0.5f, 3.f}, {2});
  array t = random::truncated_normal(lo, hi, bfloat16, k);
  EXPECT_EQ(t.shape(), Shape({2}));
  EXPECT_EQ(t.dtype(), bfloat16);
  auto tv = random::truncated_normal(lo, hi, {1000, 2}, float64, k).to_vector<double>();
  for (size_t i = 0; i < tv.size(); i += 2) {
    EXPECT_GE(tv[i], -0.5);
    EXPECT_LE(tv[i], 0.5);
    EXPECT_GE(tv[i + 1], 1.0);
    EXPECT_LE(tv[i + 1], 3.0);
  }
}

TEST(Random, GumbelAndLaplace) {
  array k = random::key(6);
  auto g = random::gumbel({kN}, float32, k).to_vector<double>();
  for (double x : g) ASSERT_TRUE(std::isfinite(x));
  Moments mg = moments(g);
  EXPECT_NEAR(mg.mean, 0.5772156649, 0.02);  // Euler's constant; s.e. 0.004
  EXPECT_NEAR(mg.var, M_PI * M_PI / 6, 0.05);
  EXPECT_EQ(random::gumbel({3}, float16, k).dtype(), float16);
  auto l = random::laplace({kN}, float64, 1.5f, 2.0f, k).to_vector<double>();
  for (double x : l) ASSERT_TRUE(std::isfinite(x));
  Moments ml = moments(l);
  EXPECT_NEAR(ml.mean, 1.5, 0.045);  // s.e. sqrt(8 / 1e5) ~ 0.009
  EXPECT_NEAR(ml.var, 8.0, 0.25);
  // Median is loc: half the mass on either side.
  double below = 0;
  for (double x : l) below += x < 1.5;
  EXPECT_NEAR(below / kN, 0.5, 0.008);
  EXPECT_EQ(random::laplace({4}, bfloat16, k).dtype(), bfloat16);
}

TEST(Random, Categorical) {
  array k = random::key(8);
  std::vector<float> probs = {0.1f, 0.2f, 0.7f};
  std::vector<float> lg;
  for (float p : probs) lg.push_back(std::log(p));
  array logits(lg, {3});
  array c = random::categorical(logits, -1, kN, k);
  EXPECT_EQ(c.shape(), Shape({kN}));
  std::vector<int> counts(3, 0);
  for (auto x : c.to_vector<int64_t>()) {
    ASSERT_GE(x, 0);
    ASSERT_LT(x, 3);
    counts[x]++;
  }
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(counts[i] / double(kN), probs[i], 0.008);
  // A batch of distributions along axis 0, with an explicit shape.
  array two(std::vector<float>{0.f, -100.f, -100.f, 0.f}, {2, 2});  // columns: 0 and 1
  array d = random::categorical(two, 0, Shape{5, 2}, k);
  EXPECT_EQ(d.shape(), Shape({5, 2}));
  auto dv = d.to_vector<int>();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(dv[2 * i], 0);
    EXPECT_EQ(dv[2 * i + 1], 1);
  }
  EXPECT_EQ(random::categorical(two, 1, k).shape(), Shape({2}));
  auto e = random::categorical(two, 1, k).to_vector<int>();
  EXPECT_EQ(e, std::vector<int>({0, 1}));
  EXPECT_EQ(random::categorical(two, 1, 7, k).shape(), Shape({2, 7}));
}

TEST(Random, Permutation) {
  array k = random::key(9);
  auto p = random::permutation(100, k).to_vector<int>();
  std::vector<int> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> iota(100);
  std::iota(iota.begin(), iota.end(), 0);
  EXPECT_EQ(sorted, iota);
  EXPECT_NE(p, iota);
  EXPECT_EQ(random::permutation(100, k).to_vector<int>(), p);
  // Along an axis: every row permuted the same way, rows keep their elements.
  array x = reshape(arange(0, 12, 1), {3, 4});
  array px = random::permutation(x, 1, k);
  EXPECT_EQ(px.shape(), Shape({3, 4}));
  auto v = px.to_vector<int>();
  for (int r = 0; r < 3; ++r) {
    std::vector<int> row(v.begin() + 4 * r, v.begin() + 4 * r + 4);
    for (int c = 0; c < 4; ++c) EXPECT_EQ(row[c] - 4 * r, v[c]);
    std::sort(row.begin(), row.end());
    EXPECT_EQ(row, std::vector<int>({4 * r, 4 * r + 1, 4 * r + 2, 4 * r + 3}));
  }
  EXPECT_EQ(random::permutation(0, k).size(), 0u);
}

TEST(Random, Errors) {
  array k = random::key(1);
  expect_invalid([&] { random::bits({3}, 3, k); }, "[bits]", "width");
  expect_invalid(
      [&] {
        random::bits({3}, 4, array(std::vector<int>{1, 2}, {2}));
      },
      "[bits]", "int32");
  expect_invalid(
      [&] {
        random::uniform({3}, float32, array(std::vector<float>{1, 2}, {2}));
      },
      "[uniform]", "float32");
  expect_invalid([&] { random::normal({3}, float32, 0.f, 1.f, random::split(k, 3)); }, "[normal]",
                 "(3, 2)");
  expect_invalid([&] { random::uniform({3}, int32, k); }, "[uniform]", "int32");
  expect_invalid([&] { random::normal({3}, complex64, k); }, "[normal]", "complex64");
  expect_invalid(
      [&] {
        random::uniform(array(0.f), array(std::vector<float>{1, 2}, {2}), {3});
      },
      "[uniform]", "(3,)");
  expect_invalid([&] { random::uniform({-1}, k); }, "[uniform]", "negative");
  expect_invalid([&] { random::randint(array(0), array(5), {3}, float32, k); }, "[randint]",
                 "float32");
  expect_invalid([&] { random::bernoulli(array(1), {3}, k); }, "[bernoulli]", "int32");
  expect_invalid(
      [&] {
        random::bernoulli(array(std::vector<float>{0.5f, 0.5f}, {2}), {3}, k);
      },
      "[bernoulli]", "(2,)");
  expect_invalid(
      [&] {
        random::categorical(array(std::vector<float>{0.f, 1.f}, {2}), 2, k);
      },
      "[categorical]", "2");
  expect_invalid(
      [&] {
        random::categorical(array(std::vector<int>{0, 1}, {2}), 0, k);
      },
      "[categorical]", "int32");
  expect_invalid([&] { random::permutation(-1, k); }, "[permutation]", "-1");
  expect_invalid([&] { random::permutation(array(1.f), 0, k); }, "[permutation]", "0-d");
  expect_invalid([&] { random::split(k, -2); }, "[split]", "-2");
  expect_invalid([&] { random::gumbel({2}, int8, k); }, "[gumbel]", "int8");
  expect_invalid([&] { random::laplace({2}, uint8, k); }, "[laplace]", "uint8");
  expect_invalid([&] { random::truncated_normal(array(0.f), array(1.f), {2}, int32, k); },
                 "[truncated_normal]", "int32");
}

// The bits on the test device (DEVICE=gpu: the CUDA kernel) equal the CPU's
// for every width, odd tails, strided keys and keys computed on the device.
TEST(Random, BitsOnTestDeviceMatchCpu) {
  TANDEM_REQUIRE_DEVICE();
  Device d = test::test_device();
  array k = array(std::vector<uint32_t>{0x243f6a88u, 0x85a308d3u}, {2}, uint32);
  auto same = [&](const Shape& shape, int width, const array& key, const std::string& what) {
    array got = random::bits(shape, width, key, d);
    array want = random::bits(shape, width, key, Device::cpu);
    ASSERT_EQ(got.shape(), want.shape()) << what;
    ASSERT_EQ(got.dtype(), want.dtype()) << what;
    EXPECT_EQ(got.to_vector<uint64_t>(), want.to_vector<uint64_t>())
        << what << " width " << width << " shape " << shape;
  };
  for (int width : {1, 2, 4, 8}) {
    for (ShapeElem n : {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1001, 200003, (1 << 20) + 3}) {
      same({n}, width, k, "1-d");
    }
    same({}, width, k, "0-d");
    same({3, 5, 7}, width, k, "3-d");
    same({2, 0, 3}, width, k, "empty");
  }
  // The first block of key (0, 0) is Random123's published answer.
  EXPECT_EQ(random::bits({2}, 4, random::key(0), d).to_vector<uint32_t>(),
            std::vector<uint32_t>({0x6b200159u, 0x99ba4efeu}));
  // A strided key view (stride 2), and keys split on the device.
  array pairs = array(std::vector<uint32_t>{1u, 9u, 2u, 8u}, {2, 2}, uint32);
  array col = reshape(slice(pairs, {0, 0}, {2, 1}, Device::cpu), {2}, Device::cpu);
  same({37}, 4, col, "strided key");
  array ks = random::split(random::key(99), 3, d);
  EXPECT_EQ(ks.to_vector<uint32_t>(),
            random::split(random::key(99), 3, Device::cpu).to_vector<uint32_t>());
  array sub = reshape(slice(ks, {1, 0}, {2, 2}, d), {2}, d);
  same({1000}, 8, sub, "device key");
  // Samplers on the device draw the CPU's numbers.
  EXPECT_EQ(random::uniform({999}, float32, k, d).to_vector<float>(),
            random::uniform({999}, float32, k, Device::cpu).to_vector<float>());
}
