// Convolutions as composites of pad, as_strided (im2col) and matmul; see
// conv.h for why.
#include "tandem/ops/conv.h"

#include <sstream>
#include <stdexcept>
#include <tuple>

#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/matmul.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/utils.h"

namespace tandem {
namespace {

// One value per spatial dim: a single value applies to all of them.
std::vector<int> per_dim(std::vector<int> v, int dims, const char* what) {
  if (v.size() == 1 && dims != 1) v.assign(dims, v[0]);
  if (static_cast<int>(v.size()) != dims) {
    throw std::invalid_argument(std::string("[conv] ") + what + " " + ints_str(v) + " has " +
                                std::to_string(v.size()) + " values for " + std::to_string(dims) +
                                " spatial dims");
  }
  return v;
}

void check_positive(const std::vector<int>& v, const char* what) {
  for (int x : v) {
    if (x < 1) {
      throw std::invalid_argument(std::string("[conv] ") + what + " must be positive, got " +
                                  ints_str(v));
    }
  }
}

// The input with input_dilation - 1 zeros between neighbours along each
// spatial dim, then padded (negative padding crops).
array dilate_and_pad(array x, const std::vector<int>& dil, const std::vector<int>& lo,
                     const std::vector<int>& hi, StreamOrDevice s) {
  const int d = static_cast<int>(dil.size());
  bool dilated = false;
  for (int v : dil) dilated |= v > 1;
  if (dilated) {
    Shape big = x.shape();
    Shape start(x.ndim(), 0), strides(x.ndim(), 1);
    for (int i = 0; i < d; ++i) {
      int n = x.shape(1 + i);
      big[1 + i] = n == 0 ? 0 : (n - 1) * dil[i] + 1;
      strides[1 + i] = dil[i];
    }
    x = slice_update(zeros(big, x.dtype(), s), x, start, big, strides, s);
  }
  // Crops first, so that padding never adds what a crop removes again.
  Shape start(x.ndim(), 0), stop = x.shape();
  bool crop = false;
  for (int i = 0; i < d; ++i) {
    if (lo[i] < 0) start[1 + i] = -lo[i], crop = true;
    if (hi[i] < 0) stop[1 + i] = std::max<int>(start[1 + i], stop[1 + i] + hi[i]), crop = true;
  }
  if (crop) x = slice(x, start, stop, s);
  std::vector<int> axes;
  Shape plo, phi;
  for (int i = 0; i < d; ++i) {
    if (lo[i] > 0 || hi[i] > 0) {
      axes.push_back(1 + i);
      plo.push_back(std::max(lo[i], 0));
      phi.push_back(std::max(hi[i], 0));
    }
  }
  if (!axes.empty()) x = pad(x, axes, plo, phi, array(0), "constant", s);
  return x;
}

}  // namespace

array conv_general(const array& input, const array& weight, std::vector<int> stride,
                   std::vector<int> padding_lo, std::vector<int> padding_hi,
                   std::vector<int> kernel_dilation, std::vector<int> input_dilation, int groups,
                   bool flip, StreamOrDevice s) {
  const int nd = input.ndim();
  if (nd < 3 || nd > 5) {
    throw std::invalid_argument(
        "[conv] expects an input with 1 to 3 spatial dims, as (N, ..., C_in); got shape " +
        shape_str(input.shape()));
  }
  if (weight.ndim() != nd) {
    throw std::invalid_argument("[conv] the weight must have the input's rank " +
                                std::to_string(nd) + " as (C_out, ..., C_in); got input " +
                                shape_str(input.shape()) + " and weight " +
                                shape_str(weight.shape()));
  }
  Dtype dt = promote_types(input.dtype(), weight.dtype());
  if (!is_floating_point(input.dtype()) || !is_floating_point(weight.dtype())) {
    throw std::invalid_argument(
        std::string("[conv] supports floating-point inputs only; got input ") +
        dtype_name(input.dtype()) + " and weight " + dtype_name(weight.dtype()));
  }
  const int d = nd - 2;
  stride = per_dim(std::move(stride), d, "stride");
  padding_lo = per_dim(std::move(padding_lo), d, "padding");
  padding_hi = per_dim(std::move(padding_hi), d, "padding");
  kernel_dilation = per_dim(std::move(kernel_dilation), d, "kernel_dilation");
  input_dilation = per_dim(std::move(input_dilation), d, "input_dilation");
  check_positive(stride, "strides");
  check_positive(kernel_dilation, "kernel dilations");
  check_positive(input_dilation, "input dilations");
  const int c_in = input.shape(-1), c_out = weight.shape(0), c_group = weight.shape(-1);
  if (groups < 1) {
    throw std::invalid_argument("[conv] groups must be positive, got " + std::to_string(groups));
  }
  if (c_group * groups != c_in) {
    throw std::invalid_argument("[conv] the input has " + std::to_string(c_in) +
                                " channels but the weight takes " + std::to_string(c_group) +
                                " per group with groups=" + std::to_string(groups) + ": input " +
                                shape_str(input.shape()) + ", weight " + shape_str(weight.shape()));
  }
  if (c_out % groups != 0) {
    throw std::invalid_argument("[conv] the output channels (" + std::to_string(c_out) +
                                ") must be divisible by groups (" + std::to_string(groups) + ")");
  }
  // Output sizes (checked before any op is built).
  Shape out_shape{input.shape(0)};
  for (int i = 0; i < d; ++i) {
    int64_t n = input.shape(1 + i);
    int64_t dilated = n == 0 ? 0 : (n - 1) * input_dilation[i] + 1;
    int64_t padded = dilated + padding_lo[i] + padding_hi[i];
    int64_t span = int64_t(weight.shape(1 + i) - 1) * kernel_dilation[i] + 1;
    if (padded < span) {
      throw std::invalid_argument("[conv] the input's spatial dim " + std::to_string(1 + i) +
                                  " after dilation and " + "padding (" + std::to_string(padded) +
                                  ") is smaller than the dilated kernel (" + std::to_string(span) +
                                  "): input " + shape_str(input.shape()) + ", weight " +
                                  shape_str(weight.shape()) + ", padding " + ints_str(padding_lo) +
                                  "/" + ints_str(padding_hi));
    }
    out_shape.push_back(static_cast<int>((padded - span) / stride[i] + 1));
  }
  out_shape.push_back(c_out);

  array x = dilate_and_pad(astype(input, dt, s), input_dilation, padding_lo, padding_hi, s);
  array w = astype(weight, dt, s);
  if (flip) {
    std::vector<int> axes;
    for (int i = 0; i < d; ++i) axes.push_back(1 + i);
    w = tandem::flip(w, axes, s);
  }

  // Windows of the padded input (row-major, so its strides are known):
  // shape (N, out..., kernel..., C_in).
  Strides rm(nd);
  int64_t acc = 1;
  for (int i = nd - 1; i >= 0; --i) {
    rm[i] = acc;
    acc *= x.shape(i);
  }
  Shape wshape{x.shape(0)};
  Strides wstrides{rm[0]};
  int64_t n_out = x.shape(0), k_size = 1;
  for (int i = 0; i < d; ++i) {
    wshape.push_back(out_shape[1 + i]);
    wstrides.push_back(rm[1 + i] * stride[i]);
    n_out *= out_shape[1 + i];
  }
  for (int i = 0; i < d; ++i) {
    wshape.push_back(weight.shape(1 + i));
    wstrides.push_back(rm[1 + i] * kernel_dilation[i]);
    k_size *= weight.shape(1 + i);
  }
  wshape.push_back(c_in);
  wstrides.push_back(1);
  array windows = as_strided(x, wshape, wstrides, 0, s);

  const int rows = static_cast<int>(n_out);
  const int depth = static_cast<int>(k_size * c_group);
  if (groups == 1) {
    array cols = reshape(windows, {rows, depth}, s);
    array wm = reshape(w, {c_out, depth}, s);
    return reshape(matmul(cols, transpose(wm, {1, 0}, s), s), out_shape, s);
  }
  // Per group: (rows, kernel * C_group) @ (kernel * C_group, C_out / groups).
  const int k = static_cast<int>(k_size), co = c_out / groups;
  array cols = reshape(windows, {rows, k, groups, c_group}, s);
  cols = reshape(transpose(cols, {2, 0, 1, 3}, s), {groups, rows, depth}, s);
  array wm = reshape(w, {groups, co, depth}, s);
  array out = matmul(cols, transpose(wm, {0, 2, 1}, s), s);  // (groups, rows, co)
  return reshape(transpose(out, {1, 0, 2}, s), out_shape, s);
}

array conv1d(const array& input, const array& weight, int stride, int padding, int dilation,
             int groups, StreamOrDevice s) {
  return conv_general(input, weight, {stride}, {padding}, {padding}, {dilation}, {1}, groups, false,
                      s);
}

array conv2d(const array& input, const array& weight, const std::pair<int, int>& stride,
             const std::pair<int, int>& padding, const std::pair<int, int>& dilation, int groups,
             StreamOrDevice s) {
  std::vector<int> pad{padding.first, padding.second};
  return conv_general(input, weight, {stride.first, stride.second}, pad, pad,
                      {dilation.first, dilation.second}, {1}, groups, false, s);
}

array conv3d(const array& input, const array& weight, const std::tuple<int, int, int>& stride,
             const std::tuple<int, int, int>& padding, const std::tuple<int, int, int>& dilation,
             int groups, StreamOrDevice s) {
  auto v = [](const std::tuple<int, int, int>& t) {
    return std::vector<int>{std::get<0>(t), std::get<1>(t), std::get<2>(t)};
  };
  return conv_general(input, weight, v(stride), v(padding), v(padding), v(dilation), {1}, groups,
                      false, s);
}

array conv_transpose(const array& input, const array& weight, std::vector<int> stride,
                     std::vector<int> padding, std::vector<int> dilation,
                     std::vector<int> output_padding, int groups, StreamOrDevice s) {
  const int d = weight.ndim() - 2;
  if (d < 1 || d > 3 || input.ndim() != weight.ndim()) {
    throw std::invalid_argument(
        "[conv_transpose] expects input (N, ..., C_in) and weight (C_out, ..., C_in) of the "
        "same rank with 1 to 3 spatial dims; got input " +
        shape_str(input.shape()) + " and weight " + shape_str(weight.shape()));
  }
  stride = per_dim(std::move(stride), d, "stride");
  padding = per_dim(std::move(padding), d, "padding");
  dilation = per_dim(std::move(dilation), d, "dilation");
  output_padding = per_dim(std::move(output_padding), d, "output_padding");
  check_positive(stride, "strides");
  check_positive(dilation, "dilations");
  std::vector<int> lo(d), hi(d);
  for (int i = 0; i < d; ++i) {
    if (output_padding[i] < 0 || output_padding[i] >= std::max(stride[i], dilation[i])) {
      throw std::invalid_argument("[conv_transpose] output_padding " + ints_str(output_padding) +
                                  " must be non-negative and smaller than the stride or the "
                                  "dilation");
    }
    int span = dilation[i] * (weight.shape(1 + i) - 1);
    lo[i] = span - padding[i];
    hi[i] = span - padding[i] + output_padding[i];
  }
  return conv_general(input, weight, {1}, lo, hi, dilation, stride, groups, true, s);
}

array conv_transpose1d(const array& input, const array& weight, int stride, int padding,
                       int dilation, int output_padding, int groups, StreamOrDevice s) {
  return conv_transpose(input, weight, {stride}, {padding}, {dilation}, {output_padding}, groups,
                        s);
}

array conv_transpose2d(const array& input, const array& weight, const std::pair<int, int>& stride,
                       const std::pair<int, int>& padding, const std::pair<int, int>& dilation,
                       const std::pair<int, int>& output_padding, int groups, StreamOrDevice s) {
  auto v = [](const std::pair<int, int>& p) { return std::vector<int>{p.first, p.second}; };
  return conv_transpose(input, weight, v(stride), v(padding), v(dilation), v(output_padding),
                        groups, s);
}

array conv_transpose3d(const array& input, const array& weight,
                       const std::tuple<int, int, int>& stride,
                       const std::tuple<int, int, int>& padding,
                       const std::tuple<int, int, int>& dilation,
                       const std::tuple<int, int, int>& output_padding, int groups,
                       StreamOrDevice s) {
  auto v = [](const std::tuple<int, int, int>& t) {
    return std::vector<int>{std::get<0>(t), std::get<1>(t), std::get<2>(t)};
  };
  return conv_transpose(input, weight, v(stride), v(padding), v(dilation), v(output_padding),
                        groups, s);
}

array convolve(const array& a, const array& v, const std::string& mode, StreamOrDevice s) {
  if (a.ndim() != 1 || v.ndim() != 1) {
    throw std::invalid_argument("[convolve] takes two 1-d arrays; got shapes " +
                                shape_str(a.shape()) + " and " + shape_str(v.shape()));
  }
  if (a.size() == 0 || v.size() == 0) {
    throw std::invalid_argument("[convolve] inputs cannot be empty; got shapes " +
                                shape_str(a.shape()) + " and " + shape_str(v.shape()));
  }
  // As NumPy: the longer array slides under the shorter one.
  const array& x = a.size() >= v.size() ? a : v;
  const array& k = a.size() >= v.size() ? v : a;
  const int n = x.shape(0), m = k.shape(0);
  int lo, hi;
  if (mode == "full") {
    lo = hi = m - 1;
  } else if (mode == "valid") {
    lo = hi = 0;
  } else if (mode == "same") {
    // NumPy centres the full result: it drops (m - 1) / 2 values on the right.
    hi = (m - 1) / 2;
    lo = m - 1 - hi;
  } else {
    throw std::invalid_argument("[convolve] mode must be 'full', 'same' or 'valid', got '" + mode +
                                "'");
  }
  array out = conv_general(reshape(x, {1, n, 1}, s), reshape(k, {1, m, 1}, s), {1}, {lo}, {hi}, {1},
                           {1}, 1, true, s);
  return reshape(out, {out.shape(1)}, s);
}

}  // namespace tandem
