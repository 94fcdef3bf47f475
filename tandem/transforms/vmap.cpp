// vmap: trace the function on placeholders of one batch element, then
// rebuild the traced graph over the whole batch with each primitive's vmap
// rule.
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "tandem/ops/shape.h"
#include "tandem/pool.h"
#include "tandem/primitive.h"
#include "tandem/transforms.h"
#include "tandem/transforms/graph.h"

namespace tandem {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::invalid_argument("[vmap] " + what);
}

// One batch element of a vmapped input while the function is traced: it
// holds no data, so evaluating it (printing, item(), eval) is an error.
class VmapInput : public Primitive {
 public:
  explicit VmapInput(Stream s) : Primitive(s) {}
  void eval_cpu(const std::vector<array>&, std::vector<array>&) override { refuse(); }
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { refuse(); }
  const char* name() const override { return "VmapInput"; }

 private:
  [[noreturn]] static void refuse() {
    throw std::invalid_argument(
        "[eval] an array inside vmap has no values to evaluate (it stands for every batch "
        "element); return it from the function instead of printing or evaluating it");
  }
};

}  // namespace

ArrayFn vmap(const ArrayFn& fun, std::vector<int> in_axes, std::vector<int> out_axes) {
  return [fun, in_axes, out_axes](const std::vector<array>& args) {
    std::vector<int> axes = in_axes.empty() ? std::vector<int>(args.size(), 0) : in_axes;
    if (axes.size() != args.size()) {
      fail("in_axes has " + std::to_string(axes.size()) + " entries for " +
           std::to_string(args.size()) + " arguments");
    }
    int b = -1;
    std::vector<array> placeholders, traced;
    std::unordered_map<uintptr_t, std::pair<array, int>> batched;
    for (size_t i = 0; i < args.size(); ++i) {
      const array& x = args[i];
      int ax = axes[i];
      if (ax < 0) {
        traced.push_back(x);
        continue;
      }
      if (ax >= x.ndim()) {
        fail("in_axes " + std::to_string(ax) + " is out of range for argument " +
             std::to_string(i) + " of shape " + shape_str(x.shape()));
      }
      if (b >= 0 && x.shape()[ax] != b) {
        fail("inconsistent sizes along the mapped axes: " + std::to_string(b) + " and " +
             std::to_string(x.shape()[ax]) + " (argument " + std::to_string(i) + ", shape " +
             shape_str(x.shape()) + ")");
      }
      b = x.shape()[ax];
      Shape one = x.shape();
      one.erase(one.begin() + ax);
      array p(one, x.dtype(), make_pooled<VmapInput>(stream_of(x)), std::vector<array>{});
      p.desc()->tracer = true;
      placeholders.push_back(p);
      traced.push_back(p);
      batched.emplace(p.id(), std::make_pair(x, ax));
    }
    if (b < 0) fail("at least one argument must be mapped (in_axes all None)");
    std::vector<array> outputs;
    {
      detail::TracingScope tracing;
      outputs = fun(traced);
    }
    GraphWalk walk(placeholders, outputs, true);
    for (const array& a : walk.tape()) {
      std::vector<array> ins;
      std::vector<int> iax;
      for (auto& in : a.inputs()) {
        auto it = batched.find(in.id());
        if (it != batched.end()) {
          ins.push_back(it->second.first);
          iax.push_back(it->second.second);
        } else {
          ins.push_back(in);
          iax.push_back(-1);
        }
      }
      auto outs = node_outputs(a);
      auto [vouts, vaxes] = a.primitive().vmap(ins, iax, outs);
      if (vouts.size() != outs.size() || vaxes.size() != outs.size()) {
        fail(std::string("the rule of ") + a.primitive().name() + " gave " +
             std::to_string(vouts.size()) + " outputs for " + std::to_string(outs.size()));
      }
      for (size_t j = 0; j < outs.size(); ++j) {
        batched.insert_or_assign(outs[j].id(), std::make_pair(vouts[j], vaxes[j]));
      }
    }
    std::vector<int> oax = out_axes.empty() ? std::vector<int>(outputs.size(), 0) : out_axes;
    if (oax.size() != outputs.size()) {
      fail("out_axes has " + std::to_string(oax.size()) + " entries for " +
           std::to_string(outputs.size()) + " outputs");
    }
    std::vector<array> res;
    for (size_t j = 0; j < outputs.size(); ++j) {
      auto it = batched.find(outputs[j].id());
      array o = outputs[j];
      int ax = -1;
      if (it != batched.end()) {
        o = it->second.first;
        ax = it->second.second;
      }
      int nd = o.ndim() + (ax < 0 ? 1 : 0);
      int to = oax[j] < 0 ? oax[j] + nd : oax[j];
      if (to < 0 || to >= nd) {
        fail("out_axes " + std::to_string(oax[j]) + " is out of range for output " +
             std::to_string(j) + " with " + std::to_string(nd) + " dims");
      }
      Stream s = stream_of(o);
      if (ax < 0) {
        // Not batched: the same value for every batch element.
        array e = expand_dims(o, to, s);
        Shape shape = e.shape();
        shape[to] = b;
        res.push_back(broadcast_to(e, shape, s));
      } else {
        res.push_back(ax == to ? o : moveaxis(o, ax, to, s));
      }
    }
    return res;
  };
}

std::function<array(const array&)> vmap(const std::function<array(const array&)>& fun, int in_axis,
                                        int out_axis) {
  auto f = vmap([fun](const std::vector<array>& x) { return std::vector<array>{fun(x[0])}; },
                {in_axis}, {out_axis});
  return [f](const array& x) { return f({x})[0]; };
}

}  // namespace tandem
