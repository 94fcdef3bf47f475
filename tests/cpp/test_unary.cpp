// Unary ops: every op against a float64 (or exact integer) reference computed
// here, swept over dtypes, shapes (0-d, empty, 1-3-d, a large threaded one),
// layouts (contiguous, strided, transposed, reversed, broadcast) and special
// values (nan, inf, -0, huge, tiny, outside the SIMD ranges).
#include <gtest/gtest.h>

#include <cfloat>
#include <climits>
#include <cmath>
#include <complex>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;

namespace {

using cd = std::complex<double>;
using test::kFloatTypes;
using test::kIntTypes;
using test::round_to;
using test::wrap_to;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = 3.14159265358979323846;

std::string dname(Dtype t) {
  return dtype_name(t);
}

void check_close_c(const std::vector<complex64_t>& got, const std::vector<cd>& want, double rtol,
                   double atol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  size_t bad = 0;
  std::ostringstream os;
  for (size_t i = 0; i < got.size(); ++i) {
    cd g(got[i].real(), got[i].imag()), w = want[i];
    bool ok;
    if (std::isnan(w.real()) || std::isnan(w.imag())) {
      ok = std::isnan(g.real()) || std::isnan(g.imag());
    } else {
      ok = std::abs(g - w) <= atol + rtol * std::abs(w);
    }
    if (!ok && bad++ < 5) os << "\n  at " << i << ": got " << g << ", want " << w;
  }
  EXPECT_EQ(bad, 0u) << what << " (" << bad << " of " << got.size() << " wrong)" << os.str();
}

struct Input {
  std::string name;
  mutable array a;
};

array random_complex(Shape shape, double lo = -3, double hi = 3) {
  array re = test::random_array(shape, float32, lo, hi);
  array im = test::random_array(shape, float32, lo, hi);
  array z = add(astype(re, complex64), multiply(astype(im, complex64), array(complex64_t(0, 1))));
  z.eval();
  return z;
}

array random_of(Shape shape, Dtype t, double lo, double hi) {
  if (t == complex64) return random_complex(shape, lo, hi);
  return test::random_array(shape, t, lo, hi);
}

// Reversed along every axis: a view with negative strides.
array reversed(const array& a) {
  Shape start, stop, step;
  for (int i = 0; i < a.ndim(); ++i) {
    start.push_back(a.shape(i) - 1);
    stop.push_back(-a.shape(i) - 1);
    step.push_back(-1);
  }
  return slice(a, start, stop, step);
}

// The inputs an elementwise op is checked on: several shapes, each in several layouts.
std::vector<Input> inputs_for(Dtype t, double lo, double hi, bool large) {
  std::vector<Input> out;
  std::vector<Shape> shapes = {{}, {0, 3}, {7}, {3, 5}, {2, 3, 4}};
  for (auto& s : shapes) {
    array base = random_of(s, t, lo, hi);
    std::string sn = shape_str(s);
    out.push_back({"contiguous " + sn, base});
    if (s.size() >= 1 && shape_size(s) > 0) {
      out.push_back({"strided " + sn, test::strided_view(random_of(s, t, lo, hi))});
      out.push_back({"reversed " + sn, reversed(random_of(s, t, lo, hi))});
      Shape one = s;
      one[0] = 1;
      out.push_back({"broadcast " + sn, broadcast_to(random_of(one, t, lo, hi), s)});
    }
    if (s.size() >= 2) out.push_back({"transposed " + sn, transpose(random_of(s, t, lo, hi))});
  }
  if (large) {
    out.push_back({"large (300001,)", random_of({300001}, t, lo, hi)});
    out.push_back(
        {"large strided (600, 513)", test::strided_view(random_of({600, 513}, t, lo, hi))});
    out.push_back(
        {"large broadcast (1000, 301)", broadcast_to(random_of({1, 301}, t, lo, hi), {1000, 301})});
  }
  return out;
}

using UnaryFn = array (*)(const array&, StreamOrDevice);

struct FloatOp {
  const char* name;
  UnaryFn op;
  double (*ref)(double);
  double lo, hi;   // where random float inputs are drawn
  double tol;      // multiplier on the dtype's tolerance
  cd (*cref)(cd);  // complex reference, or null when complex is rejected/skipped
};

double erfinv_ref(double y) {
  if (std::isnan(y) || y < -1 || y > 1) return kNaN;
  if (y == 1) return kInf;
  if (y == -1) return -kInf;
  double lo = -10, hi = 10;
  for (int i = 0; i < 200 && lo < hi; ++i) {
    double mid = 0.5 * (lo + hi);
    if (mid == lo || mid == hi) break;
    if (std::erf(mid) < y)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

const std::vector<FloatOp>& float_ops() {
  static const std::vector<FloatOp> ops = {
      {"exp", tandem::exp, [](double x) { return std::exp(x); }, -10, 10, 1,
       [](cd z) { return std::exp(z); }},
      {"expm1", tandem::expm1, [](double x) { return std::expm1(x); }, -5, 5, 1,
       [](cd z) { return std::exp(z) - 1.0; }},
      {"erf", tandem::erf, [](double x) { return std::erf(x); }, -3, 3, 1, nullptr},
      {"erfinv", tandem::erfinv, erfinv_ref, -0.999, 0.999, 4, nullptr},
      {"sin", tandem::sin, [](double x) { return std::sin(x); }, -10, 10, 1,
       [](cd z) { return std::sin(z); }},
      {"cos", tandem::cos, [](double x) { return std::cos(x); }, -10, 10, 1,
       [](cd z) { return std::cos(z); }},
      {"tan", tandem::tan, [](double x) { return std::tan(x); }, -1.4, 1.4, 2,
       [](cd z) { return std::tan(z); }},
      {"arcsin", tandem::arcsin, [](double x) { return std::asin(x); }, -1, 1, 1,
       [](cd z) { return std::asin(z); }},
      {"arccos", tandem::arccos, [](double x) { return std::acos(x); }, -1, 1, 1,
       [](cd z) { return std::acos(z); }},
      {"arctan", tandem::arctan, [](double x) { return std::atan(x); }, -20, 20, 1,
       [](cd z) { return std::atan(z); }},
      {"sinh", tandem::sinh, [](double x) { return std::sinh(x); }, -10, 10, 1,
       [](cd z) { return std::sinh(z); }},
      {"cosh", tandem::cosh, [](double x) { return std::cosh(x); }, -10, 10, 1,
       [](cd z) { return std::cosh(z); }},
      {"tanh", tandem::tanh, [](double x) { return std::tanh(x); }, -10, 10, 1,
       [](cd z) { return std::tanh(z); }},
      {"arcsinh", tandem::arcsinh, [](double x) { return std::asinh(x); }, -20, 20, 1,
       [](cd z) { return std::asinh(z); }},
      {"arccosh", tandem::arccosh, [](double x) { return std::acosh(x); }, 1, 20, 1,
       [](cd z) { return std::acosh(z); }},
      {"arctanh", tandem::arctanh, [](double x) { return std::atanh(x); }, -0.99, 0.99, 1,
       [](cd z) { return std::atanh(z); }},
      {"log", tandem::log, [](double x) { return std::log(x); }, 0.001, 100, 1,
       [](cd z) { return std::log(z); }},
      {"log2", tandem::log2, [](double x) { return std::log2(x); }, 0.001, 100, 1,
       [](cd z) { return std::log(z) / std::log(2.0); }},
      {"log10", tandem::log10, [](double x) { return std::log10(x); }, 0.001, 100, 1,
       [](cd z) { return std::log10(z); }},
      {"log1p", tandem::log1p, [](double x) { return std::log1p(x); }, -0.999, 100, 1,
       [](cd z) { return std::log(1.0 + z); }},
      {"sigmoid", tandem::sigmoid, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, -20, 20, 1,
       [](cd z) { return 1.0 / (1.0 + std::exp(-z)); }},
      {"sqrt", tandem::sqrt, [](double x) { return std::sqrt(x); }, 0, 100, 1,
       [](cd z) { return std::sqrt(z); }},
      {"rsqrt", tandem::rsqrt, [](double x) { return 1.0 / std::sqrt(x); }, 0.01, 100, 1,
       [](cd z) { return 1.0 / std::sqrt(z); }},
      {"reciprocal", tandem::reciprocal, [](double x) { return 1.0 / x; }, -10, 10, 1,
       [](cd z) { return 1.0 / z; }},
      {"degrees", tandem::degrees, [](double x) { return x * 180.0 / kPi; }, -10, 10, 1, nullptr},
      {"radians", tandem::radians, [](double x) { return x * kPi / 180.0; }, -500, 500, 1, nullptr},
  };
  return ops;
}

// Tolerance for a result of dtype t computed (in float32 or better) from exact inputs.
double tol_for(Dtype t) {
  if (t == float16) return 2e-3;
  if (t == bfloat16) return 1.6e-2;
  if (t == float32 || t == complex64) return 4e-6;
  if (t == float64) return 1e-13;
  return 0;
}

void run_float_op(const FloatOp& f, Dtype t, const Input& in) {
  std::string what = std::string(f.name) + " " + dname(t) + " " + in.name;
  array out = f.op(in.a, {});
  Dtype want_t = is_inexact(t) ? t : float32;
  EXPECT_EQ(out.dtype(), want_t) << what;
  EXPECT_EQ(out.shape(), in.a.shape()) << what;
  double tol = tol_for(want_t) * f.tol;
  if (t == complex64) {
    auto x = in.a.to_vector<complex64_t>();
    std::vector<cd> want;
    for (auto v : x) want.push_back(f.cref(cd(v.real(), v.imag())));
    check_close_c(out.to_vector<complex64_t>(), want, tol * 4, tol * 4, what);
    return;
  }
  auto x = in.a.to_vector<double>();
  std::vector<double> want;
  want.reserve(x.size());
  for (double v : x) want.push_back(round_to(want_t, f.ref(v)));
  test::expect_close(out.to_vector<double>(), want, tol, tol, what);
}

}  // namespace

// ---- float functions over all dtypes, shapes and layouts ----

class UnaryFloatOps : public ::testing::TestWithParam<int> {};

TEST_P(UnaryFloatOps, AllDtypesShapesLayouts) {
  const FloatOp& f = float_ops()[GetParam()];
  std::vector<Dtype> types = {bool_, uint8, uint16,  uint32,  uint64,  int8,     int16,
                              int32, int64, float16, float32, float64, bfloat16, complex64};
  for (Dtype t : types) {
    if (t == complex64 && !f.cref) continue;
    bool large = t == float32 || t == float64 || t == float16 || t == int32;
    if (std::string(f.name) == "erfinv") large = false;  // slow reference
    for (auto& in : inputs_for(t, f.lo, f.hi, large)) run_float_op(f, t, in);
  }
}

INSTANTIATE_TEST_SUITE_P(Unary, UnaryFloatOps,
                         ::testing::Range(0, static_cast<int>(float_ops().size())),
                         [](const ::testing::TestParamInfo<int>& i) {
                           return std::string(float_ops()[i.param].name);
                         });

// Special values, each repeated over a whole vector (so the SIMD range checks
// and the scalar fallbacks are both exercised) and also interleaved.
TEST(Unary, FloatSpecialValues) {
  std::vector<double> specials = {kNaN,   kInf,  -kInf,  -0.0,    0.0,    1e-30,  -1e-30, 1e30,
                                  -1e30,  100,   -100,   1e6,     -1e6,   88.5,   -87.0,  89.0,
                                  -104.0, 700.0, -700.0, 710.0,   -745.0, 0.5,    -0.5,   1.0,
                                  -1.0,   2.0,   -2.0,   -0.9999, 1e-300, 5e-324, 39000,  -39001,
                                  1e-8,   -1e-8, 3.0e38, 65504,   70000,  1e-5,   -0.25,  20};
  for (Dtype t : kFloatTypes) {
    std::vector<double> vals;
    for (double s : specials) vals.insert(vals.end(), 40, s);  // whole vectors of one value
    for (double s : specials) vals.push_back(s);               // mixed
    array a = test::make_array(vals, {static_cast<int>(vals.size())}, t);
    a.eval();
    for (auto& f : float_ops()) {
      Input in{"specials", a};
      run_float_op(f, t, in);
    }
  }
}

// Values just inside the vector paths' ranges, in whole vectors (the SIMD
// formulas must be accurate there too).
TEST(Unary, FloatSimdRangeEdges) {
  struct Edge {
    UnaryFn op;
    double (*ref)(double);
    double lo, hi;
    const char* name;
  };
  std::vector<Edge> edges = {
      {tandem::exp, [](double x) { return std::exp(x); }, -87.0, 88.5, "exp"},
      {tandem::expm1, [](double x) { return std::expm1(x); }, -87.0, 88.5, "expm1"},
      {tandem::log, [](double x) { return std::log(x); }, 1e-37, 1e37, "log"},
      {tandem::log1p, [](double x) { return std::log1p(x); }, 0, 1e-3, "log1p small"},
      {tandem::log1p, [](double x) { return std::log1p(x); }, -0.999, -1e-6, "log1p negative"},
      {tandem::sin, [](double x) { return std::sin(x); }, -30000, 30000, "sin big"},
      {tandem::cos, [](double x) { return std::cos(x); }, -30000, 30000, "cos big"},
      {tandem::sinh, [](double x) { return std::sinh(x); }, -88, 88, "sinh"},
      {tandem::tanh, [](double x) { return std::tanh(x); }, -1e-3, 1e-3, "tanh small"},
      {tandem::sigmoid, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, -80, 80, "sigmoid"},
      {tandem::arcsinh, [](double x) { return std::asinh(x); }, -1e10, 1e10, "arcsinh"},
      {tandem::arccosh, [](double x) { return std::acosh(x); }, 1, 1e10, "arccosh"},
      {tandem::rsqrt, [](double x) { return 1 / std::sqrt(x); }, 1e-30, 1e30, "rsqrt"},
  };
  for (Dtype t : {float32, float64}) {
    for (auto& e : edges) {
      // Log-uniform for wide positive ranges, else uniform.
      std::vector<double> v(4096);
      std::mt19937_64 g(7);
      for (auto& x : v) {
        double u = std::uniform_real_distribution<double>(0, 1)(g);
        if (e.lo > 0 && e.hi / e.lo > 1e6) {
          x = std::exp(std::log(e.lo) + u * (std::log(e.hi) - std::log(e.lo)));
        } else {
          x = e.lo + u * (e.hi - e.lo);
        }
      }
      array a = test::make_array(v, {4096}, t);
      a.eval();
      auto x = a.to_vector<double>();
      std::vector<double> want;
      for (double xi : x) want.push_back(round_to(t, e.ref(xi)));
      double tol = tol_for(t);
      // sin/cos of large arguments: the result's absolute error scales with ulp(x).
      double atol = std::string(e.name).find("big") != std::string::npos
                        ? (t == float32 ? 4e-6 : 1e-12)
                        : tol;
      test::expect_close(e.op(a, {}).to_vector<double>(), want, tol, atol,
                         std::string(e.name) + " " + dname(t));
    }
  }
}

// ---- ops that keep the dtype: exact references ----

namespace {

struct ExactOp {
  const char* name;
  UnaryFn op;
  // Reference on a value of an integer dtype (as int64; unsigned fit for small values).
  int64_t (*iref)(int64_t, Dtype);
  double (*fref)(double);
  bool bool_ok;  // whether bool input is accepted
  bool (*bref)(bool);
};

std::vector<ExactOp> exact_ops() {
  return {
      {"abs", tandem::abs, [](int64_t x, Dtype) { return x < 0 ? -x : x; },
       [](double x) { return std::fabs(x); }, true, [](bool b) { return b; }},
      {"sign", tandem::sign, [](int64_t x, Dtype) { return int64_t((x > 0) - (x < 0)); },
       [](double x) { return std::isnan(x) ? x : double((x > 0) - (x < 0)); }, true,
       [](bool b) { return b; }},
      {"negative", tandem::negative, [](int64_t x, Dtype) { return -x; },
       [](double x) { return -x; }, false, nullptr},
      {"square", tandem::square, [](int64_t x, Dtype) { return x * x; },
       [](double x) { return x * x; }, true, [](bool b) { return b; }},
      {"floor", tandem::floor, [](int64_t x, Dtype) { return x; },
       [](double x) { return std::floor(x); }, true, [](bool b) { return b; }},
      {"ceil", tandem::ceil, [](int64_t x, Dtype) { return x; },
       [](double x) { return std::ceil(x); }, true, [](bool b) { return b; }},
      {"trunc", tandem::trunc, [](int64_t x, Dtype) { return x; },
       [](double x) { return std::trunc(x); }, true, [](bool b) { return b; }},
      {"round", [](const array& a, StreamOrDevice s) { return tandem::round(a, 0, s); },
       [](int64_t x, Dtype) { return x; },
       [](double x) {
         // Half to even, computed without the rounding mode.
         double f = std::floor(x), d = x - f;
         if (d > 0.5) return f + 1;
         if (d < 0.5) return f == 0 && x < 0 ? -0.0 : f;
         return std::fmod(f, 2.0) == 0 ? f : f + 1;
       },
       true, [](bool b) { return b; }},
      {"conjugate", tandem::conjugate, [](int64_t x, Dtype) { return x; },
       [](double x) { return x; }, true, [](bool b) { return b; }},
      {"real", tandem::real, [](int64_t x, Dtype) { return x; }, [](double x) { return x; }, true,
       [](bool b) { return b; }},
      {"imag", tandem::imag, [](int64_t, Dtype) { return int64_t(0); }, [](double) { return 0.0; },
       true, [](bool) { return false; }},
      {"positive", tandem::positive, [](int64_t x, Dtype) { return x; }, [](double x) { return x; },
       true, [](bool b) { return b; }},
      {"stop_gradient", tandem::stop_gradient, [](int64_t x, Dtype) { return x; },
       [](double x) { return x; }, true, [](bool b) { return b; }},
  };
}

}  // namespace

TEST(Unary, ExactOpsAllDtypes) {
  for (auto& f : exact_ops()) {
    // bool
    for (auto& in : inputs_for(bool_, 0, 1, false)) {
      std::string what = std::string(f.name) + " bool " + in.name;
      if (!f.bool_ok) {
        EXPECT_THROW(f.op(in.a, {}), std::invalid_argument) << what;
        continue;
      }
      array out = f.op(in.a, {});
      EXPECT_EQ(out.dtype(), bool_) << what;
      auto x = in.a.to_vector<double>();
      std::vector<double> want;
      for (double v : x) want.push_back(f.bref(v != 0) ? 1 : 0);
      test::expect_close(out.to_vector<double>(), want, 0, 0, what);
    }
    for (Dtype t : kIntTypes) {
      for (auto& in : inputs_for(t, -20, 20, t == int32 || t == uint8)) {
        std::string what = std::string(f.name) + " " + dname(t) + " " + in.name;
        array out = f.op(in.a, {});
        EXPECT_EQ(out.dtype(), t) << what;
        EXPECT_EQ(out.shape(), in.a.shape()) << what;
        auto x = in.a.to_vector<double>();
        std::vector<double> want;
        for (double v : x) want.push_back(wrap_to(t, f.iref(static_cast<int64_t>(v), t)));
        test::expect_close(out.to_vector<double>(), want, 0, 0, what);
      }
    }
    for (Dtype t : kFloatTypes) {
      for (auto& in : inputs_for(t, -5, 5, t == float32 || t == bfloat16)) {
        std::string what = std::string(f.name) + " " + dname(t) + " " + in.name;
        array out = f.op(in.a, {});
        EXPECT_EQ(out.dtype(), t) << what;
        auto x = in.a.to_vector<double>();
        std::vector<double> want;
        for (double v : x) want.push_back(round_to(t, f.fref(v)));
        test::expect_close(out.to_vector<double>(), want, 0, 0, what);
      }
    }
  }
}

TEST(Unary, ExactOpsSpecialFloats) {
  std::vector<double> v = {kNaN, kInf,  -kInf, -0.0,   0.0,        0.5,
                           1.5,  2.5,   -0.5,  -1.5,   -2.5,       3.5,
                           1e30, -1e30, 1e-30, -1e-30, 0.49999997, 4503599627370497.0,
                           -7.0, 1e300};
  for (Dtype t : kFloatTypes) {
    array a = test::make_array(v, {static_cast<int>(v.size())}, t);
    a.eval();
    auto x = a.to_vector<double>();
    for (auto& f : exact_ops()) {
      std::string what = std::string(f.name) + " specials " + dname(t);
      std::vector<double> want;
      for (double xi : x) want.push_back(round_to(t, f.fref(xi)));
      test::expect_close(f.op(a, {}).to_vector<double>(), want, 0, 0, what);
    }
  }
  // Signs of zero where they are defined.
  EXPECT_TRUE(std::signbit(tandem::negative(array(0.0f)).item<float>()));
  EXPECT_TRUE(std::signbit(tandem::floor(array(-0.0f)).item<float>()));
  EXPECT_TRUE(std::signbit(tandem::ceil(array(-0.5f)).item<float>()));
  EXPECT_TRUE(std::signbit(tandem::round(array(-0.4)).item<double>()));
  EXPECT_FALSE(std::signbit(tandem::abs(array(-0.0f)).item<float>()));
}

TEST(Unary, IntegerEdgeCases) {
  // abs / negative of the most negative value wrap (NumPy and MLX give it back).
  EXPECT_EQ(tandem::abs(array(INT32_MIN)).item<int32_t>(), INT32_MIN);
  EXPECT_EQ(tandem::negative(array(INT32_MIN)).item<int32_t>(), INT32_MIN);
  EXPECT_EQ(tandem::abs(array(INT64_MIN)).item<int64_t>(), INT64_MIN);
  EXPECT_EQ(tandem::negative(array(INT64_MIN)).item<int64_t>(), INT64_MIN);
  EXPECT_EQ(tandem::abs(array(int8_t(-128))).item<int8_t>(), int8_t(-128));
  EXPECT_EQ(tandem::negative(array(int16_t(-32768))).item<int16_t>(), int16_t(-32768));
  EXPECT_EQ(tandem::negative(array(uint32_t(1))).item<uint32_t>(), UINT32_MAX);
  EXPECT_EQ(tandem::negative(array(uint64_t(3))).item<uint64_t>(), UINT64_MAX - 2);
  // square wraps modulo 2^bits.
  EXPECT_EQ(tandem::square(array(uint16_t(65535))).item<uint16_t>(), uint16_t(1));
  EXPECT_EQ(tandem::square(array(int32_t(65536))).item<int32_t>(), 0);
  EXPECT_EQ(tandem::square(array(int32_t(46341))).item<int32_t>(),
            static_cast<int32_t>(uint32_t(46341u * 46341u)));
  EXPECT_EQ(tandem::square(array(int64_t(1) << 32)).item<int64_t>(), 0);
  EXPECT_EQ(tandem::square(array(uint64_t(UINT64_MAX))).item<uint64_t>(), uint64_t(1));
  EXPECT_EQ(tandem::sign(array(INT64_MIN)).item<int64_t>(), -1);
  EXPECT_EQ(tandem::sign(array(UINT64_MAX)).item<uint64_t>(), 1u);
  // bitwise_invert
  EXPECT_EQ(tandem::bitwise_invert(array(uint8_t(5))).item<uint8_t>(), uint8_t(250));
  EXPECT_EQ(tandem::bitwise_invert(array(int32_t(5))).item<int32_t>(), -6);
  EXPECT_EQ(tandem::bitwise_invert(array(uint64_t(0))).item<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(tandem::bitwise_invert(array(true)).item<bool>(), false);
  EXPECT_EQ(tandem::bitwise_invert(array(false)).item<bool>(), true);
  // Wide values survive the integer paths exactly.
  EXPECT_EQ(tandem::abs(array(int64_t(-9007199254740993))).item<int64_t>(), 9007199254740993);
  // Float functions of int64/uint64 compute in float32.
  EXPECT_EQ(tandem::sqrt(array(int64_t(1) << 40)).dtype(), float32);
  EXPECT_EQ(tandem::sqrt(array(uint64_t(1) << 40)).item<float>(), 1048576.0f);
}

TEST(Unary, BitwiseInvertAllIntTypes) {
  for (Dtype t : kIntTypes) {
    for (auto& in : inputs_for(t, 0, 0, t == int64)) {
      std::string what = "bitwise_invert " + dname(t) + " " + in.name;
      array out = bitwise_invert(in.a);
      EXPECT_EQ(out.dtype(), t) << what;
      std::vector<double> want;
      for (double v : in.a.to_vector<double>())
        want.push_back(wrap_to(t, ~static_cast<int64_t>(v)));
      test::expect_close(out.to_vector<double>(), want, 0, 0, what);
    }
  }
  for (Dtype t : {float16, float32, float64, bfloat16, complex64}) {
    EXPECT_THROW(bitwise_invert(zeros({2, 3}, t)), std::invalid_argument) << dname(t);
  }
}

// ---- predicates ----

TEST(Unary, Predicates) {
  struct Pred {
    const char* name;
    UnaryFn op;
    bool (*ref)(double);
  };
  std::vector<Pred> preds = {
      {"isnan", tandem::isnan, [](double x) { return std::isnan(x); }},
      {"isinf", tandem::isinf, [](double x) { return std::isinf(x); }},
      {"isposinf", tandem::isposinf, [](double x) { return std::isinf(x) && x > 0; }},
      {"isneginf", tandem::isneginf, [](double x) { return std::isinf(x) && x < 0; }},
      {"isfinite", tandem::isfinite, [](double x) { return std::isfinite(x); }},
      {"logical_not", tandem::logical_not, [](double x) { return x == 0; }},
  };
  std::vector<double> specials = {kNaN, kInf, -kInf, 0.0, -0.0, 1.0, -2.5, 1e300, 70000, 1e-40};
  for (auto& p : preds) {
    for (Dtype t : all_dtypes) {
      std::vector<Input> ins = inputs_for(t, -3, 3, t == float32);
      if (is_floating_point(t)) {
        array s = test::make_array(specials, {static_cast<int>(specials.size())}, t);
        s.eval();
        ins.push_back({"specials", s});
      }
      for (auto& in : ins) {
        std::string what = std::string(p.name) + " " + dname(t) + " " + in.name;
        array out = p.op(in.a, {});
        EXPECT_EQ(out.dtype(), bool_) << what;
        EXPECT_EQ(out.shape(), in.a.shape()) << what;
        std::vector<double> want;
        if (t == complex64) {
          for (auto z : in.a.to_vector<complex64_t>()) {
            bool r;
            std::string n = p.name;
            if (n == "isnan")
              r = std::isnan(z.real()) || std::isnan(z.imag());
            else if (n == "isinf")
              r = std::isinf(z.real()) || std::isinf(z.imag());
            else if (n == "isfinite")
              r = std::isfinite(z.real()) && std::isfinite(z.imag());
            else if (n == "logical_not")
              r = z.real() == 0 && z.imag() == 0;
            else
              r = p.ref(z.real());
            want.push_back(r);
          }
        } else {
          for (double v : in.a.to_vector<double>()) want.push_back(p.ref(v));
        }
        test::expect_close(out.to_vector<double>(), want, 0, 0, what);
      }
    }
  }
  // Complex specials.
  array z({complex64_t(1, NAN), complex64_t(INFINITY, 0), complex64_t(0, -INFINITY),
           complex64_t(0, 0), complex64_t(0, 1)});
  EXPECT_EQ(tandem::isnan(z).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0, 0, 0}));
  EXPECT_EQ(tandem::isinf(z).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 1, 0, 0}));
  EXPECT_EQ(tandem::isfinite(z).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 0, 0, 1, 1}));
  EXPECT_EQ(tandem::logical_not(z).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 0, 0, 1, 0}));
}

