#include "tandem/backend/cuda/elementwise.h"

#include <stdexcept>

#include "tandem/backend/cuda/jit.h"
#include "tandem/collapse.h"
#include "tandem/layout.h"

namespace tandem::gpu {

std::vector<Layout> collapse_layouts(const Shape& shape, const std::vector<Strides>& strides) {
  size_t k = strides.size();
  std::vector<Strides> st;
  Shape dims = collapse_dims(shape, strides, st);
  if (dims.size() > size_t(kMaxDims)) {
    throw std::invalid_argument("[gpu] strided elementwise kernels take at most " +
                                std::to_string(kMaxDims) + " non-mergeable dims; got " +
                                std::to_string(dims.size()) + " for shape " + shape_str(shape));
  }
  std::vector<Layout> out(k);
  for (size_t j = 0; j < k; ++j) {
    out[j].ndim = static_cast<int>(dims.size());
    for (size_t d = 0; d < dims.size(); ++d) {
      out[j].shape[d] = dims[d];
      out[j].strides[d] = st[j][d];
    }
  }
  return out;
}

ElementwisePlan plan_elementwise(Encoder& enc, const std::vector<array>& inputs, array& out,
                                 bool allow_donation) {
  ElementwisePlan plan;
  // Dense plan: every input is a broadcast scalar or dense in one shared layout.
  const array* layout = nullptr;
  if (shared_dense_layout(inputs, is_broadcast_scalar, nullptr, layout)) {
    plan.dense = true;
    bool donated = false;
    for (auto& in : inputs) {
      bool sc = is_broadcast_scalar(in);
      plan.scalar.push_back(sc);
      if (!donated && !sc && allow_donation && can_donate(in, out)) {
        plan.out = enc.donate(in, out);
        donated = true;
      }
    }
    if (!donated) {
      plan.out = layout ? enc.out(out, layout->data_size(), layout->strides(), layout->flags())
                        : enc.out(out);
    }
    plan.n = layout ? layout->data_size() : out.size();
    plan.wide = plan.n > (size_t(1) << 31);
    return plan;
  }
  plan.out = enc.out(out);
  plan.n = out.size();
  std::vector<Strides> st;
  st.push_back(out.strides());
  for (auto& in : inputs) {
    // A one-element input of another shape (Binary's scalars) reads one value.
    st.push_back(in.shape() == out.shape() ? in.strides() : Strides(out.shape().size(), 0));
  }
  auto layouts = collapse_layouts(out.shape(), st);
  plan.layouts.assign(layouts.begin() + 1, layouts.end());
  int64_t span = 0;
  for (auto& in : inputs) span = std::max<int64_t>(span, static_cast<int64_t>(in.data_size()));
  plan.wide = plan.n > (size_t(1) << 31) || static_cast<size_t>(span) > (size_t(1) << 31);
  return plan;
}

void launch_map1(Encoder& enc, const std::string& header,
                 const std::function<std::string()>& functor, uint64_t key, KernelCache& cache,
                 const array& in, array& out, bool allow_donation) {
  auto plan = plan_elementwise(enc, {in}, out, allow_donation);
  if (plan.n == 0) {
    enc.mark_used();
    return;
  }
  if (plan.dense && plan.scalar[0] && plan.n > 1) {
    // A broadcast input (all strides 0) holds one value: read it through a
    // zero stride (map1_contig would read past it).
    plan.dense = false;
    plan.layouts.assign(1, Layout{});
    plan.layouts[0].ndim = 1;
    plan.layouts[0].shape[0] = static_cast<int64_t>(plan.n);
  }
  auto& ks = cache.get(key, [&] {
    std::string it = device_type(in.dtype()), ot = device_type(out.dtype());
    KernelCache::Program p{header, {}};
    for (const char* kind : {"map1_contig", "map1_strided"}) {
      for (const char* idx : {"uint32_t", "int64_t"}) {
        p.second.push_back(std::string("tandem::") + kind + "<" + functor() + ", " + it + ", " +
                           ot + ", " + idx + ">");
      }
    }
    return p;
  });
  const void* src = enc.in(in);
  unsigned threads = 256;
  unsigned blocks = plan.dense ? dense_blocks(plan.n, threads) : blocks_for(plan.n, threads);
  const void* k = ks[planned_kernel(plan)];
  auto go = [&](auto n) {
    if (plan.dense) {
      enc.launch(k, blocks, threads, 0, src, plan.out, n);
    } else {
      enc.launch(k, blocks, threads, 0, src, plan.out, n, plan.layouts[0]);
    }
  };
  if (plan.wide) {
    go(static_cast<int64_t>(plan.n));
  } else {
    go(static_cast<uint32_t>(plan.n));
  }
}

}  // namespace tandem::gpu
