// Dtypes and array construction/conversion: MLX's promotion rules (derived
// here from the rules, not copied from the table), categories, half types,
// scalars, initializer lists, to_vector, item and convert_elements over all
// 14 x 14 dtype pairs.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;

namespace {

int bits(Dtype t) {
  return static_cast<int>(t.size() * 8);
}

Dtype signed_of_bits(int b) {
  return b <= 8 ? int8 : b <= 16 ? int16 : b <= 32 ? int32 : int64;
}
Dtype unsigned_of_bits(int b) {
  return b <= 8 ? uint8 : b <= 16 ? uint16 : b <= 32 ? uint32 : uint64;
}

// MLX's (JAX-style) promotion, stated as rules.
Dtype expected_promotion(Dtype a, Dtype b) {
  if (a == b) return a;
  if (a == bool_) return b;
  if (b == bool_) return a;
  if (a == complex64 || b == complex64) return complex64;
  if (a == float64 || b == float64) return float64;
  if (a == float32 || b == float32) return float32;
  bool fa = is_floating_point(a), fb = is_floating_point(b);
  if (fa && fb) return float32;  // float16 with bfloat16
  if (fa) return a;              // a half type with an integer keeps the half type
  if (fb) return b;
  bool ua = is_unsigned(a), ub = is_unsigned(b);
  if (ua == ub)
    return ua ? unsigned_of_bits(std::max(bits(a), bits(b)))
              : signed_of_bits(std::max(bits(a), bits(b)));
  Dtype u = ua ? a : b, s = ua ? b : a;
  if (u == uint64) return float32;
  return signed_of_bits(std::max(bits(s), 2 * bits(u)));
}

}  // namespace

TEST(Dtype, PromotionTableMatchesMlxRules) {
  for (Dtype a : all_dtypes) {
    for (Dtype b : all_dtypes) {
      EXPECT_EQ(promote_types(a, b), expected_promotion(a, b)) << a << " " << b;
      EXPECT_EQ(promote_types(a, b), promote_types(b, a)) << a << " " << b;
    }
  }
  // Spot checks against MLX's published table.
  EXPECT_EQ(promote_types(uint8, int8), int16);
  EXPECT_EQ(promote_types(uint16, int8), int32);
  EXPECT_EQ(promote_types(uint32, int32), int64);
  EXPECT_EQ(promote_types(uint64, int8), float32);
  EXPECT_EQ(promote_types(int64, float16), float16);
  EXPECT_EQ(promote_types(uint64, bfloat16), bfloat16);
  EXPECT_EQ(promote_types(float16, bfloat16), float32);
  EXPECT_EQ(promote_types(bfloat16, float64), float64);
  EXPECT_EQ(promote_types(float64, complex64), complex64);
}

TEST(Dtype, SizesNamesKindsCategories) {
  std::vector<std::pair<Dtype, std::pair<const char*, size_t>>> info = {
      {bool_, {"bool", 1}},        {uint8, {"uint8", 1}},        {uint16, {"uint16", 2}},
      {uint32, {"uint32", 4}},     {uint64, {"uint64", 8}},      {int8, {"int8", 1}},
      {int16, {"int16", 2}},       {int32, {"int32", 4}},        {int64, {"int64", 8}},
      {float16, {"float16", 2}},   {float32, {"float32", 4}},    {float64, {"float64", 8}},
      {bfloat16, {"bfloat16", 2}}, {complex64, {"complex64", 8}}};
  for (auto& [t, ns] : info) {
    EXPECT_EQ(std::string(dtype_name(t)), ns.first);
    EXPECT_EQ(t.size(), ns.second) << ns.first;
    std::ostringstream os;
    os << t;
    EXPECT_EQ(os.str(), ns.first);
  }
  EXPECT_EQ(kind(bool_), Dtype::Kind::b);
  EXPECT_EQ(kind(uint16), Dtype::Kind::u);
  EXPECT_EQ(kind(int64), Dtype::Kind::i);
  EXPECT_EQ(kind(float64), Dtype::Kind::f);
  EXPECT_EQ(kind(bfloat16), Dtype::Kind::V);
  EXPECT_EQ(kind(complex64), Dtype::Kind::c);
  for (Dtype t : all_dtypes) {
    bool fl = t == float16 || t == float32 || t == float64 || t == bfloat16;
    bool in = t == int8 || t == int16 || t == int32 || t == int64;
    bool un = t == uint8 || t == uint16 || t == uint32 || t == uint64;
    EXPECT_EQ(is_floating_point(t), fl) << t;
    EXPECT_EQ(is_complex(t), t == complex64) << t;
    EXPECT_EQ(is_inexact(t), fl || t == complex64) << t;
    EXPECT_EQ(is_integral(t), in || un) << t;
    EXPECT_EQ(is_unsigned(t), un) << t;
    EXPECT_EQ(issubdtype(t, DtypeCategory::floating), fl) << t;
    EXPECT_EQ(issubdtype(t, DtypeCategory::signedinteger), in) << t;
    EXPECT_EQ(issubdtype(t, DtypeCategory::unsignedinteger), un) << t;
    EXPECT_EQ(issubdtype(t, DtypeCategory::integer), in || un) << t;
    EXPECT_EQ(issubdtype(t, DtypeCategory::inexact), fl || t == complex64) << t;
    EXPECT_EQ(issubdtype(t, DtypeCategory::complexfloating), t == complex64) << t;
    EXPECT_EQ(issubdtype(t, DtypeCategory::number), t != bool_) << t;  // MLX: bool is generic
    EXPECT_TRUE(issubdtype(t, DtypeCategory::generic)) << t;
    EXPECT_EQ(to_inexact(t), fl || t == complex64 ? t : float32) << t;
    for (Dtype u : all_dtypes) EXPECT_EQ(issubdtype(t, u), t == u);
  }
  EXPECT_TRUE(issubdtype(DtypeCategory::floating, DtypeCategory::inexact));
  EXPECT_TRUE(issubdtype(DtypeCategory::signedinteger, DtypeCategory::number));
  EXPECT_FALSE(issubdtype(DtypeCategory::integer, DtypeCategory::inexact));
  EXPECT_FALSE(issubdtype(DtypeCategory::number, DtypeCategory::integer));
  EXPECT_TRUE(issubdtype(DtypeCategory::number, DtypeCategory::generic));
}

