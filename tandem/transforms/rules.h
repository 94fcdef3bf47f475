#pragma once
// Helpers the transform rules of every primitive family share.
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::rules {

// Whether values of dtype t carry derivatives (floating and complex types).
bool differentiable(Dtype t);
// d itself, conjugated when complex: a cotangent of a complex value is
// dL/dre + i dL/dim, so a vjp multiplies by the conjugate derivative.
array conj_if_complex(const array& d, Stream s);
// v as a 0-d array of a's dtype (so that it never promotes a).
array scalar_like(double v, const array& a);
// g summed down to shape: g's shape, or one element (a Binary input read as
// a broadcast scalar).
array reduce_to(const array& g, const Shape& shape, Stream s);
// Zero cotangents for primals[argnums[i]].
std::vector<array> zero_vjps(const std::vector<array>& primals, const std::vector<int>& argnums,
                             Stream s);
// Zero tangents for every output.
std::vector<array> zero_jvps(const std::vector<array>& outputs, Stream s);
// The jvp of a primitive linear in each input: the sum over the given
// tangents of lin(k, t_k), k the input's number.
template <class Lin>
array linear_jvp(const std::vector<array>& tangents, const std::vector<int>& argnums, Stream s,
                 Lin&& lin);

}  // namespace tandem::rules

#include "tandem/ops/binary.h"

namespace tandem::rules {
template <class Lin>
array linear_jvp(const std::vector<array>& tangents, const std::vector<int>& argnums, Stream s,
                 Lin&& lin) {
  array out = lin(argnums[0], tangents[0]);
  for (size_t i = 1; i < argnums.size(); ++i) out = add(out, lin(argnums[i], tangents[i]), s);
  return out;
}
}  // namespace tandem::rules

namespace tandem::rules {

// The batch size of a vmap rule's inputs (the size of any batched axis).
int batch_size(const std::vector<array>& inputs, const std::vector<int>& axes);
// x with its batch axis (-1: none) moved to the front; an unbatched x gets
// a leading axis of size 1, broadcast to b when b > 0.
array batch_front(const array& x, int axis, int b, Stream s);
// Elementwise inputs (each out's shape or one element) with the batch in
// front, each broadcast to (batch, out...).
std::vector<array> broadcast_batched(const std::vector<array>& inputs, const std::vector<int>& axes,
                                     const Shape& out, Stream s);

}  // namespace tandem::rules
