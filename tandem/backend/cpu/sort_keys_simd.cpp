// The split step of keys::select (sort_keys.cpp), vectorised with Highway's
// lane compression and dispatched at run time.
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_AVX3_DL)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tandem/backend/cpu/sort_keys_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
// clang-format off
#include <hwy/highway.h>
// clang-format on

#include "tandem/backend/cpu/sort_keys.h"

HWY_BEFORE_NAMESPACE();
namespace tandem::cpu::keys::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Lane indices that move the lanes selected by each mask of N lanes to the
// front, in order. Highway 1.0's own Compress copies its table onto the
// stack at every call (GCC), which costs more than the work here.
// (High: to the back, in order.)
template <size_t N, typename TI, bool High>
struct CompressTable {
  TI idx[size_t(1) << N][N] = {};
  constexpr CompressTable() {
    for (size_t m = 0; m < (size_t(1) << N); ++m) {
      size_t count = 0;
      for (size_t lane = 0; lane < N; ++lane) count += (m >> lane) & 1;
      size_t k = High ? N - count : 0;
      for (size_t lane = 0; lane < N; ++lane) {
        if (m & (size_t(1) << lane)) idx[m][k++] = static_cast<TI>(lane);
      }
    }
  }
};
template <size_t N, typename TI, bool High>
struct Table {
  alignas(64) static constexpr CompressTable<N, TI, High> value{};
};

// Stores N lanes at p: those of x selected by mask first (High: last), in
// lane order. Returns their count.
template <bool High, class D, class V, class M>
HWY_INLINE size_t Compress(D d, V x, M mask, hn::TFromD<D>* HWY_RESTRICT p) {
  using TI = hwy::MakeSigned<hn::TFromD<D>>;
  constexpr size_t N = hn::MaxLanes(D());
  uint8_t bits[8] = {};
  hn::StoreMaskBits(d, mask, bits);
  const TI* idx = Table<N, TI, High>::value.idx[bits[0]];
  hn::StoreU(hn::TableLookupLanes(x, hn::SetTableIndices(d, idx)), d, p);
  return hn::CountTrue(d, mask);
}

template <typename U>
size_t Split(U* HWY_RESTRICT base, size_t m, int shift, unsigned b, U* HWY_RESTRICT eq,
             U* HWY_RESTRICT gt_end, size_t* n_eq, size_t* n_gt) {
  // At most 8 lanes, so a mask indexes a table of 256 rows.
  const hn::CappedTag<U, 8> d;
  const hn::RebindToSigned<decltype(d)> di;
  const size_t N = hn::Lanes(d);
  const auto vb = hn::Set(di, static_cast<hn::TFromD<decltype(di)>>(b));
  const auto ff = hn::Set(d, U(0xff));
  size_t lo = 0, e = 0, g = 0, i = 0;
  for (; i + N <= m; i += N) {
    const auto x = hn::LoadU(d, base + i);
    const auto c = hn::BitCast(di, hn::And(hn::ShiftRightSame(x, shift), ff));
    const auto lt = hn::RebindMask(d, hn::Lt(c, vb));
    const auto above = hn::RebindMask(d, hn::Gt(c, vb));
    const auto in = hn::Not(hn::Or(lt, above));
    // Writes N lanes from base + lo: lo <= i, so only lanes already loaded.
    lo += Compress<false>(d, x, lt, base + lo);
    e += Compress<false>(d, x, in, eq + e);
    g += Compress<true>(d, x, above, gt_end - g - N);
  }
  for (; i < m; ++i) {
    U x = base[i];
    unsigned c = (x >> shift) & 0xff;
    if (c < b) {
      base[lo++] = x;
    } else if (c == b) {
      eq[e++] = x;
    } else {
      *(gt_end - ++g) = x;
    }
  }
  *n_eq = e;
  *n_gt = g;
  return lo;
}

size_t Split32(uint32_t* base, size_t m, int shift, unsigned b, uint32_t* eq, uint32_t* gt_end,
               size_t* n_eq, size_t* n_gt) {
  return Split(base, m, shift, b, eq, gt_end, n_eq, n_gt);
}
size_t Split64(uint64_t* base, size_t m, int shift, unsigned b, uint64_t* eq, uint64_t* gt_end,
               size_t* n_eq, size_t* n_gt) {
  return Split(base, m, shift, b, eq, gt_end, n_eq, n_gt);
}

}  // namespace tandem::cpu::keys::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tandem::cpu::keys {
HWY_EXPORT(Split32);
HWY_EXPORT(Split64);

size_t split(uint32_t* base, size_t m, int shift, unsigned b, uint32_t* eq, uint32_t* gt_end,
             size_t* n_eq, size_t* n_gt) {
  return HWY_DYNAMIC_DISPATCH(Split32)(base, m, shift, b, eq, gt_end, n_eq, n_gt);
}
size_t split(uint64_t* base, size_t m, int shift, unsigned b, uint64_t* eq, uint64_t* gt_end,
             size_t* n_eq, size_t* n_gt) {
  return HWY_DYNAMIC_DISPATCH(Split64)(base, m, shift, b, eq, gt_end, n_eq, n_gt);
}
}  // namespace tandem::cpu::keys
#endif
