// Binary ops, where, clip, nan_to_num and isclose: each op against a float64
// (or exact, wrapping integer) reference computed here, swept over dtypes,
// shapes, broadcasting pairs, non-contiguous layouts and special values.
#include <gtest/gtest.h>

#include <cfloat>
#include <climits>
#include <cmath>
#include <complex>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "tandem/ops/utils.h"  // broadcast_shapes (not yet in the public headers)
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

std::string dname(Dtype t) {
  return dtype_name(t);
}

double tol_for(Dtype t) {
  if (t == float16) return 2e-3;
  if (t == bfloat16) return 1.6e-2;
  if (t == float32 || t == complex64) return 4e-6;
  if (t == float64) return 1e-14;
  return 0;
}

array random_complex(Shape shape) {
  array re = test::random_array(shape, float32);
  array im = test::random_array(shape, float32);
  array z = add(astype(re, complex64), multiply(astype(im, complex64), array(complex64_t(0, 1))));
  z.eval();
  return z;
}

array rnd(Shape shape, Dtype t, double lo = -3, double hi = 3) {
  if (t == complex64) return random_complex(shape);
  return test::random_array(shape, t, lo, hi);
}

array reversed(const array& a) {
  Shape start, stop, step;
  for (int i = 0; i < a.ndim(); ++i) {
    start.push_back(a.shape(i) - 1);
    stop.push_back(-a.shape(i) - 1);
    step.push_back(-1);
  }
  return slice(a, start, stop, step);
}

struct Pair {
  std::string name;
  mutable array a, b;
};

// Operand pairs of dtypes ta, tb: equal shapes in many layouts, broadcasting
// pairs, empty and 0-d, and (when large) sizes that take the threaded paths.
std::vector<Pair> pairs_for(Dtype ta, Dtype tb, bool large, double lo = -3, double hi = 3) {
  auto A = [&](Shape s) { return rnd(s, ta, lo, hi); };
  auto B = [&](Shape s) { return rnd(s, tb, lo, hi); };
  std::vector<Pair> p;
  for (Shape s : std::vector<Shape>{{}, {0, 3}, {7}, {3, 5}, {2, 3, 4}}) {
    p.push_back({"same " + shape_str(s), A(s), B(s)});
  }
  p.push_back({"(3,1)x(1,4)", A({3, 1}), B({1, 4})});
  p.push_back({"()x(2,3)", A({}), B({2, 3})});
  p.push_back({"(2,3)x()", A({2, 3}), B({})});
  p.push_back({"(5,)x(4,5)", A({5}), B({4, 5})});
  p.push_back({"(4,5)x(5,)", A({4, 5}), B({5})});
  p.push_back({"(2,1,3)x(4,1)", A({2, 1, 3}), B({4, 1})});
  p.push_back({"(0,1)x(1,3)", A({0, 1}), B({1, 3})});
  p.push_back({"strided x contiguous", test::strided_view(A({3, 5})), B({3, 5})});
  p.push_back({"contiguous x strided 1-d", A({7}), test::strided_view(B({7}))});
  p.push_back({"transposed x transposed", transpose(A({4, 6})), transpose(B({4, 6}))});
  p.push_back({"transposed x contiguous", transpose(A({4, 6})), B({6, 4})});
  p.push_back({"reversed x contiguous", reversed(A({7})), B({7})});
  p.push_back({"contiguous x reversed 2-d", A({3, 5}), reversed(B({3, 5}))});
  p.push_back({"reversed x reversed", reversed(A({2, 3, 4})), reversed(B({2, 3, 4}))});
  p.push_back({"broadcast view x contiguous", broadcast_to(A({1, 5}), {3, 5}), B({3, 5})});
  p.push_back({"scalar broadcast view x strided", broadcast_to(A({}), {3, 5}),
               test::strided_view(B({3, 5}))});
  // One-element operands go to the kernel unbroadcast: beside a strided
  // operand they take the strided walk with zero strides.
  p.push_back({"() x transposed", A({}), transpose(B({4, 6}))});
  p.push_back({"transposed x (1,1)", transpose(A({5, 3})), B({1, 1})});
  p.push_back({"(1,) x reversed 2-d", A({1}), reversed(B({3, 5}))});
  if (large) {
    p.push_back({"large same", A({300001}), B({300001})});
    p.push_back({"large x scalar", A({300001}), B({})});
    p.push_back({"large scalar x", A({}), B({300001})});
    p.push_back({"large transposed pair", transpose(A({600, 513})), transpose(B({600, 513}))});
    p.push_back({"large strided x contiguous", test::strided_view(A({600, 513})), B({600, 513})});
    p.push_back({"large row broadcast", A({1000, 301}), B({301})});
  }
  return p;
}

// Reference semantics.
using FRef = std::function<double(double, double)>;
// Integer reference on values as int64 (unsigned values are small); returns
// the raw two's-complement result, wrapped to the dtype by the caller.
using IRef = std::function<uint64_t(int64_t, int64_t, int bits, bool is_unsigned)>;

// Python's a // b: the floor of the exact quotient (so that a == b * q + a % b),
// NaN for infinite a, +-0 or -1 for infinite b; division by zero gives a / b.
double py_floordiv(double a, double b) {
  if (b == 0) return a / b;
  if (std::isnan(a) || std::isnan(b) || std::isinf(a)) return kNaN;
  if (std::isinf(b)) return (a == 0 || (a < 0) == (b < 0)) ? std::copysign(0.0, a / b) : -1.0;
  // The long double quotient of these (at most double) operands does not
  // round across an integer for the values tested.
  long double q = std::floor(static_cast<long double>(a) / b);
  return static_cast<double>(q);
}
double py_mod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  if (r == 0) r = std::copysign(0.0, b);
  return r;
}

