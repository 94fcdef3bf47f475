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

// The functions the C++ library defines for complex values (std::complex).
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

// Scalar definition of each op on a real, integer or bool value
// (tandem/kernels/unary_ops.h, the GPU's definition too).
template <typename T>
T real_op(UnaryOp op, T x) {
  if constexpr (std::is_same_v<T, bool>) {
    return k::unary_bool(op, x);
  } else if constexpr (std::is_integral_v<T>) {
    return k::unary_int(op, x);
  } else {
    return k::unary_real(op, x);
  }
}

template <typename T>
bool predicate_op(UnaryOp op, T x) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    return k::unary_predicate_complex(op, x.real(), x.imag());
  } else if constexpr (std::is_floating_point_v<T> || is_half_v<T>) {
    return k::unary_predicate_real(
        op, static_cast<double>(static_cast<std::conditional_t<is_half_v<T>, float, T>>(x)));
  } else {
    return k::unary_predicate_int(op, x);
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

// The cheap ops with the op a compile-time constant: the switch in
// k::unary_real folds away and the loop vectorizes (a switch per element
// made abs or square 10x slower than a multiply).
// (flatten: GCC does not inline the large unary_real by itself.)
template <UnaryOp OP, typename T>
[[gnu::flatten]] void row_fixed(const T* in, int64_t is, T* out, int64_t os, int64_t n) {
  if (is == 1 && os == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = k::unary_real(OP, in[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i * os] = k::unary_real(OP, in[i * is]);
  }
}

// row_fixed for op if it is one of the cheap ops; false otherwise.
template <typename T>
bool row_cheap(UnaryOp op, const T* in, int64_t is, T* out, int64_t os, int64_t n) {
  switch (op) {
#define TANDEM_CHEAP_ROW(NAME)                    \
  case UnaryOp::NAME:                             \
    row_fixed<UnaryOp::NAME>(in, is, out, os, n); \
    return true;
    TANDEM_CHEAP_ROW(Abs)
    TANDEM_CHEAP_ROW(Sign)
    TANDEM_CHEAP_ROW(Negative)
    TANDEM_CHEAP_ROW(Square)
    TANDEM_CHEAP_ROW(Sqrt)
    TANDEM_CHEAP_ROW(Rsqrt)
    TANDEM_CHEAP_ROW(Reciprocal)
    TANDEM_CHEAP_ROW(Floor)
    TANDEM_CHEAP_ROW(Ceil)
    TANDEM_CHEAP_ROW(Trunc)
    TANDEM_CHEAP_ROW(Round)
    TANDEM_CHEAP_ROW(Conj)
    TANDEM_CHEAP_ROW(Real)
#undef TANDEM_CHEAP_ROW
    default:
      return false;
  }
}

// Applies op to n elements at in (stride is) into out (stride os).
// A strided row through the vector path in blocks (gathered, computed,
// scattered), so that a value rounds the same whatever its layout (the
// vector and scalar versions of log1p, say, differ in the last bit); false,
// having written nothing, where the vector path lacks op.
template <typename T>
bool strided_through_simd(UnaryOp op, const T* in, int64_t is, T* out, int64_t os, int64_t n) {
  T buf[256];
  for (int64_t i0 = 0; i0 < n; i0 += 256) {
    int64_t m = std::min<int64_t>(256, n - i0);
    for (int64_t i = 0; i < m; ++i) buf[i] = in[(i0 + i) * is];
    if (!simd::unary(op, buf, buf, m)) return false;  // only ever at the first block
    for (int64_t i = 0; i < m; ++i) out[(i0 + i) * os] = buf[i];
  }
  return true;
}

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
        if (!simd::unary(op, buf, buf, m) && !row_cheap(op, buf, 1, buf, 1, m)) {
          for (int64_t i = 0; i < m; ++i) buf[i] = real_op(op, buf[i]);
        }
        for (int64_t i = 0; i < m; ++i) out[(i0 + i) * os] = In(buf[i]);
      }
    } else if constexpr (std::is_floating_point_v<In>) {
      if (is == 1 && os == 1) {
        if (simd::unary(op, in, out, n)) return;
      } else if (strided_through_simd(op, in, is, out, os, n)) {
        return;
      }
      if (row_cheap(op, in, is, out, os, n)) return;
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
