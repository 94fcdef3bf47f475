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
  m.def(
      "searchsorted",
      [](ArrayLike sorted_sequence, ArrayLike values, const std::string& side, StreamOrDevice s) {
        return searchsorted(to_array(sorted_sequence), to_array(values), side, s);
      },
      "sorted_sequence"_a, "values"_a, "side"_a = "left", nb::kw_only(), S,
      "uint32 indices, shaped like values, that keep the 1-d ascending sorted_sequence sorted "
      "when each value is inserted: the number of elements below it (side 'left') or not above "
      "it ('right'). NaN sorts last.");
  m.def(
      "unique",
      [](ArrayLike a, int size, bool return_index, bool return_inverse, bool return_counts,
         nb::handle fill_value, StreamOrDevice s) -> nb::object {
        std::optional<array> fill;
        if (!fill_value.is_none()) fill = to_array(fill_value);
        auto r = unique(to_array(a), size, fill, s);
        if (!return_index && !return_inverse && !return_counts) return nb::cast(r.values);
        nb::list out;
        out.append(nb::cast(r.values));
        if (return_index) out.append(nb::cast(r.index));
        if (return_inverse) out.append(nb::cast(r.inverse));
        if (return_counts) out.append(nb::cast(r.counts));
        return nb::tuple(out);
      },
      "a"_a, "size"_a, "return_index"_a = false, "return_inverse"_a = false,
      "return_counts"_a = false, "fill_value"_a = nb::none(), nb::kw_only(), S,
      nb::sig("def unique(a: array, size: int, return_index: bool = False, return_inverse: "
              "bool = False, return_counts: bool = False, fill_value: bool | int | float | array "
              "| None = None, *, stream: Stream | ThreadLocalStream | Device | None = None) -> "
              "array | tuple[array, "
              "...]"),
      "The sorted unique elements of the flattened array in `size` slots (the shape never "
      "depends on the values). Slots past the last unique element hold fill_value (default: "
      "the smallest element) and count 0; a smaller size keeps the smallest elements. With "
      "return_index / return_inverse / return_counts, a tuple (values, index, inverse, "
      "counts) of the requested ones: index (uint32) of each value's first occurrence, inverse "
      "(uint32, a's shape) the slot of each element, counts (int32) the occurrences.");
}

}  // namespace tandem::py
