#include "tandem/transforms/graph.h"

#include "tandem/ops/creation.h"
#include "tandem/primitive.h"
#include "tandem/primitives/shape.h"

namespace tandem {

GraphWalk::GraphWalk(const std::vector<array>& inputs, const std::vector<array>& outputs,
                     bool through_stop_gradient) {
  for (auto& in : inputs) depends_.insert(in.id());
  std::unordered_set<const Node*> seen;
  struct Frame {
    array a;
    size_t next;
  };
  std::vector<Frame> stack;
  // Post-order without recursion: a node is placed after all its inputs.
  auto enter = [&](const array& a) {
    const Node* n = a.node().get();
    if (!n || depends_.count(a.id()) || !seen.insert(n).second) return;
    if (!through_stop_gradient && dynamic_cast<const StopGradient*>(n->primitive.get())) return;
    stack.push_back({a, 0});
  };
  for (auto& out : outputs) {
    enter(out);
    while (!stack.empty()) {
      auto& f = stack.back();
      auto& ins = f.a.node()->inputs;
      if (f.next < ins.size()) {
        array in = ins[f.next++];
        enter(in);
        continue;
      }
      bool dep = false;
      for (auto& in : ins) dep = dep || depends_.count(in.id());
      if (dep) {
        for (auto& o : node_outputs(f.a)) depends_.insert(o.id());
        tape_.push_back(std::move(f.a));
      }
      stack.pop_back();
    }
  }
}

std::vector<array> node_outputs(const array& a) {
  const auto& node = a.node();
  if (!node || node->outputs.empty()) return {a};
  std::vector<array> outs;
  outs.reserve(node->outputs.size());
  for (size_t i = 0; i < node->outputs.size(); ++i) {
    if (auto d = node->outputs[i].lock()) {
      outs.emplace_back(std::move(d));
    } else {
      auto& spec = node->output_specs[i];
      outs.push_back(zeros(spec.first, spec.second, node->primitive->stream()));
    }
  }
  return outs;
}

}  // namespace tandem
