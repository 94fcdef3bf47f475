#pragma once
// Sorting, partitioning and top-k, with MLX's names and overloads.
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

}  // namespace tandem
