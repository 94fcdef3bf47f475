// STAND-IN, on the gpu-fused branch only: the core's fusion work defines
// these (FusedProgram's methods and the CPU kernel). Delete this file when
// that work is merged (the linker then reports the duplicates otherwise).
// They are here so that the CUDA kernel and its tests link.
#include <stdexcept>

#include "tandem/primitives/fused.h"

namespace tandem {

Dtype FusedProgram::dtype(int32_t v) const {
  if (v >= num_inputs) return instrs.at(v - num_inputs).out;
  for (auto& i : instrs) {
    if (i.a == v || (i.binary && i.b == v)) return i.in;
  }
  throw std::invalid_argument("[Fused] input " + std::to_string(v) + " is never read");
}

std::string FusedProgram::signature() const {
  std::string s = std::to_string(num_inputs) + ":";
  for (size_t k = 0; k < scalar_inputs.size(); ++k) s += scalar_inputs[k] ? 's' : 'd';
  for (auto& i : instrs) {
    s += i.binary ? ";b" : ";u";
    for (int x : {int(i.op), i.in.index(), i.out.index(), int(i.a), int(i.binary ? i.b : -1)}) {
      s += std::to_string(x);
      s += ',';
    }
  }
  s += ";o";
  for (auto v : outputs) {
    s += std::to_string(v);
    s += ',';
  }
  return s;
}

void Fused::eval_cpu(const std::vector<array>&, std::vector<array>&) {
  throw std::runtime_error("[Fused] no CPU kernel on this branch (stand-in)");
}

}  // namespace tandem
