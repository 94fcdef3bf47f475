// Transform rules of the indexing primitives: gathers and scatters move
// cotangents back along the same indices.
#include "tandem/ops/indexing.h"

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/shape.h"
#include "tandem/pool.h"
#include "tandem/primitives/indexing.h"
#include "tandem/primitives/shape.h"
#include "tandem/transforms/rules.h"

namespace tandem {
namespace {

// Inputs first..end of v.
std::vector<array> tail(const std::vector<array>& v, size_t first) {
  return std::vector<array>(v.begin() + static_cast<std::ptrdiff_t>(first), v.end());
}

// The tangent of input k, or zeros of its shape.
array tangent_of(int k, const std::vector<array>& primals, const std::vector<array>& tangents,
                 const std::vector<int>& argnums, Stream s) {
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == k) return tangents[i];
  }
  return zeros_like(primals[k], s);
}

// The gather and scatter (of a given reduction) matching a Scatter's
// indices: updates are idx_shape + blocks of a's rank.
struct ScatterPlaces {
  const array& a;
  const array& upd;
  std::vector<array> idx;
  std::vector<int> axes;
  Stream s;

  // v (a's shape) read at each update's place.
  array gather(const array& v) const {
    int ib = static_cast<int>(upd.ndim() - a.ndim());
    Shape block(upd.shape().begin() + ib, upd.shape().end());
    std::vector<array> ins{v};
    for (auto& i : idx) ins.push_back(i);
    return array(upd.shape(), v.dtype(), make_pooled<Gather>(s, axes, block), std::move(ins));
  }
  array scatter(ScatterReduce r, const array& base, const array& u) const {
    std::vector<array> ins{base, u};
    for (auto& i : idx) ins.push_back(i);
    return array(a.shape(), base.dtype(), make_pooled<Scatter>(s, r, axes), std::move(ins));
  }
  // For a product scatter: per update, the product of everything else at
  // its place (a's value and the other updates), without dividing by a
  // zero: the zero updates are counted apart, as prod's rule does.
  array others_of_updates() const {
    array z = equal(upd, rules::scalar_like(0, upd), s);
    array u1 = where(z, rules::scalar_like(1, upd), upd, s);
    array nonzero = gather(scatter(ScatterReduce::Prod, a, u1));
    array zeros = gather(scatter(ScatterReduce::Sum, zeros_like(a, s), astype(z, a.dtype(), s)));
    array none = equal(zeros, rules::scalar_like(0, zeros), s);
    array one = equal(zeros, rules::scalar_like(1, zeros), s);
    array zero = rules::scalar_like(0, upd);
    return where(z, where(one, nonzero, zero, s), where(none, divide(nonzero, u1, s), zero, s), s);
  }
};

// The vjps of a gather: grad() for its source (input 0), zeros for indices.
template <class Grad>
std::vector<array> source_only(const std::vector<array>& primals, const std::vector<int>& argnums,
                               Stream s, Grad&& grad) {
  std::vector<array> out;
  for (int k : argnums) out.push_back(k == 0 ? grad() : zeros_like(primals[k], s));
  return out;
}

}  // namespace

// Gather inputs: a, indices... ; output idx_shape + slice_sizes.
std::vector<array> Gather::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>&) {
  Stream s = stream();
  const array& a = primals[0];
  return source_only(primals, argnums, s, [&] {
    std::vector<array> ins{zeros_like(a, s), astype(cotangents[0], a.dtype(), s)};
    for (auto& i : tail(primals, 1)) ins.push_back(i);
    return array(a.shape(), a.dtype(), make_pooled<Scatter>(s, ScatterReduce::Sum, axes_),
                 std::move(ins));
  });
}

std::vector<array> Gather::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents, const std::vector<int>& argnums,
                               const std::vector<array>& outputs) {
  Stream s = stream();
  std::vector<array> ins{tangent_of(0, primals, tangents, argnums, s)};
  for (auto& i : tail(primals, 1)) ins.push_back(i);
  return {array(outputs[0].shape(), outputs[0].dtype(), make_pooled<Gather>(s, axes_, slice_sizes_),
                std::move(ins))};
}

