// CPU side of the view primitives: they share the input's buffer and set a
// new layout (tandem/layout.h, shared with the GPU backend); only a reshape
// that no strides can express copies.
#include "tandem/primitives/shape.h"

#include "tandem/backend/cpu/copy.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/layout.h"

namespace tandem {

void Reshape::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (reshape_view(in, out)) return;
  cpu::allocate_row_contiguous(out);
  if (out.size() == 0) return;
  cpu::dispatch([in = cpu::Ref(in), out = cpu::Ref(out)] {
    // Row-major order of the input is row-major order of the output.
    cpu::copy_strided(in, out.ptr, row_major_strides(in.shape), out.dtype);
  });
}

}  // namespace tandem
