// Transform rules of the Binary and Select primitives. A Binary input is
// either the output's shape or one element read as a broadcast scalar: its
// cotangent is summed back to its shape (rules::reduce_to).
#include "tandem/ops/binary.h"

#include <optional>

#include "tandem/ops/creation.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/pool.h"
#include "tandem/primitives/binary.h"
#include "tandem/transforms/rules.h"

namespace tandem {
namespace {

using rules::scalar_like;

// d out / d input k at (a, b), out = op(a, b); nothing where it is zero
// (comparisons, logical and bitwise ops, rounding divisions).
std::optional<array> partial(BinaryOp op, int k, const array& a, const array& b, const array& out,
                             Stream s) {
  switch (op) {
    case BinaryOp::Add:
      return scalar_like(1, a);
    case BinaryOp::Subtract:
      return scalar_like(k == 0 ? 1 : -1, a);
    case BinaryOp::Multiply:
      return k == 0 ? b : a;
    case BinaryOp::Divide:
      return k == 0 ? reciprocal(b, s) : negative(divide(out, b, s), s);
    case BinaryOp::Remainder:  // a - b * floor(a / b)
      return k == 0 ? scalar_like(1, a) : negative(floor_divide(a, b, s), s);
    case BinaryOp::LogAddExp:
      return exp(subtract(k == 0 ? a : b, out, s), s);
    case BinaryOp::ArcTan2: {  // atan2(a, b): a is y, b is x
      array r2 = add(square(a, s), square(b, s), s);
      return k == 0 ? divide(b, r2, s) : negative(divide(a, r2, s), s);
    }
    case BinaryOp::Power:
      if (k == 0) return multiply(b, power(a, subtract(b, scalar_like(1, b), s), s), s);
      // out * log(a), taken as 0 at a == 0 (MLX's value there).
      return where(equal(a, scalar_like(0, a), s), scalar_like(0, a), multiply(out, log(a, s), s),
                   s);
    case BinaryOp::Maximum:
    case BinaryOp::Minimum: {
      // a's where it wins strictly; ties go to b (as MLX).
      array a_wins = op == BinaryOp::Maximum ? greater(a, b, s) : less(a, b, s);
      array m = astype(a_wins, a.dtype(), s);
      return k == 0 ? m : subtract(scalar_like(1, a), m, s);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

std::vector<array> Binary::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>& outputs) {
  Stream s = stream();
  std::vector<array> out;
  out.reserve(argnums.size());
  for (int k : argnums) {
    // The linear cases need no product.
    if (op_ == BinaryOp::Add || (op_ == BinaryOp::Subtract && k == 0)) {
      out.push_back(rules::reduce_to(cotangents[0], primals[k].shape(), s));
      continue;
    }
    if (op_ == BinaryOp::Subtract) {
      out.push_back(rules::reduce_to(negative(cotangents[0], s), primals[k].shape(), s));
      continue;
    }
    auto d = partial(op_, k, primals[0], primals[1], outputs[0], s);
    if (!d) {
      out.push_back(zeros_like(primals[k], s));
      continue;
    }
    array g = multiply(cotangents[0], rules::conj_if_complex(*d, s), s);
    out.push_back(rules::reduce_to(g, primals[k].shape(), s));
  }
  return out;
}

std::vector<array> Binary::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents, const std::vector<int>& argnums,
                               const std::vector<array>& outputs) {
  Stream s = stream();
  std::optional<array> sum;
  for (size_t i = 0; i < argnums.size(); ++i) {
    auto d = partial(op_, argnums[i], primals[0], primals[1], outputs[0], s);
    if (!d) continue;
    array t = multiply(tangents[i], *d, s);
    sum = sum ? add(*sum, t, s) : t;
  }
  if (!sum || outputs[0].dtype() == bool_) return rules::zero_jvps(outputs, s);
  // A tangent of a scalar input alone has one element: broadcast it.
  return {sum->shape() == outputs[0].shape() ? *sum : broadcast_to(*sum, outputs[0].shape(), s)};
}

std::vector<array> Select::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>&) {
  Stream s = stream();
  const array& c = primals[0];
  array zero = zeros_like(cotangents[0], s);
  std::vector<array> out;
  for (int k : argnums) {
    if (k == 0) {
      out.push_back(zeros_like(c, s));
    } else {
      out.push_back(k == 1 ? where(c, cotangents[0], zero, s) : where(c, zero, cotangents[0], s));
    }
  }
  return out;
}

std::vector<array> Select::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents, const std::vector<int>& argnums,
                               const std::vector<array>& outputs) {
  Stream s = stream();
  array zero = zeros_like(outputs[0], s);
  array x = zero, y = zero;
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == 1) x = tangents[i];
    if (argnums[i] == 2) y = tangents[i];
  }
  return {where(primals[0], x, y, s)};
}

std::pair<std::vector<array>, std::vector<int>> Binary::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes,
                                                             const std::vector<array>& outputs) {
  Stream s = stream();
  auto in = rules::broadcast_batched(inputs, axes, outputs[0].shape(), s);
  Shape shape = in[0].shape();
  return {{array(shape, outputs[0].dtype(), make_pooled<Binary>(s, op_), std::move(in))}, {0}};
}

std::pair<std::vector<array>, std::vector<int>> Select::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes,
                                                             const std::vector<array>& outputs) {
  Stream s = stream();
  auto in = rules::broadcast_batched(inputs, axes, outputs[0].shape(), s);
  Shape shape = in[1].shape();
  return {{array(shape, outputs[0].dtype(), make_pooled<Select>(s), std::move(in))}, {0}};
}

}  // namespace tandem
