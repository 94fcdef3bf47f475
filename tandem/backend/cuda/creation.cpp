// GPU kernels of the creation family: Arange (device/creation.cuh) and
// AsType, a converting copy through the map1 kernels with CastFn
// (device/elementwise.cuh).
#include "tandem/primitives/creation.h"

#include "tandem/backend/cuda/creation.h"
#include "tandem/backend/cuda/elementwise.h"
#include "tandem/backend/cuda/indexing.h"
#include "tandem/backend/cuda/jit.h"

namespace tandem {
namespace gpu {
namespace {

// The CastFn programs: {header, map1 kernels} in launch_map1's order
// (contig u32, contig i64, strided u32, strided i64), so launch_map1 and
// copy_row_major share one cache.
KernelCache& cast_cache() {
  static KernelCache cache;
  return cache;
}
std::string cast_functor(Dtype from, Dtype to) {
  return std::string("tandem::CastFn<") + device_type(from) + ", " + device_type(to) + ">";
}
uint64_t cast_key(Dtype from, Dtype to) {
  return (uint64_t(from.index()) << 8) | to.index();
}

}  // namespace

void copy_row_major(Encoder& enc, const array& in, void* dst, Dtype to) {
  size_t n = in.size();
  if (n == 0) {
    enc.mark_used();
    return;
  }
  // dst is row-major at in's shape: collapse the pair and see whether in
  // reads in the same order.
  auto ls = collapse_layouts(in.shape(), {row_major_strides(in.shape()), in.strides()});
  Layout l = ls[1];
  bool contig = l.ndim == 0 || (l.ndim == 1 && l.strides[0] == 1);
  if (!contig && in.dtype() == to) {
    // A plain strided copy: indexing's, which moves wide units where it can.
    copy_into(enc, enc.in(in), in.strides(), dst, row_major_strides(in.shape()), in.shape(),
              in.itemsize());
    enc.mark_used();
    return;
  }
  std::string it = device_type(in.dtype()), ot = device_type(to);
  auto& ks = cast_cache().get(cast_key(in.dtype(), to), [&] {
    KernelCache::Program p{"elementwise.cuh", {}};
    std::string fn = cast_functor(in.dtype(), to);
    for (const char* kind : {"map1_contig", "map1_strided"}) {
      for (const char* idx : {"uint32_t", "int64_t"}) {
        p.second.push_back(std::string("tandem::") + kind + "<" + fn + ", " + it + ", " + ot +
                           ", " + idx + ">");
      }
    }
    return p;
  });
  bool wide = n > (size_t(1) << 31);
  const void* src = enc.in(in);
  unsigned threads = 256;
  unsigned blocks = contig ? dense_blocks(n, threads) : blocks_for(n, threads);
  int which = (contig ? 0 : 2) + (wide ? 1 : 0);
  if (contig) {
    if (wide) {
      enc.launch(ks[which], blocks, threads, 0, src, dst, int64_t(n));
    } else {
      enc.launch(ks[which], blocks, threads, 0, src, dst, uint32_t(n));
    }
  } else {
    if (wide) {
      enc.launch(ks[which], blocks, threads, 0, src, dst, int64_t(n), l);
    } else {
      enc.launch(ks[which], blocks, threads, 0, src, dst, uint32_t(n), l);
    }
  }
}

}  // namespace gpu

void Arange::eval_gpu(const std::vector<array>&, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  array& out = outputs[0];
  void* p = enc.out(out);
  size_t n = out.size();
  if (n == 0) {
    enc.mark_used();
    return;
  }
  bool integral = is_integral(out.dtype());
  auto& ks = cache.get(uint64_t(out.dtype().index()), [&] {
    std::string t = gpu::device_type(out.dtype());
    std::string k = integral ? "tandem::arange_int<" : "tandem::arange<";
    return gpu::KernelCache::Program{"creation.cuh", {k + t + ", uint32_t>", k + t + ", int64_t>"}};
  });
  unsigned threads = 256;
  unsigned blocks = gpu::blocks_for(n, threads);
  bool wide = n > (size_t(1) << 31);
  if (integral) {
    int64_t start = istart_, step = istep_;
    if (wide) {
      enc.launch(ks[1], blocks, threads, 0, p, int64_t(n), start, step);
    } else {
      enc.launch(ks[0], blocks, threads, 0, p, uint32_t(n), start, step);
    }
    return;
  }
  double start = start_, step = step_;
  if (wide) {
    enc.launch(ks[1], blocks, threads, 0, p, int64_t(n), start, step);
  } else {
    enc.launch(ks[0], blocks, threads, 0, p, uint32_t(n), start, step);
  }
}

void AsType::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = gpu::encoder(stream());
  const array& in = inputs[0];
  array& out = outputs[0];
  if (!row_contiguous_ && in.flags().contiguous && in.data_size() == in.size()) {
    // A dense input keeps its layout (and may give its buffer when the
    // element sizes match), as on the CPU.
    gpu::launch_map1(
        enc, "elementwise.cuh", [&] { return gpu::cast_functor(in.dtype(), out.dtype()); },
        gpu::cast_key(in.dtype(), out.dtype()), gpu::cast_cache(), in, out,
        in.dtype().size() == out.dtype().size());
    return;
  }
  void* dst = enc.out(out);
  gpu::copy_row_major(enc, in, dst, out.dtype());
}

}  // namespace tandem
