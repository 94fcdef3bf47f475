// GPU kernels of the Binary and Select primitives (device/binary.cuh).
#include "tandem/primitives/binary.h"

#include <array>
#include <utility>

#include "tandem/backend/cuda/elementwise.h"
#include "tandem/backend/cuda/jit.h"

namespace tandem {

namespace gpu {
namespace {

// A program's kernels in launch order: `kind`_contig then `kind`_strided,
// each with 32- then 64-bit indices, on template arguments `targs`.
KernelCache::Program planned_program(const std::string& kind, const std::string& targs) {
  KernelCache::Program p{"binary.cuh", {}};
  for (const char* shape : {"_contig", "_strided"}) {
    for (const char* idx : {"uint32_t", "int64_t"}) {
      p.second.push_back("tandem::" + kind + shape + "<" + targs + ", " + idx + ">");
    }
  }
  return p;
}

// Launches the kernel of ks (planned_program's order) that plan picks over
// the N inputs at `in` into plan.out: after the element count, dense kernels
// take each input's scalar flag, strided kernels its layout.
template <size_t N>
void launch_planned(Encoder& enc, const std::vector<const void*>& ks, const ElementwisePlan& plan,
                    const std::array<const void*, N>& in) {
  unsigned threads = 256;
  unsigned blocks = plan.dense ? dense_blocks(plan.n, threads) : blocks_for(plan.n, threads);
  const void* k = ks[planned_kernel(plan)];
  auto go = [&]<size_t... I>(auto n, std::index_sequence<I...>) {
    if (plan.dense) {
      enc.launch(k, blocks, threads, 0, in[I]..., plan.out, n, int(plan.scalar[I])...);
    } else {
      enc.launch(k, blocks, threads, 0, in[I]..., plan.out, n, plan.layouts[I]...);
    }
  };
  if (plan.wide) {
    go(int64_t(plan.n), std::make_index_sequence<N>());
  } else {
    go(uint32_t(plan.n), std::make_index_sequence<N>());
  }
}

}  // namespace
}  // namespace gpu

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
  uint64_t key = (uint64_t(op_) << 8) | uint64_t(a.dtype().index());
  auto& ks = cache.get(key, [&] {
    std::string t = gpu::device_type(a.dtype()), ot = gpu::device_type(out.dtype());
    std::string fn = "tandem::BinaryFn<" + std::to_string(static_cast<int>(op_)) + ", " + t + ">";
    return gpu::planned_program("map2", fn + ", " + t + ", " + ot);
  });
  gpu::launch_planned<2>(enc, ks, plan, {enc.in(a), enc.in(b)});
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
  auto& ks = cache.get(uint64_t(out.dtype().index()), [&] {
    return gpu::planned_program("select", gpu::device_type(out.dtype()));
  });
  gpu::launch_planned<3>(enc, ks, plan, {enc.in(c), enc.in(x), enc.in(y)});
}

}  // namespace tandem
