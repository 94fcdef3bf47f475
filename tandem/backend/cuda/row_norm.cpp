// GPU kernels of the RowNorm primitive (device/row_norm.cuh). The shape is
// picked from the row length: a warp per row for short rows, a block of 256
// or 1024 threads for longer ones, each row held in registers and read
// once; past that, a block per row making two passes. Only the kernel a
// launch needs is compiled (one program per op x dtype x shape), so a first
// softmax does not wait for the other shapes' compiles. Any input layout is
// read in place: 16-byte packs when the rows (and weight and bias) are
// contiguous and aligned, else element by element through the strides.
#include "tandem/backend/cuda/row_norm.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "tandem/backend/cuda/device.h"
#include "tandem/backend/cuda/jit.h"
#include "tandem/backend/cuda/reduce.h"

namespace tandem {

namespace gpu::rownorm {

std::vector<RowShape> shapes(Dtype t) {
  int v = pack_of(t);
  int max_items = (t == float64 ? 16 : 32) / v;
  std::vector<RowShape> r;
  int64_t below = 0;  // the capacity of the previous thread count
  for (int threads : {32, 256, 1024}) {
    for (int items = 1; items <= max_items; items *= 2) {
      if (int64_t(threads) * items * v > below) r.push_back({threads, items});
    }
    below = int64_t(threads) * max_items * v;
  }
  r.push_back({0, 0});
  return r;
}

std::string kernel_name(RowNormOp op, Dtype t, RowShape sh, bool vec) {
  std::string o = std::to_string(static_cast<int>(op)), d = device_type(t);
  if (sh.threads == 0) return "tandem::rownorm::row_looped<" + o + ", " + d + ">";
  return "tandem::rownorm::row_regs<" + o + ", " + d + ", " + std::to_string(sh.threads) + ", " +
         std::to_string(sh.items) + ", " + (vec ? "true" : "false") + ">";
}

}  // namespace gpu::rownorm

void RowNorm::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  namespace gr = gpu::red;
  namespace rn = gpu::rownorm;
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& in = inputs[0];
  array& out = outputs[0];
  const bool lse = op_ == RowNormOp::LogSumExp;
  if (causal_rows_ > 0 && (op_ != RowNormOp::Softmax || in.ndim() < 2)) {
    throw std::invalid_argument(
        "[RowNorm] a causal mask needs a softmax over a 2-d or larger array");
  }
  bool donated =
      !lse && in.flags().row_contiguous && in.dtype() == out.dtype() && gpu::can_donate(in, out);
  void* dst = donated ? enc.donate(in, out) : enc.out(out);
  if (out.size() == 0) {
    enc.mark_used();
    return;
  }
  // Also holds the input's buffer for the node (the donated one included).
  const void* src = enc.in(in);
  const int nd = in.ndim();
  const Dtype t = in.dtype();
  int64_t n = in.shape().back(), sa = in.strides().back(), nrows = 1;
  for (int i = 0; i + 1 < nd; ++i) nrows *= in.shape()[i];
  gpu::Layout rows = gr::sub_layout(in, 0, nd - 1);
  const int v = rn::pack_of(t);
  const size_t acc_size = gr::is_half(t) ? 4 : t.size();
  auto aligned = [](const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; };
  bool vec = sa == 1 && n % v == 0 && aligned(src, 16) && (lse || aligned(dst, 16));
  for (int d = 0; d < rows.ndim; ++d) vec &= rows.strides[d] % v == 0;
  // Weight and bias: 1-d, in the compute type.
  const void* params[2] = {nullptr, nullptr};
  int64_t pstrides[2] = {0, 0};
  size_t k = 1;
  for (int i = 0; i < 2; ++i) {
    if (!(i == 0 ? has_weight_ : has_bias_)) continue;
    const array& p = inputs[k++];
    params[i] = enc.in(p);
    pstrides[i] = p.ndim() ? p.strides()[0] : 1;
    vec &= pstrides[i] == 1 && aligned(params[i], acc_size * v);
  }
  auto all = rn::shapes(t);
  size_t si = 0;
  while (all[si].threads && int64_t(all[si].threads) * all[si].items * v < n) ++si;
  rn::RowShape sh = all[si];
  bool vec_kernel = vec && sh.threads != 0;
  uint64_t key = uint64_t(op_) | (uint64_t(t.index()) << 4) | (uint64_t(si) << 12) |
                 (uint64_t(vec_kernel) << 20);
  auto& ks = cache.get(key, [&] {
    return gpu::KernelCache::Program{"row_norm.cuh", {rn::kernel_name(op_, t, sh, vec)}};
  });
  const void* kernel = ks[0];
  int block = sh.threads == 0 ? 1024 : std::max(256, sh.threads);
  int64_t rows_per_block = sh.threads == 0 ? 1 : block / sh.threads;
  unsigned grid = gr::grid_for(kernel, gr::ceil_div(nrows, rows_per_block), block);
  float eps = eps_;
  int use_vec = vec ? 1 : 0;
  int64_t causal_rows = causal_rows_, causal_off = causal_offset_;
  enc.launch(kernel, dim3(grid), dim3(block), 0, src, dst, params[0], params[1], rows, sa, n, nrows,
             pstrides[0], pstrides[1], eps, use_vec, causal_rows, causal_off);
}

}  // namespace tandem
