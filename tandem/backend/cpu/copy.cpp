#include "tandem/backend/cpu/copy.h"

#include <cstring>

#include "tandem/backend/cpu/elementwise.h"

namespace tandem::cpu {

void copy_strided(const Ref& src, char* dst_ptr, const Strides& dst_strides, Dtype dst_dtype) {
  if (src.size == 0) return;
  size_t isz = src.dtype.size(), osz = dst_dtype.size();
  std::vector<Strides> st{dst_strides, src.strides};
  std::vector<Strides> cst;
  Shape cshape = collapse_dims(src.shape, st, cst);
  RowIterator<2> proto(cshape, cst);
  int64_t rows = proto.rows(), inner = proto.inner_size();
  int64_t ds = proto.inner_stride(0), ss = proto.inner_stride(1);
  bool same = src.dtype == dst_dtype;
  size_t grain = std::max<size_t>(1, kParallelGrain / std::max<int64_t>(inner, 1));
  dispatch_dtype(src.dtype, [&](auto st_tag) {
    using S = typename decltype(st_tag)::type;
    dispatch_dtype(dst_dtype, [&](auto dt_tag) {
      using D = typename decltype(dt_tag)::type;
      if (rows == 1) {
        // One long run (a dense copy, or a fill from a broadcast scalar): split it.
        parallel_for(static_cast<size_t>(inner), kParallelGrain, [&](size_t b, size_t e) {
          D* dp = reinterpret_cast<D*>(dst_ptr) + static_cast<int64_t>(b) * ds;
          const S* sp = reinterpret_cast<const S*>(src.ptr) + static_cast<int64_t>(b) * ss;
          int64_t m = static_cast<int64_t>(e - b);
          if (same && ds == 1 && ss == 1) {
            std::memcpy(static_cast<void*>(dp), sp, m * osz);
          } else {
            for (int64_t i = 0; i < m; ++i) dp[i * ds] = convert_value<D>(sp[i * ss]);
          }
        });
        return;
      }
      parallel_for(static_cast<size_t>(rows), grain, [&](size_t r0, size_t r1) {
        RowIterator<2> it = proto;
        it.seek(static_cast<int64_t>(r0));
        for (size_t r = r0; r < r1; ++r, it.next()) {
          char* d = dst_ptr + it.offsets()[0] * static_cast<int64_t>(osz);
          const char* s = src.ptr + it.offsets()[1] * static_cast<int64_t>(isz);
          if (same && ds == 1 && ss == 1) {
            std::memcpy(d, s, inner * osz);
          } else if constexpr (std::is_same_v<S, D>) {
            const S* sp = reinterpret_cast<const S*>(s);
            D* dp = reinterpret_cast<D*>(d);
            for (int64_t i = 0; i < inner; ++i) dp[i * ds] = sp[i * ss];
          } else {
            const S* sp = reinterpret_cast<const S*>(s);
            D* dp = reinterpret_cast<D*>(d);
            for (int64_t i = 0; i < inner; ++i) dp[i * ds] = convert_value<D>(sp[i * ss]);
          }
        }
      });
    });
  });
}

void copy_to_row_major(const Ref& src, const Ref& dst) {
  copy_strided(src, dst.ptr, row_major_strides(dst.shape), dst.dtype);
}

}  // namespace tandem::cpu
