// Elementwise functions of two arrays (Binary) and where (Select). OP numbers
// follow tandem::BinaryOp (tandem/primitives/binary.h); the host checks the
// two agree. Every op computes what backend/cpu/binary.cpp computes, for
// every dtype (ops that make no sense for a dtype return a, as there).
#pragma once
#include "complex.cuh"
#include "elementwise.cuh"

namespace tandem {
namespace binary {
enum : int {
  Add, Subtract, Multiply, Divide, FloorDivide, Remainder, Equal, NotEqual, Less, LessEqual,
  Greater, GreaterEqual, LogicalAnd, LogicalOr, LogAddExp, ArcTan2, Power, Minimum, Maximum,
  BitwiseAnd, BitwiseOr, BitwiseXor, LeftShift, RightShift, NaNEqual, Count
};
}  // namespace binary

template <int OP>
struct is_comparison_op {
  static constexpr bool value =
      OP == binary::Equal || OP == binary::NotEqual || OP == binary::Less ||
      OP == binary::LessEqual || OP == binary::Greater || OP == binary::GreaterEqual ||
      OP == binary::LogicalAnd || OP == binary::LogicalOr || OP == binary::NaNEqual;
};

namespace bin {

__device__ inline float f_inf() { return __int_as_float(0x7f800000); }

// complex64 as the CPU's std::complex<float> computes it: GCC multiplies
// inline and falls back to libgcc's __mulsc3 when both parts come out NaN;
// it divides with __divsc3, which (GCC >= 12 on x86) works in double and
// recovers infinities. The _rn intrinsics keep NVRTC from fusing into FMAs,
// so finite results are bit-identical.
__device__ inline complex64 cmul(complex64 z, complex64 w) {
  float a = z.re, b = z.im, c = w.re, d = w.im;
  float ac = __fmul_rn(a, c), bd = __fmul_rn(b, d), ad = __fmul_rn(a, d), bc = __fmul_rn(b, c);
  float x = __fsub_rn(ac, bd), y = __fadd_rn(ad, bc);
  if (isnan(x) && isnan(y)) {
    bool recalc = false;
    if (isinf(a) || isinf(b)) {
      a = copysignf(isinf(a) ? 1.f : 0.f, a);
      b = copysignf(isinf(b) ? 1.f : 0.f, b);
      if (isnan(c)) c = copysignf(0.f, c);
      if (isnan(d)) d = copysignf(0.f, d);
      recalc = true;
    }
    if (isinf(c) || isinf(d)) {
      c = copysignf(isinf(c) ? 1.f : 0.f, c);
      d = copysignf(isinf(d) ? 1.f : 0.f, d);
      if (isnan(a)) a = copysignf(0.f, a);
      if (isnan(b)) b = copysignf(0.f, b);
      recalc = true;
    }
    if (!recalc && (isinf(ac) || isinf(bd) || isinf(ad) || isinf(bc))) {
      if (isnan(a)) a = copysignf(0.f, a);
      if (isnan(b)) b = copysignf(0.f, b);
      if (isnan(c)) c = copysignf(0.f, c);
      if (isnan(d)) d = copysignf(0.f, d);
      recalc = true;
    }
    if (recalc) {
      x = f_inf() * __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, d));
      y = f_inf() * __fadd_rn(__fmul_rn(a, d), __fmul_rn(b, c));
    }
  }
  return {x, y};
}

