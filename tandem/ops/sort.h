#pragma once
// Sorting, partitioning and top-k, with MLX's names and overloads.
#include <optional>
#include <string>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

// Sorted copy of the flattened array / along axis (NaN last).
array sort(const array& a, StreamOrDevice s = {});
array sort(const array& a, int axis, StreamOrDevice s = {});
// uint32 indices that stably sort the flattened array / along axis.
array argsort(const array& a, StreamOrDevice s = {});
array argsort(const array& a, int axis, StreamOrDevice s = {});
// Copy with the kth element (negative counts from the end) in sorted position,
// no larger ones before it and no smaller ones after.
array partition(const array& a, int kth, StreamOrDevice s = {});
array partition(const array& a, int kth, int axis, StreamOrDevice s = {});
// uint32 indices that partition as partition() does.
array argpartition(const array& a, int kth, StreamOrDevice s = {});
array argpartition(const array& a, int kth, int axis, StreamOrDevice s = {});
// The k largest elements of the flattened array / along axis (in no
// particular order).
array topk(const array& a, int k, StreamOrDevice s = {});
array topk(const array& a, int k, int axis, StreamOrDevice s = {});

// uint32 positions, shaped like values, that keep the 1-d ascending
// sorted_sequence sorted when each value is inserted: the number of elements
// below the value (side "left") or not above it ("right"), NaN ordered
// after everything. Compares in the promoted dtype; a binary search of
// ceil(log2(n + 1)) steps of take and where, so it is O(values log n).
array searchsorted(const array& sorted_sequence, const array& values,
                   const std::string& side = "left", StreamOrDevice s = {});

// mx.unique: the sorted unique elements of flattened a in `size` slots (a
// shape that does not depend on the values). Slots past the last unique
// element hold fill_value (default: the smallest element) with count 0; a
// size below the number of unique elements keeps the smallest ones, and
// inverse indices of the dropped ones are clamped to the last slot.
struct UniqueResult {
  array values;   // a's dtype, shape (size,)
  array index;    // uint32: the first occurrence in flattened a of each value
  array inverse;  // uint32, a's shape: the slot of each element of a
  array counts;   // int32: how often each value occurs
};
UniqueResult unique(const array& a, int size, const std::optional<array>& fill_value = std::nullopt,
                    StreamOrDevice s = {});

}  // namespace tandem
