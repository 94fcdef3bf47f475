#pragma once
// For bindings that wait for an eval themselves (Python's interruptible waits).
#include <vector>

#include "tandem/array.h"

namespace tandem {

// eval(outputs) without its final wait: schedules them and may run the last
// stream's small staged tasks on this thread (see flush_and_run), then
// returns; the caller waits for the outputs' events (see wait_for in
// task_scope.h).
void eval_without_wait(std::vector<array> outputs);

}  // namespace tandem