__device__ inline complex64 cdiv(complex64 z, complex64 w) {
  float a = z.re, b = z.im, c = w.re, d = w.im;
  double aa = a, bb = b, cc = c, dd = d;
  double denom = __dadd_rn(__dmul_rn(cc, cc), __dmul_rn(dd, dd));
  float x = static_cast<float>(__ddiv_rn(__dadd_rn(__dmul_rn(aa, cc), __dmul_rn(bb, dd)), denom));
  float y = static_cast<float>(__ddiv_rn(__dsub_rn(__dmul_rn(bb, cc), __dmul_rn(aa, dd)), denom));
  if (isnan(x) && isnan(y)) {
    if (c == 0.f && d == 0.f && (!isnan(a) || !isnan(b))) {
      x = copysignf(f_inf(), c) * a;
      y = copysignf(f_inf(), c) * b;
    } else if ((isinf(a) || isinf(b)) && isfinite(c) && isfinite(d)) {
      a = copysignf(isinf(a) ? 1.f : 0.f, a);
      b = copysignf(isinf(b) ? 1.f : 0.f, b);
      x = f_inf() * __fadd_rn(__fmul_rn(a, c), __fmul_rn(b, d));
      y = f_inf() * __fsub_rn(__fmul_rn(b, c), __fmul_rn(a, d));
    } else if ((isinf(c) || isinf(d)) && isfinite(a) && isfinite(b)) {
      c = copysignf(isinf(c) ? 1.f : 0.f, c);
      d = copysignf(isinf(d) ? 1.f : 0.f, d);
      x = 0.f * __fadd_rn(__fmul_rn(a, c), __fmul_rn(b, d));
      y = 0.f * __fsub_rn(__fmul_rn(b, c), __fmul_rn(a, d));
    }
  }
  return {x, y};
}

// glibc's cexpf, special values included (pow(0, y) depends on them).
__device__ inline complex64 cexp_c99(complex64 z) {
  float re = z.re, im = z.im;
  if (isfinite(re)) {
    if (!isfinite(im)) return {__int_as_float(0x7fffffff), __int_as_float(0x7fffffff)};
    float s = im, c = 1.f;
    if (fabsf(im) > 1.17549435e-38f) sincosf(im, &s, &c);
    const float t = 88.f;  // (FLT_MAX_EXP - 1) * ln 2, truncated
    if (re > t) {
      float et = expf(t);
      re -= t;
      s *= et;
      c *= et;
      if (re > t) {
        re -= t;
        s *= et;
        c *= et;
      }
    }
    if (re > t) return {3.40282347e38f * c, 3.40282347e38f * s};
    float e = expf(re);
    return {e * c, e * s};
  }
  if (isinf(re)) {
    if (isfinite(im)) {
      float v = signbit(re) ? 0.f : f_inf();
      if (im == 0.f) return {v, im};
      float s, c;
      sincosf(im, &s, &c);
      return {copysignf(v, c), copysignf(v, s)};
    }
    if (!signbit(re)) return {f_inf(), im - im};
    return {0.f, copysignf(0.f, im)};
  }
  if (im == 0.f) return {re, im};  // NaN + 0i
  return {__int_as_float(0x7fffffff), __int_as_float(0x7fffffff)};
}

// log(x) as accurate as glibc's clogf: log|x| from |x|^2 in double (exact
// squares), so that |x| near 1 keeps its tiny logarithm.
__device__ inline complex64 clog_accurate(complex64 x) {
  double r = x.re, i = x.im;
  double m2 = r * r + i * i;
  float lr = isfinite(m2) ? static_cast<float>(0.5 * log(m2)) : logf(hypotf(x.re, x.im));
  return {lr, atan2f(x.im, x.re)};
}

// glibc's cpowf: exp(y * log(x)).
__device__ inline complex64 cpow(complex64 x, complex64 y) {
  return cexp_c99(cmul(y, clog_accurate(x)));
}

// Python's a // b for floats (see backend/cpu/binary.cpp).
template <typename F>
__device__ inline F float_floor_divide(F a, F b) {
  if (b == F(0)) return a / b;
  F mod = fmod(a, b);
  F div = (a - mod) / b;
  if (mod != F(0) && ((b < F(0)) != (mod < F(0)))) div -= F(1);
  if (div == F(0)) return copysign(F(0), a / b);
  F fl = floor(div);
  if (div - fl > F(0.5)) fl += F(1);
  return fl;
}

// Python's a % b for floats: the sign of b.
template <typename F>
__device__ inline F float_remainder(F a, F b) {
  F r = fmod(a, b);
  if (r != F(0)) {
    if ((r < F(0)) != (b < F(0))) r += b;
  } else {
    r = copysign(F(0), b);
  }
  return r;
}

