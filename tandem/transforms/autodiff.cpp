// vjp, jvp, grad and value_and_grad: trace the function on fresh
// identities of its inputs, walk the graph it built between them and its
// outputs, and apply each primitive's vjp (in reverse) or jvp (forward).
#include <stdexcept>
#include <string>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/unary.h"
#include "tandem/pool.h"
#include "tandem/primitive.h"
#include "tandem/primitives/shape.h"
#include "tandem/stream.h"
#include "tandem/transforms.h"
#include "tandem/transforms/graph.h"

namespace tandem {

namespace detail {
int tracing_depth() {
  return t_tracing;
}
TracingScope::TracingScope() {
  ++t_tracing;
}
TracingScope::~TracingScope() {
  --t_tracing;
}
}  // namespace detail

namespace {

[[noreturn]] void fail(const char* op, const std::string& what) {
  throw std::invalid_argument(std::string("[") + op + "] " + what);
}

// Fresh identities of the primals: the graph the function builds starts at
// them, so that it is told apart from any graph the primals came from.
std::vector<array> trace_inputs(const std::vector<array>& primals) {
  std::vector<array> out;
  out.reserve(primals.size());
  for (auto& p : primals) out.push_back(stand_in(p));
  return out;
}

void check_pairs(const char* op, const std::vector<array>& a, const std::vector<array>& b,
                 const char* a_name, const char* b_name) {
  if (a.size() != b.size()) {
    fail(op, std::to_string(a.size()) + " " + a_name + " but " + std::to_string(b.size()) + " " +
                 b_name);
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].shape() != b[i].shape()) {
      fail(op, std::string(b_name) + " " + std::to_string(i) + " has shape " +
                   shape_str(b[i].shape()) + " but its " + a_name + " has shape " +
                   shape_str(a[i].shape()));
    }
  }
}

// vjp with the cotangents made from the outputs once fun has run.
std::pair<std::vector<array>, std::vector<array>> vjp_impl(
    const ArrayFn& fun, const std::vector<array>& primals,
    const std::function<std::vector<array>(const std::vector<array>&)>& make_cotangents) {
  std::vector<array> inputs, outputs;
  {
    detail::TracingScope tracing;
    inputs = trace_inputs(primals);
    outputs = fun(inputs);
  }
  std::vector<array> cotangents = make_cotangents(outputs);
  check_pairs("vjp", outputs, cotangents, "outputs", "cotangents");
  GraphWalk walk(inputs, outputs);

  // Cotangents gathered so far, by array identity; a sum where an array
  // feeds several consumers, on the stream of the consumer's primitive.
  // (An entry is emptied once its node has taken it.)
  detail::IdMap<detail::MaybeArray> cot(2 * walk.tape().size() + primals.size());
  auto accumulate = [&](const array& a, array g, Stream s) {
    bool fresh;
    array& slot = cot.get(a.id(), fresh).a;
    slot = slot.desc() ? add(slot, g, s) : std::move(g);
  };
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!walk.depends(outputs[i])) continue;
    Stream s = stream_of(outputs[i]);
    accumulate(outputs[i], astype(cotangents[i], outputs[i].dtype(), s), s);
  }
  // Reused across nodes: this loop runs once per op of the traced graph.
  std::vector<array> outs, cots;
  std::vector<int> argnums;
  for (auto it = walk.tape().rbegin(); it != walk.tape().rend(); ++it) {
    const array& a = *it;
    Primitive& prim = a.primitive();
    node_outputs(a, outs);
    cots.clear();
    size_t found = 0;
    for (auto& o : outs) {
      auto* c = cot.find(o.id());
      cots.push_back(c ? std::move(c->a) : array(std::shared_ptr<ArrayDesc>()));
      found += cots.back().desc() != nullptr;
    }
    if (!found) continue;
    if (found < outs.size()) {
      for (size_t j = 0; j < outs.size(); ++j) {
        if (!cots[j].desc()) cots[j] = zeros_like(outs[j], prim.stream());
      }
    }
    auto& ins = a.inputs();
    argnums.clear();
    for (int k = 0; k < static_cast<int>(ins.size()); ++k) {
      if (walk.depends(ins[k])) argnums.push_back(k);
    }
    auto grads = prim.vjp(ins, cots, argnums, outs);
    if (grads.size() != argnums.size()) {
      fail("vjp", std::string("the rule of ") + prim.name() + " gave " +
                      std::to_string(grads.size()) + " cotangents for " +
                      std::to_string(argnums.size()) + " inputs");
    }
    for (size_t j = 0; j < argnums.size(); ++j) {
      accumulate(ins[argnums[j]], std::move(grads[j]), prim.stream());
    }
  }
  std::vector<array> vjps;
  vjps.reserve(primals.size());
  for (size_t i = 0; i < primals.size(); ++i) {
    auto* c = cot.find(inputs[i].id());
    vjps.push_back(c && c->a.desc()
                       ? astype(c->a, primals[i].dtype(), inputs[i].primitive().stream())
                       : zeros_like(primals[i], inputs[i].primitive().stream()));
  }
  return {std::move(outputs), std::move(vjps)};
}

}  // namespace

