// Transform rules of the Unary, StopGradient and AsType primitives.
#include "tandem/ops/unary.h"

#include <cmath>
#include <optional>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/pool.h"
#include "tandem/primitives/creation.h"
#include "tandem/primitives/shape.h"
#include "tandem/primitives/unary.h"
#include "tandem/transforms/rules.h"

namespace tandem {
namespace {

using rules::scalar_like;

// d out / d x of an elementwise function at x (out = f(x)); nothing for a
// function whose derivative is zero wherever it exists.
std::optional<array> derivative(UnaryOp op, const array& x, const array& out, Stream s) {
  auto c = [&](double v) { return scalar_like(v, x); };
  auto one_minus_sq = [&](const array& v) { return subtract(c(1), square(v, s), s); };
  switch (op) {
    case UnaryOp::Abs:
      return sign(x, s);
    case UnaryOp::Negative:
      return c(-1);
    case UnaryOp::Square:
      return multiply(c(2), x, s);
    case UnaryOp::Sqrt:
      return divide(c(0.5), out, s);
    case UnaryOp::Rsqrt:  // -x^(-3/2) / 2
      return multiply(c(-0.5), divide(out, x, s), s);
    case UnaryOp::Reciprocal:
      return negative(square(out, s), s);
    case UnaryOp::Exp:
      return out;
    case UnaryOp::Expm1:
      return add(out, c(1), s);
    case UnaryOp::Erf:
      return multiply(c(2 / std::sqrt(M_PI)), exp(negative(square(x, s), s), s), s);
    case UnaryOp::ErfInv:
      return multiply(c(std::sqrt(M_PI) / 2), exp(square(out, s), s), s);
    case UnaryOp::Sin:
      return cos(x, s);
    case UnaryOp::Cos:
      return negative(sin(x, s), s);
    case UnaryOp::Tan:
      return add(c(1), square(out, s), s);
    case UnaryOp::ArcSin:
      return rsqrt(one_minus_sq(x), s);
    case UnaryOp::ArcCos:
      return negative(rsqrt(one_minus_sq(x), s), s);
    case UnaryOp::ArcTan:
      return reciprocal(add(c(1), square(x, s), s), s);
    case UnaryOp::Sinh:
      return cosh(x, s);
    case UnaryOp::Cosh:
      return sinh(x, s);
    case UnaryOp::Tanh:
      return one_minus_sq(out);
    case UnaryOp::ArcSinh:
      return rsqrt(add(square(x, s), c(1), s), s);
    case UnaryOp::ArcCosh:
      return rsqrt(subtract(square(x, s), c(1), s), s);
    case UnaryOp::ArcTanh:
      return reciprocal(one_minus_sq(x), s);
    case UnaryOp::Log:
      return reciprocal(x, s);
    case UnaryOp::Log2:
      return reciprocal(multiply(x, c(std::log(2.0)), s), s);
    case UnaryOp::Log10:
      return reciprocal(multiply(x, c(std::log(10.0)), s), s);
    case UnaryOp::Log1p:
      return reciprocal(add(x, c(1), s), s);
    case UnaryOp::Sigmoid:
      return multiply(out, subtract(c(1), out, s), s);
    default:  // Sign, rounding, predicates, LogicalNot, BitwiseInvert; Conj/Real/Imag below
      return std::nullopt;
  }
}

// The linear map of Conj, Real and Imag on a tangent (complex in, for
// Real/Imag), and its adjoint on a cotangent: a cotangent of a complex value
// is dL/dre + i dL/dim.
array complex_part(UnaryOp op, const array& t, Stream s) {
  if (op == UnaryOp::Conj) return conjugate(t, s);
  return op == UnaryOp::Real ? real(t, s) : imag(t, s);
}
array complex_part_adjoint(UnaryOp op, const array& g, Stream s) {
  if (op == UnaryOp::Conj) return conjugate(g, s);
  array z = astype(g, complex64, s);
  return op == UnaryOp::Real ? z : multiply(z, array(complex64_t(0.f, 1.f)), s);
}

bool is_complex_part(UnaryOp op) {
  return op == UnaryOp::Conj || op == UnaryOp::Real || op == UnaryOp::Imag;
}

}  // namespace

std::vector<array> Unary::vjp(const std::vector<array>& primals,
                              const std::vector<array>& cotangents, const std::vector<int>& argnums,
                              const std::vector<array>& outputs) {
  Stream s = stream();
  const array& x = primals[0];
  if (is_complex_part(op_)) return {complex_part_adjoint(op_, cotangents[0], s)};
  // |z| is not holomorphic: dL/dre + i dL/dim = g * (re + i im) / |z| = g * sign(z).
  if (op_ == UnaryOp::Abs && is_complex(x.dtype())) return {multiply(cotangents[0], sign(x, s), s)};
  auto d = derivative(op_, x, outputs[0], s);
  if (!d) return rules::zero_vjps(primals, argnums, s);
  return {multiply(cotangents[0], rules::conj_if_complex(*d, s), s)};
}

std::vector<array> Unary::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                              const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  const array& x = primals[0];
  if (is_complex_part(op_)) return {complex_part(op_, tangents[0], s)};
  // d|z| = re(conj(z) dz) / |z| (a real tangent for the real output).
  if (op_ == UnaryOp::Abs && is_complex(x.dtype())) {
    return {real(multiply(conjugate(sign(x, s), s), tangents[0], s), s)};
  }
  auto d = derivative(op_, x, outputs[0], s);
  if (!d) return rules::zero_jvps(outputs, s);
  return {multiply(tangents[0], *d, s)};
}