struct BinOp {
  const char* name;
  std::function<array(const array&, const array&)> op;
  enum Kind { Arith, Inexact, Compare, Logical } kind;
  FRef fref;
  IRef iref;  // null: not defined for integers beyond the float path
  bool float_ok = true;
  bool complex_ok = false;
  std::function<cd(cd, cd)> cref = nullptr;
};

uint64_t U(int64_t v) {
  return static_cast<uint64_t>(v);
}

std::vector<BinOp> bin_ops() {
  std::vector<BinOp> ops;
  ops.push_back({"add", [](auto& a, auto& b) { return add(a, b); }, BinOp::Arith,
                 [](double a, double b) { return a + b; },
                 [](int64_t a, int64_t b, int, bool) { return U(a) + U(b); }, true, true,
                 [](cd a, cd b) { return a + b; }});
  ops.push_back({"subtract", [](auto& a, auto& b) { return subtract(a, b); }, BinOp::Arith,
                 [](double a, double b) { return a - b; },
                 [](int64_t a, int64_t b, int, bool) { return U(a) - U(b); }, true, true,
                 [](cd a, cd b) { return a - b; }});
  ops.push_back({"multiply", [](auto& a, auto& b) { return multiply(a, b); }, BinOp::Arith,
                 [](double a, double b) { return a * b; },
                 [](int64_t a, int64_t b, int, bool) { return U(a) * U(b); }, true, true,
                 [](cd a, cd b) { return a * b; }});
  ops.push_back({"divide", [](auto& a, auto& b) { return divide(a, b); }, BinOp::Inexact,
                 [](double a, double b) { return a / b; }, nullptr, true, true,
                 [](cd a, cd b) { return a / b; }});
  ops.push_back({"floor_divide", [](auto& a, auto& b) { return floor_divide(a, b); }, BinOp::Arith,
                 py_floordiv,
                 [](int64_t a, int64_t b, int, bool) {
                   if (b == 0) return U(0);
                   return U(static_cast<int64_t>(std::floor(double(a) / double(b))));
                 }});
  ops.push_back({"remainder", [](auto& a, auto& b) { return remainder(a, b); }, BinOp::Arith,
                 py_mod,
                 [](int64_t a, int64_t b, int, bool) {
                   if (b == 0) return U(0);
                   double q = std::floor(double(a) / double(b));
                   return U(a - b * static_cast<int64_t>(q));
                 }});
  ops.push_back({"power", [](auto& a, auto& b) { return power(a, b); }, BinOp::Arith,
                 [](double a, double b) { return std::pow(a, b); },
                 [](int64_t a, int64_t b, int, bool) {
                   // Negative exponents truncate 1 / a^|b| toward zero.
                   if (b < 0) return a == 1 ? U(1) : a == -1 ? U((b & 1) ? -1 : 1) : U(0);
                   uint64_t r = 1;
                   for (int64_t i = 0; i < b; ++i) r *= U(a);
                   return r;
                 },
                 true, true, [](cd a, cd b) { return std::pow(a, b); }});
  ops.push_back(
      {"minimum", [](auto& a, auto& b) { return minimum(a, b); }, BinOp::Arith,
       [](double a, double b) { return std::isnan(a) || std::isnan(b) ? kNaN : std::min(a, b); },
       [](int64_t a, int64_t b, int, bool) { return U(std::min(a, b)); }, true, true,
       [](cd a, cd b) {
         bool lt = b.real() < a.real() || (b.real() == a.real() && b.imag() < a.imag());
         return lt ? b : a;
       }});
  ops.push_back(
      {"maximum", [](auto& a, auto& b) { return maximum(a, b); }, BinOp::Arith,
       [](double a, double b) { return std::isnan(a) || std::isnan(b) ? kNaN : std::max(a, b); },
       [](int64_t a, int64_t b, int, bool) { return U(std::max(a, b)); }, true, true,
       [](cd a, cd b) {
         bool lt = a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
         return lt ? b : a;
       }});
  ops.push_back({"logaddexp", [](auto& a, auto& b) { return logaddexp(a, b); }, BinOp::Inexact,
                 [](double a, double b) {
                   if (std::isnan(a) || std::isnan(b)) return kNaN;
                   if (a == kInf || b == kInf) return kInf;
                   if (a == -kInf) return b;
                   if (b == -kInf) return a;
                   return std::log(std::exp(a - std::max(a, b)) + std::exp(b - std::max(a, b))) +
                          std::max(a, b);
                 },
                 nullptr});
  ops.push_back({"arctan2", [](auto& a, auto& b) { return arctan2(a, b); }, BinOp::Inexact,
                 [](double a, double b) { return std::atan2(a, b); }, nullptr});
  auto cmp = [&](const char* n, std::function<array(const array&, const array&)> f,
                 std::function<bool(double, double)> r, std::function<bool(cd, cd)> c) {
    ops.push_back({n, f, BinOp::Compare, [r](double a, double b) { return double(r(a, b)); },
                   nullptr, true, true, [c](cd a, cd b) { return cd(c(a, b)); }});
  };
  auto lex_lt = [](cd a, cd b) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  };
  cmp(
      "equal", [](auto& a, auto& b) { return equal(a, b); },
      [](double a, double b) { return a == b; }, [](cd a, cd b) { return a == b; });
  cmp(
      "not_equal", [](auto& a, auto& b) { return not_equal(a, b); },
      [](double a, double b) { return a != b; }, [](cd a, cd b) { return a != b; });
  cmp(
      "less", [](auto& a, auto& b) { return less(a, b); }, [](double a, double b) { return a < b; },
      lex_lt);
  cmp(
      "less_equal", [](auto& a, auto& b) { return less_equal(a, b); },
      [](double a, double b) { return a <= b; },
      [lex_lt](cd a, cd b) { return lex_lt(a, b) || a == b; });
  cmp(
      "greater", [](auto& a, auto& b) { return greater(a, b); },
      [](double a, double b) { return a > b; }, [lex_lt](cd a, cd b) { return lex_lt(b, a); });
  cmp(
      "greater_equal", [](auto& a, auto& b) { return greater_equal(a, b); },
      [](double a, double b) { return a >= b; },
      [lex_lt](cd a, cd b) { return lex_lt(b, a) || a == b; });
  cmp(
      "logical_and", [](auto& a, auto& b) { return logical_and(a, b); },
      [](double a, double b) { return a != 0 && b != 0; },
      [](cd a, cd b) { return a != 0.0 && b != 0.0; });
  cmp(
      "logical_or", [](auto& a, auto& b) { return logical_or(a, b); },
      [](double a, double b) { return a != 0 || b != 0; },
      [](cd a, cd b) { return a != 0.0 || b != 0.0; });
  cmp(
      "logical_xor", [](auto& a, auto& b) { return logical_xor(a, b); },
      [](double a, double b) { return (a != 0) != (b != 0); },
      [](cd a, cd b) { return (a != 0.0) != (b != 0.0); });
  // Bitwise (integers and bool).
  ops.push_back({"bitwise_and", [](auto& a, auto& b) { return bitwise_and(a, b); }, BinOp::Arith,
                 nullptr, [](int64_t a, int64_t b, int, bool) { return U(a) & U(b); }, false});
  ops.push_back({"bitwise_or", [](auto& a, auto& b) { return bitwise_or(a, b); }, BinOp::Arith,
                 nullptr, [](int64_t a, int64_t b, int, bool) { return U(a) | U(b); }, false});
  ops.push_back({"bitwise_xor", [](auto& a, auto& b) { return bitwise_xor(a, b); }, BinOp::Arith,
                 nullptr, [](int64_t a, int64_t b, int, bool) { return U(a) ^ U(b); }, false});
  ops.push_back({"left_shift", [](auto& a, auto& b) { return left_shift(a, b); }, BinOp::Arith,
                 nullptr,
                 [](int64_t a, int64_t b, int bits, bool) {
                   if (b < 0 || b >= bits) return U(0);
                   return U(a) << b;
                 },
                 false});
  ops.push_back({"right_shift", [](auto& a, auto& b) { return right_shift(a, b); }, BinOp::Arith,
                 nullptr,
                 [](int64_t a, int64_t b, int bits, bool) {
                   // Arithmetic for signed (a is sign-extended here already).
                   if (b < 0 || b >= bits) return U(a < 0 ? -1 : 0);
                   return U(a >> b);
                 },
                 false});
  return ops;
}

