// GPU kernels of the Scan primitive (device/scan.cuh). The output is
// row-major (or the donated row-contiguous input, scanned in place); the
// input is read through its strides. Long lines are scanned in tiles (rows)
// or chunks (cols) whose totals are scanned exclusively first, by the same
// code, and passed back as carries.
#include "tandem/primitives/scan.h"

#include <algorithm>
#include <stdexcept>

#include "tandem/backend/cuda/device.h"
#include "tandem/backend/cuda/jit.h"
#include "tandem/backend/cuda/reduce.h"

namespace tandem {

namespace gpu::red {

Dtype scan_acc_type(ScanOp op, Dtype t) {
  if (t == bool_) return uint8;
  if (is_half(t)) return float32;
  if (t == float32 && (op == ScanOp::Sum || op == ScanOp::Prod)) return float64;
  return t;
}

std::vector<std::string> scan_kernel_names(ScanOp op, Dtype t) {
  std::string o = std::to_string(static_cast<int>(op));
  std::string d = device_type(t), a = device_type(scan_acc_type(op, t));
  return {"tandem::scan::scan_rows<" + o + ", " + d + ", " + a + ", " + d + ">",
          "tandem::scan::scan_cols<" + o + ", " + d + ", " + a + ", " + d + ">",
          "tandem::scan::scan_rows<" + o + ", " + a + ", " + a + ", " + a + ">",
          "tandem::scan::scan_cols<" + o + ", " + a + ", " + a + ", " + a + ">"};
}

namespace {

constexpr int64_t kTile = 2048;    // scan.cuh's kTile
constexpr int64_t kRowsMinN = 64;  // shorter lines go one thread each
constexpr int64_t kColMinChunk = 32;

struct Scanner {
  Encoder& enc;
  const std::vector<const void*>& ks;
  size_t acc_size;

  // Scans n positions of pre * post columns: input in + pl(p) + ql(j) + i * sa,
  // output row-major [pre, n, post]. acc: in and out are accumulator arrays.
  void run(bool acc, const void* in, void* out, Layout pl, int64_t sa, Layout ql, int64_t n,
           int64_t pre, int64_t post, bool reverse, bool inclusive) {
    int rev = reverse, inc = inclusive;
    if (post == 1 && n > kRowsMinN) {
      const void* k = ks[acc ? 2 : 0];
      int64_t nchunks = ceil_div(n, kTile);
      int64_t items = pre * nchunks;
      const void* carries = nullptr;
      if (nchunks > 1) {
        void* totals = enc.scratch(size_t(items) * acc_size);
        void* carry = enc.scratch(size_t(items) * acc_size);
        enc.launch(k, grid_for(k, items), dim3(256), 0, in, out, totals, carries, pl, sa, n, pre,
                   nchunks, rev, inc);
        run(true, totals, carry, dense_layout(pre, nchunks), 1, Layout{}, nchunks, pre, 1, false,
            false);
        carries = carry;
      }
      void* no_totals = nullptr;
      enc.launch(k, grid_for(k, items), dim3(256), 0, in, out, no_totals, carries, pl, sa, n, pre,
                 nchunks, rev, inc);
      return;
    }
    const void* k = ks[acc ? 3 : 1];
    int64_t cols = pre * post;
    int64_t want = ceil_div(resident(k) * 256, cols);
    int64_t nchunks = std::clamp<int64_t>(want, 1, ceil_div(n, kColMinChunk));
    int64_t chunk = ceil_div(n, nchunks);
    nchunks = ceil_div(n, chunk);
    int64_t threads = cols * nchunks;
    unsigned grid = grid_for(k, ceil_div(threads, 256));
    const void* carries = nullptr;
    if (nchunks > 1) {
      void* totals = enc.scratch(size_t(threads) * acc_size);
      void* carry = enc.scratch(size_t(threads) * acc_size);
      enc.launch(k, dim3(grid), dim3(256), 0, in, out, totals, carries, pl, sa, ql, n, pre, post,
                 chunk, nchunks, rev, inc);
      run(true, totals, carry, dense_layout(pre, nchunks * post), post, dense_layout(post, 1),
          nchunks, pre, post, false, false);
      carries = carry;
    }
    void* no_totals = nullptr;
    enc.launch(k, dim3(grid), dim3(256), 0, in, out, no_totals, carries, pl, sa, ql, n, pre, post,
               chunk, nchunks, rev, inc);
  }
};

}  // namespace
}  // namespace gpu::red

void Scan::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  namespace gr = gpu::red;
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& in = inputs[0];
  array& out = outputs[0];
  void* dst;
  bool donated = in.flags().row_contiguous && in.dtype() == out.dtype() && gpu::can_donate(in, out);
  dst = donated ? enc.donate(in, out) : enc.out(out);
  if (out.size() == 0) {
    enc.mark_used();
    return;
  }
  if (op_ == ScanOp::LogAddExp && !is_floating_point(out.dtype())) {
    throw std::invalid_argument("[Scan] logaddexp scan of a non-float dtype");
  }
  uint64_t key = (uint64_t(op_) << 8) | out.dtype().index();
  auto& ks = cache.get(key, [&] {
    return gpu::KernelCache::Program{"scan.cuh", gr::scan_kernel_names(op_, out.dtype())};
  });
  // Also holds the input's buffer for the node (the donated one included).
  const void* src = enc.in(in);
  int64_t pre = 1, post = 1, n = in.shape()[axis_];
  for (int i = 0; i < axis_; ++i) pre *= in.shape()[i];
  for (int i = axis_ + 1; i < in.ndim(); ++i) post *= in.shape()[i];
  gr::Scanner s{enc, ks, gr::scan_acc_type(op_, out.dtype()).size()};
  s.run(false, src, dst, gr::sub_layout(in, 0, axis_), in.strides()[axis_],
        gr::sub_layout(in, axis_ + 1, in.ndim()), n, pre, post, reverse_, inclusive_);
}

}  // namespace tandem
