// custom_function and checkpoint, and the rules of their primitive,
// CustomTransforms: the user's overrides, or the function transformed anew
// from its inputs (so a vjp never reads the first run's intermediates).
#include "tandem/primitives/custom.h"

#include <algorithm>

#include "tandem/ops/creation.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/pool.h"
#include "tandem/transforms.h"
#include "tandem/transforms/graph.h"

namespace tandem {
namespace {

std::vector<array> head(const std::vector<array>& v, int n) {
  return std::vector<array>(v.begin(), v.begin() + n);
}

}  // namespace

ArrayFn custom_function(ArrayFn fun, std::optional<CustomVjp> vjp_fn,
                        std::optional<CustomJvp> jvp_fn, std::optional<CustomVmap> vmap_fn) {
  return [fun, vjp_fn, jvp_fn, vmap_fn](const std::vector<array>& args) {
    std::vector<array> outs = fun(args);
    if (outs.empty()) return outs;
    Stream s = stream_of(outs[0]);
    std::vector<array> inputs(args);
    std::vector<Shape> shapes;
    std::vector<Dtype> dtypes;
    for (auto& o : outs) {
      // Transforms walk the node's rules, not the graph behind the outputs.
      inputs.push_back(stop_gradient(o, stream_of(o)));
      shapes.push_back(o.shape());
      dtypes.push_back(o.dtype());
    }
    auto prim = make_pooled<CustomTransforms>(s, static_cast<int>(args.size()), fun, vjp_fn, jvp_fn,
                                              vmap_fn);
    return array::make_arrays(std::move(shapes), dtypes, std::move(prim), std::move(inputs));
  };
}

ArrayFn checkpoint(ArrayFn fun) {
  // The rules without overrides transform fun again from its inputs.
  return custom_function(std::move(fun));
}

std::vector<array> CustomTransforms::vjp(const std::vector<array>& primals,
                                         const std::vector<array>& cotangents,
                                         const std::vector<int>& argnums,
                                         const std::vector<array>& outputs) {
  auto ins = head(primals, num_inputs_);
  std::vector<array> all;
  if (vjp_) {
    // The backward walk still reads the nodes of the primals (tracers): if
    // the rule evaluates one (prints it), eval must keep its node, as it does
    // while tracing.
    detail::TracingScope tracing;
    all = (*vjp_)(ins, cotangents, outputs);
  } else {
    all = tandem::vjp(fun_, ins, cotangents).second;
  }
  if (static_cast<int>(all.size()) != num_inputs_) {
    throw std::invalid_argument("[custom_function] the vjp gave " + std::to_string(all.size()) +
                                " cotangents for " + std::to_string(num_inputs_) + " inputs");
  }
  std::vector<array> out;
  for (int k : argnums) {
    out.push_back(k < num_inputs_ ? all[k] : zeros_like(primals[k], stream()));
  }
  return out;
}

std::vector<array> CustomTransforms::jvp(const std::vector<array>& primals,
                                         const std::vector<array>& tangents,
                                         const std::vector<int>& argnums,
                                         const std::vector<array>& outputs) {
  auto ins = head(primals, num_inputs_);
  std::vector<int> nums;
  std::vector<array> ts;
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] < num_inputs_) {
      nums.push_back(argnums[i]);
      ts.push_back(tangents[i]);
    }
  }
  if (jvp_) {
    detail::TracingScope tracing;  // as for the vjp rule
    return (*jvp_)(ins, ts, nums);
  }
  std::vector<array> full;
  for (auto& x : ins) full.push_back(zeros_like(x, stream()));
  for (size_t i = 0; i < nums.size(); ++i) full[nums[i]] = ts[i];
  (void)outputs;
  return tandem::jvp(fun_, ins, full).second;
}

// Without an override, the outputs (inputs after num_inputs) were batched
// through the graph that computed them.
std::pair<std::vector<array>, std::vector<int>> CustomTransforms::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes, const std::vector<array>&) {
  if (vmap_)
    return (*vmap_)(head(inputs, num_inputs_),
                    std::vector<int>(axes.begin(), axes.begin() + num_inputs_));
  return {std::vector<array>(inputs.begin() + num_inputs_, inputs.end()),
          std::vector<int>(axes.begin() + num_inputs_, axes.end())};
}

std::vector<array> Depends::vjp(const std::vector<array>& primals,
                                const std::vector<array>& cotangents,
                                const std::vector<int>& argnums, const std::vector<array>&) {
  std::vector<array> out;
  for (int k : argnums) {
    out.push_back(k < num_inputs_ ? cotangents[k] : zeros_like(primals[k], stream()));
  }
  return out;
}

std::vector<array> Depends::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                const std::vector<int>& argnums,
                                const std::vector<array>& outputs) {
  std::vector<array> out;
  for (size_t j = 0; j < outputs.size(); ++j) {
    auto it = std::find(argnums.begin(), argnums.end(), static_cast<int>(j));
    out.push_back(it != argnums.end() ? tangents[it - argnums.begin()]
                                      : zeros_like(outputs[j], stream()));
  }
  return out;
}

std::pair<std::vector<array>, std::vector<int>> Depends::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes,
                                                              const std::vector<array>&) {
  std::vector<array> ins(inputs.begin(), inputs.begin() + num_inputs_);
  std::vector<array> deps(inputs.begin() + num_inputs_, inputs.end());
  return {depends(ins, deps, stream()), std::vector<int>(axes.begin(), axes.begin() + num_inputs_)};
}

}  // namespace tandem