// ---- complex-specific ops ----

TEST(Unary, ComplexAbsRealImagConjSignRound) {
  for (auto& in : inputs_for(complex64, -3, 3, true)) {
    auto x = in.a.to_vector<complex64_t>();
    array ab = tandem::abs(in.a), re = real(in.a), im = imag(in.a);
    EXPECT_EQ(ab.dtype(), float32);
    EXPECT_EQ(re.dtype(), float32);
    EXPECT_EQ(im.dtype(), float32);
    std::vector<double> wa, wr, wi;
    std::vector<cd> wc, ws, wn, wq, wround;
    for (auto v : x) {
      cd z(v.real(), v.imag());
      wa.push_back(std::abs(z));
      wr.push_back(z.real());
      wi.push_back(z.imag());
      wc.push_back(std::conj(z));
      ws.push_back(std::abs(z) == 0 ? cd(0) : z / std::abs(z));
      wn.push_back(-z);
      wq.push_back(z * z);
      wround.push_back(cd(std::nearbyint(z.real()), std::nearbyint(z.imag())));
    }
    test::expect_close(ab.to_vector<double>(), wa, 4e-7, 0, "abs complex " + in.name);
    test::expect_close(re.to_vector<double>(), wr, 0, 0, "real complex " + in.name);
    test::expect_close(im.to_vector<double>(), wi, 0, 0, "imag complex " + in.name);
    check_close_c(conjugate(in.a).to_vector<complex64_t>(), wc, 0, 0, "conj " + in.name);
    check_close_c(sign(in.a).to_vector<complex64_t>(), ws, 1e-6, 1e-7, "sign complex " + in.name);
    check_close_c(negative(in.a).to_vector<complex64_t>(), wn, 0, 0, "negative complex " + in.name);
    check_close_c(square(in.a).to_vector<complex64_t>(), wq, 1e-6, 1e-6,
                  "square complex " + in.name);
    check_close_c(tandem::round(in.a).to_vector<complex64_t>(), wround, 0, 0,
                  "round complex " + in.name);
  }
  for (UnaryFn f : {UnaryFn(tandem::erf), UnaryFn(tandem::erfinv), UnaryFn(tandem::floor),
                    UnaryFn(tandem::ceil), UnaryFn(tandem::trunc)}) {
    EXPECT_THROW(f(zeros({2}, complex64), {}), std::invalid_argument);
  }
}

