#include "tandem/backend/cpu/outputs.h"

#include "tandem/layout.h"

namespace tandem::cpu {

void allocate_row_contiguous(array& out) {
  out.set_data(allocate_for(out, out.nbytes(), "cpu"));
}

void set_elementwise_output(const std::vector<array>& inputs, array& out) {
  // Fast path: every input row-contiguous with out's shape, or a scalar.
  bool all_rows = true;
  for (auto& in : inputs) {
    if (in.size() != out.size() && is_broadcast_scalar(in)) continue;
    if (!in.flags().row_contiguous || in.shape() != out.shape()) {
      all_rows = false;
      break;
    }
  }
  if (all_rows) {
    for (auto& in : inputs) {
      if (in.size() == out.size() && is_donatable(in, out)) {
        out.copy_shared_buffer(in);
        return;
      }
    }
    allocate_row_contiguous(out);
    return;
  }
  // If every input is a broadcast scalar or dense in one shared layout, the
  // output takes that layout and kernels run one flat loop.
  const array* layout = nullptr;
  shared_dense_layout(
      inputs, [&](const array& in) { return is_broadcast_scalar(in) && in.size() != out.size(); },
      &out.shape(), layout);
  for (auto& in : inputs) {
    bool fits =
        layout ? (!is_broadcast_scalar(in) || in.size() == out.size()) : in.flags().row_contiguous;
    if (fits && in.shape() == out.shape() && is_donatable(in, out)) {
      out.copy_shared_buffer(in);
      return;
    }
  }
  if (layout) {
    out.set_data(allocate_for(out, out.nbytes(), "cpu"), layout->data_size(), layout->strides(),
                 layout->flags(), 0);
  } else {
    allocate_row_contiguous(out);
  }
}

}  // namespace tandem::cpu
