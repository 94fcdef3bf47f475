#pragma once
// Pytrees of lists, tuples and dicts holding arrays, as the transforms take
// and return them.
#include <vector>

#include "python/src/common.h"

namespace tandem::py {

// Every leaf of tree, in order (dicts in insertion order); each must be an
// array, else a ValueError naming op.
std::vector<array> tree_arrays(nb::handle tree, const char* op);
// tree with its array leaves replaced, in order, by vals[next], vals[next+1], ...
nb::object tree_replace(nb::handle tree, const std::vector<array>& vals, size_t& next);

}  // namespace tandem::py
