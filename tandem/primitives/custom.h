#pragma once
// Transform overrides of a user function (custom_function, checkpoint).
#include <functional>
#include <optional>
#include <vector>

#include "tandem/primitive.h"

namespace tandem {

// Given the function's inputs, the cotangents of its outputs and the
// outputs: the cotangents of every input.
using CustomVjp = std::function<std::vector<array>(
    const std::vector<array>&, const std::vector<array>&, const std::vector<array>&)>;
// Given the inputs, the tangents of the inputs argnums: the outputs' tangents.
using CustomJvp = std::function<std::vector<array>(
    const std::vector<array>&, const std::vector<array>&, const std::vector<int>&)>;
// Given the inputs and their batch axes (-1: none): the outputs and theirs.
using CustomVmap = std::function<std::pair<std::vector<array>, std::vector<int>>(
    const std::vector<array>&, const std::vector<int>&)>;

// Inputs: the function's num_inputs inputs, then its outputs; the node's
// outputs are views of the latter. The transforms call the overrides (or,
// without one, transform the function itself) instead of the graph that
// computed the outputs.
class CustomTransforms : public Primitive {
 public:
  CustomTransforms(Stream s, int num_inputs,
                   std::function<std::vector<array>(const std::vector<array>&)> fun,
                   std::optional<CustomVjp> vjp, std::optional<CustomJvp> jvp,
                   std::optional<CustomVmap> vmap)
      : Primitive(s),
        num_inputs_(num_inputs),
        fun_(std::move(fun)),
        vjp_(std::move(vjp)),
        jvp_(std::move(jvp)),
        vmap_(std::move(vmap)) {}
  TANDEM_PRIMITIVE(CustomTransforms)

 private:
  int num_inputs_;
  std::function<std::vector<array>(const std::vector<array>&)> fun_;
  std::optional<CustomVjp> vjp_;
  std::optional<CustomJvp> jvp_;
  std::optional<CustomVmap> vmap_;
};

// depends: inputs are the arrays passed through, then the dependencies; the
// outputs are views of the former, so evaluating them runs the latter too.
// Derivatives pass to the former only.
class Depends : public Primitive {
 public:
  Depends(Stream s, int num_inputs) : Primitive(s), num_inputs_(num_inputs) {}
  TANDEM_PRIMITIVE(Depends)
  int num_inputs() const { return num_inputs_; }

 private:
  int num_inputs_;
};

}  // namespace tandem
