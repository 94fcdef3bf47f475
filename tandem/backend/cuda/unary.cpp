// GPU kernels of the Unary primitive (device/unary.cuh).
#include "tandem/primitives/unary.h"

#include "tandem/backend/cuda/elementwise.h"
#include "tandem/backend/cuda/jit.h"

namespace tandem {

static_assert(static_cast<int>(UnaryOp::BitwiseInvert) == 41,
              "device/unary.cuh numbers the ops like UnaryOp");

namespace gpu {

void launch_map1(Encoder& enc, const std::string& header,
                 const std::function<std::string()>& functor, uint64_t key, KernelCache& cache,
                 const array& in, array& out, bool allow_donation) {
  auto plan = plan_elementwise(enc, {in}, out, allow_donation);
  if (plan.n == 0) {
    enc.mark_used();
    return;
  }
  if (plan.dense && plan.scalar[0] && plan.n > 1) {
    // A broadcast input (all strides 0) holds one value: read it through a
    // zero stride (map1_contig would read past it).
    plan.dense = false;
    plan.layouts.assign(1, Layout{});
    plan.layouts[0].ndim = 1;
    plan.layouts[0].shape[0] = static_cast<int64_t>(plan.n);
  }
  auto& ks = cache.get(key, [&] {
    std::string it = device_type(in.dtype()), ot = device_type(out.dtype());
    KernelCache::Program p{header, {}};
    for (const char* kind : {"map1_contig", "map1_strided"}) {
      for (const char* idx : {"uint32_t", "int64_t"}) {
        p.second.push_back(std::string("tandem::") + kind + "<" + functor() + ", " + it + ", " +
                           ot + ", " + idx + ">");
      }
    }
    return p;
  });
  const void* src = enc.in(in);
  unsigned threads = 256;
  unsigned blocks = blocks_for(plan.n, threads);
  int which = (plan.dense ? 0 : 2) + (plan.wide ? 1 : 0);
  if (plan.dense) {
    if (plan.wide) {
      int64_t n = static_cast<int64_t>(plan.n);
      enc.launch(ks[which], blocks, threads, 0, src, plan.out, n);
    } else {
      uint32_t n = static_cast<uint32_t>(plan.n);
      enc.launch(ks[which], blocks, threads, 0, src, plan.out, n);
    }
  } else {
    Layout l = plan.layouts[0];
    if (plan.wide) {
      int64_t n = static_cast<int64_t>(plan.n);
      enc.launch(ks[which], blocks, threads, 0, src, plan.out, n, l);
    } else {
      uint32_t n = static_cast<uint32_t>(plan.n);
      enc.launch(ks[which], blocks, threads, 0, src, plan.out, n, l);
    }
  }
}

}  // namespace gpu

void Unary::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& in = inputs[0];
  array& out = outputs[0];
  auto functor = [&] {
    return "tandem::UnaryFn<" + std::to_string(static_cast<int>(op_)) + ", " +
           gpu::device_type(in.dtype()) + ", " + gpu::device_type(out.dtype()) + ">";
  };
  uint64_t key = (uint64_t(op_) << 16) | (uint64_t(in.dtype().index()) << 8) | out.dtype().index();
  gpu::launch_map1(enc, "unary.cuh", functor, key, cache, in, out, in.dtype() == out.dtype());
}

}  // namespace tandem
