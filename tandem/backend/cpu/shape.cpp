// CPU side of the view primitives: they share the input's buffer and set a
// new layout; only a reshape that no strides can express copies.
#include "tandem/primitives/shape.h"

#include "tandem/backend/cpu/copy.h"
#include "tandem/backend/cpu/outputs.h"

namespace tandem {

namespace {
void view(const array& in, array& out, Strides strides, int64_t offset_bytes) {
  size_t data_size = 0;
  Flags f = compute_flags(out.shape(), strides, &data_size);
  out.copy_shared_buffer(in, std::move(strides), f, data_size, offset_bytes);
}
}  // namespace

namespace {
// Strides that show `in`'s elements, in row-major order, at shape `out`
// without moving data, if there are any: each group of input dims merged or
// split into a group of output dims must be contiguous with itself (any
// layout: transposed, negative or zero strides). Inserting or removing
// size-1 dims always works.
bool reshape_strides(const Shape& in_shape, const Strides& in_strides, const Shape& out_shape,
                     Strides& out_strides) {
  Shape os;
  Strides ost;
  for (size_t i = 0; i < in_shape.size(); ++i) {
    if (in_shape[i] == 1) continue;
    os.push_back(in_shape[i]);
    ost.push_back(in_strides[i]);
  }
  out_strides.assign(out_shape.size(), 0);
  size_t oi = 0, ni = 0, nn = out_shape.size();
  while (oi < os.size() && ni < nn) {
    if (out_shape[ni] == 1) {  // filled in below
      ++ni;
      continue;
    }
    int64_t np = out_shape[ni], op = os[oi];
    size_t nj = ni + 1, oj = oi + 1;
    while (np != op) {
      if (np < op) {
        if (nj >= nn) return false;
        np *= out_shape[nj++];
      } else {
        if (oj >= os.size()) return false;
        op *= os[oj++];
      }
    }
    for (size_t k = oi; k + 1 < oj; ++k) {
      if (ost[k] != ost[k + 1] * os[k + 1]) return false;
    }
    int64_t st = ost[oj - 1];
    for (size_t k = nj; k-- > ni;) {
      out_strides[k] = st;
      st *= out_shape[k];
    }
    ni = nj;
    oi = oj;
  }
  if (oi != os.size()) return false;
  for (; ni < nn; ++ni) {
    if (out_shape[ni] != 1) return false;
  }
  // Size-1 output dims: the stride a row-major neighbour would have.
  for (size_t k = nn; k-- > 0;) {
    if (out_shape[k] == 1) out_strides[k] = k + 1 < nn ? out_strides[k + 1] * out_shape[k + 1] : 1;
  }
  return true;
}
}  // namespace

void Reshape::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (in.flags().row_contiguous || in.size() == 0) {
    view(in, out, row_major_strides(out.shape()), in.offset());
    return;
  }
  Strides st;
  if (reshape_strides(in.shape(), in.strides(), out.shape(), st)) {
    view(in, out, std::move(st), in.offset());
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
