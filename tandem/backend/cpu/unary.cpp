// CPU kernels of the Unary primitive.
#include "tandem/primitives/unary.h"

#include <cmath>
#include <limits>

#include "tandem/backend/cpu/elementwise.h"
#include "tandem/backend/cpu/elementwise_rows.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/simd_math.h"
#include "tandem/layout.h"

namespace tandem {
namespace cpu {
namespace {

// erfinv by Giles' approximation, evaluated in double: within 2e-7 relative
// (about 1.5 float32 ULP) as is, so float types stop there; float64 refines it
// with two Newton steps on erf to double precision.
double erfinv_scalar(double y, int newton_steps) {
  if (std::isnan(y) || y < -1 || y > 1) return std::numeric_limits<double>::quiet_NaN();
  if (y == 1) return std::numeric_limits<double>::infinity();
  if (y == -1) return -std::numeric_limits<double>::infinity();
  double w = -std::log((1.0 - y) * (1.0 + y));
  double x;
  if (w < 5.0) {
    w -= 2.5;
    double p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
    x = p * y;
  } else {
    w = std::sqrt(w) - 3.0;
    double p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
    x = p * y;
  }
  const double two_over_sqrt_pi = 1.1283791670955126;
  for (int i = 0; i < newton_steps; ++i) {
    double err = std::erf(x) - y;
    x -= err / (two_over_sqrt_pi * std::exp(-x * x));
  }
  return x;
}

// The functions the C++ library defines alike for real and complex values.
// Returns false for other ops.
template <typename V>
bool std_math(UnaryOp op, V x, V& out) {
  switch (op) {
    case UnaryOp::Exp:
      out = std::exp(x);
      return true;
    case UnaryOp::Sqrt:
      out = std::sqrt(x);
      return true;
    case UnaryOp::Sin:
      out = std::sin(x);
      return true;
    case UnaryOp::Cos:
      out = std::cos(x);
      return true;
    case UnaryOp::Tan:
      out = std::tan(x);
      return true;
    case UnaryOp::ArcSin:
      out = std::asin(x);
      return true;
    case UnaryOp::ArcCos:
      out = std::acos(x);
      return true;
    case UnaryOp::ArcTan:
      out = std::atan(x);
      return true;
    case UnaryOp::Sinh:
      out = std::sinh(x);
      return true;
    case UnaryOp::Cosh:
      out = std::cosh(x);
      return true;
    case UnaryOp::Tanh:
      out = std::tanh(x);
      return true;
    case UnaryOp::ArcSinh:
      out = std::asinh(x);
      return true;
    case UnaryOp::ArcCosh:
      out = std::acosh(x);
      return true;
    case UnaryOp::ArcTanh:
      out = std::atanh(x);
      return true;
    case UnaryOp::Log:
      out = std::log(x);
      return true;
    case UnaryOp::Log10:
      out = std::log10(x);
      return true;
    default:
      return false;
  }
}

// Scalar definition of each op on a real (or integer) value.
template <typename T>
T real_op(UnaryOp op, T x) {
  if constexpr (std::is_same_v<T, bool>) {
    switch (op) {
      case UnaryOp::Abs:
      case UnaryOp::Sign:
      case UnaryOp::Square:
      case UnaryOp::Floor:
      case UnaryOp::Ceil:
      case UnaryOp::Trunc:
      case UnaryOp::Round:
      case UnaryOp::Conj:
      case UnaryOp::Real:
        return x;
      case UnaryOp::LogicalNot:
      case UnaryOp::BitwiseInvert:
        return !x;
      case UnaryOp::Imag:
        return false;
      default:
        return x;
    }
  } else if constexpr (std::is_integral_v<T>) {
    // Negation and squares wrap modulo 2^bits (abs(INT_MIN) == INT_MIN, as in
    // NumPy and MLX), computed unsigned (at least int wide) to avoid overflow UB.
    using W = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
    switch (op) {
      case UnaryOp::Abs:
        if constexpr (std::is_signed_v<T>) return x < 0 ? T(W(0) - W(x)) : x;
        return x;
      case UnaryOp::Sign:
        if constexpr (std::is_signed_v<T>) return T((x > 0) - (x < 0));
        return T(x > 0);
      case UnaryOp::Negative:
        return T(W(0) - W(x));
      case UnaryOp::Square:
        return T(W(x) * W(x));
      case UnaryOp::BitwiseInvert:
        return T(~x);
      case UnaryOp::Imag:
        return T(0);
      default:
        return x;  // floor/ceil/trunc/round/conj/real are the identity
    }
  } else {
    using F = T;  // float or double
    F r;
    if (std_math(op, x, r)) return r;
    switch (op) {
      case UnaryOp::Abs:
        return std::fabs(x);
      case UnaryOp::Sign:
        return std::isnan(x) ? x : F((x > 0) - (x < 0));
      case UnaryOp::Negative:
        return -x;
      case UnaryOp::Square:
        return x * x;
      case UnaryOp::Rsqrt:
        return F(1) / std::sqrt(x);
      case UnaryOp::Reciprocal:
        return F(1) / x;
      case UnaryOp::Expm1:
        return std::expm1(x);
      case UnaryOp::Erf:
        return std::erf(x);
      case UnaryOp::ErfInv:
        return F(erfinv_scalar(x, sizeof(F) == 8 ? 2 : 0));
      case UnaryOp::Log2:
        return std::log2(x);
      case UnaryOp::Log1p:
        return std::log1p(x);
      case UnaryOp::Sigmoid:
        return F(1) / (F(1) + std::exp(-x));
      case UnaryOp::Floor:
        return std::floor(x);
      case UnaryOp::Ceil:
        return std::ceil(x);
      case UnaryOp::Trunc:
        return std::trunc(x);
      case UnaryOp::Round:
        return std::nearbyint(x);  // default rounding mode: half to even
      case UnaryOp::Conj:
      case UnaryOp::Real:
        return x;
      case UnaryOp::Imag:
        return F(0);
      default:
        return x;
    }
  }
}

template <typename T>
bool predicate_op(UnaryOp op, T x) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    float re = x.real(), im = x.imag();
    switch (op) {
      case UnaryOp::IsNan:
        return std::isnan(re) || std::isnan(im);
      case UnaryOp::IsInf:
        return std::isinf(re) || std::isinf(im);
      case UnaryOp::IsFinite:
        return std::isfinite(re) && std::isfinite(im);
      case UnaryOp::IsPosInf:
        return std::isinf(re) && re > 0;
      case UnaryOp::IsNegInf:
        return std::isinf(re) && re < 0;
      case UnaryOp::LogicalNot:
        return re == 0 && im == 0;
      default:
        return false;
    }
  } else if constexpr (std::is_floating_point_v<T> || is_half_v<T>) {
    double v = static_cast<double>(static_cast<std::conditional_t<is_half_v<T>, float, T>>(x));
    switch (op) {
      case UnaryOp::IsNan:
        return std::isnan(v);
      case UnaryOp::IsInf:
        return std::isinf(v);
      case UnaryOp::IsFinite:
        return std::isfinite(v);
      case UnaryOp::IsPosInf:
        return std::isinf(v) && v > 0;
      case UnaryOp::IsNegInf:
        return std::isinf(v) && v < 0;
      case UnaryOp::LogicalNot:
        return v == 0;
      default:
        return false;
    }
  } else {
    switch (op) {
      case UnaryOp::IsFinite:
        return true;
      case UnaryOp::LogicalNot:
        return x == T(0);
      default:
        return false;  // integers are never nan or inf
    }
  }
}

complex64_t complex_op(UnaryOp op, complex64_t x) {
  complex64_t r;
  if (std_math(op, x, r)) return r;
  switch (op) {
    case UnaryOp::Negative:
      return -x;
    case UnaryOp::Square:
      return x * x;
    case UnaryOp::Rsqrt:
      return complex64_t(1.f) / std::sqrt(x);
    case UnaryOp::Reciprocal:
      return complex64_t(1.f) / x;
    case UnaryOp::Expm1:
      return std::exp(x) - complex64_t(1.f);
    case UnaryOp::Log2:
      return std::log(x) / std::log(2.f);
    case UnaryOp::Log1p:
      return std::log(complex64_t(1.f) + x);
    case UnaryOp::Sigmoid:
      return complex64_t(1.f) / (complex64_t(1.f) + std::exp(-x));
    case UnaryOp::Sign: {
      float m = std::abs(x);
      return m == 0 ? complex64_t(0.f) : x / m;
    }
    case UnaryOp::Conj:
      return std::conj(x);
    case UnaryOp::Round:
      return complex64_t(std::nearbyint(x.real()), std::nearbyint(x.imag()));
    default:
      return x;
  }
}

// Applies op to n elements at in (stride is) into out (stride os).
template <typename In, typename Out>
void unary_row(UnaryOp op, const In* in, int64_t is, Out* out, int64_t os, int64_t n) {
  if constexpr (std::is_same_v<Out, bool> && !std::is_same_v<In, bool>) {
    for (int64_t i = 0; i < n; ++i) out[i * os] = predicate_op(op, in[i * is]);
  } else if constexpr (std::is_same_v<In, complex64_t> && std::is_same_v<Out, float>) {
    // Abs, Real, Imag of complex.
    for (int64_t i = 0; i < n; ++i) {
      auto v = in[i * is];
      out[i * os] = op == UnaryOp::Abs ? std::abs(v) : op == UnaryOp::Real ? v.real() : v.imag();
    }
  } else if constexpr (std::is_same_v<In, bool> && std::is_same_v<Out, bool>) {
    if (is_predicate(op)) {
      for (int64_t i = 0; i < n; ++i) out[i * os] = predicate_op(op, in[i * is]);
    } else {
      for (int64_t i = 0; i < n; ++i) out[i * os] = real_op(op, in[i * is]);
    }
  } else if constexpr (std::is_same_v<In, Out>) {
    if constexpr (std::is_same_v<In, complex64_t>) {
      for (int64_t i = 0; i < n; ++i) out[i * os] = complex_op(op, in[i * is]);
    } else if constexpr (is_half_v<In>) {
      // Through float32 in blocks, so the vector paths serve halves too.
      float buf[256];
      for (int64_t i0 = 0; i0 < n; i0 += 256) {
        int64_t m = std::min<int64_t>(256, n - i0);
        for (int64_t i = 0; i < m; ++i) buf[i] = static_cast<float>(in[(i0 + i) * is]);
        if (!simd::unary(op, buf, buf, m)) {
          for (int64_t i = 0; i < m; ++i) buf[i] = real_op(op, buf[i]);
        }
        for (int64_t i = 0; i < m; ++i) out[(i0 + i) * os] = In(buf[i]);
      }
    } else if constexpr (std::is_floating_point_v<In>) {
      if (is == 1 && os == 1 && simd::unary(op, in, out, n)) return;
      for (int64_t i = 0; i < n; ++i) out[i * os] = real_op(op, in[i * is]);
    } else {
      for (int64_t i = 0; i < n; ++i) out[i * os] = real_op(op, in[i * is]);
    }
  }
}

// out = op(in) over n elements of one flat layout.
template <typename In, typename Out>
void unary_flat(UnaryOp op, const In* src, Out* dst, size_t n) {
  parallel_for(n, kParallelGrain, [&](size_t b, size_t e) {
    unary_row(op, src + b, 1, dst + b, 1, static_cast<int64_t>(e - b));
  });
}

template <typename In, typename Out>
void unary_kernel(UnaryOp op, const Ref& in, const Ref& out) {
  const In* src = in.data<In>();
  Out* dst = out.data<Out>();
  if (same_layout(in, out)) {
    size_t n = out.data_size;
    if (in.size == 1 && out.size == 1) n = 1;
    unary_flat(op, src, dst, n);
    return;
  }
  for_each_row<1>({&in}, out,
                  [&](int64_t o, const std::array<int64_t, 1>& io, const std::array<int64_t, 1>& is,
                      int64_t n) { unary_row(op, src + io[0], is[0], dst + o, 1, n); });
}

// Calls f(TypeTag<In>{}, TypeTag<Out>{}) with the element types a Unary node
// reading dtype in and writing dtype out computes in: the predicates write
// bool, Abs/Real/Imag of complex write float32, the rest keep the type.
template <typename F>
void dispatch_unary_types(Dtype in, Dtype out, F&& f) {
  dispatch_dtype(in, [&](auto it) {
    using In = typename decltype(it)::type;
    if (out == bool_) {
      f(it, TypeTag<bool>{});
    } else if constexpr (std::is_same_v<In, complex64_t>) {
      if (out == float32) {
        f(it, TypeTag<float>{});
      } else {
        f(it, it);
      }
    } else {
      f(it, it);
    }
  });
}

template <typename In, typename Out>
void unary_row_erased(UnaryOp op, const void* in, int64_t is, void* out, int64_t n) {
  unary_row(op, static_cast<const In*>(in), is, static_cast<Out*>(out), 1, n);
}

}  // namespace

