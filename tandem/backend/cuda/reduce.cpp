// GPU kernels of the Reduce and ArgReduce primitives (device/reduce.cuh).
//
// The input's dims are split into kept and reduced ones exactly as the CPU
// backend splits them (tandem/reduce_layout.h). When the innermost kept dim is
// contiguous and the reduction is not, a column kernel reads rows of
// adjacent outputs; otherwise groups of threads reduce runs (vectorised
// when the reduced elements are contiguous). Long reductions are cut into
// chunks: the chunk results ([output][chunk], accumulator type) are reduced
// again, so each thread adds up a bounded number of values and a full
// reduction spreads over the whole GPU.
#include "tandem/primitives/reduce.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "tandem/backend/cuda/cuda_check.h"
#include "tandem/backend/cuda/device.h"
#include "tandem/backend/cuda/elementwise.h"
#include "tandem/backend/cuda/encoder.h"
#include "tandem/backend/cuda/jit.h"
#include "tandem/backend/cuda/memory.h"
#include "tandem/backend/cuda/reduce.h"
#include "tandem/reduce_layout.h"

namespace tandem {

namespace gpu::red {

Layout make_layout(const int64_t* shape, const int64_t* strides, size_t n) {
  if (n > size_t(kMaxDims)) {
    throw std::invalid_argument("[gpu] reduction kernels take at most " + std::to_string(kMaxDims) +
                                " non-mergeable dims; got " + std::to_string(n));
  }
  Layout l;
  l.ndim = static_cast<int>(n);
  for (size_t i = 0; i < n; ++i) {
    l.shape[i] = shape[i];
    l.strides[i] = strides[i];
  }
  return l;
}

Layout dense_layout(int64_t n, int64_t stride) {
  Layout l;
  if (n > 1) {
    l.ndim = 1;
    l.shape[0] = n;
    l.strides[0] = stride;
  }
  return l;
}

Layout sub_layout(const array& a, int b, int e) {
  Shape sh;
  Strides st;
  for (int i = b; i < e; ++i) {
    sh.push_back(a.shape()[i]);
    st.push_back(a.strides()[i]);
  }
  return collapse_layouts(sh, {st})[0];
}

int64_t resident(const void* kernel, int threads) {
  static std::mutex mu;
  static auto* known = new std::unordered_map<const void*, int64_t>();  // leaked, see jit.h
  std::lock_guard lk(mu);
  auto it = known->find(kernel);
  if (it != known->end()) return it->second;
  int per_sm = 0;
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, 0) != cudaSuccess ||
      per_sm < 1) {
    // Not sticky. Assume full occupancy (2048 threads an SM on every
    // supported chip): the kernels loop over their items, so a grid too
    // large only costs a wave, while one block an SM reads a third slower.
    cudaGetLastError();
    per_sm = std::max(1, 2048 / std::max(1, threads));
    if (std::getenv("TANDEM_DEBUG_OCCUPANCY")) {
      std::fprintf(stderr, "[tandem] occupancy query failed; assuming %d blocks an SM\n", per_sm);
    }
  }
  if (std::getenv("TANDEM_DEBUG_OCCUPANCY")) {
    std::fprintf(stderr, "[tandem] %d blocks of %d threads an SM\n", per_sm, threads);
  }
  int64_t r = int64_t(per_sm) * device_info().sm_count;
  known->emplace(kernel, r);
  return r;
}

unsigned grid_for(const void* kernel, int64_t blocks, int threads) {
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, resident(kernel, threads)));
}

Dtype reduce_acc_type(ReduceOp op, Dtype in, Dtype out) {
  switch (op) {
    case ReduceOp::And:
    case ReduceOp::Or:
      return bool_;
    case ReduceOp::Sum:
    case ReduceOp::Prod:
      return is_half(out) ? float32 : out;
    default:
      return is_half(in) ? float32 : in;
  }
}