// The expected result dtype of op on (ta, tb), by MLX's rules.
Dtype out_dtype(const BinOp& f, Dtype ta, Dtype tb) {
  Dtype p = promote_types(ta, tb);
  switch (f.kind) {
    case BinOp::Compare:
    case BinOp::Logical:
      return bool_;
    case BinOp::Inexact:
      return is_inexact(p) ? p : float32;
    default:
      break;
  }
  std::string n = f.name;
  if ((n == "floor_divide" || n == "remainder") && p == bool_) return int8;
  return p;
}

bool supported(const BinOp& f, Dtype ta, Dtype tb) {
  Dtype p = promote_types(ta, tb);
  std::string n = f.name;
  bool cplx = is_complex(p);
  if (cplx && !f.complex_ok) return false;
  if (!f.fref) {  // bitwise
    if (n == "left_shift" || n == "right_shift") return is_integral(p);
    return is_integral(p) || p == bool_;
  }
  if (n == "subtract" && ta == bool_ && tb == bool_) return false;
  return true;
}

// Reference for op on (x, y) already converted to the compute dtype p, giving
// a value of the output dtype ot.
double reference(const BinOp& f, Dtype p, Dtype ot, double x, double y) {
  std::string n = f.name;
  if (f.kind == BinOp::Compare) return f.fref(x, y);
  if (p == bool_ && f.kind == BinOp::Arith && ot == bool_) {
    bool a = x != 0, b = y != 0;
    if (n == "add" || n == "maximum" || n == "bitwise_or") return a || b;
    if (n == "multiply" || n == "minimum" || n == "bitwise_and") return a && b;
    if (n == "bitwise_xor") return a != b;
    if (n == "power") return a || !b;
  }
  if ((is_integral(ot) || ot == int8) && f.iref) {
    int bits = static_cast<int>(p.size() * 8);
    if (p == bool_) bits = 8;
    return wrap_to(ot,
                   f.iref(static_cast<int64_t>(x), static_cast<int64_t>(y), bits, is_unsigned(p)));
  }
  return round_to(ot, f.fref(x, y));
}