TEST(Dtype, HalfConversions) {
  struct Case {
    float f;
    uint16_t bits;
  };
  // float16: exact values, rounding to nearest even, overflow, subnormals.
  std::vector<Case> h = {
      {0.0f, 0x0000},           {-0.0f, 0x8000},         {1.0f, 0x3c00},
      {-2.0f, 0xc000},          {65504.0f, 0x7bff},      {65519.0f, 0x7bff},
      {65520.0f, 0x7c00},       {1e6f, 0x7c00},          {-1e6f, 0xfc00},
      {INFINITY, 0x7c00},       {5.9604645e-8f, 0x0001}, {2.9802322e-8f, 0x0000},
      {2.98023259e-8f, 0x0001}, {6.1035156e-5f, 0x0400}, {1.00048828125f, 0x3c00},
      {1.00146484375f, 0x3c02}, {0.1f, 0x2e66}};
  for (auto& c : h) {
    EXPECT_EQ(float16_t(c.f).bits, c.bits) << c.f;
  }
  EXPECT_EQ(static_cast<float>(float16_t::from_bits(0x0001)), 5.9604645e-8f);
  EXPECT_EQ(static_cast<float>(float16_t::from_bits(0x7bff)), 65504.0f);
  EXPECT_TRUE(std::isnan(static_cast<float>(float16_t(NAN))));
  // Every float16 round-trips through float.
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float16_t x = float16_t::from_bits(static_cast<uint16_t>(b));
    float f = x;
    if (std::isnan(f)) continue;
    ASSERT_EQ(float16_t(f).bits, b) << b;
  }
  // bfloat16: round to nearest even on the top 16 bits.
  std::vector<Case> bf = {{1.0f, 0x3f80},        {-2.0f, 0xc000},      {1.00390625f, 0x3f80},
                          {1.01171875f, 0x3f82}, {1.0078125f, 0x3f81}, {3.0e38f, 0x7f62},
                          {3.4e38f, 0x7f80},     {INFINITY, 0x7f80},   {1e-40f, 0x0001}};
  for (auto& c : bf) EXPECT_EQ(bfloat16_t(c.f).bits, c.bits) << c.f;
  EXPECT_TRUE(std::isnan(static_cast<float>(bfloat16_t(NAN))));
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float f = bfloat16_t::from_bits(static_cast<uint16_t>(b));
    if (std::isnan(f)) continue;
    ASSERT_EQ(bfloat16_t(f).bits, b) << b;
  }
}

