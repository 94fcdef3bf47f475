#include "tandem/transforms/rules.h"

#include <cstring>
#include <utility>

#include "tandem/ops/creation.h"
#include "tandem/ops/reduce.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"

namespace tandem::rules {

bool differentiable(Dtype t) {
  return is_inexact(t);
}

array conj_if_complex(const array& d, Stream s) {
  return is_complex(d.dtype()) ? conjugate(d, s) : d;
}

array scalar_like(double v, const array& a) {
  // Rules ask for the same few constants again and again: keep them per
  // thread (a leaf, so sharing it between graphs is safe; the cache's
  // reference keeps it from being donated).
  struct Key {
    double v;
    Dtype t;
  };
  static thread_local std::vector<std::pair<Key, array>> cache;
  for (auto& [k, c] : cache) {
    if (k.t == a.dtype() && std::memcmp(&k.v, &v, sizeof v) == 0) return c;
  }
  array c(v, a.dtype());
  if (cache.size() < 32) cache.push_back({{v, a.dtype()}, c});
  return c;
}

array reduce_to(const array& g, const Shape& shape, Stream s) {
  if (g.shape() == shape) return g;
  return reshape(sum(g, false, s), shape, s);
}

std::vector<array> zero_vjps(const std::vector<array>& primals, const std::vector<int>& argnums,
                             Stream s) {
  std::vector<array> out;
  for (int k : argnums) out.push_back(zeros_like(primals[k], s));
  return out;
}

std::vector<array> zero_jvps(const std::vector<array>& outputs, Stream s) {
  std::vector<array> out;
  for (auto& o : outputs) out.push_back(zeros_like(o, s));
  return out;
}

}  // namespace tandem::rules

namespace tandem::rules {

int batch_size(const std::vector<array>& inputs, const std::vector<int>& axes) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) return inputs[i].shape()[axes[i]];
  }
  return 1;
}

array batch_front(const array& x, int axis, int b, Stream s) {
  if (axis >= 0) return axis == 0 ? x : moveaxis(x, axis, 0, s);
  array e = expand_dims(x, 0, s);
  if (b <= 0) return e;
  Shape shape = e.shape();
  shape[0] = b;
  return broadcast_to(e, shape, s);
}

std::vector<array> broadcast_batched(const std::vector<array>& inputs, const std::vector<int>& axes,
                                     const Shape& out, Stream s) {
  Shape full = out;
  full.insert(full.begin(), batch_size(inputs, axes));
  std::vector<array> r;
  for (size_t i = 0; i < inputs.size(); ++i) {
    array x = batch_front(inputs[i], axes[i], 0, s);
    // A one-element input (a broadcast scalar of the node) may have fewer dims.
    if (x.ndim() < static_cast<int>(full.size())) {
      Shape sh(full.size(), 1);
      sh[0] = x.shape()[0];
      x = reshape(x, sh, s);
    }
    r.push_back(broadcast_to(x, full, s));
  }
  return r;
}

}  // namespace tandem::rules
