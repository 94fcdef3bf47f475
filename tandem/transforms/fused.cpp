// Transform rules of Fused: the program is rebuilt from its inputs as the
// Unary and Binary nodes it stands for, and that graph is transformed.
#include "tandem/primitives/fused.h"

#include "tandem/pool.h"
#include "tandem/primitives/binary.h"
#include "tandem/primitives/unary.h"
#include "tandem/transforms.h"
#include "tandem/transforms/rules.h"

namespace tandem {
namespace {

// The program's outputs computed by one node per instruction. A value has
// the output shape unless every operand it reads is a broadcast scalar.
std::vector<array> expand(const FusedProgram& p, const std::vector<array>& inputs, Stream s) {
  std::vector<array> vals(inputs.begin(), inputs.end());
  for (auto& ins : p.instrs) {
    if (ins.binary) {
      const array &a = vals[ins.a], &b = vals[ins.b];
      const Shape& shape = a.size() >= b.size() ? a.shape() : b.shape();
      vals.push_back(array(shape, ins.out, make_pooled<Binary>(s, ins.binary_op()), {a, b}));
    } else {
      const array& a = vals[ins.a];
      vals.push_back(array(a.shape(), ins.out, make_pooled<Unary>(s, ins.unary_op()), {a}));
    }
  }
  std::vector<array> outs;
  for (int32_t v : p.outputs) outs.push_back(vals[v]);
  return outs;
}

// The program as a function of the inputs argnums (the others fixed).
ArrayFn of_inputs(const FusedProgram& p, const std::vector<array>& primals,
                  const std::vector<int>& argnums, Stream s) {
  return [&p, primals, argnums, s](const std::vector<array>& t) {
    std::vector<array> all(primals);
    for (size_t i = 0; i < argnums.size(); ++i) all[argnums[i]] = t[i];
    return expand(p, all, s);
  };
}

std::vector<array> pick(const std::vector<array>& v, const std::vector<int>& idx) {
  std::vector<array> out;
  for (int k : idx) out.push_back(v[k]);
  return out;
}

}  // namespace

std::vector<array> Fused::vjp(const std::vector<array>& primals,
                              const std::vector<array>& cotangents, const std::vector<int>& argnums,
                              const std::vector<array>&) {
  auto f = of_inputs(program_, primals, argnums, stream());
  return tandem::vjp(f, pick(primals, argnums), cotangents).second;
}

std::vector<array> Fused::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                              const std::vector<int>& argnums, const std::vector<array>&) {
  auto f = of_inputs(program_, primals, argnums, stream());
  return tandem::jvp(f, pick(primals, argnums), tangents).second;
}

// The program over inputs broadcast to the batched output shape.
std::pair<std::vector<array>, std::vector<int>> Fused::vmap(const std::vector<array>& inputs,
                                                            const std::vector<int>& axes,
                                                            const std::vector<array>& outputs) {
  Stream s = stream();
  auto in = rules::broadcast_batched(inputs, axes, outputs[0].shape(), s);
  auto outs = expand(program_, in, s);
  return {outs, std::vector<int>(outs.size(), 0)};
}

}  // namespace tandem