TEST(Dtype, ScalarConstruction) {
  EXPECT_EQ(array(true).dtype(), bool_);
  EXPECT_EQ(array(int8_t(1)).dtype(), int8);
  EXPECT_EQ(array(int16_t(1)).dtype(), int16);
  EXPECT_EQ(array(1).dtype(), int32);
  EXPECT_EQ(array(1L).dtype(), int64);
  EXPECT_EQ(array(1LL).dtype(), int64);
  EXPECT_EQ(array(uint8_t(1)).dtype(), uint8);
  EXPECT_EQ(array(uint16_t(1)).dtype(), uint16);
  EXPECT_EQ(array(1u).dtype(), uint32);
  EXPECT_EQ(array(1UL).dtype(), uint64);
  EXPECT_EQ(array(1ULL).dtype(), uint64);
  EXPECT_EQ(array(1.0f).dtype(), float32);
  EXPECT_EQ(array(1.0).dtype(), float32);  // like MLX: a C++ double scalar is float32
  EXPECT_EQ(array(1.0, float64).dtype(), float64);
  EXPECT_EQ(array(float16_t(1.0f)).dtype(), float16);
  EXPECT_EQ(array(bfloat16_t(1.0f)).dtype(), bfloat16);
  EXPECT_EQ(array(complex64_t(1, 2)).dtype(), complex64);
  array s(7);
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.item<int>(), 7);
  // With a dtype: converted.
  EXPECT_EQ(array(2.75, int32).item<int>(), 2);
  EXPECT_EQ(array(300, uint8).item<int>(), 44);
  EXPECT_EQ(array(-1, uint16).item<int>(), 65535);
  EXPECT_EQ(array(3, bool_).item<int>(), 1);
  EXPECT_EQ(array(0.1, float16).item<float>(), static_cast<float>(float16_t(0.1f)));
  EXPECT_EQ(array(1.5, complex64).item<complex64_t>(), complex64_t(1.5f, 0));
  EXPECT_EQ(array(INT64_MAX).item<int64_t>(), INT64_MAX);
  EXPECT_EQ(array(UINT64_MAX).item<uint64_t>(), UINT64_MAX);
}

TEST(Dtype, ListConstruction) {
  array a({1.0f, 2.0f, 3.0f});
  EXPECT_EQ(a.dtype(), float32);
  EXPECT_EQ(a.shape(), (Shape{3}));
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(array({1, 2}).dtype(), int32);
  EXPECT_EQ(array({true, false}).dtype(), bool_);
  EXPECT_EQ(array({1.0, 2.0}).dtype(), float64);
  EXPECT_EQ(array({complex64_t(1, 1)}).dtype(), complex64);
  array b({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  EXPECT_EQ(b.shape(), (Shape{2, 3}));
  EXPECT_EQ(b.to_vector<int>(), (std::vector<int>{1, 2, 3, 4, 5, 6}));
  array c({1.5, -2.5}, float16);
  EXPECT_EQ(c.dtype(), float16);
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{1.5f, -2.5f}));
  array d({1, 2, 3, 4}, Shape{2, 2}, int64);
  EXPECT_EQ(d.dtype(), int64);
  std::vector<float> v = {1, 2, 3, 4, 5, 6};
  array e(v, Shape{3, 2});
  EXPECT_EQ(e.shape(), (Shape{3, 2}));
  EXPECT_EQ(e.to_vector<float>(), v);
  try {
    array bad({1, 2, 3}, Shape{2, 2});
    FAIL();
  } catch (const std::invalid_argument& ex) {
    std::string m = ex.what();
    EXPECT_EQ(m.rfind("[array]", 0), 0u) << m;
    EXPECT_NE(m.find("(2, 2)"), std::string::npos) << m;
  }
  int32_t raw[4] = {9, 8, 7, 6};
  array f = array::from_bytes(raw, {2, 2}, int32);
  EXPECT_EQ(f.to_vector<int>(), (std::vector<int>{9, 8, 7, 6}));
  array empty(std::vector<float>{}, Shape{0, 4});
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_TRUE(empty.to_vector<float>().empty());
}

