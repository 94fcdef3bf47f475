// Transform rules of FFT. The transform is linear over the reals, so its jvp
// is the same transform of the tangent and its vjp the adjoint map, with
// cotangents of complex values read as dL/dre + i dL/dim:
//  - complex: the adjoint of scale * F is scale * F^H, the unnormalized
//    transform the other way;
//  - real forward: the cotangent zero-padded from n / 2 + 1 to n terms along
//    the last axis, the unnormalized complex inverse over every axis, real
//    part;
//  - real inverse: the unnormalized real forward transform of the cotangent,
//    times the Hermitian weights along the last axis (1 for the zero term and,
//    for even n, the Nyquist one, whose imaginary parts the transform ignores;
//    2 for the others, which stand for a pair of conjugate terms).
#include "tandem/primitives/fft.h"

#include <vector>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/pool.h"
#include "tandem/transforms/rules.h"

namespace tandem {

namespace {
array as(const array& x, Dtype t, Stream s) {
  return x.dtype() == t ? x : astype(x, t, s);
}
}  // namespace

std::vector<array> FFT::vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  const array& x = primals[0];
  array g = cotangents[0];
  int last = axes_.back();
  if (!real_) {
    g = as(g, complex64, s);
    return {array(x.shape(), complex64, make_pooled<FFT>(s, axes_, !inverse_, false, scale_), {g})};
  }
  if (!inverse_) {
    g = as(g, complex64, s);
    int n = x.shape()[last], m = g.shape()[last];
    g = pad(g, {last}, {0}, {n - m}, zeros({}, complex64, s), "constant", s);
    array full(x.shape(), complex64, make_pooled<FFT>(s, axes_, true, false, scale_), {g});
    return {tandem::real(full, s)};
  }
  g = as(g, float32, s);
  int n = outputs[0].shape()[last], m = x.shape()[last];
  array spec(x.shape(), complex64, make_pooled<FFT>(s, axes_, false, true, scale_), {g});
  std::vector<float> w(static_cast<size_t>(m), 2.f);
  w[0] = 1.f;
  if (n % 2 == 0) w[static_cast<size_t>(m - 1)] = 1.f;
  Shape wshape(x.ndim(), 1);
  wshape[last] = m;
  return {multiply(spec, array(w, wshape, float32), s)};
}

std::vector<array> FFT::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  Stream s = stream();
  array t = as(tangents[0], primals[0].dtype(), s);
  return {array(outputs[0].shape(), outputs[0].dtype(),
                make_pooled<FFT>(s, axes_, inverse_, real_, scale_), {t})};
}

std::pair<std::vector<array>, std::vector<int>> FFT::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes,
                                                          const std::vector<array>& outputs) {
  Stream s = stream();
  array x = rules::batch_front(inputs[0], axes[0], 0, s);
  std::vector<int> shifted = axes_;
  for (auto& a : shifted) ++a;
  Shape shape = outputs[0].shape();
  shape.insert(shape.begin(), x.shape()[0]);
  return {{array(shape, outputs[0].dtype(),
                 make_pooled<FFT>(s, std::move(shifted), inverse_, real_, scale_), {x})},
          {0}};
}

}  // namespace tandem
