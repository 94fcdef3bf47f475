// GPU kernels of the indexing family (device/indexing.cuh): Concatenate,
// Gather, Scatter, GatherAxis, ScatterAxis and SliceUpdate.
#include "tandem/primitives/indexing.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>

#include "tandem/backend/cuda/cuda_check.h"
#include "tandem/backend/cuda/elementwise.h"
#include "tandem/backend/cuda/indexing.h"
#include "tandem/backend/cuda/jit.h"
#include "tandem/kernels/kernel_args.h"

namespace tandem {

namespace gpu {
namespace {

// The kernel argument structs (tandem/kernels/).
using k::IndexArgs;
using k::kMaxIndexArrays;
using k::Strided;

// Debug mode (check_indices): a zeroed device word triple where the kernel
// reports its first index out of range (see clamp_index in indexing.cuh);
// null when the mode is off.
unsigned long long* index_error_slot(Encoder& enc) {
  if (!check_indices()) return nullptr;
  auto* p = static_cast<unsigned long long*>(enc.scratch(3 * sizeof(unsigned long long)));
  check(cudaMemsetAsync(p, 0, 3 * sizeof(unsigned long long), enc.stream()), "cudaMemsetAsync");
  return p;
}

// After the kernel that got slot: waits for it (a debug mode may stall the
// stream) and throws naming the index when it reported one. info(which)
// gives the axis, its size and the largest valid index of index array which.
template <typename Info>
void raise_index_error(Encoder& enc, unsigned long long* slot, const char* op, Info info) {
  if (!slot) return;
  unsigned long long h[3] = {0, 0, 0};
  cudaStream_t st = enc.stream();
  check(cudaMemcpyAsync(h, slot, sizeof h, cudaMemcpyDeviceToHost, st), "cudaMemcpyAsync");
  check(cudaStreamSynchronize(st), "cudaStreamSynchronize");
  if (!h[0]) return;
  auto [axis, size, hi] = info(static_cast<int>(h[2]));
  throw_index_out_of_range(op, static_cast<int64_t>(h[1]), axis, size, hi);
}

constexpr unsigned kThreads = 256;
// Past this many elements, kernels index with int64_t.
constexpr size_t kNarrowLimit = size_t(1) << 31;

template <int K>
Strided<K> strided(const Shape& shape, const std::vector<Strides>& strides) {
  auto ls = collapse_layouts(shape, strides);
  Strided<K> s;
  s.ndim = ls[0].ndim;
  for (int d = 0; d < s.ndim; ++d) {
    s.shape[d] = ls[0].shape[d];
    for (int k = 0; k < K; ++k) s.strides[k][d] = ls[k].strides[d];
  }
  return s;
}

// Names of kernel `kind` with template arguments `args` and both index types.
std::vector<std::string> both_widths(const std::string& kind, const std::string& args) {
  return {"tandem::" + kind + "<" + args + ", uint32_t>",
          "tandem::" + kind + "<" + args + ", int64_t>"};
}

// Launches kernel ks[wide] over n elements: args after n as given.
template <typename... Args>
void launch_n(Encoder& enc, const std::vector<const void*>& ks, size_t n, const void* a0, void* a1,
              Args... rest) {
  unsigned blocks = blocks_for(n, kThreads);
  if (n > kNarrowLimit) {
    enc.launch(ks[1], blocks, kThreads, 0, a0, a1, static_cast<int64_t>(n), rest...);
  } else {
    enc.launch(ks[0], blocks, kThreads, 0, a0, a1, static_cast<uint32_t>(n), rest...);
  }
}

void check_index_dtype(Dtype t) {
  if (!is_integral(t) || t == bool_) {
    throw std::invalid_argument("[indexing] index arrays must have an integer dtype");
  }
}

// Index arrays over the shared shape `ishape`, with `extra` as one more
// stride set (empty: none), selecting blocks of shape `block` along `axes`
// of an array of the given shape and strides.
IndexArgs index_args(Encoder& enc, const std::vector<array>& idx, const Shape& ishape,
                     const Strides* extra, const Shape& shape, const Strides& strides,
                     const std::vector<int>& axes, const Shape& block) {
  if (idx.size() > size_t(kMaxIndexArrays)) {
    throw std::invalid_argument("[gather/scatter] the GPU kernels take at most " +
                                std::to_string(kMaxIndexArrays) + " index arrays; got " +
                                std::to_string(idx.size()));
  }
  IndexArgs ix;
  ix.k = static_cast<int>(idx.size());
  std::vector<Strides> st;
  for (auto& i : idx) st.push_back(i.strides());
  st.push_back(extra ? *extra : Strides(ishape.size(), 0));
  auto ls = collapse_layouts(ishape, st);
  ix.ndim = ls[0].ndim;
  for (int d = 0; d < ix.ndim; ++d) {
    ix.shape[d] = ls[0].shape[d];
    for (size_t k = 0; k < st.size(); ++k) ix.strides[k][d] = ls[k].strides[d];
  }
  for (int k = 0; k < ix.k; ++k) {
    int ax = axes[k];
    ix.ptr[k] = enc.in(idx[k]);
    ix.n[k] = shape[ax];
    ix.hi[k] = shape[ax] - block[ax];
    ix.stride[k] = strides[ax];
  }
  return ix;
}

}  // namespace

void copy_into(Encoder& enc, const void* src, const Strides& src_strides, void* dst,
               const Strides& dst_strides, const Shape& shape, size_t itemsize) {
  static KernelCache cache;
  size_t n = shape_size(shape);
  if (n == 0) return;
  auto l = strided<2>(shape, {dst_strides, src_strides});
  if (l.ndim == 0 || (l.ndim == 1 && l.strides[0][0] == 1 && l.strides[1][0] == 1)) {
    enc.copy(dst, src, n * itemsize);
    return;
  }
  // Rows contiguous on both sides (a transpose of whole rows, the heads of
  // attention, a slice of columns): copy units of 16, 8 or 4 bytes where
  // the row length, every other stride and both addresses allow, so the
  // offset arithmetic is paid once a unit instead of once an element.
  size_t unit = itemsize;
  const int in = l.ndim - 1;
  if (l.strides[0][in] == 1 && l.strides[1][in] == 1) {
    for (size_t u : {size_t(16), size_t(8), size_t(4)}) {
      if (u <= itemsize || u % itemsize) continue;
      const int64_t k = static_cast<int64_t>(u / itemsize);
      bool ok = l.shape[in] % k == 0 && reinterpret_cast<uintptr_t>(src) % u == 0 &&
                reinterpret_cast<uintptr_t>(dst) % u == 0;
      for (int d = 0; ok && d < in; ++d) ok = l.strides[0][d] % k == 0 && l.strides[1][d] % k == 0;
      if (!ok) continue;
      l.shape[in] /= k;
      for (int d = 0; d < in; ++d) {
        l.strides[0][d] /= k;
        l.strides[1][d] /= k;
      }
      n /= static_cast<size_t>(k);
      unit = u;
      break;
    }
  }
  auto& ks = cache.get(unit, [&] {
    const char* t = unit == 16 ? "uint4" : uint_type(unit);
    return KernelCache::Program{"indexing.cuh", both_widths("copy_strided", t)};
  });
  launch_n(enc, ks, n, src, dst, l);
}

void* prepare_update_output(Encoder& enc, const array& src, array& out) {
  if (can_donate(src, out)) return enc.donate(src, out);
  if (src.size() == 0) return enc.out(out);
  const void* s = enc.in(src);
  if (src.flags().contiguous && src.data_size() == src.size()) {
    // Dense in some order (element 0 first, as dense layouts have no
    // negative strides): keep its layout and copy the bytes.
    void* d = enc.out(out, src.data_size(), src.strides(), src.flags());
    enc.copy(d, s, src.nbytes());
    return d;
  }
  void* d = enc.out(out);
  copy_into(enc, s, src.strides(), d, out.strides(), out.shape(), out.itemsize());
  return d;
}

}  // namespace gpu

void Concatenate::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = gpu::encoder(stream());
  array& out = outputs[0];
  char* dst = static_cast<char*>(enc.out(out));
  enc.mark_used();
  if (out.size() == 0) return;
  int64_t pos = 0;
  int64_t isz = static_cast<int64_t>(out.itemsize());
  for (auto& in : inputs) {
    if (in.size() > 0) {
      gpu::copy_into(enc, enc.in(in), in.strides(), dst + pos * out.strides()[axis_] * isz,
                     out.strides(), in.shape(), out.itemsize());
    }
    pos += in.shape()[axis_];
  }
}

