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

// Lines this long pick the first bucket from a sample of their keys.
constexpr size_t kSampled = 4096;

template <typename U>
inline unsigned digit(U x, int shift) {
  return static_cast<unsigned>((x >> shift) & 0xff);
}

// The bucket (byte at shift) holding the kth of the m keys, exactly; below
// and in receive the number of keys under it and in it.
template <typename U>
unsigned exact_bucket(const U* k, size_t m, int shift, size_t kth, size_t& below, size_t& in) {
  // Four histograms: runs of one bucket (common: floats of one binade)
  // would otherwise chain every increment on the one before.
  size_t h4[4][256] = {};
  size_t i = 0;
  for (; i + 4 <= m; i += 4) {
    for (int q = 0; q < 4; ++q) ++h4[q][digit(k[i + q], shift)];
  }
  for (; i < m; ++i) ++h4[0][digit(k[i], shift)];
  below = 0;
  unsigned b = 0;
  for (;; ++b) {
    size_t h = h4[0][b] + h4[1][b] + h4[2][b] + h4[3][b];
    if (below + h > kth) {
      in = h;
      return b;
    }
    below += h;
  }
}

// The bucket a sample of about 1024 of the m keys puts the kth in.
template <typename U>
unsigned sampled_bucket(const U* k, size_t m, int shift, size_t kth) {
  size_t step = m / 1024, hist[256] = {}, count = 0;
  for (size_t i = step / 2; i < m; i += step, ++count) ++hist[digit(k[i], shift)];
  auto target = static_cast<size_t>(static_cast<double>(kth) * count / m);
  size_t below = 0;
  unsigned b = 0;
  while (b < 255 && below + hist[b] <= target) below += hist[b++];
  return b;
}

template <typename U>
void select_impl(U* k, size_t n, size_t kth) {
  std::unique_ptr<U[]> tmp;  // the split's scratch (m + 2 * kSplitSlack keys)
  U* base = k;
  size_t m = n;
  int shift = static_cast<int>(sizeof(U) * 8) - 8;
  bool exact = false;
  // Each level splits the keys left (sharing the higher bytes) by their next
  // byte into those below, in and above a bucket, keys below moved to the
  // front and the others after them. When the bucket holds kth, only it is
  // kept, and the next byte decides; keys outside it are already on the
  // right side of kth. A bucket guessed from a sample may miss: then the
  // side holding kth is kept and split again at the same byte, exactly.
  while (m > kSmallSelect && shift >= 0) {
    unsigned b;
    if (m >= kSampled && !exact) {
      b = sampled_bucket(base, m, shift, kth);
    } else {
      size_t below, in;
      b = exact_bucket(base, m, shift, kth, below, in);
      if (in == m) {  // one bucket: nothing to move
        shift -= 8;
        exact = false;
        continue;
      }
    }
    // eq grows from the scratch's start, gt down from its end.
    if (!tmp) tmp.reset(new U[n + 2 * kSplitSlack]);
    U* eq = tmp.get();
    U* gt_end = tmp.get() + m + 2 * kSplitSlack;
    size_t lo, e, g;
    if constexpr (sizeof(U) >= 4) {
      lo = split(base, m, shift, b, eq, gt_end, &e, &g);
    } else {
      // Three unconditional stores keep it branch-free; a store that does
      // not count is overwritten by the next one to its part.
      lo = e = g = 0;
      for (size_t i = 0; i < m; ++i) {
        U x = base[i];
        unsigned c = digit(x, shift);
        base[lo] = x;
        eq[e] = x;
        *(gt_end - 1 - g) = x;
        lo += c < b;
        e += c == b;
        g += c > b;
      }
    }
    std::copy(eq, eq + e, base + lo);
    std::copy(gt_end - g, gt_end, base + lo + e);
    if (kth < lo) {
      m = lo;
      exact = true;
    } else if (kth >= lo + e) {
      base += lo + e;
      kth -= lo + e;
      m = g;
      exact = true;
    } else {
      base += lo;
      kth -= lo;
      m = e;
      shift -= 8;
      exact = false;
    }
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
// Shorter lines are sorted by std::sort: a vqsort call costs more than
// sorting a few keys.
constexpr size_t kSmallSort = 24;

template <typename U>
void sort_impl(U* k, size_t n) {
  if (n <= kSmallSort) {
    std::sort(k, k + n);
  } else {
    sorter()(k, n, hwy::SortAscending());
  }
}

void sort(uint16_t* k, size_t n) {
  sort_impl(k, n);
}
void sort(uint32_t* k, size_t n) {
  sort_impl(k, n);
}
void sort(uint64_t* k, size_t n) {
  sort_impl(k, n);
}

void sort(Key128* k, size_t n) {
  static_assert(sizeof(Key128) == sizeof(hwy::uint128_t) && alignof(Key128) == 16);
  if (n <= kSmallSort) {
    std::sort(k, k + n, [](const Key128& a, const Key128& b) {
      return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
    });
  } else {
    sorter()(reinterpret_cast<hwy::uint128_t*>(k), n, hwy::SortAscending());
  }
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
