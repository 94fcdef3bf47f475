#include "python/src/trees.h"

#include <string>

namespace tandem::py {
namespace {

void collect_strict(nb::handle tree, std::vector<array>& out, const char* op) {
  if (is_array(tree)) {
    out.push_back(as_array(tree));
  } else if (PyList_Check(tree.ptr()) || PyTuple_Check(tree.ptr())) {
    for (nb::handle item : nb::borrow<nb::sequence>(tree)) collect_strict(item, out, op);
  } else if (PyDict_Check(tree.ptr())) {
    for (auto [k, v] : nb::borrow<nb::dict>(tree)) collect_strict(v, out, op);
  } else {
    throw nb::value_error(("[" + std::string(op) +
                           "] the arguments to differentiate must be arrays or trees (lists, "
                           "tuples, dicts) of arrays; got a leaf of type " +
                           nb::type_name(tree.type()).c_str())
                              .c_str());
  }
}

}  // namespace

std::vector<array> tree_arrays(nb::handle tree, const char* op) {
  std::vector<array> out;
  collect_strict(tree, out, op);
  return out;
}

nb::object tree_replace(nb::handle tree, const std::vector<array>& vals, size_t& next) {
  if (is_array(tree)) return nb::cast(vals.at(next++));
  if (PyList_Check(tree.ptr())) {
    nb::list out;
    for (nb::handle item : nb::borrow<nb::list>(tree)) out.append(tree_replace(item, vals, next));
    return std::move(out);
  }
  if (PyTuple_Check(tree.ptr())) {
    nb::list items;
    for (nb::handle item : nb::borrow<nb::tuple>(tree))
      items.append(tree_replace(item, vals, next));
    return nb::tuple(items);
  }
  if (PyDict_Check(tree.ptr())) {
    nb::dict out;
    for (auto [k, v] : nb::borrow<nb::dict>(tree)) out[k] = tree_replace(v, vals, next);
    return std::move(out);
  }
  return nb::borrow(tree);
}

}  // namespace tandem::py
