#pragma once
// The Binary primitive's ops and their scalar arithmetic, shared by the CPU
// kernels and the CUDA device code. Complex arithmetic comes from the
// backend through a policy type Cx (add, sub, mul, div, pow, lt, isnan of
// its complex type Cx::type): the CPU's is std::complex's, the GPU's
// reimplements it bit for bit on finite values.
#include "tandem/kernels/traits.h"

namespace tandem {

// Every binary op, in enum order. NaNEqual is equal with NaN == NaN
// (array_equal(equal_nan=True)).
// clang-format off
#define TANDEM_BINARY_OPS(X) \
  X(Add) X(Subtract) X(Multiply) X(Divide) X(FloorDivide) X(Remainder) X(Equal) X(NotEqual) \
  X(Less) X(LessEqual) X(Greater) X(GreaterEqual) X(LogicalAnd) X(LogicalOr) X(LogAddExp) \
  X(ArcTan2) X(Power) X(Minimum) X(Maximum) X(BitwiseAnd) X(BitwiseOr) X(BitwiseXor) \
  X(LeftShift) X(RightShift) X(NaNEqual)
// clang-format on

enum class BinaryOp : int { TANDEM_BINARY_OPS(TANDEM_ENUM_ENTRY) };

// Whether op yields bool whatever its inputs.
TANDEM_HD constexpr bool is_comparison(BinaryOp op) {
  return op == BinaryOp::Equal || op == BinaryOp::NotEqual || op == BinaryOp::Less ||
         op == BinaryOp::LessEqual || op == BinaryOp::Greater || op == BinaryOp::GreaterEqual ||
         op == BinaryOp::LogicalAnd || op == BinaryOp::LogicalOr || op == BinaryOp::NaNEqual;
}

namespace k {

// Python's a // b for floats: the floor of the exact quotient, found from the
// exact remainder fmod(a, b) so that a == b * (a // b) + a % b holds; division
// by zero gives a / b (+-inf or NaN), an infinite a gives NaN.
template <typename F>
TANDEM_HD F float_floor_divide(F a, F b) {
  using namespace math;
  if (b == F(0)) return a / b;
  F mod = fmod(a, b);
  F div = (a - mod) / b;  // (almost) an integer
  if (mod != F(0) && ((b < F(0)) != (mod < F(0)))) div -= F(1);
  if (div == F(0)) return copysign(F(0), a / b);
  F fl = floor(div);
  if (div - fl > F(0.5)) fl += F(1);
  return fl;
}

// Python's a % b for floats: the sign of b; a zero result is +-0 like b.
template <typename F>
TANDEM_HD F float_remainder(F a, F b) {
  using namespace math;
  F r = fmod(a, b);
  if (r != F(0)) {
    if ((r < F(0)) != (b < F(0))) r += b;
  } else {
    r = copysign(F(0), b);
  }
  return r;
}

// base ** exp for integers, wrapping; negative exponents give 0 except for
// bases 1 and -1.
template <typename T>
TANDEM_HD T int_pow(T base, T exp) {
  if constexpr (is_signed_int<T>::value) {
    if (exp < 0) return base == 1 ? T(1) : base == -1 ? (exp % 2 ? T(-1) : T(1)) : T(0);
  }
  using U = wrap_t<T>;
  U r = 1, b = static_cast<U>(base);
  uint_of<T> e = static_cast<uint_of<T>>(exp);  // >= 0 here
  while (e) {
    if (e & 1) r = static_cast<U>(r * b);
    b = static_cast<U>(b * b);
    e = static_cast<uint_of<T>>(e >> 1);
  }
  return static_cast<T>(r);
}

// One op on values of compute type C (float, double, an integer, bool or
// Cx::type); comparisons return bool, everything else C.
template <BinaryOp OP, typename C, typename Cx>
TANDEM_HD auto binary_apply(C a, C b) {
  using namespace math;
  using Op = BinaryOp;
  constexpr bool flt = is_float<C>::value, cpx = same<C, typename Cx::type>::value,
                 integ = is_integral<C>::value;
  if constexpr (OP == Op::Equal) {
    return a == b;
  } else if constexpr (OP == Op::NotEqual) {
    return a != b;
  } else if constexpr (OP == Op::NaNEqual) {
    if constexpr (cpx)
      return a == b || (Cx::isnan(a) && Cx::isnan(b));
    else if constexpr (flt)
      return a == b || (isnan(a) && isnan(b));
    else
      return a == b;
  } else if constexpr (OP == Op::Less || OP == Op::LessEqual || OP == Op::Greater ||
                       OP == Op::GreaterEqual) {
    // Complex values order lexicographically, like NumPy.
    bool lt, gt;
    if constexpr (cpx) {
      lt = Cx::lt(a, b);
      gt = Cx::lt(b, a);
    } else {
      lt = a < b;
      gt = b < a;
    }
    if constexpr (OP == Op::Less)
      return lt;
    else if constexpr (OP == Op::LessEqual)
      return lt || a == b;
    else if constexpr (OP == Op::Greater)
      return gt;
    else
      return gt || a == b;
  } else if constexpr (OP == Op::LogicalAnd) {
    return a != C(0) && b != C(0);
  } else if constexpr (OP == Op::LogicalOr) {
    return a != C(0) || b != C(0);
  } else if constexpr (same<C, bool>::value) {
    if constexpr (OP == Op::Power)
      return a || !b;
    else if constexpr (OP == Op::Add || OP == Op::Maximum || OP == Op::BitwiseOr)
      return a || b;
    else if constexpr (OP == Op::Multiply || OP == Op::Minimum || OP == Op::BitwiseAnd)
      return a && b;
    else if constexpr (OP == Op::BitwiseXor || OP == Op::Subtract)
      return a != b;
    else
      return a;
  } else if constexpr (cpx) {
    if constexpr (OP == Op::Add)
      return Cx::add(a, b);
    else if constexpr (OP == Op::Subtract)
      return Cx::sub(a, b);
    else if constexpr (OP == Op::Multiply)
      return Cx::mul(a, b);
    else if constexpr (OP == Op::Divide)
      return Cx::div(a, b);
    else if constexpr (OP == Op::Power)
      return Cx::pow(a, b);
    else if constexpr (OP == Op::Minimum)
      return Cx::lt(b, a) ? b : a;
    else if constexpr (OP == Op::Maximum)
      return Cx::lt(a, b) ? b : a;
    else
      return a;  // ops reject complex inputs for the rest
  } else if constexpr (OP == Op::Add || OP == Op::Subtract || OP == Op::Multiply) {
    if constexpr (integ) {
      // Wraps modulo 2^bits (NumPy and MLX semantics) without signed overflow.
      using W = wrap_t<C>;
      if constexpr (OP == Op::Add)
        return C(W(a) + W(b));
      else if constexpr (OP == Op::Subtract)
        return C(W(a) - W(b));
      else
        return C(W(a) * W(b));
    } else {
      if constexpr (OP == Op::Add)
        return C(a + b);
      else if constexpr (OP == Op::Subtract)
        return C(a - b);
      else
        return C(a * b);
    }
  } else if constexpr (OP == Op::Divide) {
    if constexpr (integ) {
      if (b == 0) return C(0);
      if constexpr (is_signed_int<C>::value) {
        // INT_MIN / -1 wraps instead of faulting.
        if (b == C(-1)) return C(wrap_t<C>(0) - wrap_t<C>(a));
      }
      return C(a / b);
    } else {
      return C(a / b);
    }
  } else if constexpr (OP == Op::FloorDivide) {
    if constexpr (integ) {
      if (b == 0) return C(0);  // NumPy gives 0 (with a warning)
      if constexpr (is_signed_int<C>::value) {
        if (b == C(-1)) return C(wrap_t<C>(0) - wrap_t<C>(a));
        C q = C(a / b);
        if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
        return q;
      } else {
        return C(a / b);
      }
    } else {
      return float_floor_divide(a, b);
    }
  } else if constexpr (OP == Op::Remainder) {
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
  } else if constexpr (OP == Op::LogAddExp) {
    if constexpr (flt) {
      if (isnan(a) || isnan(b)) return C(a + b);
      C m = a < b ? b : a;
      if (isinf(m)) return m;
      return C(m + log1p(exp(-fabs(a - b))));
    } else {
      return a;
    }
  } else if constexpr (OP == Op::ArcTan2) {
    if constexpr (flt)
      return C(atan2(a, b));
    else
      return a;
  } else if constexpr (OP == Op::Power) {
    if constexpr (integ)
      return int_pow(a, b);
    else
      return C(pow(a, b));
  } else if constexpr (OP == Op::Minimum || OP == Op::Maximum) {
    if constexpr (flt) {
      if (isnan(a) || isnan(b)) return C(f64_from_bits(0x7ff8000000000000ull));
    }
    if constexpr (OP == Op::Minimum)
      return b < a ? b : a;
    else
      return a < b ? b : a;
  } else if constexpr (integ) {
    if constexpr (OP == Op::BitwiseAnd) {
      return C(a & b);
    } else if constexpr (OP == Op::BitwiseOr) {
      return C(a | b);
    } else if constexpr (OP == Op::BitwiseXor) {
      return C(a ^ b);
    } else if constexpr (OP == Op::LeftShift) {
      if constexpr (is_signed_int<C>::value) {
        if (b < 0) return C(0);
      }
      if (b >= C(sizeof(C) * 8)) return C(0);
      return C(wrap_t<C>(a) << b);
    } else if constexpr (OP == Op::RightShift) {
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

}  // namespace k
}  // namespace tandem
