// Transform rules of the shape primitives: each is linear, so its jvp is
// the primitive applied to the tangent and its vjp the adjoint map.
#include "tandem/ops/shape.h"

#include <numeric>

#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/reduce.h"
#include "tandem/pool.h"
#include "tandem/primitives/indexing.h"
#include "tandem/primitives/shape.h"
#include "tandem/transforms/rules.h"

namespace tandem {

std::vector<array> Reshape::vjp(const std::vector<array>& primals,
                                const std::vector<array>& cotangents, const std::vector<int>&,
                                const std::vector<array>&) {
  return {reshape(cotangents[0], primals[0].shape(), stream())};
}

std::vector<array> Reshape::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                const std::vector<int>&, const std::vector<array>& outputs) {
  return {reshape(tangents[0], outputs[0].shape(), stream())};
}

std::vector<array> Transpose::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                                  const std::vector<int>&, const std::vector<array>&) {
  std::vector<int> inverse(axes_.size());
  for (size_t i = 0; i < axes_.size(); ++i) inverse[axes_[i]] = static_cast<int>(i);
  return {transpose(cotangents[0], inverse, stream())};
}

std::vector<array> Transpose::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                  const std::vector<int>&, const std::vector<array>&) {
  return {transpose(tangents[0], axes_, stream())};
}

// The cotangent summed over the axes the broadcast added or stretched.
std::vector<array> Broadcast::vjp(const std::vector<array>& primals,
                                  const std::vector<array>& cotangents, const std::vector<int>&,
                                  const std::vector<array>&) {
  Stream s = stream();
  const Shape& in = primals[0].shape();
  const Shape& out = cotangents[0].shape();
  int lead = static_cast<int>(out.size() - in.size());
  std::vector<int> axes;
  for (int i = 0; i < static_cast<int>(out.size()); ++i) {
    if (i < lead || (in[i - lead] == 1 && out[i] != 1)) axes.push_back(i);
  }
  array g = axes.empty() ? cotangents[0] : sum(cotangents[0], axes, true, s);
  return {reshape(g, in, s)};
}

std::vector<array> Broadcast::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                  const std::vector<int>&, const std::vector<array>& outputs) {
  return {broadcast_to(tangents[0], outputs[0].shape(), stream())};
}

// The cotangent written into zeros at the sliced positions.
std::vector<array> Slice::vjp(const std::vector<array>& primals,
                              const std::vector<array>& cotangents, const std::vector<int>&,
                              const std::vector<array>&) {
  Stream s = stream();
  const array& x = primals[0];
  if (cotangents[0].size() == 0) return {zeros_like(x, s)};
  return {array(x.shape(), x.dtype(), make_pooled<SliceUpdate>(s, start_, strides_),
                {zeros_like(x, s), astype(cotangents[0], x.dtype(), s)})};
}

std::vector<array> Slice::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                              const std::vector<int>&, const std::vector<array>& outputs) {
  const array& t = tangents[0];
  return {
      array(outputs[0].shape(), t.dtype(), make_pooled<Slice>(stream(), start_, strides_), {t})};
}

// Each output element reads input element offset + sum_d i_d * stride_d:
// the cotangent is added into those elements (several when views overlap).
std::vector<array> AsStrided::vjp(const std::vector<array>& primals,
                                  const std::vector<array>& cotangents, const std::vector<int>&,
                                  const std::vector<array>& outputs) {
  Stream s = stream();
  const array& x = primals[0];
  const Shape& shape = outputs[0].shape();
  int nd = static_cast<int>(shape.size());
  array idx = array(offset_, int64);
  for (int d = 0; d < nd; ++d) {
    Shape bshape(nd, 1);
    bshape[d] = shape[d];
    array r = multiply(arange(int64_t(0), int64_t(shape[d]), int64_t(1), int64, s),
                       array(strides_[d], int64), s);
    idx = add(idx, reshape(r, bshape, s), s);
  }
  size_t n = outputs[0].size();
  array flat_idx = reshape(broadcast_to(idx, shape, s), {static_cast<ShapeElem>(n)}, s);
  array flat_cot = reshape(astype(cotangents[0], x.dtype(), s), {static_cast<ShapeElem>(n)}, s);
  array g = scatter_add_axis(zeros({static_cast<ShapeElem>(x.size())}, x.dtype(), s), flat_idx,
                             flat_cot, 0, s);
  return {reshape(g, x.shape(), s)};
}