void run_pair(const BinOp& f, Dtype ta, Dtype tb, const Pair& pr) {
  std::string what = std::string(f.name) + " " + dname(ta) + "x" + dname(tb) + " " + pr.name;
  if (!supported(f, ta, tb)) {
    EXPECT_THROW(f.op(pr.a, pr.b), std::invalid_argument) << what;
    return;
  }
  array out = f.op(pr.a, pr.b);
  Dtype ot = out_dtype(f, ta, tb);
  EXPECT_EQ(out.dtype(), ot) << what;
  Shape bs = broadcast_shapes(pr.a.shape(), pr.b.shape());
  EXPECT_EQ(out.shape(), bs) << what;
  // Operands in the compute dtype, broadcast, row-major.
  Dtype p = promote_types(ta, tb);
  if (f.kind == BinOp::Inexact && !is_inexact(p)) p = float32;
  if (ot == int8 && p == bool_) p = int8;
  array xa = broadcast_to(astype(pr.a, p), bs), ya = broadcast_to(astype(pr.b, p), bs);
  if (is_complex(p)) {
    auto x = xa.to_vector<complex64_t>(), y = ya.to_vector<complex64_t>();
    if (ot == bool_) {
      std::vector<double> want;
      for (size_t i = 0; i < x.size(); ++i) {
        want.push_back(f.cref(cd(x[i].real(), x[i].imag()), cd(y[i].real(), y[i].imag())).real());
      }
      test::expect_close(out.to_vector<double>(), want, 0, 0, what);
      return;
    }
    auto got = out.to_vector<complex64_t>();
    ASSERT_EQ(got.size(), x.size()) << what;
    size_t bad = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      cd w = f.cref(cd(x[i].real(), x[i].imag()), cd(y[i].real(), y[i].imag()));
      cd g(got[i].real(), got[i].imag());
      if (std::isnan(w.real()) || std::isnan(w.imag())) continue;
      bool ok = std::isinf(w.real()) || std::isinf(w.imag())
                    ? (g.real() == w.real() || (std::isnan(g.real()) && std::isnan(w.real()))) &&
                          (g.imag() == w.imag() || (std::isnan(g.imag()) && std::isnan(w.imag())))
                    : std::abs(g - w) <= 2e-5 * (1 + std::abs(w));
      if (!ok) {
        if (bad++ < 3) ADD_FAILURE() << what << " at " << i << ": got " << g << " want " << w;
      }
    }
    EXPECT_EQ(bad, 0u) << what;
    return;
  }
  auto x = xa.to_vector<double>(), y = ya.to_vector<double>();
  std::vector<double> want;
  want.reserve(x.size());
  for (size_t i = 0; i < x.size(); ++i) want.push_back(reference(f, p, ot, x[i], y[i]));
  double tol = tol_for(ot);
  std::string n = f.name;
  // floor_divide in a half type: the quotient is rounded before floor.
  double atol = n == "floor_divide" || n == "remainder" ? tol * 8 : tol;
  test::expect_close(out.to_vector<double>(), want, tol, atol, what);
}

}  // namespace

class BinaryOps : public ::testing::TestWithParam<int> {};

// Every op on every dtype paired with itself, over all shapes and layouts.
TEST_P(BinaryOps, SameDtypeAllShapesLayouts) {
  auto ops = bin_ops();
  const BinOp& f = ops[GetParam()];
  for (Dtype t : all_dtypes) {
    bool large = t == float32 || t == int32;
    for (auto& pr : pairs_for(t, t, large)) run_pair(f, t, t, pr);
  }
}

