// Module-level ops of the sort family (tandem/ops/sort.h).
#include "python/src/ops_common.h"
#include "tandem/ops/sort.h"

namespace tandem::py {

void init_ops_sort(nb::module_& m) {
#define TANDEM_SORTLIKE(NAME)                                      \
  m.def(                                                           \
      #NAME,                                                       \
      [](ArrayLike a, std::optional<int> axis, StreamOrDevice s) { \
        array x = to_array(a);                                     \
        return axis ? NAME(x, *axis, s) : NAME(x, s);              \
      },                                                           \
      "a"_a, "axis"_a = -1, nb::kw_only(), S);
  TANDEM_SORTLIKE(sort)
  TANDEM_SORTLIKE(argsort)
#undef TANDEM_SORTLIKE
#define TANDEM_KTH(NAME, K)                                               \
  m.def(                                                                  \
      #NAME,                                                              \
      [](ArrayLike a, int k, std::optional<int> axis, StreamOrDevice s) { \
        array x = to_array(a);                                            \
        return axis ? NAME(x, k, *axis, s) : NAME(x, k, s);               \
      },                                                                  \
      "a"_a, K, "axis"_a = -1, nb::kw_only(), S);
  TANDEM_KTH(partition, "kth"_a)
  TANDEM_KTH(argpartition, "kth"_a)
  TANDEM_KTH(topk, "k"_a)
#undef TANDEM_KTH
}

}  // namespace tandem::py
