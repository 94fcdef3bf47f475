#pragma once
// Evaluation of lazy graphs. (grad, vjp, jvp, vmap and compile come later.)
#include <vector>

#include "tandem/array.h"

namespace tandem {

// Computes outputs: schedules every unscheduled node they depend on onto its
// stream, then waits for the outputs only. Rethrows a failure of any task
// they depend on.
void eval(std::vector<array> outputs);
template <typename... Arrays>
void eval(Arrays... outputs) {
  eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}
// Schedules like eval but returns at once; wait with array::wait() or eval.
void async_eval(std::vector<array> outputs);

}  // namespace tandem
