// CPU kernel of the Fused primitive: the program's row kernels (the Unary and
// Binary ones, so results match the unfused ops bit for bit) run tile by tile,
// with values that are not outputs kept in small scratch tiles.
#include "tandem/primitives/fused.h"

#include <algorithm>
#include <memory>

#include "tandem/allocator.h"
#include "tandem/backend/cpu/copy.h"
#include "tandem/backend/cpu/elementwise_rows.h"
#include "tandem/backend/cpu/encoder.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/parallel.h"

namespace tandem {
namespace cpu {
namespace {

// Tiles of this many elements run one op after another; a program with
// enough work (elements times ops) is split over threads in smaller tiles.
constexpr int64_t kTile = 512;
constexpr int64_t kParallelTile = 128;
constexpr int64_t kParallelWork = int64_t(1) << 17;
constexpr int64_t kChunkWork = int64_t(1) << 16;

// Scratch tiles hold kTile values of the widest dtype (8 bytes), 64-byte
// aligned so vector loads do not straddle cache lines.
struct alignas(64) Line {
  uint64_t w[8];
};
constexpr size_t kSlotLines = kTile / 8;

struct Step {
  UnaryRowFn unary = nullptr;
  BinaryRowFn binary = nullptr;
  UnaryOp op{};
  int32_t a = 0, b = 0, out = 0;  // values
};

// Where a value lives: in memory (an input or an output; stride 0 for a
// broadcast scalar) or in scratch slot `slot`.
struct Value {
  char* base = nullptr;
  int64_t stride = 1;  // in elements
  int64_t itemsize = 0;
  int slot = -1;
};

struct Plan {
  std::vector<Step> steps;
  std::vector<Value> values;
  int slots = 0;
  int64_t n = 0;
  std::vector<Hold> holds;
  // Inputs in another layout (compile fuses before layouts are known):
  // copied row-major into scratch first, then read from there.
  std::vector<std::pair<int, Ref>> copies;
  std::vector<std::shared_ptr<Buffer>> scratch;

  void copy_inputs() {
    for (auto& [v, src] : copies) {
      auto buf = allocator::malloc(std::max<size_t>(1, src.size) * src.dtype.size());
      copy_strided(src, static_cast<char*>(buf->host), row_major_strides(src.shape), src.dtype);
      values[v].base = static_cast<char*>(buf->host);
      scratch.push_back(std::move(buf));
    }
  }

  void run() const {
    int64_t work = n * static_cast<int64_t>(steps.size());
    if (work < kParallelWork) return run_tiles(0, n, kTile);
    size_t tiles = static_cast<size_t>((n + kParallelTile - 1) / kParallelTile);
    size_t grain = static_cast<size_t>(
        std::max<int64_t>(1, kChunkWork / (kParallelTile * static_cast<int64_t>(steps.size()))));
    parallel_for(tiles, grain, [&](size_t b, size_t e) {
      run_tiles(static_cast<int64_t>(b) * kParallelTile,
                std::min(n, static_cast<int64_t>(e) * kParallelTile), kParallelTile);
    });
  }

