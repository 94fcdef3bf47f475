// Transform rules of Matmul and AddMM. The ops broadcast the batch dims
// before the node, so both operands share them (the Broadcast rule sums).
#include "tandem/ops/matmul.h"

#include <optional>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/shape.h"
#include "tandem/primitives/matmul.h"
#include "tandem/transforms/rules.h"

namespace tandem {
namespace {

// Cotangents of a and b of a @ b, scaled by alpha.
std::vector<array> product_vjp(const array& a, const array& b, const array& g,
                               const std::vector<int>& argnums, double alpha, Stream s) {
  std::vector<array> out;
  array ga = alpha == 1 ? g : multiply(g, rules::scalar_like(alpha, g), s);
  for (int k : argnums) {
    if (k == 0) {
      out.push_back(matmul(ga, rules::conj_if_complex(swapaxes(b, -1, -2, s), s), s));
    } else if (k == 1) {
      out.push_back(matmul(rules::conj_if_complex(swapaxes(a, -1, -2, s), s), ga, s));
    }
  }
  return out;
}

// ta @ b + a @ tb over the given tangents of a (input 0) and b (input 1).
std::optional<array> product_jvp(const array& a, const array& b, const std::vector<array>& tangents,
                                 const std::vector<int>& argnums, Stream s) {
  std::optional<array> out;
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] > 1) continue;
    array t = argnums[i] == 0 ? matmul(tangents[i], b, s) : matmul(a, tangents[i], s);
    out = out ? add(*out, t, s) : t;
  }
  return out;
}

}  // namespace

std::vector<array> Matmul::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>&) {
  return product_vjp(primals[0], primals[1], cotangents[0], argnums, 1, stream());
}

std::vector<array> Matmul::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents, const std::vector<int>& argnums,
                               const std::vector<array>&) {
  return {*product_jvp(primals[0], primals[1], tangents, argnums, stream())};
}

// out = alpha * (a @ b) + beta * c.
std::vector<array> AddMM::vjp(const std::vector<array>& primals,
                              const std::vector<array>& cotangents, const std::vector<int>& argnums,
                              const std::vector<array>&) {
  Stream s = stream();
  const array& g = cotangents[0];
  std::vector<int> ab;
  for (int k : argnums) {
    if (k < 2) ab.push_back(k);
  }
  auto prod = product_vjp(primals[0], primals[1], g, ab, alpha_, s);
  std::vector<array> out;
  size_t next = 0;
  for (int k : argnums) {
    if (k < 2) {
      out.push_back(prod[next++]);
    } else {
      out.push_back(beta_ == 1 ? g : multiply(g, rules::scalar_like(beta_, g), s));
    }
  }
  return out;
}

std::vector<array> AddMM::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                              const std::vector<int>& argnums, const std::vector<array>& outputs) {
  Stream s = stream();
  std::optional<array> out;
  if (auto p = product_jvp(primals[0], primals[1], tangents, argnums, s)) {
    out = alpha_ == 1 ? *p : multiply(*p, rules::scalar_like(alpha_, *p), s);
  }
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] != 2) continue;
    array t =
        beta_ == 1 ? tangents[i] : multiply(tangents[i], rules::scalar_like(beta_, tangents[i]), s);
    out = out ? add(*out, t, s) : t;
  }
  return {out ? *out : zeros_like(outputs[0], s)};
}

// The ops broadcast batch dims, so the batch axis in front of one operand
// (or both) becomes a leading batch dim of the product.
std::pair<std::vector<array>, std::vector<int>> Matmul::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes,
                                                             const std::vector<array>&) {
  Stream s = stream();
  array a = axes[0] >= 0 ? rules::batch_front(inputs[0], axes[0], 0, s) : inputs[0];
  array b = axes[1] >= 0 ? rules::batch_front(inputs[1], axes[1], 0, s) : inputs[1];
  return {{matmul(a, b, s)}, {0}};
}

std::pair<std::vector<array>, std::vector<int>> AddMM::vmap(const std::vector<array>& inputs,
                                                            const std::vector<int>& axes,
                                                            const std::vector<array>& outputs) {
  Stream s = stream();
  array a = axes[0] >= 0 ? rules::batch_front(inputs[0], axes[0], 0, s) : inputs[0];
  array b = axes[1] >= 0 ? rules::batch_front(inputs[1], axes[1], 0, s) : inputs[1];
  if (axes[2] < 0) return {{addmm(inputs[2], a, b, alpha_, beta_, s)}, {0}};
  // A batched c must broadcast against the batched product: its batch axis
  // lines up with the product's leading one (a gets the batch if neither
  // factor has it), its own dims with the product's trailing ones.
  if (axes[0] < 0 && axes[1] < 0) {
    a = rules::batch_front(inputs[0], -1, inputs[2].shape()[axes[2]], s);
  }
  array c = rules::batch_front(inputs[2], axes[2], 0, s);
  Shape cs = c.shape();
  for (int i = static_cast<int>(c.ndim()) - 1; i < static_cast<int>(outputs[0].ndim()); ++i) {
    cs.insert(cs.begin() + 1, 1);
  }
  return {{addmm(reshape(c, cs, s), a, b, alpha_, beta_, s)}, {0}};
}

}  // namespace tandem
