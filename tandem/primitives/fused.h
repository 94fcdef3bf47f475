#pragma once
// A chain (or small DAG) of elementwise Unary and Binary ops on one stream and
// one shape, run as one kernel. Never built by ops: eval makes it from the
// nodes it is about to schedule (see fusion.h), so a chain of tiny ops costs
// one task or one kernel launch instead of one per op, and values used only
// inside the chain are never written to memory.
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "tandem/primitive.h"
#include "tandem/primitives/binary.h"
#include "tandem/primitives/unary.h"

namespace tandem {

// One op of a fused program. Values are numbered: 0 .. num_inputs-1 are the
// node's inputs, num_inputs + i is instrs[i]'s result.
struct FusedInstr {
  bool binary = false;  // BinaryOp (operands a, b) or UnaryOp (operand a)
  uint8_t op = 0;       // the UnaryOp or BinaryOp, as an integer
  Dtype in;             // the operands' dtype
  Dtype out;            // the result's dtype
  int32_t a = 0;
  int32_t b = -1;

  UnaryOp unary_op() const { return static_cast<UnaryOp>(op); }
  BinaryOp binary_op() const { return static_cast<BinaryOp>(op); }
};

struct FusedProgram {
  int num_inputs = 0;
  std::vector<FusedInstr> instrs;
  // The values written to the node's outputs, in output order (each value
  // at most once).
  std::vector<int32_t> outputs;
  // Which inputs are one value broadcast over the shape (read at element 0);
  // the others are dense and row-major, like every output.
  std::vector<bool> scalar_inputs;

  // A string naming the whole program (ops, dtypes, wiring, scalar inputs,
  // outputs): equal strings compute the same function, for kernel caches.
  std::string signature() const;
  // Per value, the index of the last instruction that reads it (-1: none).
  std::vector<int32_t> last_reads() const;
};

// Inputs: dense row-major arrays of the output shape, or broadcast scalars
// (program().scalar_inputs). Outputs: the program's outputs, all of one shape.
class Fused : public Primitive {
 public:
  Fused(Stream s, FusedProgram program) : Primitive(s), program_(std::move(program)) {}
  const FusedProgram& program() const { return program_; }
  // Whether the kernels read input k in place (a broadcast scalar, or dense
  // and row-major); false: they copy it row-major first (compile fuses
  // before layouts are known). Throws std::invalid_argument "[Fused] ..."
  // if its size is neither the output's nor a scalar's.
  bool reads_in_place(size_t k, const array& in, const array& out) const;
  // program().signature(), computed once: a compiled function's replays
  // share their Fused primitives, and a long program's signature costs
  // microseconds to build.
  const std::string& signature() const {
    std::call_once(signature_once_, [this] { signature_ = program_.signature(); });
    return signature_;
  }
  // "Fused(Exp x500)", "Fused(Mul, Add x2)": the ops it runs, as a timeline
  // (timeline.h) names its task.
  void print(std::ostream& os) const override;
  TANDEM_PRIMITIVE(Fused)

 private:
  FusedProgram program_;
  mutable std::once_flag signature_once_;
  mutable std::string signature_;
};

}  // namespace tandem
