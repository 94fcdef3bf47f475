#pragma once
// Type traits for the host-and-device layer (NVRTC has no <type_traits>).
// Only the builtin arithmetic types: each backend's half and complex
// storage types convert to float or its own complex type before the scalar
// functions of tandem/kernels/ see them.
#include "tandem/kernels/defines.h"

namespace tandem::k {

template <typename A, typename B>
struct same {
  static constexpr bool value = false;
};
template <typename A>
struct same<A, A> {
  static constexpr bool value = true;
};

template <bool B, typename T, typename F>
struct conditional {
  using type = T;
};
template <typename T, typename F>
struct conditional<false, T, F> {
  using type = F;
};

template <typename T>
struct is_float {
  static constexpr bool value = false;
};
template <>
struct is_float<float> {
  static constexpr bool value = true;
};
template <>
struct is_float<double> {
  static constexpr bool value = true;
};

template <typename T>
struct is_signed_int {
  static constexpr bool value = false;
};
template <>
struct is_signed_int<signed char> {
  static constexpr bool value = true;
};
template <>
struct is_signed_int<short> {
  static constexpr bool value = true;
};
template <>
struct is_signed_int<int> {
  static constexpr bool value = true;
};
template <>
struct is_signed_int<long> {
  static constexpr bool value = true;
};
template <>
struct is_signed_int<long long> {
  static constexpr bool value = true;
};
template <typename T>
struct is_unsigned_int {
  static constexpr bool value = false;
};
template <>
struct is_unsigned_int<unsigned char> {
  static constexpr bool value = true;
};
template <>
struct is_unsigned_int<unsigned short> {
  static constexpr bool value = true;
};
template <>
struct is_unsigned_int<unsigned int> {
  static constexpr bool value = true;
};
template <>
struct is_unsigned_int<unsigned long> {
  static constexpr bool value = true;
};
template <>
struct is_unsigned_int<unsigned long long> {
  static constexpr bool value = true;
};
template <typename T>
struct is_integral {
  static constexpr bool value = is_signed_int<T>::value || is_unsigned_int<T>::value;
};

// The unsigned type that integer arithmetic on T wraps in: at least 32 bits,
// so that small types do not promote to a signed int (and overflow).
template <typename T>
using wrap_t = typename conditional<(sizeof(T) > 4), uint64_t, uint32_t>::type;

// The unsigned integer type of T's size.
template <typename T>
using uint_of =
    typename conditional<sizeof(T) == 1, uint8_t,
                         typename conditional<sizeof(T) == 2, uint16_t,
                                              typename conditional<sizeof(T) == 4, uint32_t,
                                                                   uint64_t>::type>::type>::type;

}  // namespace tandem::k