std::pair<std::vector<array>, std::vector<array>> vjp(const ArrayFn& fun,
                                                      const std::vector<array>& primals,
                                                      const std::vector<array>& cotangents) {
  return vjp_impl(fun, primals, [&](const std::vector<array>&) { return cotangents; });
}

std::pair<array, array> vjp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& cotangent) {
  auto [outs, vjps] =
      vjp([&](const std::vector<array>& x) { return std::vector<array>{fun(x[0])}; }, {primal},
          {cotangent});
  return {outs[0], vjps[0]};
}

std::pair<std::vector<array>, std::vector<array>> jvp(const ArrayFn& fun,
                                                      const std::vector<array>& primals,
                                                      const std::vector<array>& tangents) {
  check_pairs("jvp", primals, tangents, "primals", "tangents");
  std::vector<array> inputs, outputs;
  {
    detail::TracingScope tracing;
    inputs = trace_inputs(primals);
    outputs = fun(inputs);
  }
  GraphWalk walk(inputs, outputs);
  detail::IdMap<detail::MaybeArray> tan(2 * walk.tape().size() + inputs.size());
  bool fresh;
  for (size_t i = 0; i < inputs.size(); ++i) {
    tan.get(inputs[i].id(), fresh).a = astype(tangents[i], inputs[i].dtype());
  }
  // Reused across nodes: this loop runs once per op of the traced graph.
  std::vector<int> argnums;
  std::vector<array> ts, outs;
  for (const array& a : walk.tape()) {
    auto& ins = a.inputs();
    argnums.clear();
    ts.clear();
    for (int k = 0; k < static_cast<int>(ins.size()); ++k) {
      if (auto* t = tan.find(ins[k].id()); t && t->a.desc()) {
        argnums.push_back(k);
        ts.push_back(t->a);
      }
    }
    node_outputs(a, outs);
    auto res = a.primitive().jvp(ins, ts, argnums, outs);
    if (res.size() != outs.size()) {
      fail("jvp", std::string("the rule of ") + a.primitive().name() + " gave " +
                      std::to_string(res.size()) + " tangents for " + std::to_string(outs.size()) +
                      " outputs");
    }
    for (size_t j = 0; j < outs.size(); ++j) tan.get(outs[j].id(), fresh).a = std::move(res[j]);
  }
  std::vector<array> jvps;
  jvps.reserve(outputs.size());
  for (auto& o : outputs) {
    auto* t = tan.find(o.id());
    jvps.push_back(t && t->a.desc() ? t->a : zeros_like(o));
  }
  return {std::move(outputs), std::move(jvps)};
}

std::pair<array, array> jvp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& tangent) {
  auto [outs, jvps] =
      jvp([&](const std::vector<array>& x) { return std::vector<array>{fun(x[0])}; }, {primal},
          {tangent});
  return {outs[0], jvps[0]};
}

ValueAndGradFn value_and_grad(const ArrayFn& fun, std::vector<int> argnums) {
  if (argnums.empty()) fail("value_and_grad", "needs at least one argument to differentiate");
  return [fun, argnums](const std::vector<array>& args) {
    std::vector<int> idx;
    for (int a : argnums) {
      int n = static_cast<int>(args.size());
      if (a < -n || a >= n) {
        fail("value_and_grad", "argnum " + std::to_string(a) + " is out of range for " +
                                   std::to_string(n) + " arguments");
      }
      idx.push_back(a < 0 ? a + n : a);
    }
    std::vector<array> primals;
    for (int i : idx) primals.push_back(args[i]);
    std::vector<array> values;
    auto partial = [&](const std::vector<array>& xs) {
      std::vector<array> all(args);
      for (size_t j = 0; j < idx.size(); ++j) all[idx[j]] = xs[j];
      values = fun(all);
      if (values.empty() || values[0].size() != 1) {
        fail("value_and_grad",
             "the function must return a scalar (one element) as its first output; got " +
                 (values.empty() ? std::string("no outputs")
                                 : "shape " + shape_str(values[0].shape())));
      }
      return std::vector<array>{values[0]};
    };
    auto grads = vjp_impl(partial, primals, [](const std::vector<array>& outs) {
                   return std::vector<array>{ones_like(outs[0], stream_of(outs[0]))};
                 }).second;
    return std::make_pair(std::move(values), std::move(grads));
  };
}

std::function<std::pair<array, array>(const array&)> value_and_grad(
    const std::function<array(const array&)>& fun) {
  auto vg = value_and_grad(
      [fun](const std::vector<array>& x) { return std::vector<array>{fun(x[0])}; }, {0});
  return [vg](const array& x) {
    auto [v, g] = vg({x});
    return std::make_pair(v[0], g[0]);
  };
}

ArrayFn grad(const std::function<array(const std::vector<array>&)>& fun, std::vector<int> argnums) {
  auto vg =
      value_and_grad([fun](const std::vector<array>& x) { return std::vector<array>{fun(x)}; },
                     std::move(argnums));
  return [vg](const std::vector<array>& x) { return vg(x).second; };
}

std::function<array(const array&)> grad(const std::function<array(const array&)>& fun) {
  auto vg = value_and_grad(fun);
  return [vg](const array& x) { return vg(x).second; };
}

}  // namespace tandem
