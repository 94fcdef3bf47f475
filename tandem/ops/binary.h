#pragma once
// Elementwise ops of two (or three) arrays, with NumPy broadcasting and MLX's
// type promotion.
#include <optional>
#include <utility>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

array add(const array& a, const array& b, StreamOrDevice s = {});
array subtract(const array& a, const array& b, StreamOrDevice s = {});
array multiply(const array& a, const array& b, StreamOrDevice s = {});
// True division: integer inputs give float32.
array divide(const array& a, const array& b, StreamOrDevice s = {});
// Rounds toward negative infinity, like Python's //.
array floor_divide(const array& a, const array& b, StreamOrDevice s = {});
// Has the sign of b, like Python's %.
array remainder(const array& a, const array& b, StreamOrDevice s = {});
// (floor_divide(a, b), remainder(a, b)).
std::pair<array, array> divmod(const array& a, const array& b, StreamOrDevice s = {});
array equal(const array& a, const array& b, StreamOrDevice s = {});
array not_equal(const array& a, const array& b, StreamOrDevice s = {});
array less(const array& a, const array& b, StreamOrDevice s = {});
array less_equal(const array& a, const array& b, StreamOrDevice s = {});
array greater(const array& a, const array& b, StreamOrDevice s = {});
array greater_equal(const array& a, const array& b, StreamOrDevice s = {});
array logical_and(const array& a, const array& b, StreamOrDevice s = {});
array logical_or(const array& a, const array& b, StreamOrDevice s = {});
array logical_xor(const array& a, const array& b, StreamOrDevice s = {});
array logaddexp(const array& a, const array& b, StreamOrDevice s = {});
array arctan2(const array& a, const array& b, StreamOrDevice s = {});
array power(const array& a, const array& b, StreamOrDevice s = {});
// NaN-propagating minimum / maximum.
array minimum(const array& a, const array& b, StreamOrDevice s = {});
array maximum(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_and(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_or(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_xor(const array& a, const array& b, StreamOrDevice s = {});
array left_shift(const array& a, const array& b, StreamOrDevice s = {});
array right_shift(const array& a, const array& b, StreamOrDevice s = {});

// Elements of x where condition is true, else of y (all three broadcast).
array where(const array& condition, const array& x, const array& y, StreamOrDevice s = {});
// Limits a to [a_min, a_max]; either bound may be omitted.
array clip(const array& a, const std::optional<array>& a_min, const std::optional<array>& a_max,
           StreamOrDevice s = {});
// Replaces NaN with nan, +inf with posinf (default: the dtype's max) and -inf
// with neginf (default: its lowest).
array nan_to_num(const array& a, float nan = 0.0f, std::optional<float> posinf = std::nullopt,
                 std::optional<float> neginf = std::nullopt, StreamOrDevice s = {});
// |a - b| <= atol + rtol * |b|, elementwise.
array isclose(const array& a, const array& b, double rtol = 1e-5, double atol = 1e-8,
              bool equal_nan = false, StreamOrDevice s = {});

// Operators.
array operator+(const array& a, const array& b);
array operator-(const array& a, const array& b);
array operator*(const array& a, const array& b);
array operator/(const array& a, const array& b);
array operator%(const array& a, const array& b);
array operator-(const array& a);
array operator==(const array& a, const array& b);
array operator!=(const array& a, const array& b);
array operator<(const array& a, const array& b);
array operator<=(const array& a, const array& b);
array operator>(const array& a, const array& b);
array operator>=(const array& a, const array& b);
array operator&&(const array& a, const array& b);
array operator||(const array& a, const array& b);
array operator!(const array& a);
array operator&(const array& a, const array& b);
array operator|(const array& a, const array& b);
array operator^(const array& a, const array& b);
array operator~(const array& a);
array operator<<(const array& a, const array& b);
array operator>>(const array& a, const array& b);

}  // namespace tandem
