#pragma once
// Data types: the 14 dtypes of the API, their sizes and categories, the
// storage types used by kernels, and MLX's type-promotion rules.
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>
#include <string>
#include <type_traits>

#include "tandem/kernels/cast.h"

namespace tandem {

// IEEE half precision, stored as bits; arithmetic happens in float.
struct float16_t {
  uint16_t bits = 0;
  float16_t() = default;
  float16_t(float f);  // NOLINT: implicit like a builtin float type
  float16_t(double d) : float16_t(static_cast<float>(d)) {}
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
  float16_t(T v) : float16_t(static_cast<float>(v)) {}
  operator float() const;  // NOLINT
  static float16_t from_bits(uint16_t b) {
    float16_t h;
    h.bits = b;
    return h;
  }
};

// bfloat16: the top half of a float32; conversions round to nearest even.
struct bfloat16_t {
  uint16_t bits = 0;
  bfloat16_t() = default;
  bfloat16_t(float f) {  // NOLINT
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
      bits = static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
    } else {
      u += 0x7fffu + ((u >> 16) & 1u);
      bits = static_cast<uint16_t>(u >> 16);
    }
  }
  bfloat16_t(double d) : bfloat16_t(static_cast<float>(d)) {}
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
  bfloat16_t(T v) : bfloat16_t(static_cast<float>(v)) {}
  operator float() const {  // NOLINT
    uint32_t u = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  static bfloat16_t from_bits(uint16_t b) {
    bfloat16_t h;
    h.bits = b;
    return h;
  }
};

using complex64_t = std::complex<float>;

struct Dtype {
  enum class Val : uint8_t {
    bool_,
    uint8,
    uint16,
    uint32,
    uint64,
    int8,
    int16,
    int32,
    int64,
    float16,
    float32,
    float64,
    bfloat16,
    complex64,
  };
  enum class Kind : uint8_t { b, u, i, f, V, c };  // bool, unsigned, signed, float, bfloat, complex
  static constexpr int num_types = 14;

