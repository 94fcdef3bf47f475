// Sort kernels (Sort, ArgSort, and Partition / ArgPartition as full sorts).
// Each value maps to an unsigned key whose order is NumPy's: NaN last (all
// NaNs one key), -0 == +0, complex lexicographic. (key, index) pairs are
// sorted stably, so ArgSort matches the CPU's stable_sort and Sort gathers
// the input values through the sorted indices.
//  - lines of at most kSmallN: one thread, insertion sort in registers;
//  - lines of at most one tile: one block, cub::BlockRadixSort (stable);
//  - longer lines: tiles sorted into scratch, then merge passes over
//    global memory (merge path, the left run first on ties) doubling the
//    sorted width until it covers the line.
// Line l = p * post + j (p over the dims before the axis, j over those
// after) reads in + offset_of(p, pl) + offset_of(j, ql) + i * sa and writes
// the row-major output at p * n * post + j + i * post.
#pragma once
#include <cub/block/block_radix_sort.cuh>

#include "common.cuh"
#include "tandem/kernels/kernel_args.h"

namespace tandem {
namespace srt {

constexpr int kSmallN = 16;

// Radix keys: the unsigned type of T's size.
template <typename T>
using key_t = uint_of<T>;

__device__ inline uint32_t float_key(float v) {
  if (v != v) return 0xffffffffu;
  uint32_t b = v == 0.f ? 0u : __float_as_uint(v);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

template <typename T>
__device__ inline key_t<T> to_key(T v) {
  using K = key_t<T>;
  if constexpr (same<T, bool>::value) {
    return v ? 1 : 0;
  } else if constexpr (is_unsigned_int<T>::value) {
    return v;
  } else if constexpr (is_signed_int<T>::value) {
    return static_cast<K>(static_cast<K>(v) ^ (K(1) << (sizeof(T) * 8 - 1)));
  } else if constexpr (same<T, float>::value) {
    return float_key(v);
  } else if constexpr (same<T, double>::value) {
    if (v != v) return ~0ull;
    uint64_t b = v == 0.0 ? 0ull : static_cast<uint64_t>(__double_as_longlong(v));
    return (b >> 63) ? ~b : (b | (1ull << 63));
  } else if constexpr (same<T, __half>::value || same<T, __nv_bfloat16>::value) {
    float f = cast<float>(v);
    if (f != f) return 0xffff;
    uint16_t b;
    if constexpr (same<T, __half>::value) {
      b = f == 0.f ? 0 : __half_as_ushort(v);
    } else {
      b = f == 0.f ? 0 : __bfloat16_as_ushort(v);
    }
    return (b & 0x8000) ? static_cast<uint16_t>(~b) : static_cast<uint16_t>(b | 0x8000);
  } else {  // complex64
    if (v.re != v.re || v.im != v.im) return ~0ull;
    return (static_cast<uint64_t>(float_key(v.re)) << 32) | float_key(v.im);
  }
}

using Lines = k::SortLines;  // tandem/kernels/kernel_args.h

// Writes the line's element at sorted position i, whose input index is idx.
template <typename T>
__device__ inline void put(const T* __restrict__ src, T* __restrict__ out_v,
                           uint32_t* __restrict__ out_i, int64_t dst, int64_t sa, int64_t i,
                           uint32_t idx) {
  if (out_v)
    out_v[dst + i] = src[static_cast<int64_t>(idx) * sa];
  else
    out_i[dst + i] = idx;
}

// One thread per line (n <= kSmallN).
template <typename T>
__global__ void sort_small(const T* __restrict__ in, T* __restrict__ out_v,
                           uint32_t* __restrict__ out_i, int64_t lines, Lines L) {
  using K = key_t<T>;
  int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t l = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; l < lines;
       l += step) {
    const T* src = in + L.in_offset(l);
    K k[kSmallN];
    uint32_t ix[kSmallN];
    for (int i = 0; i < L.n; ++i) {
      K key = to_key(src[i * L.sa]);
      int j = i;
      for (; j > 0 && k[j - 1] > key; --j) {  // strict: stable
        k[j] = k[j - 1];
        ix[j] = ix[j - 1];
      }
      k[j] = key;
      ix[j] = static_cast<uint32_t>(i);
    }
    int64_t dst = L.out_offset(l);
    for (int i = 0; i < L.n; ++i) put(src, out_v, out_i, dst, L.sa, i * L.post, ix[i]);
  }
}

// Blocks sort tiles of THREADS * ITEMS positions; items (l, tile).
// One tile per line: writes the output; else (key, index) into sk / si at
// l * n + position.
template <typename T, int THREADS, int ITEMS>
__global__ void __launch_bounds__(THREADS)
    sort_tile(const T* __restrict__ in, T* __restrict__ out_v, uint32_t* __restrict__ out_i,
              key_t<T>* __restrict__ sk, uint32_t* __restrict__ si, int64_t lines, Lines L) {
  using K = key_t<T>;
  using Sort = cub::BlockRadixSort<K, THREADS, ITEMS, uint32_t>;
  __shared__ typename Sort::TempStorage temp;
  constexpr int kT = THREADS * ITEMS;
  const int64_t ntiles = (L.n + kT - 1) / kT;
  const int64_t items = lines * ntiles;
  for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {
    int64_t l = item / ntiles, tile = item - l * ntiles;
    const T* src = in + L.in_offset(l);
    int64_t p0 = tile * kT;
    int cnt = static_cast<int>(L.n - p0 < kT ? L.n - p0 : kT);
    K keys[ITEMS];
    uint32_t idx[ITEMS];
#pragma unroll
    for (int k = 0; k < ITEMS; ++k) {
      int p = threadIdx.x * ITEMS + k;  // blocked: the rank order of a stable sort
      if (p < cnt) {
        keys[k] = to_key(src[(p0 + p) * L.sa]);
        idx[k] = static_cast<uint32_t>(p0 + p);
      } else {
        keys[k] = static_cast<K>(~K(0));  // after every real key, NaN included
        idx[k] = 0xffffffffu;
      }
    }
    Sort(temp).SortBlockedToStriped(keys, idx);
    if (ntiles == 1) {
      int64_t dst = L.out_offset(l);
#pragma unroll
      for (int k = 0; k < ITEMS; ++k) {
        int p = k * THREADS + threadIdx.x;
        if (p < cnt) put(src, out_v, out_i, dst, L.sa, p * L.post, idx[k]);
      }
    } else {
#pragma unroll
      for (int k = 0; k < ITEMS; ++k) {
        int p = k * THREADS + threadIdx.x;
        if (p < cnt) {
          sk[l * L.n + p0 + p] = keys[k];
          si[l * L.n + p0 + p] = idx[k];
        }
      }
    }
    __syncthreads();  // temp is reused
  }
}

constexpr int kMergeItems = 8;

// Merges sorted runs of width w pairwise (per line of n in a / ai) into b /
// bi; a thread writes kMergeItems consecutive outputs.
template <typename K>
__global__ void sort_merge(const K* __restrict__ a, const uint32_t* __restrict__ ai,
                           K* __restrict__ b, uint32_t* __restrict__ bi, int64_t lines, int64_t n,
                           int64_t w) {
  const int64_t per_line = (n + kMergeItems - 1) / kMergeItems;
  const int64_t total = lines * per_line;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t g = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; g < total;
       g += step) {
    int64_t l = g / per_line, k0 = (g - l * per_line) * kMergeItems;
    int64_t s = (k0 / (2 * w)) * (2 * w);
    int64_t la = w < n - s ? w : n - s;
    int64_t lb = n - s - la < w ? n - s - la : w;
    const K* x = a + l * n + s;
    const K* y = x + la;
    const uint32_t* xi = ai + l * n + s;
    const uint32_t* yi = xi + la;
    int64_t diag = k0 - s;
    // Merge path: i values of x among the first diag outputs (x first on ties).
    int64_t lo = diag - lb > 0 ? diag - lb : 0, hi = diag < la ? diag : la;
    while (lo < hi) {
      int64_t mid = (lo + hi) >> 1;
      if (!(y[diag - 1 - mid] < x[mid]))
        lo = mid + 1;
      else
        hi = mid;
    }
    int64_t i = lo, j = diag - lo;
    int64_t end = k0 + kMergeItems < s + la + lb ? k0 + kMergeItems : s + la + lb;
    K* o = b + l * n;
    uint32_t* oi = bi + l * n;
    for (int64_t k = k0; k < end; ++k) {
      bool take_x = j >= lb || (i < la && !(y[j] < x[i]));
      if (take_x) {
        o[k] = x[i];
        oi[k] = xi[i];
        ++i;
      } else {
        o[k] = y[j];
        oi[k] = yi[j];
        ++j;
      }
    }
  }
}

// The sorted indices si (l * n + position) to the output.
template <typename T>
__global__ void sort_write(const T* __restrict__ in, T* __restrict__ out_v,
                           uint32_t* __restrict__ out_i, const uint32_t* __restrict__ si,
                           int64_t lines, Lines L) {
  const int64_t total = lines * L.n;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t g = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; g < total;
       g += step) {
    int64_t l = g / L.n, i = g - l * L.n;
    put(in + L.in_offset(l), out_v, out_i, L.out_offset(l), L.sa, i * L.post, si[g]);
  }
}

}  // namespace srt
}  // namespace tandem
