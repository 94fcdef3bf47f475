// CPU side of the view primitives: they share the input's buffer and set a
// new layout; only a reshape of non-row-contiguous data copies.
#include "tandem/backend/cpu/copy.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/primitives/shape.h"

namespace tandem {

namespace {
void view(const array& in, array& out, Strides strides, int64_t offset_bytes) {
  size_t data_size = 0;
  Flags f = compute_flags(out.shape(), strides, &data_size);
  out.copy_shared_buffer(in, std::move(strides), f, data_size, offset_bytes);
}
}  // namespace

void Reshape::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (in.flags().row_contiguous) {
    view(in, out, row_major_strides(out.shape()), in.offset());
    return;
  }
  cpu::allocate_row_contiguous(out);
  if (out.size() == 0) return;
  cpu::dispatch([in = cpu::Ref(in), out = cpu::Ref(out)] {
    // Row-major order of the input is row-major order of the output.
    cpu::copy_strided(in, out.ptr, row_major_strides(in.shape), out.dtype);
  });
}

void Transpose::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  Strides st;
  for (int ax : axes_) st.push_back(in.strides()[ax]);
  view(in, outputs[0], std::move(st), in.offset());
}

void Broadcast::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  int diff = out.ndim() - in.ndim();
  Strides st(out.ndim(), 0);
  for (int i = 0; i < in.ndim(); ++i) {
    st[i + diff] = in.shape()[i] == 1 && out.shape()[i + diff] != 1 ? 0 : in.strides()[i];
  }
  view(in, out, std::move(st), in.offset());
}

void Slice::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  Strides st(in.ndim(), 0);
  int64_t off = 0;
  for (int i = 0; i < in.ndim(); ++i) {
    st[i] = in.strides()[i] * strides_[i];
    off += static_cast<int64_t>(start_[i]) * in.strides()[i];
  }
  if (out.size() == 0) off = 0;
  view(in, out, std::move(st), in.offset() + off * static_cast<int64_t>(in.itemsize()));
}

void AsStrided::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  view(in, outputs[0], strides_, in.offset() + offset_ * static_cast<int64_t>(in.itemsize()));
}

}  // namespace tandem