std::vector<std::string> reduce_kernel_names(ReduceOp op, Dtype in, Dtype out) {
  std::string o = std::to_string(static_cast<int>(op));
  std::string t = device_type(in), d = device_type(out);
  std::string a = device_type(reduce_acc_type(op, in, out));
  return {"tandem::red::reduce_runs<" + o + ", " + t + ", " + a + ", " + d + ">",
          "tandem::red::reduce_partials<" + o + ", " + a + ", " + d + ">",
          "tandem::red::reduce_cols<" + o + ", " + t + ", " + a + ", " + d + ">",
          "tandem::red::reduce_fill<" + o + ", " + a + ", " + d + ">"};
}

std::vector<std::string> arg_reduce_kernel_names(ArgReduceOp op, Dtype in) {
  std::string m = op == ArgReduceOp::ArgMax ? "true" : "false";
  std::string t = device_type(in);
  std::string v = device_type(is_half(in) ? float32 : in);
  return {"tandem::red::arg_runs<" + m + ", " + t + ", " + v + ">",
          "tandem::red::arg_cols<" + m + ", " + t + ", " + v + ">",
          "tandem::red::arg_partials<" + m + ", " + v + ">"};
}

namespace {

constexpr int64_t kBlock = 256;
constexpr int64_t kMaxIters = 1024;    // values a runs-kernel thread adds up (float accuracy)
constexpr int64_t kMinIters = 16;      // ... at least, when splitting for parallelism
constexpr int64_t kMaxColIters = 256;  // rows a column-kernel thread adds up
constexpr int64_t kMinColIters = 16;

// Runs-kernel group size for reductions of length R.
int group_for(int64_t R) {
  return R <= 16 ? 1 : R <= 2048 ? 32 : 256;
}

// Chunks per output for `base` items of length R spread over threads that
// each take `lanes` of the values: at least `lo`, and while the items do not
// fill the GPU (`res` resident blocks) more, down to kMinIters values a thread.
int64_t chunks_for(int64_t base, int64_t R, int64_t lanes, int64_t lo, int64_t res) {
  int64_t hi = std::max(lo, ceil_div(R, lanes * kMinIters));
  int64_t n = lo;
  if (base * lo < res) n = std::max(lo, res / std::max<int64_t>(base, 1));
  return std::min(n, hi);
}

// Tile width of the column kernels for kn contiguous outputs.
int tile_width(int64_t kn) {
  int bx = 32;
  while (bx / 2 >= kn) bx /= 2;
  return bx;
}

// The column kernels' tiles: blocks of bx adjacent outputs (of the kn
// contiguous ones; n_outer runs of them) by `by` rows, base tiles in all.
struct ColTiles {
  int64_t kn, n_outer;
  int bx;
  int64_t by, base;
};

ColTiles col_tiles(int64_t kn, int64_t n_out) {
  ColTiles t;
  t.kn = kn;
  t.n_outer = n_out / kn;
  t.bx = tile_width(kn);
  t.by = kBlock / t.bx;
  t.base = t.n_outer * ceil_div(kn, t.bx);
  return t;
}

// Partial results the last block of a one-output reduction adds up itself.
constexpr int64_t kMaxFinishParts = 8192;

// A zeroed counter per stream for finish_last_block, allocated and zeroed on
// first use in the stream's order and kept: work on one stream runs in
// order, and each use leaves it zero again.
unsigned* stream_counter(Encoder& enc) {
  static std::mutex mu;
  static auto* counters =
      new std::unordered_map<cudaStream_t, std::shared_ptr<Buffer>>();  // leaked, see jit.h
  {
    std::lock_guard lk(mu);
    auto it = counters->find(enc.handle());
    if (it != counters->end()) return static_cast<unsigned*>(it->second->device);
  }
  // Only this stream's thread asks for its counter; allocated without the
  // lock, as making room may drain other streams.
  std::shared_ptr<Buffer> buf = malloc_device(sizeof(unsigned), enc.handle());
  check(cudaMemsetAsync(buf->device, 0, sizeof(unsigned), enc.stream()), "cudaMemsetAsync");
  std::lock_guard lk(mu);
  counters->emplace(enc.handle(), buf);
  return static_cast<unsigned*>(buf->device);
}

struct Reducer {
  Encoder& enc;
  const std::vector<const void*>& ks;
  size_t acc_size;

