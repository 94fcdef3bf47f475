// GPU kernels of the Binary and Select primitives (device/binary.cuh).
#include "tandem/primitives/binary.h"

#include "tandem/backend/cuda/elementwise.h"
#include "tandem/backend/cuda/jit.h"

namespace tandem {

static_assert(static_cast<int>(BinaryOp::NaNEqual) == 24,
              "device/binary.cuh numbers the ops like BinaryOp");

void Binary::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& a = inputs[0];
  const array& b = inputs[1];
  array& out = outputs[0];
  auto plan = gpu::plan_elementwise(enc, {a, b}, out, out.dtype() == a.dtype());
  if (plan.n == 0) {
    enc.mark_used();
    return;
  }
  std::string t = gpu::device_type(a.dtype()), ot = gpu::device_type(out.dtype());
  uint64_t key = (uint64_t(op_) << 8) | uint64_t(a.dtype().index());
  auto& ks = cache.get(key, [&] {
    std::string fn = "tandem::BinaryFn<" + std::to_string(static_cast<int>(op_)) + ", " + t + ">";
    gpu::KernelCache::Program p{"binary.cuh", {}};
    for (const char* kind : {"map2_contig", "map2_strided"}) {
      for (const char* idx : {"uint32_t", "int64_t"}) {
        p.second.push_back(std::string("tandem::") + kind + "<" + fn + ", " + t + ", " + ot + ", " +
                           idx + ">");
      }
    }
    return p;
  });
  const void* pa = enc.in(a);
  const void* pb = enc.in(b);
  void* po = plan.out;
  unsigned threads = 256;
  unsigned blocks = gpu::blocks_for(plan.n, threads);
  int which = (plan.dense ? 0 : 2) + (plan.wide ? 1 : 0);
  if (plan.dense) {
    int as = plan.scalar[0], bs = plan.scalar[1];
    if (plan.wide) {
      enc.launch(ks[which], blocks, threads, 0, pa, pb, po, int64_t(plan.n), as, bs);
    } else {
      enc.launch(ks[which], blocks, threads, 0, pa, pb, po, uint32_t(plan.n), as, bs);
    }
  } else {
    gpu::Layout la = plan.layouts[0], lb = plan.layouts[1];
    if (plan.wide) {
      enc.launch(ks[which], blocks, threads, 0, pa, pb, po, int64_t(plan.n), la, lb);
    } else {
      enc.launch(ks[which], blocks, threads, 0, pa, pb, po, uint32_t(plan.n), la, lb);
    }
  }
}

void Select::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::KernelCache cache;
  auto& enc = gpu::encoder(stream());
  const array& c = inputs[0];
  const array& x = inputs[1];
  const array& y = inputs[2];
  array& out = outputs[0];
  // The condition's buffer may be donated too when out is 1 byte wide.
  auto plan = gpu::plan_elementwise(enc, {c, x, y}, out);
  if (plan.n == 0) {
    enc.mark_used();
    return;
  }
  std::string t = gpu::device_type(out.dtype());
  auto& ks = cache.get(uint64_t(out.dtype().index()), [&] {
    gpu::KernelCache::Program p{"binary.cuh", {}};
    for (const char* kind : {"select_contig", "select_strided"}) {
      for (const char* idx : {"uint32_t", "int64_t"}) {
        p.second.push_back(std::string("tandem::") + kind + "<" + t + ", " + idx + ">");
      }
    }
    return p;
  });
  const void* pc = enc.in(c);
  const void* px = enc.in(x);
  const void* py = enc.in(y);
  void* po = plan.out;
  unsigned threads = 256;
  unsigned blocks = gpu::blocks_for(plan.n, threads);
  int which = (plan.dense ? 0 : 2) + (plan.wide ? 1 : 0);
  if (plan.dense) {
    int cs = plan.scalar[0], xs = plan.scalar[1], ys = plan.scalar[2];
    if (plan.wide) {
      enc.launch(ks[which], blocks, threads, 0, pc, px, py, po, int64_t(plan.n), cs, xs, ys);
    } else {
      enc.launch(ks[which], blocks, threads, 0, pc, px, py, po, uint32_t(plan.n), cs, xs, ys);
    }
  } else {
    gpu::Layout lc = plan.layouts[0], lx = plan.layouts[1], ly = plan.layouts[2];
    if (plan.wide) {
      enc.launch(ks[which], blocks, threads, 0, pc, px, py, po, int64_t(plan.n), lc, lx, ly);
    } else {
      enc.launch(ks[which], blocks, threads, 0, pc, px, py, po, uint32_t(plan.n), lc, lx, ly);
    }
  }
}

}  // namespace tandem
