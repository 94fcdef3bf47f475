// Highway compiles this file once per x86 target; HWY_DYNAMIC_DISPATCH picks
// one at run time. SSSE3 and AVX3_DL add nothing over SSE4/AVX3 here.
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_AVX3_DL)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tandem/backend/cpu/simd_math.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
// clang-format off
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>
// clang-format on

#include <cfloat>
#include <cmath>

#include "tandem/backend/cpu/simd_math.h"

HWY_BEFORE_NAMESPACE();
namespace tandem::cpu::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Every element goes through a full vector, the last few through a padded
// one, and a lane's value never depends on its neighbours: so an element's
// result is the same wherever it sits (a contiguous row, a strided one
// gathered in blocks, a fused kernel's tile), and where fusion or a stream
// change cuts a chain does not change a result.
constexpr size_t kMaxLanesBytes = HWY_MAX_BYTES;

// Runs vector formula f over n elements; lanes outside [lo, hi] (NaN
// included) take scalar g instead, the others f's value.
template <typename T, class F, class G>
void apply(const T* in, T* out, size_t n, T lo, T hi, F f, G g) {
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d);
  const auto vlo = hn::Set(d, lo);
  const auto vhi = hn::Set(d, hi);
  auto vector = [&](const T* src, T* dst) {
    auto x = hn::LoadU(d, src);
    auto ok = hn::And(hn::Ge(x, vlo), hn::Le(x, vhi));
    if (HWY_LIKELY(hn::AllTrue(d, ok))) {
      hn::StoreU(f(d, x), d, dst);
      return;
    }
    alignas(64) T xs[kMaxLanesBytes / sizeof(T)];
    hn::StoreU(x, d, xs);  // src may be dst
    hn::StoreU(f(d, hn::IfThenElse(ok, x, vlo)), d, dst);
    for (size_t j = 0; j < N; ++j) {
      if (!(xs[j] >= lo && xs[j] <= hi)) dst[j] = g(xs[j]);
    }
  };
  size_t i = 0;
  for (; i + N <= n; i += N) vector(in + i, out + i);
  if (i < n) {
    alignas(64) T buf[kMaxLanesBytes / sizeof(T)];
    for (size_t j = 0; j < N; ++j) buf[j] = i + j < n ? in[i + j] : lo;
    vector(buf, buf);
    for (size_t j = 0; i + j < n; ++j) out[i + j] = buf[j];
  }
}

// Runs vector formula f, which handles every input itself, over n elements.
template <typename T, class F, class G>
void apply_all(const T* in, T* out, size_t n, F f, G) {
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(f(d, hn::LoadU(d, in + i)), d, out + i);
  if (i < n) {
    alignas(64) T buf[kMaxLanesBytes / sizeof(T)];
    for (size_t j = 0; j < N; ++j) buf[j] = i + j < n ? in[i + j] : T(0);
    hn::StoreU(f(d, hn::LoadU(d, buf)), d, buf);
    for (size_t j = 0; i + j < n; ++j) out[i + j] = buf[j];
  }
}

// Clamps x to [lo, hi], keeping NaN. x86's min/max return their second
// operand when either is NaN, so x goes second; elsewhere NaN is put back.
template <class D, class V>
V ClampKeepNaN(D d, V x, hn::TFromD<D> lo, hn::TFromD<D> hi) {
  V c = hn::Min(hn::Set(d, hi), hn::Max(hn::Set(d, lo), x));
#if HWY_ARCH_X86
  return c;
#else
  return hn::IfThenElse(hn::IsNaN(x), x, c);
#endif
}