template <typename T>
__device__ inline T int_pow(T base, T exp) {
  if constexpr (is_signed_int<T>::value) {
    if (exp < 0) return base == 1 ? T(1) : base == -1 ? (exp % 2 ? T(-1) : T(1)) : T(0);
  }
  using U = typename conditional_unsigned<T>::type;
  U r = 1, b = static_cast<U>(base);
  // exp >= 0 here; as unsigned it loops at most bit-width times.
  using UE = typename conditional<sizeof(T) == 8, uint64_t, uint32_t>::type;
  UE e = static_cast<UE>(exp);
  if constexpr (sizeof(T) < 4) e &= (UE(1) << (8 * sizeof(T))) - 1;
  while (e) {
    if (e & 1) r = static_cast<U>(r * b);
    b = static_cast<U>(b * b);
    e >>= 1;
  }
  return static_cast<T>(r);
}

template <typename C>
__device__ inline bool is_nan_value(C v) {
  if constexpr (is_complex<C>::value) return isnan(v.re) || isnan(v.im);
  else if constexpr (is_float<C>::value) return isnan(v);
  else return false;
}

// One op on values of compute type C (float, double, complex64, an integer
// or bool); comparisons return bool, everything else C.
template <int OP, typename C>
__device__ inline auto apply(C a, C b) {
  using namespace binary;
  constexpr bool flt = is_float<C>::value, cpx = is_complex<C>::value,
                 integ = is_integral<C>::value;
  if constexpr (OP == Equal) {
    return a == b;
  } else if constexpr (OP == NotEqual) {
    return a != b;
  } else if constexpr (OP == NaNEqual) {
    return a == b || (is_nan_value(a) && is_nan_value(b));
  } else if constexpr (OP == Less) {
    return a < b;  // complex64's < is lexicographic, like the CPU's
  } else if constexpr (OP == LessEqual) {
    return a < b || a == b;
  } else if constexpr (OP == Greater) {
    return b < a;
  } else if constexpr (OP == GreaterEqual) {
    return b < a || a == b;
  } else if constexpr (OP == LogicalAnd) {
    return a != C(0) && b != C(0);
  } else if constexpr (OP == LogicalOr) {
    return a != C(0) || b != C(0);
  } else if constexpr (same<C, bool>::value) {
    if constexpr (OP == Power) return a || !b;
    else if constexpr (OP == Add || OP == Maximum || OP == BitwiseOr) return a || b;
    else if constexpr (OP == Multiply || OP == Minimum || OP == BitwiseAnd) return a && b;
    else if constexpr (OP == BitwiseXor || OP == Subtract) return a != b;
    else return a;
  } else if constexpr (cpx && (OP == FloorDivide || OP == Remainder || OP == LogAddExp ||
                               OP == ArcTan2)) {
    return a;  // ops reject complex inputs for these
  } else if constexpr (OP == Add || OP == Subtract || OP == Multiply) {
    if constexpr (integ) {
      using W = typename conditional_unsigned<C>::type;
      if constexpr (OP == Add) return C(W(a) + W(b));
      else if constexpr (OP == Subtract) return C(W(a) - W(b));
      else return C(W(a) * W(b));
    } else if constexpr (cpx) {
      if constexpr (OP == Add) return C(__fadd_rn(a.re, b.re), __fadd_rn(a.im, b.im));
      else if constexpr (OP == Subtract) return C(__fsub_rn(a.re, b.re), __fsub_rn(a.im, b.im));
      else return cmul(a, b);
    } else {
      if constexpr (OP == Add) return C(a + b);
      else if constexpr (OP == Subtract) return C(a - b);
      else return C(a * b);
    }
  } else if constexpr (OP == Divide) {
    if constexpr (integ) {
      if (b == 0) return C(0);
      if constexpr (is_signed_int<C>::value) {
        // INT_MIN / -1 wraps (as int8 does on the CPU) instead of faulting.
        if (b == C(-1)) return C(typename conditional_unsigned<C>::type(0) -
                                 typename conditional_unsigned<C>::type(a));
      }
      return C(a / b);
    } else if constexpr (cpx) {
      return cdiv(a, b);
    } else {
      return C(a / b);
    }
  } else if constexpr (OP == FloorDivide) {
    if constexpr (integ) {
      if (b == 0) return C(0);  // NumPy gives 0 (with a warning)
      if constexpr (is_signed_int<C>::value) {
        using W = typename conditional_unsigned<C>::type;
        if (b == C(-1)) return C(W(0) - W(a));
        C q = C(a / b);
        if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
        return q;
      } else {
        return C(a / b);
      }
    } else {
      return float_floor_divide(a, b);
    }
  } else if constexpr (OP == Remainder) {
    if constexpr (integ) {
      if (b == 0) return C(0);
      if constexpr (is_signed_int<C>::value) {
        if (b == C(-1)) return C(0);
        C r = C(a % b);
        if (r != 0 && ((r < 0) != (b < 0))) r = C(r + b);
        return r;
      } else {
        return C(a % b);
      }
    } else {
      return float_remainder(a, b);
    }
  } else if constexpr (OP == LogAddExp) {
    if constexpr (flt) {
      if (isnan(a) || isnan(b)) return C(a + b);
      C m = a < b ? b : a;
      if (isinf(m)) return m;
      return C(m + log1p(exp(-fabs(a - b))));
    } else {
      return a;
    }
  } else if constexpr (OP == ArcTan2) {
    if constexpr (flt) return C(atan2(a, b));
    else return a;
  } else if constexpr (OP == Power) {
    if constexpr (integ) return int_pow(a, b);
    else if constexpr (cpx) return cpow(a, b);
    else return C(pow(a, b));
  } else if constexpr (OP == Minimum || OP == Maximum) {
    if constexpr (flt) {
      if (isnan(a) || isnan(b)) return C(__longlong_as_double(0x7ff8000000000000ll));
    }
    if constexpr (OP == Minimum) return b < a ? b : a;
    else return a < b ? b : a;
  } else if constexpr (integ) {
    if constexpr (OP == BitwiseAnd) {
      return C(a & b);
    } else if constexpr (OP == BitwiseOr) {
      return C(a | b);
    } else if constexpr (OP == BitwiseXor) {
      return C(a ^ b);
    } else if constexpr (OP == LeftShift) {
      using U = typename conditional_unsigned<C>::type;
      if constexpr (is_signed_int<C>::value) {
        if (b < 0) return C(0);
      }
      if (b >= C(sizeof(C) * 8)) return C(0);
      return C(U(a) << b);
    } else if constexpr (OP == RightShift) {
      bool neg = false;
      if constexpr (is_signed_int<C>::value) {
        neg = a < 0;
        if (b < 0) return C(neg ? -1 : 0);
      }
      if (b >= C(sizeof(C) * 8)) return C(neg ? -1 : 0);
      return C(a >> b);
    } else {
      return a;
    }
  } else {
    return a;
  }
}

}  // namespace bin

// The functor of one (op, dtype): inputs T, output bool for comparisons and
// T otherwise; half types compute in float.
template <int OP, typename T>
struct BinaryFn {
  using Out = typename conditional<is_comparison_op<OP>::value, bool, T>::type;
  __device__ Out operator()(T a, T b) const {
    using C = compute_t<T>;
    return cast<Out>(bin::apply<OP, C>(cast<C>(a), cast<C>(b)));
  }
};

// where(c, a, b) over dense data; an input with *_scalar set is read at [0].
template <typename T, typename Idx>
__global__ void select_contig(const bool* __restrict__ c, const T* __restrict__ a,
                              const T* __restrict__ b, T* __restrict__ out, Idx n, int c_scalar,
                              int a_scalar, int b_scalar) {
  Idx step = Idx(gridDim.x) * blockDim.x;
  Idx cmask = c_scalar ? 0 : ~Idx(0), amask = a_scalar ? 0 : ~Idx(0),
      bmask = b_scalar ? 0 : ~Idx(0);
  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    out[i] = c[i & cmask] ? a[i & amask] : b[i & bmask];
  }
}

}  // namespace tandem
