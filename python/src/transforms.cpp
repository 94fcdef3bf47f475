// eval and async_eval over pytrees (lists, tuples, dicts; other leaves ignored).
#include "python/src/common.h"

namespace tandem::py {

void init_transforms(nb::module_& m) {
  m.def(
      "eval",
      [](nb::args args) {
        std::vector<array> outs;
        tree_collect(args, outs);
        eval_interruptible(outs);
      },
      "args"_a, nb::sig("def eval(*args: object) -> None"),
      "Evaluates the arrays in args (arrays or trees of lists, tuples and dicts); returns when "
      "they are computed. The GIL is released while waiting; Ctrl-C interrupts the wait (the work "
      "already scheduled goes on).");
  m.def(
      "async_eval",
      [](nb::args args) {
        std::vector<array> outs;
        tree_collect(args, outs);
        schedule_interruptible(outs);
      },
      "args"_a, nb::sig("def async_eval(*args: object) -> None"),
      "Schedules the evaluation of the arrays in args and returns at once.");
}

}  // namespace tandem::py
