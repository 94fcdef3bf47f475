#include "tandem/layout.h"

#include <algorithm>

#include "tandem/primitives/custom.h"
#include "tandem/primitives/shape.h"

namespace tandem {

void make_view(const array& in, array& out, Strides strides, int64_t offset_bytes) {
  size_t data_size = 0;
  Flags f = compute_flags(out.shape(), strides, &data_size);
  out.copy_shared_buffer(in, std::move(strides), f, data_size, offset_bytes);
}

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

bool reshape_view(const array& in, array& out) {
  if (in.flags().row_contiguous || in.size() == 0) {
    make_view(in, out, row_major_strides(out.shape()), in.offset());
    return true;
  }
  Strides st;
  if (reshape_strides(in.shape(), in.strides(), out.shape(), st)) {
    make_view(in, out, std::move(st), in.offset());
    return true;
  }
  return false;
}

void transpose_view(const array& in, array& out, const std::vector<int>& axes) {
  Strides st;
  for (int ax : axes) st.push_back(in.strides()[ax]);
  make_view(in, out, std::move(st), in.offset());
}

void broadcast_view(const array& in, array& out) {
  int diff = out.ndim() - in.ndim();
  Strides st(out.ndim(), 0);
  for (int i = 0; i < in.ndim(); ++i) {
    st[i + diff] = in.shape()[i] == 1 && out.shape()[i + diff] != 1 ? 0 : in.strides()[i];
  }
  make_view(in, out, std::move(st), in.offset());
}

void slice_view(const array& in, array& out, const Shape& start, const Shape& steps) {
  Strides st(in.ndim(), 0);
  int64_t off = 0;
  for (int i = 0; i < in.ndim(); ++i) {
    st[i] = in.strides()[i] * steps[i];
    off += static_cast<int64_t>(start[i]) * in.strides()[i];
  }
  if (out.size() == 0) off = 0;
  make_view(in, out, std::move(st), in.offset() + off * static_cast<int64_t>(in.itemsize()));
}

void as_strided_view(const array& in, array& out, const Strides& strides, int64_t offset) {
  make_view(in, out, strides, in.offset() + offset * static_cast<int64_t>(in.itemsize()));
}

MatLayout blas_layout(int64_t R, int64_t C, int64_t sr, int64_t sc, int64_t max_ld) {
  MatLayout l;
  if ((C <= 1 || sc == 1) && (R <= 1 || sr >= std::max<int64_t>(1, C))) {
    l = {true, false, R <= 1 ? std::max<int64_t>(1, C) : sr};
  } else if ((R <= 1 || sr == 1) && (C <= 1 || sc >= std::max<int64_t>(1, R))) {
    l = {true, true, C <= 1 ? std::max<int64_t>(1, R) : sc};
  }
  if (l.ok && l.ld > max_ld) l.ok = false;
  return l;
}

bool is_broadcast_scalar(const array& a) {
  if (a.size() <= 1) return true;
  for (int i = 0; i < a.ndim(); ++i) {
    if (a.shape()[i] > 1 && a.strides()[i] != 0) return false;
  }
  return true;
}

bool is_dense(const array& a) {
  return a.flags().contiguous && a.data_size() == a.size();
}

bool same_flat_layout(const array& x, const array& out) {
  return is_dense(x) && x.shape() == out.shape() && (x.strides() == out.strides() || x.size() <= 1);
}

// The view primitives' one definition for both backends (primitives/shape.h).
void Transpose::eval_view(const array& in, array& out) {
  transpose_view(in, out, axes_);
}
void Broadcast::eval_view(const array& in, array& out) {
  broadcast_view(in, out);
}
void Slice::eval_view(const array& in, array& out) {
  slice_view(in, out, start_, strides_);
}
void StopGradient::eval_view(const array& in, array& out) {
  make_view(in, out, in.strides(), in.offset());
}
// Its outputs are views of its last inputs (primitives/custom.h).
void CustomTransforms::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  size_t n = inputs.size() - outputs.size();
  for (size_t j = 0; j < outputs.size(); ++j) {
    make_view(inputs[n + j], outputs[j], inputs[n + j].strides(), inputs[n + j].offset());
  }
}
void CustomTransforms::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  eval_cpu(inputs, outputs);
}
// Its outputs are views of its first inputs (primitives/custom.h).
void Depends::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  for (size_t j = 0; j < outputs.size(); ++j) {
    make_view(inputs[j], outputs[j], inputs[j].strides(), inputs[j].offset());
  }
}
void Depends::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  eval_cpu(inputs, outputs);
}
void Identity::eval_view(const array& in, array& out) {
  make_view(in, out, in.strides(), in.offset());
}
// The op hands a row-contiguous input (contiguous(a)): its bytes in order.
void View::eval_view(const array& in, array& out) {
  make_view(in, out, row_major_strides(out.shape()), in.offset());
}
// The op hands a row-contiguous input (contiguous(a)), so this is a view too.
void AsStrided::eval_view(const array& in, array& out) {
  as_strided_view(in, out, strides_, offset_);
}

}  // namespace tandem
