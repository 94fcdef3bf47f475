#include "tandem/backend/cuda/elementwise.h"

#include <stdexcept>

#include "tandem/layout.h"

namespace tandem::gpu {

std::vector<Layout> collapse_layouts(const Shape& shape, const std::vector<Strides>& strides) {
  size_t k = strides.size();
  std::vector<int64_t> dims;
  std::vector<std::vector<int64_t>> st(k);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !dims.empty();
    for (size_t j = 0; j < k && merge; ++j) {
      merge = st[j].back() == strides[j][d] * shape[d];
    }
    if (merge) {
      dims.back() *= shape[d];
      for (size_t j = 0; j < k; ++j) st[j].back() = strides[j][d];
    } else {
      dims.push_back(shape[d]);
      for (size_t j = 0; j < k; ++j) st[j].push_back(strides[j][d]);
    }
  }
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
  for (auto& in : inputs) st.push_back(in.strides());
  auto layouts = collapse_layouts(out.shape(), st);
  plan.layouts.assign(layouts.begin() + 1, layouts.end());
  int64_t span = 0;
  for (auto& in : inputs) span = std::max<int64_t>(span, static_cast<int64_t>(in.data_size()));
  plan.wide = plan.n > (size_t(1) << 31) || static_cast<size_t>(span) > (size_t(1) << 31);
  return plan;
}

}  // namespace tandem::gpu