UnaryRowFn unary_row_fn(Dtype in, Dtype out) {
  UnaryRowFn fn = nullptr;
  dispatch_unary_types(in, out, [&](auto i, auto o) {
    fn = &unary_row_erased<typename decltype(i)::type, typename decltype(o)::type>;
  });
  return fn;
}

}  // namespace cpu

void Unary::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (in.dtype() == out.dtype()) {
    cpu::set_elementwise_output(inputs, out);
  } else {
    cpu::allocate_row_contiguous(out);
  }
  if (out.size() == 0) return;
  if (in.dtype() == out.dtype() && same_flat_layout(in, out)) {
    // The common case (unary_kernel's flat path): a compact task of pointers.
    size_t n = in.size() == 1 && out.size() == 1 ? 1 : out.data_size();
    const char* src = static_cast<const char*>(in.buffer()->host) + in.offset();
    char* dst = static_cast<char*>(out.buffer()->host) + out.offset();
    cpu::dispatch([op = op_, t = in.dtype(), n, src, dst, hi = cpu::Hold(in), ho = cpu::Hold(out)] {
      dispatch_dtype(t, [&](auto tag) {
        using T = typename decltype(tag)::type;
        cpu::unary_flat(op, reinterpret_cast<const T*>(src), reinterpret_cast<T*>(dst), n);
      });
    });
    return;
  }
  cpu::dispatch([op = op_, in = cpu::Ref(in), out = cpu::Ref(out)] {
    cpu::dispatch_unary_types(in.dtype, out.dtype, [&](auto i, auto o) {
      cpu::unary_kernel<typename decltype(i)::type, typename decltype(o)::type>(op, in, out);
    });
  });
}

}  // namespace tandem
