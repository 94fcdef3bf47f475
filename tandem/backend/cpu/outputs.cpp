#include "tandem/backend/cpu/outputs.h"

namespace tandem::cpu {

void allocate_row_contiguous(array& out) { out.set_data(allocate_for(out, out.nbytes(), "cpu")); }

namespace {
bool dense(const array& a) { return a.flags().contiguous && a.data_size() == a.size(); }
}  // namespace

void set_elementwise_output(const std::vector<array>& inputs, array& out) {
  // Fast path: every input row-contiguous with out's shape, or a scalar.
  bool all_rows = true;
  for (auto& in : inputs) {
    if (in.data_size() == 1 && in.size() != out.size()) continue;
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
  bool shared = true;
  for (auto& in : inputs) {
    if (in.data_size() == 1) continue;
    if (!dense(in) || in.shape() != out.shape()) {
      shared = false;
      break;
    }
    if (!layout) {
      layout = &in;
    } else if (in.strides() != layout->strides()) {
      shared = false;
      break;
    }
  }
  if (!shared) layout = nullptr;
  for (auto& in : inputs) {
    bool fits = layout ? (in.data_size() != 1 || in.size() == 1) : in.flags().row_contiguous;
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
