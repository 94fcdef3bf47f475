#pragma once
// The loop skeletons every elementwise CPU kernel uses: a flat loop when all
// operands share one dense layout (or are scalars), else a strided walk over
// collapsed dims; split across threads when large.
#include <array>

#include "tandem/backend/cpu/encoder.h"
#include "tandem/backend/cpu/parallel.h"
#include "tandem/backend/cpu/strided.h"

namespace tandem::cpu {

// True when `in` can be read in the same flat order `out` is written.
inline bool same_layout(const Ref& in, const Ref& out) {
  return in.flags.contiguous && in.data_size == in.size && in.shape == out.shape &&
         (in.strides == out.strides || in.size <= 1);
}

// Calls row(out_ptr, in_ptrs..., n, in_strides...) over all elements of out,
// where each row is contiguous in out but may be strided in the inputs.
// Rows are spread over threads when out is large.
template <size_t K, typename RowFn>
void for_each_row(const std::array<const Ref*, K>& ins, const Ref& out, RowFn row) {
  std::vector<Strides> st;
  st.push_back(row_major_strides(out.shape));
  for (auto* r : ins) st.push_back(r->strides);
  std::vector<Strides> cst;
  Shape cshape = collapse_dims(out.shape, st, cst);
  RowIterator<K + 1> proto(cshape, cst);
  int64_t rows = proto.rows();
  int64_t inner = proto.inner_size();
  size_t grain = std::max<size_t>(1, kParallelGrain / std::max<int64_t>(inner, 1));
  parallel_for(static_cast<size_t>(rows), grain, [&](size_t r0, size_t r1) {
    RowIterator<K + 1> it = proto;
    it.seek(static_cast<int64_t>(r0));
    for (size_t r = r0; r < r1; ++r, it.next()) {
      const int64_t* off = it.offsets();
      std::array<int64_t, K> in_off, in_inner;
      for (size_t k = 0; k < K; ++k) {
        in_off[k] = off[k + 1];
        in_inner[k] = it.inner_stride(static_cast<int>(k + 1));
      }
      row(off[0], in_off, in_inner, inner);
    }
  });
}

}  // namespace tandem::cpu