TEST(Dtype, ItemAndToVector) {
  try {
    array({1, 2}).item<int>();
    FAIL();
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("[item]", 0), 0u) << m;
    EXPECT_NE(m.find("(2,)"), std::string::npos) << m;
  }
  EXPECT_EQ(array({5}, Shape{1, 1}).item<int>(), 5);
  // to_vector walks strides: transposed, reversed, broadcast, offset views.
  array a({0, 1, 2, 3, 4, 5}, Shape{2, 3});
  EXPECT_EQ(transpose(a).to_vector<int>(), (std::vector<int>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(slice(a, {1, 2}, {-3, -4}, {-1, -1}).to_vector<int>(),
            (std::vector<int>{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(broadcast_to(slice(a, {1, 0}, {2, 3}), {2, 3}).to_vector<int>(),
            (std::vector<int>{3, 4, 5, 3, 4, 5}));
  EXPECT_EQ(slice(a, {0, 1}, {2, 3}).to_vector<double>(), (std::vector<double>{1, 2, 4, 5}));
  // Lazy arrays are evaluated.
  EXPECT_EQ(add(a, a).to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 4, 6, 8, 10}));
}

// convert_elements over every pair of dtypes, on values every dtype holds.
TEST(Dtype, ConvertElementsAllPairs) {
  // Each row: a value and how each target dtype must read it.
  std::vector<double> vals = {0, 1, 2, 7, 100, 127};
  for (Dtype from : all_dtypes) {
    std::vector<double> src_vals = vals;
    if (from == bool_) src_vals = {0, 1, 1, 0, 1, 1};
    array src = test::make_array(src_vals, {6}, from);
    src.eval();
    for (Dtype to : all_dtypes) {
      std::vector<char> out(6 * to.size());
      convert_elements(src.data<void>(), from, out.data(), to, 6);
      array back = array::from_bytes(out.data(), {6}, to);
      auto got = back.to_vector<double>();
      for (int i = 0; i < 6; ++i) {
        double want = to == bool_ ? (src_vals[i] != 0) : src_vals[i];
        EXPECT_EQ(got[i], want) << from << " -> " << to << " at " << i;
      }
    }
  }
  // Negative values into the signed and float types; fractions truncate into integers.
  for (Dtype from : {int8, int16, int32, int64, float16, float32, float64, bfloat16}) {
    array src = test::make_array({-1, -2.5, 3.75, -100}, {4}, from);
    src.eval();
    for (Dtype to : {int8, int16, int32, int64, float16, float32, float64, bfloat16, complex64}) {
      std::vector<char> out(4 * to.size());
      convert_elements(src.data<void>(), from, out.data(), to, 4);
      auto got = array::from_bytes(out.data(), {4}, to).to_vector<double>();
      auto sv = src.to_vector<double>();
      for (int i = 0; i < 4; ++i) {
        double want = is_integral(to) ? std::trunc(sv[i]) : sv[i];
        EXPECT_EQ(got[i], want) << from << " -> " << to;
      }
    }
  }
  // Complex to real keeps the real part; to bool tests both parts.
  complex64_t z[3] = {complex64_t(2.5f, 1), complex64_t(0, 1), complex64_t(0, 0)};
  float f[3];
  convert_elements(z, complex64, f, float32, 3);
  EXPECT_EQ(f[0], 2.5f);
  EXPECT_EQ(f[1], 0.0f);
  bool bb[3];
  convert_elements(z, complex64, bb, bool_, 3);
  EXPECT_TRUE(bb[0]);
  EXPECT_TRUE(bb[1]);
  EXPECT_FALSE(bb[2]);
  // Wide integers convert exactly between the 64-bit types.
  int64_t i64[2] = {INT64_MIN, INT64_MAX};
  uint64_t u64[2];
  convert_elements(i64, int64, u64, uint64, 2);
  EXPECT_EQ(u64[0], uint64_t(1) << 63);
  EXPECT_EQ(u64[1], uint64_t(INT64_MAX));
}

// Float-to-integer casts of NaN, infinities and out-of-range values give what
// NumPy and MLX give on x86 (tandem/kernels/cast.h), through the host
// conversion and through astype on the test device.
TEST(Dtype, FloatToIntSpecialValues) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {nan, inf, -inf, -1.5, 300, 3e9, -70000, 2.7};
  struct Case {
    Dtype to;
    std::vector<double> want;
  };
  const double i32min = -2147483648.0, i64min = -9223372036854775808.0;
  std::vector<Case> cases = {
      {int8, {0, 0, 0, -1, 44, 0, -112, 2}},
      {int32, {i32min, i32min, i32min, -1, 300, i32min, -70000, 2}},
      {int64, {i64min, i64min, i64min, -1, 300, 3e9, -70000, 2}},
      {uint8, {0, 0, 0, 255, 44, 0, 144, 2}},
      {uint32, {2147483648.0, 0, 2147483648.0, 4294967295.0, 300, 3e9, 4294897296.0, 2}},
      {uint64,
       {9223372036854775808.0, 0, 9223372036854775808.0, 18446744073709551615.0, 300, 3e9,
        18446744073709481616.0, 2}},
  };
  for (Dtype from : {float32, float64}) {
    array src = test::make_array(v, {8}, from);
    src.eval();
    for (auto& c : cases) {
      std::vector<char> out(8 * c.to.size());
      convert_elements(src.data<void>(), from, out.data(), c.to, 8);
      auto host = array::from_bytes(out.data(), {8}, c.to).to_vector<double>();
      auto dev = astype(src, c.to).to_vector<double>();
      for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(host[i], c.want[i]) << from << " -> " << c.to << " at " << i;
        EXPECT_EQ(dev[i], c.want[i]) << from << " -> " << c.to << " at " << i << " (astype)";
      }
    }
  }
}
