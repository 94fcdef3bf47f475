// The helpers ops_common.h declares for the binding files.
#include "python/src/ops_common.h"

namespace tandem::py {

// Each item of a Python sequence as an array.
std::vector<array> to_array_list(nb::handle seq) {
  std::vector<array> out;
  for (nb::handle h : nb::borrow<nb::sequence>(seq)) {
    out.push_back(is_array(h) ? as_array(h) : to_array(h));
  }
  return out;
}

// Results of ops that give several arrays, as a list.
nb::list as_list(const std::vector<array>& v) {
  nb::list l;
  for (auto& a : v) l.append(nb::cast(a));
  return l;
}

}  // namespace tandem::py