TEST(Unary, RoundDecimals) {
  for (Dtype t : {float32, float64}) {
    for (int dec : {1, 2, 3, -1, -2}) {
      array a = test::random_array({257}, t, -500, 500);
      auto x = a.to_vector<double>();
      std::vector<double> want;
      for (double v : x) {
        // MLX scales in the array's dtype, so ties are decided on the scaled
        // value as that dtype holds it.
        double s = std::pow(10.0, dec);
        want.push_back(std::nearbyint(round_to(t, v * round_to(t, s))) / s);
      }
      array out = tandem::round(a, dec);
      EXPECT_EQ(out.dtype(), t);
      test::expect_close(out.to_vector<double>(), want, tol_for(t), tol_for(t) * 500,
                         "round decimals " + std::to_string(dec) + " " + dname(t));
    }
  }
  EXPECT_EQ(tandem::round(array({1.25, 1.35, -2.5, 1234.5}, float64), 1).to_vector<double>(),
            (std::vector<double>{1.2, 1.4, -2.5, 1234.5}));
  EXPECT_EQ(tandem::round(array({1250.0, 1350.0, -2550.0}, float64), -2).to_vector<double>(),
            (std::vector<double>{1200, 1400, -2600}));
  // Integers are left as they are.
  array i({7, -3, 12});
  EXPECT_EQ(tandem::round(i).dtype(), int32);
  EXPECT_EQ(tandem::round(i).to_vector<int>(), (std::vector<int>{7, -3, 12}));
}

