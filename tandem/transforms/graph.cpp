#include "tandem/transforms/graph.h"

#include <typeinfo>

#include "tandem/ops/creation.h"
#include "tandem/pool.h"
#include "tandem/primitive.h"
#include "tandem/primitives/shape.h"

namespace tandem {

GraphWalk::GraphWalk(const std::vector<array>& inputs, const std::vector<array>& outputs,
                     bool through_stop_gradient) {
  for (auto& in : inputs) depends_.insert(in.id());
  detail::IdSet seen(256);
  // Frames point into the graph (the outputs and nodes' input lists), which
  // stays alive and unchanged during the walk: no reference counting here.
  struct Frame {
    const array* a;
    size_t next;
  };
  std::vector<Frame> stack;
  // Post-order without recursion: a node is placed after all its inputs.
  auto enter = [&](const array& a) {
    const Node* n = a.node().get();
    if (!n || depends_.contains(a.id()) || !seen.insert(reinterpret_cast<uintptr_t>(n))) return;
    if (!through_stop_gradient && typeid(*n->primitive) == typeid(StopGradient)) return;
    stack.push_back({&a, 0});
  };
  for (auto& out : outputs) {
    enter(out);
    while (!stack.empty()) {
      auto& f = stack.back();
      const Node& node = *f.a->node();
      auto& ins = node.inputs;
      if (f.next < ins.size()) {
        enter(ins[f.next++]);  // may grow the stack: f is not used after this
        continue;
      }
      bool dep = false;
      for (auto& in : ins) dep = dep || depends_.contains(in.id());
      if (dep) {
        if (node.outputs.empty()) {
          depends_.insert(f.a->id());
        } else {
          for (auto& w : node.outputs) {
            if (auto d = w.lock()) depends_.insert(reinterpret_cast<uintptr_t>(d.get()));
          }
        }
        tape_.push_back(*f.a);
      }
      stack.pop_back();
    }
  }
}

array stand_in(const array& x) {
  array t(x.shape(), x.dtype(), make_pooled<Identity>(stream_of(x)), {x});
  t.desc()->tracer = true;
  return t;
}

Stream stream_of(const array& a) {
  return a.has_primitive() ? a.primitive().stream() : default_stream(default_device());
}

void node_outputs(const array& a, std::vector<array>& outs) {
  outs.clear();
  const auto& node = a.node();
  if (!node || node->outputs.empty()) {
    outs.push_back(a);
    return;
  }
  for (size_t i = 0; i < node->outputs.size(); ++i) {
    if (auto d = node->outputs[i].lock()) {
      outs.emplace_back(std::move(d));
    } else {
      auto& spec = node->output_specs[i];
      outs.push_back(zeros(spec.first, spec.second, node->primitive->stream()));
    }
  }
}

std::vector<array> node_outputs(const array& a) {
  std::vector<array> outs;
  node_outputs(a, outs);
  return outs;
}

}  // namespace tandem