std::vector<array> AsStrided::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                  const std::vector<int>&, const std::vector<array>& outputs) {
  return {as_strided(tangents[0], outputs[0].shape(), strides_, offset_, stream())};
}

std::pair<std::vector<array>, std::vector<int>> Reshape::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes,
                                                              const std::vector<array>& outputs) {
  Stream s = stream();
  array x = rules::batch_front(inputs[0], axes[0], 0, s);
  Shape shape = outputs[0].shape();
  shape.insert(shape.begin(), x.shape()[0]);
  return {{reshape(x, shape, s)}, {0}};
}

std::pair<std::vector<array>, std::vector<int>> Transpose::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes,
                                                                const std::vector<array>&) {
  Stream s = stream();
  array x = rules::batch_front(inputs[0], axes[0], 0, s);
  std::vector<int> perm{0};
  for (int a : axes_) perm.push_back(a + 1);
  return {{transpose(x, perm, s)}, {0}};
}

std::pair<std::vector<array>, std::vector<int>> Broadcast::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes,
                                                                const std::vector<array>& outputs) {
  Stream s = stream();
  array x = rules::batch_front(inputs[0], axes[0], 0, s);
  const Shape& out = outputs[0].shape();
  // Leading dims the broadcast adds go after the batch axis.
  Shape sh(out.size() + 1, 1);
  sh[0] = x.shape()[0];
  int lead = static_cast<int>(out.size()) - (x.ndim() - 1);
  for (int i = 1; i < x.ndim(); ++i) sh[lead + i] = x.shape()[i];
  Shape full = out;
  full.insert(full.begin(), x.shape()[0]);
  return {{broadcast_to(reshape(x, sh, s), full, s)}, {0}};
}

std::pair<std::vector<array>, std::vector<int>> Slice::vmap(const std::vector<array>& inputs,
                                                            const std::vector<int>& axes,
                                                            const std::vector<array>& outputs) {
  Stream s = stream();
  array x = rules::batch_front(inputs[0], axes[0], 0, s);
  Shape start = start_, steps = strides_, shape = outputs[0].shape();
  start.insert(start.begin(), 0);
  steps.insert(steps.begin(), 1);
  shape.insert(shape.begin(), x.shape()[0]);
  return {{array(shape, x.dtype(), make_pooled<Slice>(s, start, steps), {x})}, {0}};
}

std::pair<std::vector<array>, std::vector<int>> AsStrided::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes,
                                                                const std::vector<array>& outputs) {
  Stream s = stream();
  array x = rules::batch_front(inputs[0], axes[0], 0, s);
  // Each batch element's view, one element size of the input apart.
  Strides st = strides_;
  st.insert(st.begin(), static_cast<int64_t>(inputs[0].size() / std::max<size_t>(1, x.shape()[0])));
  Shape shape = outputs[0].shape();
  shape.insert(shape.begin(), x.shape()[0]);
  return {{as_strided(x, shape, st, offset_, s)}, {0}};
}

// Reading bytes as another type has no derivative: zero (MLX raises here; a
// zero keeps a graph with an integer view of a float differentiable).
std::vector<array> View::vjp(const std::vector<array>& primals, const std::vector<array>&,
                             const std::vector<int>&, const std::vector<array>&) {
  return {zeros_like(primals[0], stream())};
}

std::vector<array> View::jvp(const std::vector<array>&, const std::vector<array>&,
                             const std::vector<int>&, const std::vector<array>& outputs) {
  return {zeros_like(outputs[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> View::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes,
                                                           const std::vector<array>& outputs) {
  // The last dim changes size: keep the batch away from it.
  Stream s = stream();
  array x = rules::batch_front(inputs[0], axes[0], 0, s);
  return {{view(x, outputs[0].dtype(), s)}, {0}};
}

}  // namespace tandem