// Every op on every pair of dtypes (promotion and conversion), on a few shapes.
TEST_P(BinaryOps, MixedDtypes) {
  auto ops = bin_ops();
  const BinOp& f = ops[GetParam()];
  for (Dtype ta : all_dtypes) {
    for (Dtype tb : all_dtypes) {
      if (ta == tb) continue;
      std::vector<Pair> ps = {
          {"(3,5)", rnd({3, 5}, ta), rnd({3, 5}, tb)},
          {"(3,1)x(1,4)", rnd({3, 1}, ta), rnd({1, 4}, tb)},
          {"transposed x reversed", transpose(rnd({4, 3}, ta)), reversed(rnd({3, 4}, tb))}};
      for (auto& pr : ps) run_pair(f, ta, tb, pr);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Binary, BinaryOps, ::testing::Range(0, static_cast<int>(bin_ops().size())),
                         [](const ::testing::TestParamInfo<int>& i) {
                           return std::string(bin_ops()[i.param].name);
                         });

// All pairs of special values for the float ops.
TEST(Binary, FloatSpecialValues) {
  std::vector<double> s = {kNaN, kInf, -kInf,  0.0,   -0.0, 1.0,  -1.0, 2.5,
                           -2.5, 1e30, -1e-30, 1e300, 7.0,  -3.0, 0.5};
  std::vector<double> xs, ys;
  for (double a : s) {
    for (double b : s) {
      xs.push_back(a);
      ys.push_back(b);
    }
  }
  int n = static_cast<int>(xs.size());
  for (Dtype t : kFloatTypes) {
    array a = test::make_array(xs, {n}, t), b = test::make_array(ys, {n}, t);
    for (auto& f : bin_ops()) {
      if (!f.fref) continue;
      Pair pr{"specials", a, b};
      run_pair(f, t, t, pr);
    }
  }
}

TEST(Binary, IntegerDivisionEdgeCases) {
  // Division and remainder by zero give 0 and never trap.
  for (Dtype t : kIntTypes) {
    array a = test::make_array({7, 0, 3, 1}, {4}, t), z = zeros({4}, t);
    EXPECT_EQ(floor_divide(a, z).to_vector<double>(), (std::vector<double>(4, 0))) << dname(t);
    EXPECT_EQ(remainder(a, z).to_vector<double>(), (std::vector<double>(4, 0))) << dname(t);
    auto d = divide(a, z).to_vector<double>();
    EXPECT_EQ(divide(a, z).dtype(), float32);
    EXPECT_EQ(d[0], kInf);
    EXPECT_TRUE(std::isnan(d[1]));
  }
  // INT_MIN / -1 wraps, INT_MIN % -1 is 0.
  EXPECT_EQ(floor_divide(array(INT32_MIN), array(-1)).item<int32_t>(), INT32_MIN);
  EXPECT_EQ(remainder(array(INT32_MIN), array(-1)).item<int32_t>(), 0);
  EXPECT_EQ(floor_divide(array(INT64_MIN), array(int64_t(-1))).item<int64_t>(), INT64_MIN);
  EXPECT_EQ(remainder(array(INT64_MIN), array(int64_t(-1))).item<int64_t>(), 0);
  EXPECT_EQ(floor_divide(array(int8_t(-128)), array(int8_t(-1))).item<int8_t>(), int8_t(-128));
  EXPECT_EQ(floor_divide(array(int16_t(-32768)), array(int16_t(-1))).item<int16_t>(),
            int16_t(-32768));
  // Python's sign conventions.
  array a({-7, 7, -7, 7, -6, 6}), b({2, -2, -2, 2, 3, -3});
  EXPECT_EQ(floor_divide(a, b).to_vector<int>(), (std::vector<int>{-4, -4, 3, 3, -2, -2}));
  EXPECT_EQ(remainder(a, b).to_vector<int>(), (std::vector<int>{1, -1, -1, 1, 0, 0}));
  EXPECT_EQ((a % b).to_vector<int>(), (std::vector<int>{1, -1, -1, 1, 0, 0}));
  auto [q, r] = divmod(a, b);
  EXPECT_EQ(q.to_vector<int>(), (std::vector<int>{-4, -4, 3, 3, -2, -2}));
  EXPECT_EQ(r.to_vector<int>(), (std::vector<int>{1, -1, -1, 1, 0, 0}));
  array fa({-7.5f, 7.5f, -7.5f, 7.5f}), fb({2.0f, -2.0f, -2.0f, 2.0f});
  EXPECT_EQ(floor_divide(fa, fb).to_vector<float>(), (std::vector<float>{-4, -4, 3, 3}));
  EXPECT_EQ(remainder(fa, fb).to_vector<float>(), (std::vector<float>{0.5f, -0.5f, -1.5f, 1.5f}));
  // Zero remainders take the divisor's sign (NumPy, Python).
  EXPECT_FALSE(std::signbit(remainder(array(-4.0f), array(2.0f)).item<float>()));
  EXPECT_TRUE(std::signbit(remainder(array(4.0f), array(-2.0f)).item<float>()));
  EXPECT_TRUE(std::signbit(remainder(array(-0.0), array(-3.0)).item<double>()));
  // Unsigned floor division is plain division.
  EXPECT_EQ(floor_divide(array(uint32_t(4000000000u)), array(uint32_t(3))).item<uint32_t>(),
            1333333333u);
  EXPECT_EQ(remainder(array(UINT64_MAX), array(uint64_t(10))).item<uint64_t>(), 5u);
}

TEST(Binary, IntegerOverflowWraps) {
  EXPECT_EQ(add(array(INT32_MAX), array(1)).item<int32_t>(), INT32_MIN);
  EXPECT_EQ(subtract(array(INT32_MIN), array(1)).item<int32_t>(), INT32_MAX);
  EXPECT_EQ(add(array(INT64_MAX), array(int64_t(1))).item<int64_t>(), INT64_MIN);
  EXPECT_EQ(multiply(array(INT64_MAX), array(int64_t(2))).item<int64_t>(), -2);
  EXPECT_EQ(multiply(array(int32_t(65536)), array(int32_t(65536))).item<int32_t>(), 0);
  EXPECT_EQ(multiply(array(uint16_t(65535)), array(uint16_t(65535))).item<uint16_t>(), 1);
  EXPECT_EQ(multiply(array(uint32_t(65536)), array(uint32_t(65536))).item<uint32_t>(), 0u);
  EXPECT_EQ(add(array(uint8_t(250)), array(uint8_t(10))).item<uint8_t>(), 4);
  EXPECT_EQ(subtract(array(uint64_t(0)), array(uint64_t(1))).item<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(power(array(int32_t(3)), array(int32_t(40))).item<int32_t>(),
            static_cast<int32_t>(uint32_t(3486784401u * 3486784401u)));
  EXPECT_EQ(power(array(int64_t(2)), array(int64_t(63))).item<int64_t>(), INT64_MIN);
  EXPECT_EQ(power(array(int32_t(2)), array(int32_t(-1))).item<int32_t>(), 0);
  EXPECT_EQ(power(array(int32_t(-1)), array(int32_t(-3))).item<int32_t>(), -1);
  EXPECT_EQ(power(array(int32_t(0)), array(int32_t(-2))).item<int32_t>(), 0);
  EXPECT_EQ(power(array(int32_t(0)), array(int32_t(0))).item<int32_t>(), 1);
}

TEST(Binary, Shifts) {
  EXPECT_EQ(left_shift(array(1), array(31)).item<int32_t>(), INT32_MIN);
  EXPECT_EQ(left_shift(array(1), array(32)).item<int32_t>(), 0);
  EXPECT_EQ(left_shift(array(int64_t(1)), array(int64_t(63))).item<int64_t>(), INT64_MIN);
  EXPECT_EQ(left_shift(array(int64_t(1)), array(int64_t(64))).item<int64_t>(), 0);
  EXPECT_EQ(left_shift(array(uint8_t(255)), array(uint8_t(1))).item<uint8_t>(), 254);
  EXPECT_EQ(left_shift(array(uint8_t(1)), array(uint8_t(8))).item<uint8_t>(), 0);
  EXPECT_EQ(left_shift(array(int8_t(1)), array(int8_t(7))).item<int8_t>(), int8_t(-128));
  EXPECT_EQ(right_shift(array(-8), array(1)).item<int32_t>(), -4);
  EXPECT_EQ(right_shift(array(-8), array(40)).item<int32_t>(), -1);
  EXPECT_EQ(right_shift(array(8), array(40)).item<int32_t>(), 0);
  EXPECT_EQ(right_shift(array(uint32_t(0x80000000u)), array(uint32_t(31))).item<uint32_t>(), 1u);
  EXPECT_EQ(right_shift(array(UINT64_MAX), array(uint64_t(64))).item<uint64_t>(), 0u);
  EXPECT_EQ(right_shift(array(int16_t(-32768)), array(int16_t(15))).item<int16_t>(), -1);
  EXPECT_EQ((array(5) << array(2)).item<int>(), 20);
  EXPECT_EQ((array(20) >> array(2)).item<int>(), 5);
  EXPECT_EQ((array(6) & array(3)).item<int>(), 2);
  EXPECT_EQ((array(6) | array(3)).item<int>(), 7);
  EXPECT_EQ((array(6) ^ array(3)).item<int>(), 5);
  EXPECT_EQ((~array(6)).item<int>(), -7);
  // Mixed signed/unsigned shift promotes like MLX.
  EXPECT_EQ(left_shift(array(uint8_t(1)), array(int8_t(3))).dtype(), int16);
  EXPECT_THROW(left_shift(array(true), array(true)), std::invalid_argument);
  EXPECT_THROW(bitwise_and(array(1.0f), array(1)), std::invalid_argument);
}

TEST(Binary, BoolArithmetic) {
  array a({true, true, false, false}), b({true, false, true, false});
  EXPECT_EQ(add(a, b).dtype(), bool_);
  EXPECT_EQ(add(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 1, 1, 0}));
  EXPECT_EQ(multiply(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0, 0}));
  EXPECT_EQ(maximum(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 1, 1, 0}));
  EXPECT_EQ(minimum(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0, 0}));
  EXPECT_EQ(divide(a, b).dtype(), float32);
  EXPECT_EQ((a && b).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0, 0}));
  EXPECT_EQ((a || b).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 1, 1, 0}));
  EXPECT_EQ((!a).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 0, 1, 1}));
  try {
    subtract(zeros({2, 2}, bool_), zeros({2}, bool_));
    FAIL();
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("[subtract]", 0), 0u) << m;
    EXPECT_NE(m.find("(2, 2)"), std::string::npos) << m;
  }
  // bool + int promotes to the int.
  EXPECT_EQ(add(a, array({1, 2, 3, 4})).to_vector<int>(), (std::vector<int>{2, 3, 3, 4}));
}