void Gather::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& a = inputs[0];
  array& out = outputs[0];
  void* dst = enc.out(out);
  enc.mark_used();
  if (out.size() == 0) return;
  std::vector<array> idx(inputs.begin() + 1, inputs.end());
  Dtype itype = idx.empty() ? int32 : idx[0].dtype();
  gpu::check_index_dtype(itype);
  Shape ishape(out.shape().begin(), out.shape().begin() + (out.ndim() - a.ndim()));
  size_t slice = shape_size(slice_sizes_);
  auto ix = gpu::index_args(enc, idx, ishape, nullptr, a.shape(), a.strides(), axes_, slice_sizes_);
  auto sl = gpu::strided<1>(slice_sizes_, {a.strides()});
  uint64_t key = (uint64_t(a.itemsize()) << 8) | uint64_t(itype.index());
  auto& ks = cache.get(key, [&] {
    std::string args = std::string(gpu::uint_type(a.itemsize())) + ", " + gpu::device_type(itype);
    return gpu::KernelCache::Program{"indexing.cuh", gpu::both_widths("gather", args)};
  });
  size_t n = out.size();
  const void* src = enc.in(a);
  ix.err = gpu::index_error_slot(enc);
  if (n > gpu::kNarrowLimit) {
    gpu::launch_n(enc, ks, n, src, dst, static_cast<int64_t>(slice), ix, sl);
  } else {
    gpu::launch_n(enc, ks, n, src, dst, static_cast<uint32_t>(slice), ix, sl);
  }
  gpu::raise_index_error(enc, ix.err, "gather", [&](int k) {
    return std::tuple<int, int64_t, int64_t>(axes_[k], ix.n[k], ix.hi[k]);
  });
}

