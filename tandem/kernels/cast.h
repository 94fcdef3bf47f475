#pragma once
// Conversion of a float to an integer type, the same on every backend.
// C++ leaves NaN, infinities and out-of-range values undefined; Tandem gives
// what NumPy and MLX give on x86 (where their casts are the processor's
// truncating conversions), so seeded results and masks port:
// - to int32 and narrower (signed or unsigned 8/16 bits): truncate to int32,
//   NaN and values outside int32 giving INT32_MIN, then keep the low bits
//   (-1.5 -> uint8 255, 300 -> uint8 44, NaN -> int8 0, NaN -> int32 INT32_MIN);
// - to int64: truncate, NaN and values outside int64 giving INT64_MIN;
// - to uint32 / uint64: values below 2^31 / 2^63 as the signed conversion
//   (so negatives wrap), values at or above it as the signed conversion of
//   v - 2^31 / 2^63 with the top bit flipped (+inf -> 0, NaN -> 2^31 / 2^63).
#include "tandem/kernels/traits.h"

namespace tandem::k {

TANDEM_HD int32_t trunc_to_i32(double v) {
  // The negated comparisons send NaN to the out-of-range answer.
  if (!(v > -2147483649.0 && v < 2147483648.0)) return -2147483647 - 1;
  return static_cast<int32_t>(v);
}

TANDEM_HD int64_t trunc_to_i64(double v) {
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) {
    return -9223372036854775807ll - 1;
  }
  return static_cast<int64_t>(v);
}

// v (a float or double, read as double: every float is exact there) to the
// integer type To.
template <typename To>
TANDEM_HD To float_to_int(double v) {
  if constexpr (sizeof(To) == 8) {
    if constexpr (is_unsigned_int<To>::value) {
      if (v >= 9223372036854775808.0) {
        return static_cast<To>(static_cast<uint64_t>(trunc_to_i64(v - 9223372036854775808.0)) ^
                               (uint64_t(1) << 63));
      }
    }
    return static_cast<To>(static_cast<uint64_t>(trunc_to_i64(v)));
  } else if constexpr (sizeof(To) == 4 && is_unsigned_int<To>::value) {
    if (v >= 2147483648.0) {
      return static_cast<To>(static_cast<uint32_t>(trunc_to_i32(v - 2147483648.0)) ^ 0x80000000u);
    }
    return static_cast<To>(static_cast<uint32_t>(trunc_to_i32(v)));
  } else {
    // Keeps the low bits, through the unsigned type (defined wrap-around).
    return static_cast<To>(static_cast<uint_of<To>>(static_cast<uint32_t>(trunc_to_i32(v))));
  }
}

}  // namespace tandem::k
