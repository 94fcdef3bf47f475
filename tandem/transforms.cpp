// eval / async_eval: iterative topological sort, then one task per node on
// the node's stream, with waits only where a producer's event is pending.
#include "tandem/transforms.h"

#include <atomic>
#include <unordered_set>

#include "tandem/backend.h"
#include "tandem/primitive.h"

namespace tandem {
namespace {

// Builds the list of unscheduled nodes the outputs depend on, producers before
// consumers, without recursion. Each node appears once (through one output).
std::vector<array> topological_order(const std::vector<array>& outputs) {
  std::vector<array> tape;
  // Node* visited in this sort; a node's inputs are pushed once.
  std::unordered_set<const Node*> seen;
  struct Frame {
    array a;
    size_t next;
  };
  std::vector<Frame> stack;
  for (auto& out : outputs) {
    if (!out.has_primitive() || !seen.insert(out.node().get()).second) continue;
    stack.push_back({out, 0});
    while (!stack.empty()) {
      auto& f = stack.back();
      auto& ins = f.a.node()->inputs;
      if (f.next < ins.size()) {
        const array& in = ins[f.next++];
        if (in.has_primitive() && seen.insert(in.node().get()).second) {
          stack.push_back({in, 0});
        }
        continue;
      }
      tape.push_back(std::move(f.a));
      stack.pop_back();
    }
  }
  return tape;
}

void schedule(array a) {
  auto node = a.node();  // keeps the node alive while we work on it
  auto& prim = *node->primitive;
  Stream s = prim.stream();
  auto& ex = scheduler::executor(s.index);

  std::vector<array> outs;
  if (node->outputs.empty()) {
    outs.push_back(std::move(a));
  } else {
    for (auto& w : node->outputs) {
      auto d = w.lock();
      if (d) {
        outs.emplace_back(std::move(d));
      } else {
        // The caller dropped this output; the kernel still writes it.
        auto& spec = node->output_specs[outs.size()];
        outs.push_back(array(std::make_shared<ArrayDesc>(spec.first, spec.second)));
      }
    }
    a = array(std::shared_ptr<ArrayDesc>());  // drop our extra reference (donation counts them)
  }

  std::vector<std::shared_ptr<Event>> waits;
  for (auto& in : node->inputs) {
    auto& ev = in.event();
    if (ev && (!ev->done() || ev->failed())) waits.push_back(ev);
  }

  try {
    if (s.device.type == Device::cpu) {
      prim.eval_cpu(node->inputs, outs);
    } else {
      prim.eval_gpu(node->inputs, outs);
    }
  } catch (...) {
    ex.discard();
    throw;
  }

  std::shared_ptr<Event> ev;
  if (!ex.has_pending() && waits.size() <= 1) {
    // Nothing to run (a view): the outputs are ready when the input is.
    if (!waits.empty()) ev = waits[0];
  } else {
    ev = std::make_shared<Event>(s);
    ex.submit(ev, std::move(waits));
  }
  for (auto& o : outs) {
    o.set_event(ev);
    o.detach();
  }
}

void eval_impl(std::vector<array> outputs, bool async) {
  auto tape = topological_order(outputs);
  for (auto& a : tape) schedule(std::move(a));
  tape.clear();
  if (async) return;
  for (auto& o : outputs) o.wait();
}

}  // namespace

void eval(std::vector<array> outputs) { eval_impl(std::move(outputs), false); }

void async_eval(std::vector<array> outputs) { eval_impl(std::move(outputs), true); }

}  // namespace tandem