void Scatter::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& a = inputs[0];
  const array& upd = inputs[1];
  array& out = outputs[0];
  char* dst = static_cast<char*>(gpu::prepare_update_output(enc, a, out));
  enc.mark_used();
  if (out.size() == 0 || upd.size() == 0) return;
  std::vector<array> idx(inputs.begin() + 2, inputs.end());
  Dtype itype = idx.empty() ? int32 : idx[0].dtype();
  gpu::check_index_dtype(itype);
  int k_nd = upd.ndim() - out.ndim();
  Shape ishape, ushape;
  Strides upd_i, upd_u;
  for (int d = 0; d < upd.ndim(); ++d) {
    if (d < k_nd) {
      ishape.push_back(upd.shape()[d]);
      upd_i.push_back(upd.strides()[d]);
    } else {
      ushape.push_back(upd.shape()[d]);
      upd_u.push_back(upd.strides()[d]);
    }
  }
  size_t slice = shape_size(ushape);
  auto ix = gpu::index_args(enc, idx, ishape, &upd_i, out.shape(), out.strides(), axes_, ushape);
  auto sl = gpu::strided<2>(ushape, {out.strides(), upd_u});
  // Plain writes only move elements: run them on their bits.
  bool plain = reduce_ == ScatterReduce::None;
  const char* t = plain ? gpu::uint_type(out.itemsize()) : gpu::device_type(out.dtype());
  uint64_t key = (uint64_t(reduce_) << 16) |
                 (uint64_t(plain ? out.itemsize() : 16 + out.dtype().index()) << 8) |
                 uint64_t(itype.index());
  auto& ks = cache.get(key, [&] {
    std::string args =
        std::to_string(static_cast<int>(reduce_)) + ", " + t + ", " + gpu::device_type(itype);
    return gpu::KernelCache::Program{"indexing.cuh", gpu::both_widths("scatter", args)};
  });
  size_t n = upd.size();
  const void* u = enc.in(upd);
  ix.err = gpu::index_error_slot(enc);
  if (n > gpu::kNarrowLimit) {
    gpu::launch_n(enc, ks, n, u, dst, static_cast<int64_t>(slice), ix, sl);
  } else {
    gpu::launch_n(enc, ks, n, u, dst, static_cast<uint32_t>(slice), ix, sl);
  }
  gpu::raise_index_error(enc, ix.err, "scatter", [&](int k) {
    return std::tuple<int, int64_t, int64_t>(axes_[k], ix.n[k], ix.hi[k]);
  });
}

