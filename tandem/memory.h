#pragma once
// Memory queries about given arrays (allocator.h has the process-wide ones).
#include <cstddef>
#include <vector>

#include "tandem/array.h"

namespace tandem {

// Bytes of the distinct buffers behind the arrays, each counted once at the
// size of the block the allocator holds for it. Throws std::invalid_argument
// for an array not evaluated yet.
size_t get_array_buffer_size(const std::vector<array>& arrays);

}  // namespace tandem
