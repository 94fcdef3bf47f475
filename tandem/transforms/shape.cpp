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

}  // namespace tandem