// ---- output dtypes (MLX's rules) ----

TEST(Unary, OutputDtypes) {
  for (Dtype t : all_dtypes) {
    array a = zeros({2}, t);
    Dtype inexact = is_inexact(t) ? t : float32;
    EXPECT_EQ(tandem::exp(a).dtype(), inexact) << dname(t);
    EXPECT_EQ(tandem::sqrt(a).dtype(), inexact) << dname(t);
    EXPECT_EQ(tandem::sigmoid(a).dtype(), inexact) << dname(t);
    EXPECT_EQ(tandem::degrees(a).dtype(), inexact) << dname(t);
    EXPECT_EQ(tandem::isnan(a).dtype(), bool_) << dname(t);
    EXPECT_EQ(tandem::logical_not(a).dtype(), bool_) << dname(t);
    EXPECT_EQ(tandem::abs(a).dtype(), t == complex64 ? float32 : t) << dname(t);
    EXPECT_EQ(tandem::real(a).dtype(), t == complex64 ? float32 : t) << dname(t);
    EXPECT_EQ(tandem::imag(a).dtype(), t == complex64 ? float32 : t) << dname(t);
    EXPECT_EQ(tandem::square(a).dtype(), t) << dname(t);
    EXPECT_EQ(tandem::sign(a).dtype(), t) << dname(t);
    if (t != bool_) EXPECT_EQ(tandem::negative(a).dtype(), t) << dname(t);
  }
}

