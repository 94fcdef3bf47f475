// GPU kernels of Sort, ArgSort, Partition and ArgPartition
// (device/sort.cuh). Partitions are full stable sorts, which satisfy their
// contract. Lines up to one tile are sorted in one pass; longer lines are
// sorted in tiles into scratch and merged pairwise in passes.
#include "tandem/primitives/sort.h"

#include <algorithm>

#include "tandem/backend/cuda/device.h"
#include "tandem/backend/cuda/jit.h"
#include "tandem/backend/cuda/reduce.h"
#include "tandem/kernels/kernel_args.h"

namespace tandem {
namespace gpu::red {

std::vector<std::string> sort_kernel_names(Dtype t) {
  std::string d = device_type(t);
  return {"tandem::srt::sort_small<" + d + ">", "tandem::srt::sort_tile<" + d + ", 128, 4>",
          "tandem::srt::sort_tile<" + d + ", 256, 8>",
          std::string("tandem::srt::sort_merge<") + uint_type(t.size()) + ">",
          "tandem::srt::sort_write<" + d + ">"};
}

namespace {

constexpr int64_t kSmallN = 16;  // sort.cuh's kSmallN
constexpr int64_t kTile = 2048;  // the large tile: 256 threads x 8

using Lines = k::SortLines;

void sort_gpu(const Stream& stream, const array& in, array& out, int axis, bool indices) {
  static KernelCache cache;
  auto& enc = encoder(stream);
  void* dst = enc.out(out);
  if (out.size() == 0) {
    enc.mark_used();
    return;
  }
  auto& ks = cache.get(in.dtype().index(), [&] {
    return KernelCache::Program{"sort.cuh", sort_kernel_names(in.dtype())};
  });
  const void* src = enc.in(in);
  void* out_v = indices ? nullptr : dst;
  void* out_i = indices ? dst : nullptr;
  Lines L;
  L.n = in.shape()[axis];
  L.sa = in.strides()[axis];
  L.post = 1;
  int64_t pre = 1;
  for (int i = 0; i < axis; ++i) pre *= in.shape()[i];
  for (int i = axis + 1; i < in.ndim(); ++i) L.post *= in.shape()[i];
  L.pl = sub_layout(in, 0, axis);
  L.ql = sub_layout(in, axis + 1, in.ndim());
  int64_t lines = pre * L.post;
  void* no_keys = nullptr;
  void* no_idx = nullptr;
  if (L.n <= kSmallN) {
    enc.launch(ks[0], grid_for(ks[0], ceil_div(lines, 128), 128), dim3(128), 0, src, out_v, out_i,
               lines, L);
    return;
  }
  if (L.n <= 512) {
    enc.launch(ks[1], grid_for(ks[1], lines, 128), dim3(128), 0, src, out_v, out_i, no_keys, no_idx,
               lines, L);
    return;
  }
  if (L.n <= kTile) {
    enc.launch(ks[2], grid_for(ks[2], lines), dim3(256), 0, src, out_v, out_i, no_keys, no_idx,
               lines, L);
    return;
  }
  size_t total = size_t(lines) * size_t(L.n);
  size_t ksize = in.dtype().size();
  void* ka = enc.scratch(total * ksize);
  void* ia = enc.scratch(total * sizeof(uint32_t));
  void* kb = enc.scratch(total * ksize);
  void* ib = enc.scratch(total * sizeof(uint32_t));
  enc.launch(ks[2], grid_for(ks[2], lines * ceil_div(L.n, kTile)), dim3(256), 0, src, out_v, out_i,
             ka, ia, lines, L);
  for (int64_t w = kTile; w < L.n; w *= 2) {
    int64_t threads = lines * ceil_div(L.n, 8);
    enc.launch(ks[3], grid_for(ks[3], ceil_div(threads, 256)), dim3(256), 0,
               static_cast<const void*>(ka), static_cast<const void*>(ia), kb, ib, lines, L.n, w);
    std::swap(ka, kb);
    std::swap(ia, ib);
  }
  enc.launch(ks[4], grid_for(ks[4], ceil_div(int64_t(total), 256)), dim3(256), 0, src, out_v, out_i,
             static_cast<const void*>(ia), lines, L);
}

}  // namespace
}  // namespace gpu::red

void Sort::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  gpu::red::sort_gpu(stream(), inputs[0], outputs[0], axis_, false);
}

void ArgSort::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  gpu::red::sort_gpu(stream(), inputs[0], outputs[0], axis_, true);
}

// A full sort puts every element, the kth included, in its sorted place.
void Partition::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  gpu::red::sort_gpu(stream(), inputs[0], outputs[0], axis_, false);
}

void ArgPartition::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  gpu::red::sort_gpu(stream(), inputs[0], outputs[0], axis_, true);
}

}  // namespace tandem