// float32 e^x for every x, within 1 ULP: x = n ln2 + r with |r| <= ln2/2
// (ln2 split in two so n ln2 is exact), e^r by its Taylor series to r^7
// (truncation error below 6e-9), times 2^n. Clamping x to [-104, 89] first
// keeps n in [-150, 129], where the scaling still overflows to +inf and
// underflows through the subnormals to 0 as e^x does; NaN passes through.
// The chained exps of the canonical workload are bound by this loop, so it
// is kept short: Highway's Exp plus range fix-ups took about twice as long.
template <class D, class V>
V ExpF32(D d, V x) {
  using T = hn::TFromD<D>;
  const V xc = ClampKeepNaN(d, x, T(-104.0f), T(89.0f));
  const V log2e = hn::Set(d, T(1.44269504088896341f));
  const V ln2_hi = hn::Set(d, T(-0.693145751953125f));
  const V ln2_lo = hn::Set(d, T(-1.42860676533018705e-6f));
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  const V n = hn::Round(hn::Mul(xc, log2e));
#else
  // Rounds to nearest through the float's mantissa: n also sits, as an
  // integer, in the low bits of t.
  const V magic = hn::Set(d, T(12582912.0f));  // 1.5 * 2^23
  const V t = hn::MulAdd(xc, log2e, magic);
  const V n = hn::Sub(t, magic);
#endif
  V r = hn::MulAdd(n, ln2_hi, xc);
  r = hn::MulAdd(n, ln2_lo, r);
  V p = hn::Set(d, T(1.0f / 5040));
  p = hn::MulAdd(p, r, hn::Set(d, T(1.0f / 720)));
  p = hn::MulAdd(p, r, hn::Set(d, T(1.0f / 120)));
  p = hn::MulAdd(p, r, hn::Set(d, T(1.0f / 24)));
  p = hn::MulAdd(p, r, hn::Set(d, T(1.0f / 6)));
  p = hn::MulAdd(p, r, hn::Set(d, T(0.5f)));
  p = hn::MulAdd(p, r, hn::Set(d, T(1)));
  p = hn::MulAdd(p, r, hn::Set(d, T(1)));
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // vscalefps computes p * 2^n with IEEE overflow, underflow and rounding.
  return V{_mm512_scalef_ps(p.raw, n.raw)};
#else
  // 2^n as two halves, each a normal float, so the product rounds once
  // into the subnormals or overflows to +inf.
  const hn::RebindToSigned<D> di;
  const auto ni = hn::Sub(hn::BitCast(di, t), hn::BitCast(di, magic));
  const auto n1 = hn::ShiftRight<1>(ni);
  const auto n2 = hn::Sub(ni, n1);
  const auto bias = hn::Set(di, 127);
  const V s1 = hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(n1, bias)));
  const V s2 = hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(n2, bias)));
  return hn::Mul(hn::Mul(p, s1), s2);
#endif
}

// e^x for every x: the vector formula on [-104, 88.7] (its documented range
// reaches the float32 subnormals), +inf above, 0 below, NaN kept. float64
// uses [-745, 709].
template <class D, class V>
V ExpAll(D d, V x) {
  using T = hn::TFromD<D>;
  constexpr bool f32 = sizeof(T) == 4;
  if constexpr (f32) return ExpF32(d, x);
  const auto hi = hn::Set(d, f32 ? T(88.72283) : T(709.782712893384));
  const auto lo = hn::Set(d, f32 ? T(-104.0) : T(-745.2));
  auto r = hn::Exp(d, hn::Min(hn::Max(x, lo), hi));
  r = hn::IfThenElse(hn::Gt(x, hi), hn::Set(d, std::numeric_limits<T>::infinity()), r);
  r = hn::IfThenElse(hn::Lt(x, lo), hn::Zero(d), r);
  return hn::IfThenElse(hn::IsNaN(x), x, r);
}