  Val val;
  constexpr Dtype(Val v) : val(v) {}  // NOLINT
  constexpr Dtype() : val(Val::float32) {}
  // Bytes per element.
  constexpr size_t size() const {
    switch (val) {
      case Val::bool_:
      case Val::uint8:
      case Val::int8:
        return 1;
      case Val::uint16:
      case Val::int16:
      case Val::float16:
      case Val::bfloat16:
        return 2;
      case Val::uint32:
      case Val::int32:
      case Val::float32:
        return 4;
      default:
        return 8;
    }
  }
  constexpr bool operator==(const Dtype& o) const { return val == o.val; }
  constexpr bool operator!=(const Dtype& o) const { return val != o.val; }
  constexpr int index() const { return static_cast<int>(val); }
};

inline constexpr Dtype bool_{Dtype::Val::bool_};
inline constexpr Dtype uint8{Dtype::Val::uint8};
inline constexpr Dtype uint16{Dtype::Val::uint16};
inline constexpr Dtype uint32{Dtype::Val::uint32};
inline constexpr Dtype uint64{Dtype::Val::uint64};
inline constexpr Dtype int8{Dtype::Val::int8};
inline constexpr Dtype int16{Dtype::Val::int16};
inline constexpr Dtype int32{Dtype::Val::int32};
inline constexpr Dtype int64{Dtype::Val::int64};
inline constexpr Dtype float16{Dtype::Val::float16};
inline constexpr Dtype float32{Dtype::Val::float32};
inline constexpr Dtype float64{Dtype::Val::float64};
inline constexpr Dtype bfloat16{Dtype::Val::bfloat16};
inline constexpr Dtype complex64{Dtype::Val::complex64};

// All dtypes, in enum order (handy for tests that sweep dtypes).
inline constexpr Dtype all_dtypes[] = {bool_,   uint8,   uint16,   uint32,   uint64,
                                       int8,    int16,   int32,    int64,    float16,
                                       float32, float64, bfloat16, complex64};

enum class DtypeCategory {
  complexfloating,
  floating,
  inexact,
  signedinteger,
  unsignedinteger,
  integer,
  number,
  generic,
};

Dtype::Kind kind(Dtype t);
// Name as Python spells it ("float32", "bool").
const char* dtype_name(Dtype t);
std::ostream& operator<<(std::ostream& os, Dtype t);

bool is_floating_point(Dtype t);  // float16/32/64, bfloat16
bool is_complex(Dtype t);
bool is_inexact(Dtype t);   // floating or complex
bool is_integral(Dtype t);  // signed or unsigned integer, not bool
bool is_unsigned(Dtype t);
bool issubdtype(Dtype a, Dtype b);
bool issubdtype(Dtype a, DtypeCategory c);
bool issubdtype(DtypeCategory a, DtypeCategory b);

// The dtype of an op combining a and b, following MLX's promotion table.
Dtype promote_types(Dtype a, Dtype b);
// The float type an op like exp/sqrt/mean returns for an input of type t.
Dtype to_inexact(Dtype t);

// C++ storage type -> Dtype.
template <typename T>
struct dtype_of;
#define TANDEM_DTYPE_OF(T, D)         \
  template <>                         \
  struct dtype_of<T> {                \
    static constexpr Dtype value = D; \
  };
TANDEM_DTYPE_OF(bool, bool_)
TANDEM_DTYPE_OF(uint8_t, uint8)
TANDEM_DTYPE_OF(uint16_t, uint16)
TANDEM_DTYPE_OF(uint32_t, uint32)
TANDEM_DTYPE_OF(uint64_t, uint64)
TANDEM_DTYPE_OF(int8_t, int8)
TANDEM_DTYPE_OF(int16_t, int16)
TANDEM_DTYPE_OF(int32_t, int32)
TANDEM_DTYPE_OF(int64_t, int64)
TANDEM_DTYPE_OF(float16_t, float16)
TANDEM_DTYPE_OF(float, float32)
TANDEM_DTYPE_OF(double, float64)
TANDEM_DTYPE_OF(bfloat16_t, bfloat16)
TANDEM_DTYPE_OF(complex64_t, complex64)
#undef TANDEM_DTYPE_OF

template <typename T>
inline constexpr bool is_half_v = std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

// Converts one value between storage types, with NumPy's rules (complex to
// real keeps the real part; anything to bool is "!= 0").
template <typename D, typename S>
inline D convert_value(S v) {
  if constexpr (std::is_same_v<S, D>) {
    return v;
  } else if constexpr (std::is_same_v<D, complex64_t>) {
    return complex64_t(static_cast<float>(v), 0.f);
  } else if constexpr (std::is_same_v<S, complex64_t>) {
    if constexpr (std::is_same_v<D, bool>) {
      return v != complex64_t(0.f, 0.f);
    } else {
      return convert_value<D>(v.real());
    }
  } else if constexpr (is_half_v<S>) {
    return convert_value<D>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<D, bool>) {
    return v != S(0);
  } else if constexpr (is_half_v<D>) {
    return D(static_cast<float>(v));
  } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
    // NaN, infinities and out-of-range values as NumPy and MLX give them
    // (tandem/kernels/cast.h; the GPU converts alike).
    return k::float_to_int<D>(static_cast<double>(v));
  } else {
    return static_cast<D>(v);
  }
}

template <typename T>
struct TypeTag {
  using type = T;
};

// Calls f(TypeTag<T>{}) with T the storage type of dtype t.
template <typename F>
decltype(auto) dispatch_dtype(Dtype t, F&& f) {
  switch (t.val) {
    case Dtype::Val::bool_:
      return f(TypeTag<bool>{});
    case Dtype::Val::uint8:
      return f(TypeTag<uint8_t>{});
    case Dtype::Val::uint16:
      return f(TypeTag<uint16_t>{});
    case Dtype::Val::uint32:
      return f(TypeTag<uint32_t>{});
    case Dtype::Val::uint64:
      return f(TypeTag<uint64_t>{});
    case Dtype::Val::int8:
      return f(TypeTag<int8_t>{});
    case Dtype::Val::int16:
      return f(TypeTag<int16_t>{});
    case Dtype::Val::int32:
      return f(TypeTag<int32_t>{});
    case Dtype::Val::int64:
      return f(TypeTag<int64_t>{});
    case Dtype::Val::float16:
      return f(TypeTag<float16_t>{});
    case Dtype::Val::float32:
      return f(TypeTag<float>{});
    case Dtype::Val::float64:
      return f(TypeTag<double>{});
    case Dtype::Val::bfloat16:
      return f(TypeTag<bfloat16_t>{});
    default:
      return f(TypeTag<complex64_t>{});
  }
}

}  // namespace tandem
