#include "tandem/memory.h"

#include <algorithm>
#include <unordered_set>

#include "tandem/ops/utils.h"

namespace tandem {

size_t get_array_buffer_size(const std::vector<array>& arrays) {
  std::unordered_set<const Buffer*> seen;
  size_t total = 0;
  for (const array& a : arrays) {
    if (a.status() == array::Status::unscheduled) {
      invalid("get_array_buffer_size", "arrays must be evaluated first; got an unevaluated array ",
              "of shape ", a.shape());
    }
    a.wait();  // async_eval'd: the buffer is attached by the time the task is done
    const Buffer* b = a.buffer().get();
    if (!b || !seen.insert(b).second) continue;
    // A block held only on the device has no host capacity recorded.
    total += std::max(b->capacity, b->size);
  }
  return total;
}

}  // namespace tandem
