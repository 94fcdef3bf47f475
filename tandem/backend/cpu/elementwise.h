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
  // Long rows are cut into chunks so that a single huge row still uses threads.
  int64_t chunk = std::min<int64_t>(std::max<int64_t>(inner, 1), int64_t(kParallelGrain));
  int64_t chunks_per_row = (inner + chunk - 1) / std::max<int64_t>(chunk, 1);
  size_t items = static_cast<size_t>(rows * chunks_per_row);
  size_t grain =
      std::max<size_t>(1, kParallelGrain / static_cast<size_t>(std::max<int64_t>(chunk, 1)));
  parallel_for(items, grain, [&](size_t i0, size_t i1) {
    RowIterator<K + 1> it = proto;
    int64_t r = static_cast<int64_t>(i0) / chunks_per_row;
    it.seek(r);
    for (size_t i = i0; i < i1; ++i) {
      int64_t row_of_i = static_cast<int64_t>(i) / chunks_per_row;
      while (r < row_of_i) {
        it.next();
        ++r;
      }
      int64_t c0 = (static_cast<int64_t>(i) % chunks_per_row) * chunk;
      int64_t n = std::min(chunk, inner - c0);
      const int64_t* off = it.offsets();
      std::array<int64_t, K> in_off, in_inner;
      for (size_t k = 0; k < K; ++k) {
        in_inner[k] = it.inner_stride(static_cast<int>(k + 1));
        in_off[k] = off[k + 1] + c0 * in_inner[k];
      }
      row(off[0] + c0 * it.inner_stride(0), in_off, in_inner, n);
    }
  });
}

}  // namespace tandem::cpu