// Scatter inputs: a, updates, indices... ; updates are idx_shape + blocks of
// a's rank.
std::vector<array> Scatter::vjp(const std::vector<array>& primals,
                                const std::vector<array>& cotangents,
                                const std::vector<int>& argnums,
                                const std::vector<array>& outputs) {
  Stream s = stream();
  const array &a = primals[0], &upd = primals[1], &out = outputs[0];
  const array& g = cotangents[0];
  auto idx = tail(primals, 2);
  int ib = static_cast<int>(upd.ndim() - a.ndim());  // index dims of updates
  Shape block(upd.shape().begin() + ib, upd.shape().end());
  auto gather_of = [&](const array& v) {
    std::vector<array> ins{v};
    for (auto& i : idx) ins.push_back(i);
    return array(upd.shape(), v.dtype(), make_pooled<Gather>(s, axes_, block), std::move(ins));
  };
  auto scatter_of = [&](ScatterReduce r, const array& base, const array& u) {
    std::vector<array> ins{base, u};
    for (auto& i : idx) ins.push_back(i);
    return array(a.shape(), base.dtype(), make_pooled<Scatter>(s, r, axes_), std::move(ins));
  };
  std::vector<array> res;
  for (int k : argnums) {
    if (k >= 2) {
      res.push_back(zeros_like(primals[k], s));
      continue;
    }
    switch (reduce_) {
      case ScatterReduce::None:  // overwritten elements pass nothing to a
        res.push_back(k == 0 ? scatter_of(ScatterReduce::None, g, zeros_like(upd, s))
                             : gather_of(g));
        break;
      case ScatterReduce::Sum:
        res.push_back(k == 0 ? g : gather_of(g));
        break;
      case ScatterReduce::Prod:
        // a: g times the product of the updates at its place; an update: g
        // times the product of the others (exact when some are zero).
        res.push_back(k == 0
                          ? scatter_of(ScatterReduce::Prod, g, upd)
                          : multiply(gather_of(g),
                                     ScatterPlaces{a, upd, idx, axes_, s}.others_of_updates(), s));
        break;
      case ScatterReduce::Max:
      case ScatterReduce::Min: {
        // The winners (a or updates equal to the result) take the cotangent.
        if (k == 0) {
          res.push_back(multiply(g, astype(equal(a, out, s), g.dtype(), s), s));
        } else {
          array won = astype(equal(upd, gather_of(out), s), g.dtype(), s);
          res.push_back(multiply(gather_of(g), won, s));
        }
        break;
      }
    }
  }
  return res;
}

std::vector<array> Scatter::jvp(const std::vector<array>& primals,
                                const std::vector<array>& tangents, const std::vector<int>& argnums,
                                const std::vector<array>& outputs) {
  Stream s = stream();
  const array &a = primals[0], &upd = primals[1], &out = outputs[0];
  array ta = tangent_of(0, primals, tangents, argnums, s);
  array tu = tangent_of(1, primals, tangents, argnums, s);
  auto idx = tail(primals, 2);
  auto scatter_of = [&](ScatterReduce r, const array& base, const array& u) {
    std::vector<array> ins{base, u};
    for (auto& i : idx) ins.push_back(i);
    return array(a.shape(), base.dtype(), make_pooled<Scatter>(s, r, axes_), std::move(ins));
  };
  ScatterPlaces places{a, upd, idx, axes_, s};
  switch (reduce_) {
    case ScatterReduce::None:
    case ScatterReduce::Sum:
      return {scatter_of(reduce_, ta, tu)};
    case ScatterReduce::Prod: {
      // d out = ta * (product of the updates) + sum of tu * (product of the
      // others): no division, so zeros in a or the updates stay exact.
      array from_a = scatter_of(ScatterReduce::Prod, ta, upd);
      array from_upd = scatter_of(ScatterReduce::Sum, zeros_like(a, s),
                                  multiply(tu, places.others_of_updates(), s));
      return {add(from_a, from_upd, s)};
    }
    default: {
      // Every winner (a, or an update equal to the result) passes its
      // tangent, as the vjp gives each of them the cotangent. A scatter
      // that overwrites would take the last update at a place, winner or
      // not, when indices repeat.
      array won = astype(equal(upd, places.gather(out), s), tu.dtype(), s);
      array from_upd = scatter_of(ScatterReduce::Sum, zeros_like(a, s), multiply(tu, won, s));
      array from_a = multiply(ta, astype(equal(a, out, s), ta.dtype(), s), s);
      return {add(from_a, from_upd, s)};
    }
  }
}

// GatherAxis inputs: a, indices (both broadcast to the output's batch dims).
std::vector<array> GatherAxis::vjp(const std::vector<array>& primals,
                                   const std::vector<array>& cotangents,
                                   const std::vector<int>& argnums, const std::vector<array>&) {
  Stream s = stream();
  const array& a = primals[0];
  return source_only(primals, argnums, s, [&] {
    return array(a.shape(), a.dtype(), make_pooled<ScatterAxis>(s, ScatterReduce::Sum, axis_),
                 {zeros_like(a, s), primals[1], astype(cotangents[0], a.dtype(), s)});
  });
}