  // Elements [begin, end) in tiles of `tile` (at most kTile) elements.
  void run_tiles(int64_t begin, int64_t end, int64_t tile) const {
    static thread_local std::vector<Line> scratch;
    scratch.resize(static_cast<size_t>(slots) * kSlotLines);
    static thread_local std::vector<char*> ptr;
    ptr.resize(values.size());
    for (int64_t t0 = begin; t0 < end; t0 += tile) {
      int64_t m = std::min(tile, end - t0);
      for (size_t v = 0; v < values.size(); ++v) {
        const Value& x = values[v];
        ptr[v] = x.slot >= 0 ? reinterpret_cast<char*>(scratch.data() + x.slot * kSlotLines)
                             : x.base + t0 * x.stride * x.itemsize;
      }
      for (const Step& s : steps) {
        if (s.binary) {
          s.binary(ptr[s.a], values[s.a].stride, ptr[s.b], values[s.b].stride, ptr[s.out], m);
        } else {
          s.unary(s.op, ptr[s.a], values[s.a].stride, ptr[s.out], m);
        }
      }
    }
  }
};

// Scratch slots for the values that are not outputs, reused once a value's
// last reader (`last`, FusedProgram::last_reads) has run.
void assign_slots(const FusedProgram& p, const std::vector<int32_t>& last, Plan& plan) {
  std::vector<int> free;
  for (size_t i = 0; i < p.instrs.size(); ++i) {
    const FusedInstr& ins = p.instrs[i];
    // Operands read for the last time free their slots after this step; the
    // result may not take an operand's slot (row kernels need not allow it).
    size_t v = static_cast<size_t>(p.num_inputs) + i;
    if (!plan.values[v].base) {
      if (free.empty()) {
        plan.values[v].slot = plan.slots++;
      } else {
        plan.values[v].slot = free.back();
        free.pop_back();
      }
    }
    int32_t ops[2] = {ins.a, ins.binary && ins.b != ins.a ? ins.b : -1};
    for (int32_t op : ops) {
      if (op < 0 || last[op] != static_cast<int32_t>(i) || plan.values[op].slot < 0) continue;
      free.push_back(plan.values[op].slot);
    }
    // A value nothing reads frees its slot at once.
    if (last[v] < 0 && plan.values[v].slot >= 0) free.push_back(plan.values[v].slot);
  }
}

}  // namespace
}  // namespace cpu

void Fused::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const FusedProgram& p = program_;
  auto plan = std::make_unique<cpu::Plan>();
  plan->n = static_cast<int64_t>(outputs[0].size());
  plan->values.resize(static_cast<size_t>(p.num_inputs) + p.instrs.size());
  const std::vector<int32_t> last = p.last_reads();
  // Inputs the kernel cannot read in place (compile fuses before layouts
  // are known) are copied row-major first, and never donated.
  std::vector<bool> taken(p.num_inputs, false), relayout(p.num_inputs, false);
  for (int j = 0; j < p.num_inputs; ++j) relayout[j] = !reads_in_place(j, inputs[j], outputs[0]);
  // An output may take the buffer of an input that no op reads after the
  // one computing it (rows are elementwise, so that op may read and write
  // one buffer).
  for (size_t k = 0; k < outputs.size(); ++k) {
    array& out = outputs[k];
    int32_t def = p.outputs[k] - p.num_inputs;
    bool donated = false;
    for (int j = 0; j < p.num_inputs && !donated; ++j) {
      if (taken[j] || p.scalar_inputs[j] || relayout[j] || last[j] > def ||
          !is_donatable(inputs[j], out)) {
        continue;
      }
      out.copy_shared_buffer(inputs[j]);
      taken[j] = donated = true;
    }
    if (!donated) cpu::allocate_row_contiguous(out);
    auto& v = plan->values[p.outputs[k]];
    v.base = static_cast<char*>(out.buffer()->host) + out.offset();
    v.itemsize = static_cast<int64_t>(out.itemsize());
    plan->holds.emplace_back(out);
  }
  if (plan->n == 0) return;
  // Held after the donations: a task's own reference would block them.
  for (int i = 0; i < p.num_inputs; ++i) {
    const array& in = inputs[i];
    auto& v = plan->values[i];
    v.base = static_cast<char*>(in.buffer()->host) + in.offset();
    v.stride = p.scalar_inputs[i] ? 0 : 1;
    v.itemsize = static_cast<int64_t>(in.itemsize());
    plan->holds.emplace_back(in);
    if (relayout[i]) plan->copies.emplace_back(i, cpu::Ref(in));
  }
  plan->steps.reserve(p.instrs.size());
  for (size_t i = 0; i < p.instrs.size(); ++i) {
    const FusedInstr& ins = p.instrs[i];
    cpu::Step s;
    if (ins.binary) {
      s.binary = cpu::binary_row_fn(ins.binary_op(), ins.in);
    } else {
      s.unary = cpu::unary_row_fn(ins.in, ins.out);
      s.op = ins.unary_op();
    }
    s.a = ins.a;
    s.b = ins.binary ? ins.b : 0;
    s.out = p.num_inputs + static_cast<int32_t>(i);
    plan->steps.push_back(s);
  }
  cpu::assign_slots(p, last, *plan);
  cpu::dispatch([plan = std::move(plan)] {
    plan->copy_inputs();
    plan->run();
  });
}

}  // namespace tandem