  // Reduces contiguous rows of partials (n_out rows of R values, type A)
  // into out, splitting again while rows are too long for one pass.
  void partials(const void* part, void* out, int64_t n_out, int64_t R) {
    while (true) {
      // A row of partials is read by a block unless short: a warp taking a
      // full reduction's ~1000 partials waits on 30-odd loads in turn (6 us
      // on the H200, a tenth of a 256 MiB sum).
      int w = R <= 256 ? 32 : 256;
      int64_t nchunks = ceil_div(R, kBlock * kMaxIters);
      void* dst = nchunks > 1 ? enc.scratch(size_t(n_out * nchunks) * acc_size) : nullptr;
      enc.launch(ks[1], grid_for(ks[1], ceil_div(n_out * nchunks, kBlock / w)), dim3(kBlock), 0,
                 part, out, dst, n_out, R, nchunks, w);
      if (nchunks == 1) return;
      part = dst;
      R = nchunks;
    }
  }
};

}  // namespace
}  // namespace gpu::red

namespace gr = gpu::red;

void Reduce::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& in = inputs[0];
  array& out = outputs[0];
  void* dst = enc.out(out);
  auto L = split_layout(in.shape(), in.strides(), axes_);
  int64_t n_out = L.kept, R = L.reduced;
  if (n_out == 0) {
    enc.mark_used();
    return;
  }
  uint64_t key = (uint64_t(op_) << 16) | (uint64_t(in.dtype().index()) << 8) | out.dtype().index();
  auto& ks = cache.get(key, [&] {
    return gpu::KernelCache::Program{"reduce.cuh",
                                     gr::reduce_kernel_names(op_, in.dtype(), out.dtype())};
  });
  if (R == 0) {
    enc.launch(ks[3], gpu::blocks_for(size_t(n_out), 256), dim3(256), 0, dst, n_out);
    return;
  }
  size_t acc_size = gr::reduce_acc_type(op_, in.dtype(), out.dtype()).size();
  gr::Reducer r{enc, ks, acc_size};
  const void* src = enc.in(in);
  auto& kshape = L.kshape;
  auto& kst = L.kstrides;
  auto& rs = L.rshape;
  auto& rst = L.rstrides;
  bool cols =
      !kshape.empty() && kst.back() == 1 && kshape.back() > 1 && !rs.empty() && rst.back() != 1;
  if (cols) {
    auto t = gr::col_tiles(kshape.back(), n_out);
    int64_t nchunks = gr::chunks_for(t.base, R, t.by, gr::ceil_div(R, t.by * gr::kMaxColIters),
                                     gr::resident(ks[2]));
    void* part = nchunks > 1 ? enc.scratch(size_t(n_out * nchunks) * acc_size) : nullptr;
    gpu::Layout ol = gr::make_layout(kshape.data(), kst.data(), kshape.size() - 1);
    gpu::Layout rl = gr::make_layout(rs.data(), rst.data(), rs.size());
    enc.launch(ks[2], gr::grid_for(ks[2], t.base * nchunks), dim3(gr::kBlock), 0, src, dst, part,
               t.kn, t.n_outer, R, nchunks, ol, rl, t.bx);
    if (part) r.partials(part, dst, n_out, nchunks);
    return;
  }
  gpu::Layout kl = gr::make_layout(kshape.data(), kst.data(), kshape.size());
  gpu::Layout rl = gr::make_layout(rs.data(), rst.data(), rs.size());
  int contig = rs.empty() || (rs.size() == 1 && rst[0] == 1);
  int w = gr::group_for(R);
  int64_t nchunks = 1;
  if (w == gr::kBlock) {
    nchunks = gr::chunks_for(n_out, R, w, gr::ceil_div(R, w * gr::kMaxIters), gr::resident(ks[0]));
  }
  void* part = nchunks > 1 ? enc.scratch(size_t(n_out * nchunks) * acc_size) : nullptr;
  // One output: the last block adds up the partial results (reduce.cuh's
  // finish_last_block) where a block can read them all quickly.
  unsigned* done = nullptr;
  if (part && n_out == 1 && w == gr::kBlock && nchunks <= gr::kMaxFinishParts) {
    done = gr::stream_counter(enc);
  }
  enc.launch(ks[0], gr::grid_for(ks[0], gr::ceil_div(n_out * nchunks, gr::kBlock / w)),
             dim3(gr::kBlock), 0, src, dst, part, n_out, R, nchunks, kl, rl, contig, w, done);
  if (part && !done) r.partials(part, dst, n_out, nchunks);
}