std::vector<array> GatherAxis::jvp(const std::vector<array>& primals,
                                   const std::vector<array>& tangents,
                                   const std::vector<int>& argnums,
                                   const std::vector<array>& outputs) {
  Stream s = stream();
  return {array(outputs[0].shape(), outputs[0].dtype(), make_pooled<GatherAxis>(s, axis_),
                {tangent_of(0, primals, tangents, argnums, s), primals[1]})};
}

// ScatterAxis inputs: a, indices, values (indices and values of one shape).
std::vector<array> ScatterAxis::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cotangents,
                                    const std::vector<int>& argnums,
                                    const std::vector<array>& outputs) {
  Stream s = stream();
  const array &a = primals[0], &idx = primals[1], &vals = primals[2], &out = outputs[0];
  const array& g = cotangents[0];
  auto gather_of = [&](const array& v) {
    return array(idx.shape(), v.dtype(), make_pooled<GatherAxis>(s, axis_), {v, idx});
  };
  std::vector<array> res;
  for (int k : argnums) {
    if (k == 1) {
      res.push_back(zeros_like(idx, s));
    } else if (reduce_ == ScatterReduce::None) {
      res.push_back(k == 0 ? array(a.shape(), g.dtype(),
                                   make_pooled<ScatterAxis>(s, ScatterReduce::None, axis_),
                                   {g, idx, zeros_like(vals, s)})
                           : gather_of(g));
    } else if (reduce_ == ScatterReduce::Sum) {
      res.push_back(k == 0 ? g : gather_of(g));
    } else {
      throw std::invalid_argument(std::string("[vjp] ScatterAxis") + scatter_reduce_name(reduce_) +
                                  " has no vjp (put_along_axis and scatter_add_axis do)");
    }
  }
  (void)out;
  return res;
}

std::vector<array> ScatterAxis::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums,
                                    const std::vector<array>& outputs) {
  Stream s = stream();
  if (reduce_ != ScatterReduce::None && reduce_ != ScatterReduce::Sum) {
    throw std::invalid_argument(std::string("[jvp] ScatterAxis") + scatter_reduce_name(reduce_) +
                                " has no jvp (put_along_axis and scatter_add_axis do)");
  }
  return {array(outputs[0].shape(), outputs[0].dtype(), make_pooled<ScatterAxis>(s, reduce_, axis_),
                {tangent_of(0, primals, tangents, argnums, s), primals[1],
                 tangent_of(2, primals, tangents, argnums, s)})};
}

// SliceUpdate inputs: src, update (at the slice's shape).
std::vector<array> SliceUpdate::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cotangents,
                                    const std::vector<int>& argnums, const std::vector<array>&) {
  Stream s = stream();
  const array &src = primals[0], &upd = primals[1];
  const array& g = cotangents[0];
  std::vector<array> out;
  for (int k : argnums) {
    if (k == 0) {
      out.push_back(array(src.shape(), g.dtype(), make_pooled<SliceUpdate>(s, start_, strides_),
                          {g, zeros_like(upd, s)}));
    } else {
      out.push_back(array(upd.shape(), g.dtype(), make_pooled<Slice>(s, start_, strides_), {g}));
    }
  }
  return out;
}

std::vector<array> SliceUpdate::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums,
                                    const std::vector<array>& outputs) {
  Stream s = stream();
  return {array(outputs[0].shape(), outputs[0].dtype(),
                make_pooled<SliceUpdate>(s, start_, strides_),
                {tangent_of(0, primals, tangents, argnums, s),
                 tangent_of(1, primals, tangents, argnums, s)})};
}

std::vector<array> Concatenate::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cotangents,
                                    const std::vector<int>& argnums, const std::vector<array>&) {
  Stream s = stream();
  const array& g = cotangents[0];
  std::vector<ShapeElem> offset(primals.size() + 1, 0);
  for (size_t i = 0; i < primals.size(); ++i) offset[i + 1] = offset[i] + primals[i].shape()[axis_];
  std::vector<array> out;
  for (int k : argnums) {
    Shape start(g.ndim(), 0), stop = g.shape();
    start[axis_] = offset[k];
    stop[axis_] = offset[k + 1];
    out.push_back(slice(g, start, stop, s));
  }
  return out;
}

std::vector<array> Concatenate::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums,
                                    const std::vector<array>& outputs) {
  Stream s = stream();
  std::vector<array> ts;
  for (int k = 0; k < static_cast<int>(primals.size()); ++k) {
    ts.push_back(astype(tangent_of(k, primals, tangents, argnums, s), outputs[0].dtype(), s));
  }
  return {array(outputs[0].shape(), outputs[0].dtype(), make_pooled<Concatenate>(s, axis_),
                std::move(ts))};
}

