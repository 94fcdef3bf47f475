// Module-level ops of the sort family (tandem/ops/sort.h).
#include "python/src/ops_common.h"
#include "tandem/ops/sort.h"

namespace tandem::py {

void init_ops_sort(nb::module_& m) {
#define TANDEM_SORTLIKE(NAME, DOC)                                 \
  m.def(                                                           \
      #NAME,                                                       \
      [](ArrayLike a, std::optional<int> axis, StreamOrDevice s) { \
        array x = to_array(a);                                     \
        return axis ? NAME(x, *axis, s) : NAME(x, s);              \
      },                                                           \
      "a"_a, "axis"_a = -1, nb::kw_only(), S, DOC);
  TANDEM_SORTLIKE(sort,
                  "The values of a sorted in ascending order along axis.\n\n"
                  "Args:\n"
                  "    a: input array.\n"
                  "    axis: the axis to sort along (default the last); None sorts the\n"
                  "        flattened array.\n\n"
                  "Returns:\n"
                  "    An array of a's dtype and shape (1-D when axis is None).")
  TANDEM_SORTLIKE(argsort,
                  "The indices that sort a in ascending order along axis.\n\n"
                  "Args:\n"
                  "    a: input array.\n"
                  "    axis: the axis to sort along (default the last); None sorts the\n"
                  "        flattened array.\n\n"
                  "Returns:\n"
                  "    A uint32 array of indices along axis, of a's shape (1-D when axis\n"
                  "    is None); take_along_axis(a, result, axis) is the sorted array.")
#undef TANDEM_SORTLIKE
#define TANDEM_KTH(NAME, K, DOC)                                          \
  m.def(                                                                  \
      #NAME,                                                              \
      [](ArrayLike a, int k, std::optional<int> axis, StreamOrDevice s) { \
        array x = to_array(a);                                            \
        return axis ? NAME(x, k, *axis, s) : NAME(x, k, s);               \
      },                                                                  \
      "a"_a, K, "axis"_a = -1, nb::kw_only(), S, DOC);
  TANDEM_KTH(partition, "kth"_a,
             "a rearranged along axis so that position kth holds the value it would hold\n"
             "sorted, with no larger value before it and no smaller value after it (the\n"
             "order on either side is unspecified).\n\n"
             "Args:\n"
             "    a: input array.\n"
             "    kth: the position that ends up in sorted place; negative counts from\n"
             "        the end.\n"
             "    axis: the axis to partition (default the last); None uses the\n"
             "        flattened array.\n\n"
             "Returns:\n"
             "    An array of a's dtype and shape (1-D when axis is None).")
  TANDEM_KTH(argpartition, "kth"_a,
             "The indices that partition a along axis around position kth (see\n"
             "partition).\n\n"
             "Args:\n"
             "    a: input array.\n"
             "    kth: the position that ends up in sorted place.\n"
             "    axis: the axis to partition (default the last); None uses the\n"
             "        flattened array.\n\n"
             "Returns:\n"
             "    A uint32 array of indices along axis, of a's shape (1-D when axis\n"
             "    is None).")
  TANDEM_KTH(topk, "k"_a,
             "The k largest values of a along axis, in no particular order.\n\n"
             "Args:\n"
             "    a: input array.\n"
             "    k: how many values to keep; at most the size of axis.\n"
             "    axis: the axis to search (default the last); None uses the\n"
             "        flattened array.\n\n"
             "Returns:\n"
             "    An array of a's dtype whose size along axis is k.")
#undef TANDEM_KTH
}

}  // namespace tandem::py