template <typename T>
bool Unary(int op_id, const T* in, T* out, size_t n) {
  constexpr bool f32 = sizeof(T) == 4;
  constexpr T big = f32 ? T(FLT_MAX) : T(DBL_MAX);
  constexpr T tiny = f32 ? T(FLT_MIN) : T(DBL_MIN);
  constexpr T exp_hi = f32 ? T(88.7) : T(709.0);
  constexpr T exp_lo = f32 ? T(-87.3) : T(-708.0);
  switch (static_cast<UnaryOp>(op_id)) {
    case UnaryOp::Exp:
      apply_all(
          in, out, n, [](auto d, auto x) { return ExpAll(d, x); }, [](T x) { return std::exp(x); });
      return true;
    case UnaryOp::Expm1:
      apply(
          in, out, n, exp_lo, exp_hi, [](auto d, auto x) { return hn::Expm1(d, x); },
          [](T x) { return std::expm1(x); });
      return true;
    case UnaryOp::Log:
      apply(
          in, out, n, tiny, big, [](auto d, auto x) { return hn::Log(d, x); },
          [](T x) { return std::log(x); });
      return true;
    case UnaryOp::Log2:
      apply(
          in, out, n, tiny, big, [](auto d, auto x) { return hn::Log2(d, x); },
          [](T x) { return std::log2(x); });
      return true;
    case UnaryOp::Log10:
      apply(
          in, out, n, tiny, big, [](auto d, auto x) { return hn::Log10(d, x); },
          [](T x) { return std::log10(x); });
      return true;
    case UnaryOp::Log1p:
      apply(
          in, out, n, T(0), big, [](auto d, auto x) { return hn::Log1p(d, x); },
          [](T x) { return std::log1p(x); });
      return true;
    case UnaryOp::Sin:
      apply(
          in, out, n, T(-39000), T(39000), [](auto d, auto x) { return hn::Sin(d, x); },
          [](T x) { return std::sin(x); });
      return true;
    case UnaryOp::Cos:
      apply(
          in, out, n, T(-39000), T(39000), [](auto d, auto x) { return hn::Cos(d, x); },
          [](T x) { return std::cos(x); });
      return true;
    case UnaryOp::Tanh:
      apply(
          in, out, n, -big, big, [](auto d, auto x) { return hn::Tanh(d, x); },
          [](T x) { return std::tanh(x); });
      return true;
    case UnaryOp::Sinh:
      apply(
          in, out, n, -exp_hi, exp_hi, [](auto d, auto x) { return hn::Sinh(d, x); },
          [](T x) { return std::sinh(x); });
      return true;
    case UnaryOp::ArcSin:
      apply(
          in, out, n, T(-1), T(1), [](auto d, auto x) { return hn::Asin(d, x); },
          [](T x) { return std::asin(x); });
      return true;
    case UnaryOp::ArcCos:
      apply(
          in, out, n, T(-1), T(1), [](auto d, auto x) { return hn::Acos(d, x); },
          [](T x) { return std::acos(x); });
      return true;
    case UnaryOp::ArcTan:
      apply(
          in, out, n, -big, big, [](auto d, auto x) { return hn::Atan(d, x); },
          [](T x) { return std::atan(x); });
      return true;
    case UnaryOp::ArcSinh:
      apply(
          in, out, n, -big, big, [](auto d, auto x) { return hn::Asinh(d, x); },
          [](T x) { return std::asinh(x); });
      return true;
    case UnaryOp::ArcCosh:
      apply(
          in, out, n, T(1), big, [](auto d, auto x) { return hn::Acosh(d, x); },
          [](T x) { return std::acosh(x); });
      return true;
    case UnaryOp::Sigmoid:
      // 1 / (1 + e^-x) is exact at the extremes too: e^-x = inf gives 0.
      apply_all(
          in, out, n,
          [](auto d, auto x) {
            auto one = hn::Set(d, T(1));
            return hn::Div(one, hn::Add(one, ExpAll(d, hn::Neg(x))));
          },
          [](T x) { return T(1) / (T(1) + std::exp(-x)); });
      return true;
    // Vector sqrt and division round correctly and give IEEE's NaN, -0 and
    // inf, so every input stays on the vector path (negative inputs used to
    // fall back lane by lane into libm's errno path, 20x slower).
    case UnaryOp::Sqrt:
      apply_all(
          in, out, n, [](auto d, auto x) { return hn::Sqrt(x); }, [](T x) { return std::sqrt(x); });
      return true;
    case UnaryOp::Rsqrt:
      apply_all(
          in, out, n, [](auto d, auto x) { return hn::Div(hn::Set(d, T(1)), hn::Sqrt(x)); },
          [](T x) { return T(1) / std::sqrt(x); });
      return true;
    default:
      return false;
  }
}

bool UnaryF32(int op, const float* in, float* out, size_t n) {
  return Unary(op, in, out, n);
}
bool UnaryF64(int op, const double* in, double* out, size_t n) {
  return Unary(op, in, out, n);
}
const char* TargetName() {
  return hwy::TargetName(HWY_TARGET);
}

}  // namespace tandem::cpu::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tandem::cpu::simd {
HWY_EXPORT(UnaryF32);
HWY_EXPORT(UnaryF64);
HWY_EXPORT(TargetName);

bool unary(UnaryOp op, const float* in, float* out, size_t n) {
  return HWY_DYNAMIC_DISPATCH(UnaryF32)(static_cast<int>(op), in, out, n);
}
bool unary(UnaryOp op, const double* in, double* out, size_t n) {
  return HWY_DYNAMIC_DISPATCH(UnaryF64)(static_cast<int>(op), in, out, n);
}
const char* target_name() {
  return HWY_DYNAMIC_DISPATCH(TargetName)();
}
}  // namespace tandem::cpu::simd
#endif
