#include "tandem/dtype.h"

#include <stdexcept>

namespace tandem {

float16_t::float16_t(float f) {
#ifdef __FLT16_MAX__
  _Float16 h = static_cast<_Float16>(f);
  std::memcpy(&bits, &h, 2);
#else
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exp = static_cast<int32_t>((x >> 23) & 0xff) - 127 + 15;
  uint32_t man = x & 0x7fffffu;
  if (((x >> 23) & 0xff) == 0xff) {
    bits = static_cast<uint16_t>(sign | 0x7c00u | (man ? 0x200u : 0));
    return;
  }
  if (exp >= 31) {
    bits = static_cast<uint16_t>(sign | 0x7c00u);
    return;
  }
  if (exp <= 0) {
    if (exp < -10) {
      bits = static_cast<uint16_t>(sign);
      return;
    }
    man |= 0x800000u;
    uint32_t shift = static_cast<uint32_t>(14 - exp);
    uint32_t half = man >> shift;
    uint32_t rem = man & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    bits = static_cast<uint16_t>(sign | half);
    return;
  }
  uint32_t half = (static_cast<uint32_t>(exp) << 10) | (man >> 13);
  uint32_t rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) ++half;
  bits = static_cast<uint16_t>(sign | half);
#endif
}

float16_t::operator float() const {
#ifdef __FLT16_MAX__
  _Float16 h;
  std::memcpy(&h, &bits, 2);
  return static_cast<float>(h);
#else
  uint32_t sign = (bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1f;
  uint32_t man = bits & 0x3ffu;
  uint32_t x;
  if (exp == 0x1f) {
    x = sign | 0x7f800000u | (man << 13);
  } else if (exp == 0) {
    if (man == 0) {
      x = sign;
    } else {
      int e = -1;
      do {
        ++e;
        man <<= 1;
      } while (!(man & 0x400u));
      x = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | ((man & 0x3ffu) << 13);
    }
  } else {
    x = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
#endif
}

Dtype::Kind kind(Dtype t) {
  switch (t.val) {
    case Dtype::Val::bool_:
      return Dtype::Kind::b;
    case Dtype::Val::uint8:
    case Dtype::Val::uint16:
    case Dtype::Val::uint32:
    case Dtype::Val::uint64:
      return Dtype::Kind::u;
    case Dtype::Val::int8:
    case Dtype::Val::int16:
    case Dtype::Val::int32:
    case Dtype::Val::int64:
      return Dtype::Kind::i;
    case Dtype::Val::float16:
    case Dtype::Val::float32:
    case Dtype::Val::float64:
      return Dtype::Kind::f;
    case Dtype::Val::bfloat16:
      return Dtype::Kind::V;
    default:
      return Dtype::Kind::c;
  }
}

const char* dtype_name(Dtype t) {
  static const char* names[] = {"bool",    "uint8",   "uint16",   "uint32",   "uint64",
                                "int8",    "int16",   "int32",    "int64",    "float16",
                                "float32", "float64", "bfloat16", "complex64"};
  return names[t.index()];
}

std::ostream& operator<<(std::ostream& os, Dtype t) {
  return os << dtype_name(t);
}

bool is_floating_point(Dtype t) {
  auto k = kind(t);
  return k == Dtype::Kind::f || k == Dtype::Kind::V;
}
bool is_complex(Dtype t) {
  return kind(t) == Dtype::Kind::c;
}
bool is_inexact(Dtype t) {
  return is_floating_point(t) || is_complex(t);
}
bool is_integral(Dtype t) {
  auto k = kind(t);
  return k == Dtype::Kind::u || k == Dtype::Kind::i;
}
bool is_unsigned(Dtype t) {
  return kind(t) == Dtype::Kind::u;
}

bool issubdtype(Dtype a, Dtype b) {
  return a == b;
}

bool issubdtype(Dtype a, DtypeCategory c) {
  switch (c) {
    case DtypeCategory::complexfloating:
      return is_complex(a);
    case DtypeCategory::floating:
      return is_floating_point(a);
    case DtypeCategory::inexact:
      return is_inexact(a);
    case DtypeCategory::signedinteger:
      return kind(a) == Dtype::Kind::i;
    case DtypeCategory::unsignedinteger:
      return kind(a) == Dtype::Kind::u;
    case DtypeCategory::integer:
      return is_integral(a);
    case DtypeCategory::number:
      return a != bool_;
    case DtypeCategory::generic:
      return true;
  }
  return false;
}

bool issubdtype(DtypeCategory a, DtypeCategory b) {
  if (a == b || b == DtypeCategory::generic) return true;
  switch (b) {
    case DtypeCategory::inexact:
      return a == DtypeCategory::floating || a == DtypeCategory::complexfloating;
    case DtypeCategory::integer:
      return a == DtypeCategory::signedinteger || a == DtypeCategory::unsignedinteger;
    case DtypeCategory::number:
      return a != DtypeCategory::generic;
    default:
      return false;
  }
}

namespace {
// MLX's promotion table (same facts as numpy's for the integer lattice, but
// integer x float gives the float type and uint64 x signed gives float32).
constexpr Dtype::Val B = Dtype::Val::bool_, U8 = Dtype::Val::uint8, U16 = Dtype::Val::uint16,
                     U32 = Dtype::Val::uint32, U64 = Dtype::Val::uint64, I8 = Dtype::Val::int8,
                     I16 = Dtype::Val::int16, I32 = Dtype::Val::int32, I64 = Dtype::Val::int64,
                     F16 = Dtype::Val::float16, F32 = Dtype::Val::float32,
                     F64 = Dtype::Val::float64, BF = Dtype::Val::bfloat16,
                     C64 = Dtype::Val::complex64;
constexpr Dtype::Val table[14][14] = {
    // b    u8   u16  u32  u64  i8   i16  i32  i64  f16  f32  f64  bf16 c64
    {B, U8, U16, U32, U64, I8, I16, I32, I64, F16, F32, F64, BF, C64},       // b
    {U8, U8, U16, U32, U64, I16, I16, I32, I64, F16, F32, F64, BF, C64},     // u8
    {U16, U16, U16, U32, U64, I32, I32, I32, I64, F16, F32, F64, BF, C64},   // u16
    {U32, U32, U32, U32, U64, I64, I64, I64, I64, F16, F32, F64, BF, C64},   // u32
    {U64, U64, U64, U64, U64, F32, F32, F32, F32, F16, F32, F64, BF, C64},   // u64
    {I8, I16, I32, I64, F32, I8, I16, I32, I64, F16, F32, F64, BF, C64},     // i8
    {I16, I16, I32, I64, F32, I16, I16, I32, I64, F16, F32, F64, BF, C64},   // i16
    {I32, I32, I32, I64, F32, I32, I32, I32, I64, F16, F32, F64, BF, C64},   // i32
    {I64, I64, I64, I64, F32, I64, I64, I64, I64, F16, F32, F64, BF, C64},   // i64
    {F16, F16, F16, F16, F16, F16, F16, F16, F16, F16, F32, F64, F32, C64},  // f16
    {F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F64, F32, C64},  // f32
    {F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, C64},  // f64
    {BF, BF, BF, BF, BF, BF, BF, BF, BF, F32, F32, F64, BF, C64},            // bf16
    {C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64},  // c64
};
}  // namespace

Dtype promote_types(Dtype a, Dtype b) {
  return Dtype(table[a.index()][b.index()]);
}

Dtype to_inexact(Dtype t) {
  return is_inexact(t) ? t : float32;
}

}  // namespace tandem