TEST(Binary, OutputDtypes) {
  for (Dtype ta : all_dtypes) {
    for (Dtype tb : all_dtypes) {
      array a = zeros({2}, ta), b = zeros({2}, tb);
      Dtype p = promote_types(ta, tb);
      EXPECT_EQ(add(a, b).dtype(), p);
      EXPECT_EQ(multiply(a, b).dtype(), p);
      EXPECT_EQ(divide(a, b).dtype(), is_inexact(p) ? p : float32);
      EXPECT_EQ(equal(a, b).dtype(), bool_);
      EXPECT_EQ(less(a, b).dtype(), bool_);
      EXPECT_EQ(logical_and(a, b).dtype(), bool_);
      EXPECT_EQ(maximum(a, b).dtype(), p);
      EXPECT_EQ(power(a, b).dtype(), p);
    }
  }
  // A few spelled out (MLX's table).
  EXPECT_EQ(divide(array(1), array(2)).dtype(), float32);
  EXPECT_EQ(divide(array(1), array(2)).item<float>(), 0.5f);
  EXPECT_EQ(add(array(uint64_t(1)), array(int64_t(1))).dtype(), float32);
  EXPECT_EQ(add(array(int8_t(1)), array(uint8_t(1))).dtype(), int16);
  EXPECT_EQ(add(array(float16_t(1.0f)), array(bfloat16_t(1.0f))).dtype(), float32);
  EXPECT_EQ(add(array(int64_t(1)), array(float16_t(1.0f))).dtype(), float16);
}

