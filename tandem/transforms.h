#pragma once
// Evaluation of lazy graphs, and the function transforms (vjp, jvp, grad,
// value_and_grad, vmap) over the graph of primitives a function builds.
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "tandem/array.h"

namespace tandem {

// Computes outputs: schedules every unscheduled node they depend on onto its
// stream, then waits for the outputs only. Rethrows a failure of any task
// they depend on.
void eval(std::vector<array> outputs);
template <typename... Arrays>
void eval(Arrays... outputs) {
  eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}
// Schedules like eval but returns at once; wait with array::wait() or eval.
void async_eval(std::vector<array> outputs);

// A function of arrays, as the transforms take it.
using ArrayFn = std::function<std::vector<array>(const std::vector<array>&)>;

// Reverse mode: runs fun on primals and returns (fun's outputs, the
// vector-Jacobian products of the cotangents, one per primal). cotangents
// has one array per output, each of that output's shape. Nothing is
// evaluated: the results are lazy arrays on the streams of the primitives
// they differentiate.
std::pair<std::vector<array>, std::vector<array>> vjp(const ArrayFn& fun,
                                                      const std::vector<array>& primals,
                                                      const std::vector<array>& cotangents);
std::pair<array, array> vjp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& cotangent);

// Forward mode: runs fun on primals and returns (fun's outputs, the
// Jacobian-vector products of the tangents, one per output).
std::pair<std::vector<array>, std::vector<array>> jvp(const ArrayFn& fun,
                                                      const std::vector<array>& primals,
                                                      const std::vector<array>& tangents);
std::pair<array, array> jvp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& tangent);

// value_and_grad(fun, argnums)(args) returns (fun(args), the gradients of
// fun(args)[0], a scalar, with respect to args[i] for i in argnums).
using ValueAndGradFn =
    std::function<std::pair<std::vector<array>, std::vector<array>>(const std::vector<array>&)>;
ValueAndGradFn value_and_grad(const ArrayFn& fun, std::vector<int> argnums = {0});
std::function<std::pair<array, array>(const array&)> value_and_grad(
    const std::function<array(const array&)>& fun);

// grad(fun, argnums)(args): the gradients of value_and_grad.
ArrayFn grad(const std::function<array(const std::vector<array>&)>& fun,
             std::vector<int> argnums = {0});
std::function<array(const array&)> grad(const std::function<array(const array&)>& fun);

// vmap(fun, in_axes, out_axes)(args): fun mapped over axis in_axes[i] of
// args[i] (-1: args[i] is shared by every batch element; empty: 0 for all),
// the batch placed at axis out_axes[j] of output j (empty: 0 for all).
ArrayFn vmap(const ArrayFn& fun, std::vector<int> in_axes = {}, std::vector<int> out_axes = {});
std::function<array(const array&)> vmap(const std::function<array(const array&)>& fun,
                                        int in_axis = 0, int out_axis = 0);

// fun with its own transform rules: vjp(inputs, cotangents, outputs) gives
// every input's cotangent; jvp(inputs, tangents, argnums) the outputs'
// tangents; vmap(inputs, axes) the batched outputs and their axes. A rule
// left out transforms fun itself.
ArrayFn custom_function(
    ArrayFn fun,
    std::optional<std::function<std::vector<array>(
        const std::vector<array>&, const std::vector<array>&, const std::vector<array>&)>>
        vjp = std::nullopt,
    std::optional<std::function<std::vector<array>(
        const std::vector<array>&, const std::vector<array>&, const std::vector<int>&)>>
        jvp = std::nullopt,
    std::optional<std::function<std::pair<std::vector<array>, std::vector<int>>(
        const std::vector<array>&, const std::vector<int>&)>>
        vmap = std::nullopt);

// fun whose intermediates a vjp does not keep: the backward pass computes
// them again from the inputs.
ArrayFn checkpoint(ArrayFn fun);

namespace detail {
// How many transforms this thread is inside (vjp, jvp, vmap tracing).
int tracing_depth();
// Marks the thread as tracing while alive.
struct TracingScope {
  TracingScope();
  ~TracingScope();
  TracingScope(const TracingScope&) = delete;
  TracingScope& operator=(const TracingScope&) = delete;
};
}  // namespace detail

}  // namespace tandem