TEST(Unary, ErrorsNameOpAndShape) {
  try {
    negative(zeros({2, 3}, bool_));
    FAIL() << "negative of bool should throw";
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("[negative]", 0), 0u) << m;
    EXPECT_NE(m.find("(2, 3)"), std::string::npos) << m;
  }
  try {
    bitwise_invert(zeros({4}, float32));
    FAIL();
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("[bitwise_invert]", 0), 0u) << m;
    EXPECT_NE(m.find("(4,)"), std::string::npos) << m;
  }
  try {
    tandem::erf(zeros({5, 1}, complex64));
    FAIL();
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("[erf]", 0), 0u) << m;
    EXPECT_NE(m.find("(5, 1)"), std::string::npos) << m;
  }
}

// Donation: a temporary input's buffer is reused, and the result is still right.
TEST(Unary, ChainsAndDonation) {
  array a = test::random_array({1000}, float32, 0.1, 2);
  auto x = a.to_vector<double>();
  array out = tandem::sqrt(tandem::exp(tandem::log(a)));
  std::vector<double> want;
  for (double v : x) want.push_back(std::sqrt(v));
  test::expect_close(out.to_vector<double>(), want, 1e-5, 1e-6, "sqrt(exp(log))");
  // The input is untouched.
  test::expect_close(a.to_vector<double>(), x, 0, 0, "input untouched");
  // A transposed (dense) input gives correct values through a donated chain.
  array m = test::random_array({40, 30}, float32);
  array mt = transpose(m);
  auto mv = mt.to_vector<double>();
  std::vector<double> w2;
  for (double v : mv) w2.push_back(-std::fabs(v));
  test::expect_close(negative(tandem::abs(mt)).to_vector<double>(), w2, 0, 0, "-abs(transposed)");
}

// Streams: the same op on a separate CPU stream gives the same values.
TEST(Unary, OtherStream) {
  Stream s = new_stream(Device::cpu);
  array a = test::random_array({5000}, float32, -3, 3);
  array r1 = tandem::tanh(a, s), r2 = tandem::tanh(a, Device::cpu);
  EXPECT_EQ(r1.to_vector<float>(), r2.to_vector<float>());
}
