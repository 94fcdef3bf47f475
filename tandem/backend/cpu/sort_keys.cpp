// Sorting (Highway's vqsort) and radix selection of unsigned keys; see
// sort_keys.h.
#include "tandem/backend/cpu/sort_keys.h"

#include <hwy/contrib/sort/vqsort.h>

#include <algorithm>
#include <memory>

namespace tandem::cpu::keys {
namespace {

// A Sorter owns scratch memory that its calls reuse: one per thread.
const hwy::Sorter& sorter() {
  thread_local hwy::Sorter s;
  return s;
}

// Lines at most this long are selected by std::nth_element directly.
constexpr size_t kSmallSelect = 64;

template <typename U>
void select_impl(U* k, size_t n, size_t kth) {
  std::unique_ptr<U[]> tmp;  // allocated when the first level has to move keys
  U* base = k;
  size_t m = n;
  int shift = static_cast<int>(sizeof(U) * 8) - 8;
  // Each level splits the keys left (sharing the higher bytes) by their next
  // byte into those below, in and above the bucket holding kth, and keeps
  // only the bucket: keys outside it are already on the right side of kth.
  while (m > kSmallSelect && shift >= 0) {
    // Four histograms: runs of one bucket (common: floats of one binade)
    // would otherwise chain every increment on the one before.
    size_t h4[4][256] = {};
    size_t i4 = 0;
    for (; i4 + 4 <= m; i4 += 4) {
      for (int q = 0; q < 4; ++q) ++h4[q][(base[i4 + q] >> shift) & 0xff];
    }
    for (; i4 < m; ++i4) ++h4[0][(base[i4] >> shift) & 0xff];
    size_t hist[256];
    for (int v = 0; v < 256; ++v) hist[v] = h4[0][v] + h4[1][v] + h4[2][v] + h4[3][v];
    size_t below = 0;
    unsigned b = 0;
    while (below + hist[b] <= kth) below += hist[b++];
    size_t in = hist[b];
    if (in != m) {
      // Keys below the bucket are compacted in place (never past the one
      // being read); the bucket's and those above go to scratch, and come
      // back after them (the first level's scratch is the largest).
      size_t above = m - below - in;
      if (!tmp) tmp.reset(new U[m - below + 2 * kSplitSlack]);
      U* eq = tmp.get();
      U* gt = tmp.get() + in + kSplitSlack;
      if constexpr (sizeof(U) >= 4) {
        size_t e, g;
        split(base, m, shift, b, eq, gt, &e, &g);
      } else {
        // Three unconditional stores keep it branch-free.
        size_t lo = 0, e = 0, g = 0;
        for (size_t i = 0; i < m; ++i) {
          U x = base[i];
          unsigned c = (x >> shift) & 0xff;
          base[lo] = x;
          eq[e] = x;
          gt[g] = x;
          lo += c < b;
          e += c == b;
          g += c > b;
        }
      }
      std::copy(eq, eq + in, base + below);
      std::copy(gt, gt + above, base + below + in);
    }
    base += below;
    kth -= below;
    m = in;
    shift -= 8;
  }
  if (shift >= 0) std::nth_element(base, base + kth, base + m);  // else: all keys equal
}

}  // namespace

void sort(uint8_t* k, size_t n) {
  size_t hist[256] = {};
  for (size_t i = 0; i < n; ++i) ++hist[k[i]];
  for (unsigned v = 0; v < 256; ++v) {
    std::fill(k, k + hist[v], static_cast<uint8_t>(v));
    k += hist[v];
  }
}
void sort(uint16_t* k, size_t n) {
  sorter()(k, n, hwy::SortAscending());
}
void sort(uint32_t* k, size_t n) {
  sorter()(k, n, hwy::SortAscending());
}
void sort(uint64_t* k, size_t n) {
  sorter()(k, n, hwy::SortAscending());
}

void sort(Key128* k, size_t n) {
  static_assert(sizeof(Key128) == sizeof(hwy::uint128_t) && alignof(Key128) == 16);
  sorter()(reinterpret_cast<hwy::uint128_t*>(k), n, hwy::SortAscending());
}

void select(uint8_t* k, size_t n, size_t kth) {
  sort(k, n);  // counting sort: linear already
}
void select(uint16_t* k, size_t n, size_t kth) {
  select_impl(k, n, kth);
}
void select(uint32_t* k, size_t n, size_t kth) {
  select_impl(k, n, kth);
}
void select(uint64_t* k, size_t n, size_t kth) {
  select_impl(k, n, kth);
}

}  // namespace tandem::cpu::keys