namespace {

// Every input with the batch in front, broadcast to batch size b.
std::vector<array> all_front(const std::vector<array>& inputs, const std::vector<int>& axes,
                             Stream s) {
  int b = rules::batch_size(inputs, axes);
  std::vector<array> r;
  for (size_t i = 0; i < inputs.size(); ++i)
    r.push_back(rules::batch_front(inputs[i], axes[i], b, s));
  return r;
}

// The batch position as an index array of shape idx_shape (batch first).
array batch_index(int b, const Shape& idx_shape, Stream s) {
  Shape sh(idx_shape.size(), 1);
  sh[0] = b;
  return broadcast_to(reshape(arange(0, b, 1, int32, s), sh, s), idx_shape, s);
}

Shape with_front(Shape shape, ShapeElem v) {
  shape.insert(shape.begin(), v);
  return shape;
}

}  // namespace

// Gather over a batch: the batch becomes one more indexed axis (axis 0, slice
// size 1) whose index is the batch position.
std::pair<std::vector<array>, std::vector<int>> Gather::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes,
                                                             const std::vector<array>& outputs) {
  Stream s = stream();
  auto in = all_front(inputs, axes, s);
  int b = in[0].shape()[0];
  Shape idx_shape = in.size() > 1 ? in[1].shape() : Shape{b};
  std::vector<array> ins{in[0], batch_index(b, idx_shape, s)};
  for (size_t i = 1; i < in.size(); ++i) ins.push_back(in[i]);
  std::vector<int> ax{0};
  for (int a : axes_) ax.push_back(a + 1);
  Shape sizes = with_front(slice_sizes_, 1);
  Shape shape = idx_shape;
  for (auto d : sizes) shape.push_back(d);
  array g(shape, outputs[0].dtype(), make_pooled<Gather>(s, ax, sizes), std::move(ins));
  return {{squeeze(g, static_cast<int>(idx_shape.size()), s)}, {0}};
}

// Scatter over a batch: as Gather, the batch is an indexed axis of a.
std::pair<std::vector<array>, std::vector<int>> Scatter::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes,
                                                              const std::vector<array>& outputs) {
  Stream s = stream();
  auto in = all_front(inputs, axes, s);
  const array& a = in[0];
  int b = a.shape()[0];
  // updates: (b, idx..., block...) with the block given a leading 1.
  // Counted on the batch-fronted arrays: inputs[0] and inputs[1] may differ
  // in whether they carry a batch axis.
  int nidx = static_cast<int>(in[1].ndim() - in[0].ndim());
  array upd = expand_dims(in[1], nidx + 1, s);
  Shape idx_shape = in.size() > 2 ? in[2].shape() : Shape{b};
  std::vector<array> ins{a, upd, batch_index(b, idx_shape, s)};
  for (size_t i = 2; i < in.size(); ++i) ins.push_back(in[i]);
  std::vector<int> ax{0};
  for (int x : axes_) ax.push_back(x + 1);
  return {
      {array(a.shape(), outputs[0].dtype(), make_pooled<Scatter>(s, reduce_, ax), std::move(ins))},
      {0}};
}

std::pair<std::vector<array>, std::vector<int>> GatherAxis::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes,
    const std::vector<array>& outputs) {
  Stream s = stream();
  auto in = all_front(inputs, axes, s);
  return {{array(with_front(outputs[0].shape(), in[0].shape()[0]), outputs[0].dtype(),
                 make_pooled<GatherAxis>(s, axis_ + 1), {in[0], in[1]})},
          {0}};
}

std::pair<std::vector<array>, std::vector<int>> ScatterAxis::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes,
    const std::vector<array>& outputs) {
  Stream s = stream();
  auto in = all_front(inputs, axes, s);
  return {{array(in[0].shape(), outputs[0].dtype(), make_pooled<ScatterAxis>(s, reduce_, axis_ + 1),
                 {in[0], in[1], in[2]})},
          {0}};
}

std::pair<std::vector<array>, std::vector<int>> SliceUpdate::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes,
    const std::vector<array>& outputs) {
  Stream s = stream();
  auto in = all_front(inputs, axes, s);
  return {{array(in[0].shape(), outputs[0].dtype(),
                 make_pooled<SliceUpdate>(s, with_front(start_, 0), with_front(strides_, 1)),
                 {in[0], in[1]})},
          {0}};
}

std::pair<std::vector<array>, std::vector<int>> Concatenate::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes,
    const std::vector<array>& outputs) {
  Stream s = stream();
  auto in = all_front(inputs, axes, s);
  Shape shape = with_front(outputs[0].shape(), in[0].shape()[0]);
  return {{array(shape, outputs[0].dtype(), make_pooled<Concatenate>(s, axis_ + 1), std::move(in))},
          {0}};
}

}  // namespace tandem
