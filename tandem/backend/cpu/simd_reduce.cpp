// Highway compiles this file once per x86 target; HWY_DYNAMIC_DISPATCH picks
// one at run time (see simd_reduce.h).
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_AVX3_DL)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tandem/backend/cpu/simd_reduce.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
// clang-format off
#include <hwy/highway.h>
// clang-format on

#include <cstring>
#include <limits>

#include "tandem/backend/cpu/reduce_common.h"
#include "tandem/backend/cpu/simd_reduce.h"

HWY_BEFORE_NAMESPACE();
namespace tandem::cpu::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// acc = (x > acc || x != x) ? x : acc (x < acc for min), lane-wise. The
// rule is associative (it keeps the last NaN, else the first extreme), so a
// lane's sequence may be folded in pieces and the pieces folded in order.
template <bool IsMax, class D, class V>
HWY_INLINE V Fold(D, V acc, V x) {
  const auto better = IsMax ? hn::Gt(x, acc) : hn::Lt(x, acc);
  return hn::IfThenElse(hn::Or(better, hn::IsNaN(x)), x, acc);  // not Ne(x, x): ordered on AVX2
}

// Eight lanes as K = 8 / N vectors of N lanes (wider vectors are capped to
// 8). The blocks of eight are cut into four consecutive pieces folded side
// by side, which breaks the dependency chain without changing the result.
template <bool IsMax, typename T>
void Extreme8(const T* HWY_RESTRICT p, size_t n, T* HWY_RESTRICT acc) {
  const hn::CappedTag<T, 8> d;
  using V = decltype(hn::Zero(d));
  const size_t N = hn::Lanes(d);
  const size_t K = 8 / N;
  const T ident = IsMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  const size_t blocks = n / 8, piece = blocks / 4;
  for (size_t k = 0; k < K; ++k) {
    V a0 = hn::LoadU(d, acc + k * N);
    V a1 = hn::Set(d, ident), a2 = a1, a3 = a1;
    const T* q = p + k * N;
    for (size_t b = 0; b < piece; ++b) {
      a0 = Fold<IsMax>(d, a0, hn::LoadU(d, q + b * 8));
      a1 = Fold<IsMax>(d, a1, hn::LoadU(d, q + (piece + b) * 8));
      a2 = Fold<IsMax>(d, a2, hn::LoadU(d, q + (2 * piece + b) * 8));
      a3 = Fold<IsMax>(d, a3, hn::LoadU(d, q + (3 * piece + b) * 8));
    }
    for (size_t b = 4 * piece; b < blocks; ++b) a3 = Fold<IsMax>(d, a3, hn::LoadU(d, q + b * 8));
    hn::StoreU(Fold<IsMax>(d, Fold<IsMax>(d, Fold<IsMax>(d, a0, a1), a2), a3), d, acc + k * N);
  }
}

// red::half_to_float, vectorised step for step (so NaN payloads match too).
void HalfToFloat(const uint16_t* HWY_RESTRICT in, float* HWY_RESTRICT out, size_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const hn::Rebind<uint16_t, decltype(df)> d16;
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto h = hn::PromoteTo(du, hn::LoadU(d16, in + i));
    const auto sign = hn::ShiftLeft<16>(hn::And(h, hn::Set(du, 0x8000u)));
    const auto em = hn::And(h, hn::Set(du, 0x7fffu));
    const auto bits = hn::ShiftLeft<13>(em);
    const auto f = hn::BitCast(du, hn::Mul(hn::BitCast(df, bits), hn::Set(df, 0x1p112f)));
    const hn::RebindToSigned<decltype(df)> di;
    const auto special = hn::Gt(hn::BitCast(di, em), hn::Set(di, 0x7bff));  // inf, NaN
    const auto v =
        hn::IfThenElse(hn::RebindMask(du, special), hn::Or(bits, hn::Set(du, 0x7f800000u)), f);
    hn::StoreU(hn::BitCast(df, hn::Or(v, sign)), df, out + i);
  }
  for (; i < n; ++i) out[i] = red::half_to_float(in[i]);
}

void ExtremeF32(const float* p, size_t n, bool is_max, float* acc) {
  is_max ? Extreme8<true>(p, n, acc) : Extreme8<false>(p, n, acc);
}
void ExtremeF64(const double* p, size_t n, bool is_max, double* acc) {
  is_max ? Extreme8<true>(p, n, acc) : Extreme8<false>(p, n, acc);
}

}  // namespace tandem::cpu::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tandem::cpu::simd {
HWY_EXPORT(ExtremeF32);
HWY_EXPORT(ExtremeF64);
HWY_EXPORT(HalfToFloat);

void half_to_float(const uint16_t* in, float* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(HalfToFloat)(in, out, n);
}

void extreme_lanes8(const float* p, size_t n, bool is_max, float* acc) {
  HWY_DYNAMIC_DISPATCH(ExtremeF32)(p, n, is_max, acc);
}
void extreme_lanes8(const double* p, size_t n, bool is_max, double* acc) {
  HWY_DYNAMIC_DISPATCH(ExtremeF64)(p, n, is_max, acc);
}
}  // namespace tandem::cpu::simd
#endif
