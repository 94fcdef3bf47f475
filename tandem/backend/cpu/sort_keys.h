#pragma once
// Sorting and selecting the values of one line as unsigned integer keys.
// Every real dtype maps bijectively onto an unsigned type whose integer order
// is the value order (floats: -0.0 before +0.0; NaNs are set aside first by
// the caller), so one vectorised sort (Highway's vqsort) and one radix
// selection serve them all, and mapping back restores the exact bits.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "tandem/dtype.h"

namespace tandem::cpu::keys {

// The key type of T: an unsigned type of T's size (void: no key, complex).
template <typename T>
struct key_of {
  using type = void;
};
#define TANDEM_KEY_OF(T, U) \
  template <>               \
  struct key_of<T> {        \
    using type = U;         \
  };
TANDEM_KEY_OF(bool, uint8_t)
TANDEM_KEY_OF(uint8_t, uint8_t)
TANDEM_KEY_OF(int8_t, uint8_t)
TANDEM_KEY_OF(uint16_t, uint16_t)
TANDEM_KEY_OF(int16_t, uint16_t)
TANDEM_KEY_OF(float16_t, uint16_t)
TANDEM_KEY_OF(bfloat16_t, uint16_t)
TANDEM_KEY_OF(uint32_t, uint32_t)
TANDEM_KEY_OF(int32_t, uint32_t)
TANDEM_KEY_OF(float, uint32_t)
TANDEM_KEY_OF(uint64_t, uint64_t)
TANDEM_KEY_OF(int64_t, uint64_t)
TANDEM_KEY_OF(double, uint64_t)
#undef TANDEM_KEY_OF
template <typename T>
using key_t = typename key_of<T>::type;

template <typename T>
inline constexpr bool float_bits_v =
    std::is_floating_point_v<T> || std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

// Maps the bits u of a T to its key (encode) or back (decode). Signed
// integers flip the sign bit; floats flip every bit of negatives and the sign
// bit of the rest (sign-magnitude to offset order).
template <typename T, bool Encode>
inline key_t<T> map(key_t<T> u) {
  using U = key_t<T>;
  constexpr U sign = U(U(1) << (sizeof(U) * 8 - 1));
  if constexpr (float_bits_v<T>) {
    // Encoding reads the sign of the value, decoding the inverted sign of the key.
    bool neg = Encode ? (u & sign) != 0 : (u & sign) == 0;
    return U(u ^ (neg ? U(~U(0)) : sign));
  } else if constexpr (std::is_signed_v<T>) {
    return U(u ^ sign);
  } else {
    return u;
  }
}

// Rewrites n values in place as keys (or keys back as values).
template <typename T, bool Encode>
inline void map_all(T* p, size_t n) {
  using U = key_t<T>;
  unsigned char* b = reinterpret_cast<unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) {
    U u;
    std::memcpy(&u, b + i * sizeof(U), sizeof(U));
    u = map<T, Encode>(u);
    std::memcpy(b + i * sizeof(U), &u, sizeof(U));
  }
}

// Sorts n keys ascending (vqsort; a counting sort for 8-bit keys).
void sort(uint8_t* k, size_t n);
void sort(uint16_t* k, size_t n);
void sort(uint32_t* k, size_t n);
void sort(uint64_t* k, size_t n);

// A 128-bit key: hi, then lo (Highway's uint128_t layout).
struct alignas(16) Key128 {
  uint64_t lo;
  uint64_t hi;
};
void sort(Key128* k, size_t n);

// Rearranges n keys so that k[kth] holds the key a full sort would put
// there, no larger key before it and no smaller one after (MSB radix
// selection: linear whatever the data).
void select(uint8_t* k, size_t n, size_t kth);
void select(uint16_t* k, size_t n, size_t kth);
void select(uint32_t* k, size_t n, size_t kth);
void select(uint64_t* k, size_t n, size_t kth);

// One step of select: moves the m keys at base whose byte at shift is below
// b to the front of base, in order (returning their count), those equal to
// b to eq, in order, and those above to just before gt_end (counts in n_eq,
// n_gt). Whole vectors are stored: a scratch of m + 2 * kSplitSlack keys
// from eq to gt_end holds both parts.
inline constexpr size_t kSplitSlack = 64;
size_t split(uint32_t* base, size_t m, int shift, unsigned b, uint32_t* eq, uint32_t* gt_end,
             size_t* n_eq, size_t* n_gt);
size_t split(uint64_t* base, size_t m, int shift, unsigned b, uint64_t* eq, uint64_t* gt_end,
             size_t* n_eq, size_t* n_gt);

}  // namespace tandem::cpu::keys