std::vector<array> StopGradient::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                     const std::vector<int>& argnums, const std::vector<array>&) {
  return rules::zero_vjps(primals, argnums, stream());
}

std::vector<array> StopGradient::jvp(const std::vector<array>&, const std::vector<array>&,
                                     const std::vector<int>&, const std::vector<array>& outputs) {
  return rules::zero_jvps(outputs, stream());
}

std::vector<array> Identity::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                                 const std::vector<int>&, const std::vector<array>&) {
  return {cotangents[0]};
}

std::vector<array> Identity::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                 const std::vector<int>&, const std::vector<array>&) {
  return {tangents[0]};
}

// A conversion passes derivatives on, converted (as MLX, integer types
// too); to bool they are zero.
std::vector<array> AsType::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>& outputs) {
  Stream s = stream();
  const array& x = primals[0];
  if (outputs[0].dtype() == bool_) return rules::zero_vjps(primals, argnums, s);
  array g = cotangents[0];
  // complex -> real keeps the real part's derivative only.
  if (is_complex(g.dtype()) && !is_complex(x.dtype())) g = real(g, s);
  return {astype(g, x.dtype(), s)};
}

std::vector<array> AsType::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents, const std::vector<int>&,
                               const std::vector<array>& outputs) {
  Stream s = stream();
  if (outputs[0].dtype() == bool_) return rules::zero_jvps(outputs, s);
  array t = tangents[0];
  if (is_complex(t.dtype()) && !is_complex(outputs[0].dtype())) t = real(t, s);
  return {astype(t, outputs[0].dtype(), s)};
}

// Elementwise of one input: the same primitive over the batched input.
std::pair<std::vector<array>, std::vector<int>> Unary::vmap(const std::vector<array>& inputs,
                                                            const std::vector<int>& axes,
                                                            const std::vector<array>& outputs) {
  const array& x = inputs[0];
  return {{array(x.shape(), outputs[0].dtype(), make_pooled<Unary>(stream(), op_), {x})},
          {axes[0]}};
}

std::pair<std::vector<array>, std::vector<int>> StopGradient::vmap(const std::vector<array>& inputs,
                                                                   const std::vector<int>& axes,
                                                                   const std::vector<array>&) {
  return {{stop_gradient(inputs[0], stream())}, {axes[0]}};
}

std::pair<std::vector<array>, std::vector<int>> Identity::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes,
                                                               const std::vector<array>&) {
  const array& x = inputs[0];
  return {{array(x.shape(), x.dtype(), make_pooled<Identity>(stream()), {x})}, {axes[0]}};
}

std::pair<std::vector<array>, std::vector<int>> AsType::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes,
                                                             const std::vector<array>& outputs) {
  const array& x = inputs[0];
  return {
      {array(x.shape(), outputs[0].dtype(), make_pooled<AsType>(stream(), row_contiguous_), {x})},
      {axes[0]}};
}

}  // namespace tandem