TEST(Binary, ErrorsNameOpAndShapes) {
  auto expect_msg = [](std::function<void()> f, const std::string& op,
                       std::vector<std::string> parts) {
    try {
      f();
      ADD_FAILURE() << op << " did not throw";
    } catch (const std::invalid_argument& e) {
      std::string m = e.what();
      EXPECT_EQ(m.rfind("[" + op + "]", 0), 0u) << m;
      for (auto& p : parts) EXPECT_NE(m.find(p), std::string::npos) << m << " lacks " << p;
    }
  };
  array a = zeros({2, 3}), b = zeros({4});
  expect_msg([&] { add(a, b); }, "add", {"(2, 3)", "(4,)"});
  expect_msg([&] { multiply(a, b); }, "multiply", {"(2, 3)", "(4,)"});
  expect_msg([&] { equal(a, b); }, "equal", {"(2, 3)", "(4,)"});
  expect_msg([&] { where(zeros({4}, bool_), a, a); }, "where", {"(4,)", "(2, 3)"});
  expect_msg([&] { floor_divide(zeros({2}, complex64), zeros({2})); }, "floor_divide",
             {"complex64"});
  expect_msg([&] { right_shift(zeros({2}), zeros({2}, int32)); }, "right_shift", {"float32"});
  expect_msg([&] { clip(a, std::nullopt, std::nullopt); }, "clip", {});
}

// ---- where ----

TEST(Binary, Where) {
  for (Dtype t : all_dtypes) {
    std::vector<std::tuple<std::string, array, array, array>> cases = {
        {"same", test::random_array({3, 5}, bool_), rnd({3, 5}, t), rnd({3, 5}, t)},
        {"0-d", test::random_array({}, bool_), rnd({}, t), rnd({}, t)},
        {"empty", test::random_array({0, 3}, bool_), rnd({0, 3}, t), rnd({1, 3}, t)},
        {"broadcast", test::random_array({3, 1}, bool_), rnd({1, 4}, t), rnd({}, t)},
        {"strided", test::strided_view(test::random_array({4, 6}, bool_)),
         transpose(rnd({6, 4}, t)), reversed(rnd({4, 6}, t))},
        {"float cond", test::random_array({2, 3, 4}, float32), rnd({2, 3, 4}, t),
         test::strided_view(rnd({2, 3, 4}, t))},
    };
    if (t == float32 || t == uint8 || t == complex64) {
      cases.push_back(
          {"large", test::random_array({300001}, bool_), rnd({300001}, t), rnd({300001}, t)});
      cases.push_back({"large broadcast", test::random_array({1000, 1}, bool_), rnd({1, 301}, t),
                       rnd({1000, 301}, t)});
      cases.push_back(
          {"large scalar", test::random_array({300001}, bool_), rnd({}, t), rnd({300001}, t)});
    }
    for (auto& [name, c, x, y] : cases) {
      std::string what = "where " + dname(t) + " " + name;
      array out = where(c, x, y);
      EXPECT_EQ(out.dtype(), t) << what;
      Shape s = broadcast_shapes({c.shape(), x.shape(), y.shape()});
      EXPECT_EQ(out.shape(), s) << what;
      auto cv = broadcast_to(c, s).to_vector<double>();
      if (t == complex64) {
        auto xv = broadcast_to(x, s).to_vector<complex64_t>();
        auto yv = broadcast_to(y, s).to_vector<complex64_t>();
        auto ov = out.to_vector<complex64_t>();
        size_t bad = 0;
        for (size_t i = 0; i < cv.size(); ++i) bad += ov[i] != (cv[i] != 0 ? xv[i] : yv[i]);
        EXPECT_EQ(bad, 0u) << what;
      } else {
        auto xv = broadcast_to(x, s).to_vector<double>();
        auto yv = broadcast_to(y, s).to_vector<double>();
        std::vector<double> want;
        for (size_t i = 0; i < cv.size(); ++i) want.push_back(cv[i] != 0 ? xv[i] : yv[i]);
        test::expect_close(out.to_vector<double>(), want, 0, 0, what);
      }
    }
  }
  // Promotion of x and y; a NaN condition is true.
  array r = where(array({true, false}), array({1, 2}), array({0.5f, 1.5f}));
  EXPECT_EQ(r.dtype(), float32);
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{1.0f, 1.5f}));
  array rn = where(array({NAN, 0.0f}), array({1, 1}), array({2, 2}));
  EXPECT_EQ(rn.to_vector<int>(), (std::vector<int>{1, 2}));
}

// ---- clip ----

TEST(Binary, Clip) {
  for (Dtype t : {int8, uint8, int32, int64, uint64, float16, float32, float64, bfloat16}) {
    for (int which = 0; which < 3; ++which) {
      array a = rnd({4, 5}, t, -10, 10);
      array lo = rnd({1, 5}, t, -5, 0), hi = rnd({}, t, 0, 5);
      if (!is_inexact(t) && !is_unsigned(t)) {
        lo = test::make_array({-5, -3, 0, -1, 2}, {1, 5}, t);
        hi = test::make_array({4}, {}, t);
      }
      if (is_unsigned(t)) {
        lo = test::make_array({5, 3, 0, 1, 2}, {1, 5}, t);
        hi = test::make_array({12}, {}, t);
      }
      std::optional<array> omin = which == 1 ? std::nullopt : std::optional<array>(lo);
      std::optional<array> omax = which == 2 ? std::nullopt : std::optional<array>(hi);
      array in = which == 0 ? transpose(transpose(a)) : reversed(a);
      array out = clip(in, omin, omax);
      std::string what = "clip " + dname(t) + " case " + std::to_string(which);
      EXPECT_EQ(out.dtype(), t) << what;
      auto av = in.to_vector<double>();
      auto lv = broadcast_to(lo, {4, 5}).to_vector<double>();
      double h = hi.item<double>();
      std::vector<double> want;
      for (size_t i = 0; i < av.size(); ++i) {
        double v = av[i];
        if (omin) v = std::max(v, lv[i]);
        if (omax) v = std::min(v, h);
        want.push_back(v);
      }
      test::expect_close(out.to_vector<double>(), want, 0, 0, what);
    }
  }
  // NaN propagates; a_min > a_max gives a_max (NumPy).
  array r = clip(array({NAN, -5.0f, 5.0f}), array(-1.0f), array(1.0f));
  auto v = r.to_vector<float>();
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], -1.0f);
  EXPECT_EQ(v[2], 1.0f);
  EXPECT_EQ(clip(array({0.0f, 10.0f}), array(3.0f), array(2.0f)).to_vector<float>(),
            (std::vector<float>{2.0f, 2.0f}));
  // Integer array with float bounds promotes.
  EXPECT_EQ(clip(array({1, 5}), array(1.5f), std::nullopt).dtype(), float32);
}