void ArgReduce::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& in = inputs[0];
  array& out = outputs[0];
  uint32_t* dst = static_cast<uint32_t*>(enc.out(out));
  auto L = split_layout(in.shape(), in.strides(), std::vector<int>{axis_});
  int64_t n_out = L.kept, n = in.shape()[axis_], sa = in.strides()[axis_];
  if (n_out == 0) {
    enc.mark_used();
    return;
  }
  if (n == 0) throw std::logic_error("[ArgReduce] reduction over an empty axis");
  uint64_t key = (uint64_t(op_) << 8) | in.dtype().index();
  auto& ks = cache.get(key, [&] {
    return gpu::KernelCache::Program{"reduce.cuh", gr::arg_reduce_kernel_names(op_, in.dtype())};
  });
  size_t vsize = (gr::is_half(in.dtype()) ? float32 : in.dtype()).size();
  const void* src = enc.in(in);
  auto& kshape = L.kshape;
  auto& kst = L.kstrides;
  bool cols = !kshape.empty() && kst.back() == 1 && kshape.back() > 1 && sa != 1;
  int64_t nchunks = 1;
  void* pval = nullptr;
  uint32_t* pidx = nullptr;
  auto alloc_partials = [&] {
    if (nchunks > 1) {
      pval = enc.scratch(size_t(n_out * nchunks) * vsize);
      pidx = static_cast<uint32_t*>(enc.scratch(size_t(n_out * nchunks) * sizeof(uint32_t)));
    }
  };
  if (cols) {
    auto t = gr::col_tiles(kshape.back(), n_out);
    nchunks = gr::chunks_for(t.base, n, t.by, 1, gr::resident(ks[1]));
    alloc_partials();
    gpu::Layout ol = gr::make_layout(kshape.data(), kst.data(), kshape.size() - 1);
    enc.launch(ks[1], gr::grid_for(ks[1], t.base * nchunks), dim3(gr::kBlock), 0, src, dst, pval,
               pidx, t.kn, t.n_outer, n, sa, nchunks, ol, t.bx);
  } else {
    int w = gr::group_for(n);
    if (w == gr::kBlock) nchunks = gr::chunks_for(n_out, n, w, 1, gr::resident(ks[0]));
    alloc_partials();
    gpu::Layout kl = gr::make_layout(kshape.data(), kst.data(), kshape.size());
    enc.launch(ks[0], gr::grid_for(ks[0], gr::ceil_div(n_out * nchunks, gr::kBlock / w)),
               dim3(gr::kBlock), 0, src, dst, pval, pidx, n_out, n, sa, nchunks, kl, w);
  }
  if (nchunks > 1) {
    int w = nchunks <= 2048 ? 32 : 256;
    enc.launch(ks[2], gr::grid_for(ks[2], gr::ceil_div(n_out, gr::kBlock / w)), dim3(gr::kBlock), 0,
               static_cast<const void*>(pval), static_cast<const uint32_t*>(pidx), dst, n_out,
               nchunks, w);
  }
}

}  // namespace tandem
