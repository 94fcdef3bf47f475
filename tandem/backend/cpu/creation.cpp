// CPU kernels of Arange and AsType.
#include "tandem/primitives/creation.h"

#include "tandem/backend/cpu/copy.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/parallel.h"

namespace tandem {

void Arange::eval_cpu(const std::vector<array>&, std::vector<array>& outputs) {
  array& out = outputs[0];
  cpu::allocate_row_contiguous(out);
  if (out.size() == 0) return;
  cpu::dispatch(
      [start = start_, step = step_, istart = istart_, istep = istep_, out = cpu::Ref(out)] {
        dispatch_dtype(out.dtype, [&](auto tag) {
          using T = typename decltype(tag)::type;
          T* p = out.data<T>();
          cpu::parallel_for(out.size, cpu::kParallelGrain, [&](size_t b, size_t e) {
            if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
              // Unsigned arithmetic wraps (signed overflow would be undefined);
              // the conversion to T keeps the low bits.
              for (size_t i = b; i < e; ++i) {
                p[i] = static_cast<T>(uint64_t(istart) + uint64_t(i) * uint64_t(istep));
              }
            } else {
              for (size_t i = b; i < e; ++i) p[i] = convert_value<T>(start + double(i) * step);
            }
          });
        });
      });
}

void AsType::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (!row_contiguous_ && in.flags().contiguous && in.data_size() == in.size()) {
    if (in.dtype().size() == out.dtype().size() && is_donatable(in, out)) {
      out.copy_shared_buffer(in);
    } else {
      out.set_data(allocate_for(out, out.nbytes(), "cpu"), in.data_size(), in.strides(),
                   in.flags());
    }
  } else {
    cpu::allocate_row_contiguous(out);
  }
  if (out.size() == 0) return;
  cpu::dispatch([in = cpu::Ref(in), out = cpu::Ref(out)] {
    cpu::copy_strided(in, out.ptr, out.strides, out.dtype);
  });
}

}  // namespace tandem
