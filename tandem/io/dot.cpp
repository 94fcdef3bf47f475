// graph_to_dot (io.h): the lazy graph behind some arrays, for Graphviz.
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "tandem/io/io.h"
#include "tandem/primitive.h"

namespace tandem::io {
namespace {

// A, B, ..., Z, AA, AB, ...
std::string letters(size_t i) {
  std::string s;
  for (++i; i > 0; i = (i - 1) / 26) s.insert(s.begin(), char('A' + (i - 1) % 26));
  return s;
}

}  // namespace

std::string graph_to_dot(const std::vector<array>& outputs,
                         const std::vector<std::pair<uintptr_t, std::string>>& names) {
  std::unordered_map<uintptr_t, std::string> name_of(names.begin(), names.end());
  size_t next = 0;
  auto name = [&](const array& a) -> const std::string& {
    auto [it, fresh] = name_of.try_emplace(a.id());
    if (fresh) it->second = letters(next++);
    return it->second;
  };
  std::unordered_set<uintptr_t> outs;
  for (auto& o : outputs) outs.insert(o.id());
  std::ostringstream os;
  os << "digraph {\n";
  std::unordered_set<uintptr_t> seen_arrays, seen_nodes;
  // Post-order: a node after its inputs.
  struct Frame {
    array a;
    size_t next;
  };
  std::vector<Frame> stack;
  auto point = [&](const array& a) {
    if (!seen_arrays.insert(a.id()).second) return;
    const char* rank = !a.has_primitive()   ? "rank=source; "
                       : outs.count(a.id()) ? "rank=sink; "
                                            : "";
    os << "{ " << rank << "\"" << name(a) << "\"; }\n";
  };
  for (auto& out : outputs) {
    stack.push_back({out, 0});
    while (!stack.empty()) {
      auto& f = stack.back();
      if (!f.a.has_primitive()) {
        point(f.a);
        stack.pop_back();
        continue;
      }
      const auto& node = f.a.node();
      if (seen_nodes.count(reinterpret_cast<uintptr_t>(node.get()))) {
        stack.pop_back();
        continue;
      }
      if (f.next < node->inputs.size()) {
        array in = node->inputs[f.next++];
        stack.push_back({in, 0});
        continue;
      }
      auto id = reinterpret_cast<uintptr_t>(node.get());
      seen_nodes.insert(id);
      for (auto& in : node->inputs) point(in);
      os << "{ " << id << " [label =\"";
      node->primitive->print(os);  // the op too, where a family has several
      os << "\", shape=rectangle]; }\n";
      for (auto& in : node->inputs) os << "\"" << name(in) << "\" -> " << id << "\n";
      // Every output of the node (one for most), each once.
      std::vector<array> node_outs;
      if (node->outputs.empty()) {
        node_outs.push_back(f.a);
      } else {
        for (auto& w : node->outputs) {
          if (auto d = w.lock()) node_outs.emplace_back(std::move(d));
        }
      }
      for (auto& o : node_outs) {
        point(o);
        os << id << " -> \"" << name(o) << "\"\n";
      }
      stack.pop_back();
    }
  }
  os << "}\n";
  return os.str();
}

}  // namespace tandem::io