// ---- nan_to_num ----

TEST(Binary, NanToNum) {
  std::vector<double> v = {kNaN, kInf, -kInf, 1.5, -0.0, -2.0, 1e30};
  for (Dtype t : kFloatTypes) {
    array a = test::make_array(v, {7}, t);
    double big = t == float16   ? 65504.0
                 : t == float32 ? double(FLT_MAX)
                 : t == float64 ? DBL_MAX
                                : 3.3895313892515355e38;
    auto x = a.to_vector<double>();
    std::vector<double> want;
    for (double xi : x) {
      want.push_back(std::isnan(xi) ? 0 : xi == kInf ? big : xi == -kInf ? -big : xi);
    }
    array out = nan_to_num(a);
    EXPECT_EQ(out.dtype(), t);
    test::expect_close(out.to_vector<double>(), want, 0, 0, "nan_to_num " + dname(t));
    // Custom replacements, on a reversed view.
    array r = reversed(a);
    auto xr = r.to_vector<double>();
    std::vector<double> want2;
    for (double xi : xr) {
      want2.push_back(std::isnan(xi) ? 7 : xi == kInf ? 100 : xi == -kInf ? -100 : xi);
    }
    test::expect_close(nan_to_num(r, 7.0f, 100.0f, -100.0f).to_vector<double>(), want2, 0, 0,
                       "nan_to_num custom " + dname(t));
  }
  // Integers pass through unchanged.
  array i({1, 2, 3});
  EXPECT_EQ(nan_to_num(i).to_vector<int>(), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(nan_to_num(i).dtype(), int32);
}

// ---- isclose ----

TEST(Binary, IsClose) {
  std::vector<double> xs = {1.0, 1.0, 0.0, kNaN, kNaN, kInf, kInf, -kInf, 1e-9, 100.0, 100.0};
  std::vector<double> ys = {1.0,   1.0 + 1e-6, 1e-9, kNaN,    1.0,  kInf,
                            -kInf, -kInf,      0.0,  100.001, 100.1};
  int n = static_cast<int>(xs.size());
  for (Dtype t : {float32, float64}) {
    array a = test::make_array(xs, {n}, t), b = test::make_array(ys, {n}, t);
    auto av = a.to_vector<double>(), bv = b.to_vector<double>();
    for (bool eq_nan : {false, true}) {
      for (double rtol : {1e-5, 1e-8}) {
        std::vector<double> want;
        for (int i = 0; i < n; ++i) {
          double x = av[i], y = bv[i];
          bool c;
          if (std::isnan(x) || std::isnan(y))
            c = eq_nan && std::isnan(x) && std::isnan(y);
          else if (std::isinf(x) || std::isinf(y))
            c = x == y;
          else
            c = std::fabs(x - y) <= 1e-8 + rtol * std::fabs(y);
          want.push_back(c);
        }
        array out = isclose(a, b, rtol, 1e-8, eq_nan);
        EXPECT_EQ(out.dtype(), bool_);
        test::expect_close(out.to_vector<double>(), want, 0, 0,
                           "isclose " + dname(t) + " rtol " + std::to_string(rtol));
      }
    }
  }
  // Broadcasting, integers, random data.
  array a = test::random_array({4, 5}, float32), b = test::random_array({5}, float32);
  array c = add(a, array(1e-7f));
  EXPECT_EQ(isclose(a, c).shape(), (Shape{4, 5}));
  auto cv = isclose(a, c).to_vector<uint8_t>();
  for (auto v : cv) EXPECT_EQ(v, 1);
  EXPECT_EQ(isclose(a, b).shape(), (Shape{4, 5}));
  EXPECT_EQ(isclose(array({1, 2}), array({1, 3})).to_vector<uint8_t>(),
            (std::vector<uint8_t>{1, 0}));
}

// ---- no copies of unchanged data, donation and chained results ----

TEST(Binary, ChainsWithTemporaries) {
  array a = test::random_array({1000}, float32), b = test::random_array({1000}, float32);
  auto av = a.to_vector<double>(), bv = b.to_vector<double>();
  array out = (a + b) * (a - b) / array(2.0f);
  std::vector<double> want;
  for (size_t i = 0; i < av.size(); ++i) {
    want.push_back(round_to(float32, round_to(float32, round_to(float32, av[i] + bv[i]) *
                                                           round_to(float32, av[i] - bv[i])) /
                                         2));
  }
  test::expect_close(out.to_vector<double>(), want, 0, 0, "(a+b)*(a-b)/2");
  test::expect_close(a.to_vector<double>(), av, 0, 0, "a untouched");
  test::expect_close(b.to_vector<double>(), bv, 0, 0, "b untouched");
}