void GatherAxis::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& a = inputs[0];
  const array& idx = inputs[1];
  array& out = outputs[0];
  void* dst = enc.out(out);
  enc.mark_used();
  if (out.size() == 0) return;
  gpu::check_index_dtype(idx.dtype());
  Strides a_st = a.strides();
  int64_t axis_stride = a_st[axis_], axis_size = a.shape()[axis_];
  a_st[axis_] = 0;
  auto l = gpu::strided<2>(out.shape(), {a_st, idx.strides()});
  uint64_t key = (uint64_t(a.itemsize()) << 8) | uint64_t(idx.dtype().index());
  auto& ks = cache.get(key, [&] {
    std::string args =
        std::string(gpu::uint_type(a.itemsize())) + ", " + gpu::device_type(idx.dtype());
    return gpu::KernelCache::Program{"indexing.cuh", gpu::both_widths("gather_axis", args)};
  });
  const void* src = enc.in(a);
  const void* ip = enc.in(idx);
  size_t n = out.size();
  unsigned blocks = gpu::blocks_for(n, gpu::kThreads);
  unsigned long long* err = gpu::index_error_slot(enc);
  if (n > gpu::kNarrowLimit) {
    enc.launch(ks[1], blocks, gpu::kThreads, 0, src, ip, dst, static_cast<int64_t>(n), l, axis_size,
               axis_stride, err);
  } else {
    enc.launch(ks[0], blocks, gpu::kThreads, 0, src, ip, dst, static_cast<uint32_t>(n), l,
               axis_size, axis_stride, err);
  }
  gpu::raise_index_error(enc, err, "take_along_axis", [&](int) {
    return std::tuple<int, int64_t, int64_t>(axis_, axis_size, axis_size - 1);
  });
}

void ScatterAxis::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& a = inputs[0];
  array& out = outputs[0];
  void* dst = gpu::prepare_update_output(enc, a, out);
  enc.mark_used();
  if (out.size() == 0 || inputs[1].size() == 0) return;
  const array& idx = inputs[1];
  const array& vals = inputs[2];
  gpu::check_index_dtype(idx.dtype());
  Strides o_st = out.strides();
  int64_t axis_stride = o_st[axis_], axis_size = out.shape()[axis_];
  o_st[axis_] = 0;
  auto l = gpu::strided<3>(idx.shape(), {o_st, idx.strides(), vals.strides()});
  bool plain = reduce_ == ScatterReduce::None;
  const char* t = plain ? gpu::uint_type(out.itemsize()) : gpu::device_type(out.dtype());
  uint64_t key = (uint64_t(reduce_) << 16) |
                 (uint64_t(plain ? out.itemsize() : 16 + out.dtype().index()) << 8) |
                 uint64_t(idx.dtype().index());
  auto& ks = cache.get(key, [&] {
    std::string args =
        std::to_string(static_cast<int>(reduce_)) + ", " + t + ", " + gpu::device_type(idx.dtype());
    return gpu::KernelCache::Program{"indexing.cuh", gpu::both_widths("scatter_axis", args)};
  });
  const void* ip = enc.in(idx);
  const void* vp = enc.in(vals);
  size_t n = idx.size();
  unsigned blocks = gpu::blocks_for(n, gpu::kThreads);
  unsigned long long* err = gpu::index_error_slot(enc);
  if (n > gpu::kNarrowLimit) {
    enc.launch(ks[1], blocks, gpu::kThreads, 0, ip, vp, dst, static_cast<int64_t>(n), l, axis_size,
               axis_stride, err);
  } else {
    enc.launch(ks[0], blocks, gpu::kThreads, 0, ip, vp, dst, static_cast<uint32_t>(n), l, axis_size,
               axis_stride, err);
  }
  gpu::raise_index_error(enc, err, "put_along_axis", [&](int) {
    return std::tuple<int, int64_t, int64_t>(axis_, axis_size, axis_size - 1);
  });
}

void SliceUpdate::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = gpu::encoder(stream());
  const array& src = inputs[0];
  const array& upd = inputs[1];
  array& out = outputs[0];
  char* dst = static_cast<char*>(gpu::prepare_update_output(enc, src, out));
  enc.mark_used();
  if (out.size() == 0 || upd.size() == 0) return;
  int64_t off = 0;
  Strides dst_strides;
  for (int i = 0; i < out.ndim(); ++i) {
    off += static_cast<int64_t>(start_[i]) * out.strides()[i];
    dst_strides.push_back(out.strides()[i] * strides_[i]);
  }
  gpu::copy_into(enc, enc.in(upd), upd.strides(), dst + off * static_cast<int64_t>(out.itemsize()),
                 dst_strides, upd.shape(), out.itemsize());
}

}  // namespace tandem
