// Kernels of the indexing family: strided copies (concatenate, slice_update
// and the copy of a scatter's source), gather, scatter, take_along_axis and
// put_along_axis. Kernels that only move elements run on unsigned types of
// the element's size. Indices wrap once when negative and are then clamped
// into range (tandem/primitives/indexing.h), so no kernel reads or writes
// outside its arrays.
#pragma once
#include "common.cuh"
#include "tandem/kernels/kernel_args.h"
#include "tandem/kernels/reduce_ops.h"

namespace tandem {

// The numbers of tandem::ScatterReduce as template constants.
namespace scatter_op {
constexpr int None = int(ScatterReduce::None), Sum = int(ScatterReduce::Sum),
              Prod = int(ScatterReduce::Prod), Max = int(ScatterReduce::Max),
              Min = int(ScatterReduce::Min);
}  // namespace scatter_op

using k::IndexArgs;
using k::kMaxIndexArrays;
using k::offsets_of;
using k::Strided;

template <typename I>
__device__ inline int64_t load_index(const I* p) {
  I v = *p;
  if constexpr (same<I, uint64_t>::value) {
    // Values past int64's range are out of bounds anyway: clamp to the top.
    return v > 9223372036854775807ull ? 9223372036854775807ll : static_cast<int64_t>(v);
  } else {
    return static_cast<int64_t>(v);
  }
}

// Wraps a negative index once, then clamps it into [0, hi]. With err set
// (the debug mode), an index out of range is also reported there: the first
// thread to see one stores 1, the index and `which` (the index array, for the
// host's message) in err[0..2]; the host reads them after the kernel and fails
// the node.
__device__ inline int64_t clamp_index(int64_t v, int64_t n, int64_t hi,
                                      unsigned long long* err = nullptr, int which = 0) {
  int64_t w = v < 0 ? v + n : v;
  if (w >= 0 && w <= hi) return w;
  if (err && atomicCAS(err, 0ull, 1ull) == 0ull) {
    err[1] = static_cast<unsigned long long>(v);
    err[2] = static_cast<unsigned long long>(which);
  }
  return w < 0 ? 0 : hi;
}

template <typename Idx>
__device__ inline int64_t offset_in(Idx i, const IndexArgs& ix, int set) {
  int64_t off = 0;
  for (int d = ix.ndim - 1; d >= 0; --d) {
    Idx n = static_cast<Idx>(ix.shape[d]);
    off += static_cast<int64_t>(i % n) * ix.strides[set][d];
    i /= n;
  }
  return off;
}

// Offset (elements) of the block selected by the indices at position i.
template <typename I, typename Idx>
__device__ inline int64_t block_offset(Idx i, const IndexArgs& ix) {
  int64_t base = 0;
  for (int k = 0; k < ix.k; ++k) {
    const I* p = static_cast<const I*>(ix.ptr[k]) + offset_in(i, ix, k);
    base += clamp_index(load_index(p), ix.n[k], ix.hi[k], ix.err, k) * ix.stride[k];
  }
  return base;
}

// ---- copies

// dst[off0(i)] = src[off1(i)] over a shape of n elements.
template <typename T, typename Idx>
__global__ void copy_strided(const T* __restrict__ src, T* __restrict__ dst, Idx n, Strided<2> l) {
  Idx step = Idx(gridDim.x) * blockDim.x;
  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[2];
    offsets_of(i, l, off);
    dst[off[0]] = src[off[1]];
  }
}

// ---- combining scattered values (as the CPU backend combines them)

// Ordering and NaN tests of complex64 for k::scatter_combine.
struct ScatterComplex {
  using type = complex64;
  __device__ static bool lt(complex64 a, complex64 b) { return a < b; }
  __device__ static bool isnan(complex64 v) { return ::isnan(v.re) || ::isnan(v.im); }
};

// tandem/kernels/reduce_ops.h's k::scatter_combine (the CPU's too); half
// types combine in float.
template <int R, typename T>
__device__ inline T combine_value(T d, T v) {
  if constexpr (same<T, __half>::value || same<T, __nv_bfloat16>::value) {
    return cast<T>(combine_value<R, float>(cast<float>(d), cast<float>(v)));
  } else {
    return k::scatter_combine<static_cast<ScatterReduce>(R), T, ScatterComplex>(d, v);
  }
}

// The bits of a value as the unsigned type W of the same size, and back.
template <typename W, typename T>
__device__ inline W to_bits(T v) {
  static_assert(sizeof(W) == sizeof(T), "size mismatch");
  W w;
  memcpy(&w, &v, sizeof(W));
  return w;
}
template <typename T, typename W>
__device__ inline T from_bits(W w) {
  static_assert(sizeof(W) == sizeof(T), "size mismatch");
  if constexpr (same<T, bool>::value) {
    return w != 0;
  } else {
    T v;
    memcpy(&v, &w, sizeof(T));
    return v;
  }
}

// *p = combine(*p, v) atomically. Native atomics where they compute exactly
// what the CPU computes; otherwise a compare-and-swap loop, on the aligned
// 32-bit word holding *p for 8- and 16-bit types.
template <int R, typename T>
__device__ inline void combine_at(T* p, T v) {
  if constexpr (R == scatter_op::None) {
    *p = v;
  } else if constexpr (R == scatter_op::Sum &&
                       (same<T, float>::value || same<T, double>::value ||
                        same<T, int32_t>::value || same<T, uint32_t>::value)) {
    atomicAdd(p, v);
  } else if constexpr (R == scatter_op::Sum &&
                       (same<T, int64_t>::value || same<T, uint64_t>::value)) {
    atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
  } else if constexpr (R == scatter_op::Sum && is_complex<T>::value) {
    atomicAdd(&p->re, v.re);
    atomicAdd(&p->im, v.im);
  } else if constexpr ((R == scatter_op::Max || R == scatter_op::Min) &&
                       (same<T, int32_t>::value || same<T, uint32_t>::value)) {
    if constexpr (R == scatter_op::Max)
      atomicMax(p, v);
    else
      atomicMin(p, v);
  } else if constexpr ((R == scatter_op::Max || R == scatter_op::Min) && same<T, int64_t>::value) {
    auto* q = reinterpret_cast<long long*>(p);
    if constexpr (R == scatter_op::Max)
      atomicMax(q, static_cast<long long>(v));
    else
      atomicMin(q, static_cast<long long>(v));
  } else if constexpr ((R == scatter_op::Max || R == scatter_op::Min) && same<T, uint64_t>::value) {
    auto* q = reinterpret_cast<unsigned long long*>(p);
    if constexpr (R == scatter_op::Max)
      atomicMax(q, static_cast<unsigned long long>(v));
    else
      atomicMin(q, static_cast<unsigned long long>(v));
  } else if constexpr (sizeof(T) == 4 || sizeof(T) == 8) {
    using W = uint_of<T>;
    W* w = reinterpret_cast<W*>(p);
    W old = *w;
    while (true) {
      W nw = to_bits<W>(combine_value<R>(from_bits<T>(old), v));
      if (nw == old) break;  // unchanged (e.g. a NaN already there)
      W prev = atomicCAS(w, old, nw);
      if (prev == old) break;
      old = prev;
    }
  } else {
    using B = uint_of<T>;  // uint8_t or uint16_t
    size_t addr = reinterpret_cast<size_t>(p);
    unsigned int* w = reinterpret_cast<unsigned int*>(addr & ~size_t(3));
    unsigned int shift = static_cast<unsigned int>(addr & 3) * 8;
    unsigned int mask = (sizeof(T) == 1 ? 0xffu : 0xffffu) << shift;
    unsigned int old = *w;
    while (true) {
      B cur = static_cast<B>((old & mask) >> shift);
      B nb = to_bits<B>(combine_value<R>(from_bits<T>(cur), v));
      unsigned int nw = (old & ~mask) | (static_cast<unsigned int>(nb) << shift);
      if (nw == old) break;
      unsigned int prev = atomicCAS(w, old, nw);
      if (prev == old) break;
      old = prev;
    }
  }
}

// ---- gather and scatter

// Grid-stride loop over i < n (= N * slice): body(i, j, off) with index
// position j = i / slice and off the offsets of slice element i % slice
// under each stride set of sl.
template <int K, typename Idx, class Body>
__device__ inline void for_each_slice_elem(Idx n, Idx slice, const Strided<K>& sl, Body&& body) {
  Idx step = Idx(gridDim.x) * blockDim.x;
  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    Idx j = i / slice, s = i - j * slice;
    int64_t off[K];
    offsets_of(s, sl, off);
    body(i, j, off);
  }
}

// out (row-major, n = N * slice elements): for index position j = i / slice
// and slice element s = i % slice, out[i] = src[block(j) + off(s)].
template <typename T, typename I, typename Idx>
__global__ void gather(const T* __restrict__ src, T* __restrict__ out, Idx n, Idx slice,
                       IndexArgs ix, Strided<1> sl) {
  for_each_slice_elem(n, slice, sl, [&](Idx i, Idx j, const int64_t(&off)[1]) {
    out[i] = src[block_offset<I>(j, ix) + off[0]];
  });
}

// Update element i (n = N * slice): index position j = i / slice (the
// updates' leading dims are stride set k of ix), block element s = i % slice
// (sl: set 0 the output's strides, set 1 the updates').
template <int R, typename T, typename I, typename Idx>
__global__ void scatter(const T* __restrict__ upd, T* __restrict__ out, Idx n, Idx slice,
                        IndexArgs ix, Strided<2> sl) {
  for_each_slice_elem(n, slice, sl, [&](Idx, Idx j, const int64_t(&off)[2]) {
    int64_t dst = block_offset<I>(j, ix) + off[0];
    int64_t src = offset_in(j, ix, ix.k) + off[1];
    combine_at<R>(out + dst, upd[src]);
  });
}

// ---- take_along_axis

// out (row-major, n elements) over l: set 0 a's strides with the axis'
// stride 0, set 1 the indices' strides.
template <typename T, typename I, typename Idx>
__global__ void gather_axis(const T* __restrict__ a, const I* __restrict__ idx, T* __restrict__ out,
                            Idx n, Strided<2> l, int64_t axis_size, int64_t axis_stride,
                            unsigned long long* err) {
  Idx step = Idx(gridDim.x) * blockDim.x;
  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[2];
    offsets_of(i, l, off);
    int64_t p = clamp_index(load_index(idx + off[1]), axis_size, axis_size - 1, err);
    out[i] = a[off[0] + p * axis_stride];
  }
}

// ---- put_along_axis

// Over the indices' shape (n elements), l: set 0 the output's strides with
// the axis' stride 0, set 1 the indices', set 2 the values'.
template <int R, typename T, typename I, typename Idx>
__global__ void scatter_axis(const I* __restrict__ idx, const T* __restrict__ vals,
                             T* __restrict__ out, Idx n, Strided<3> l, int64_t axis_size,
                             int64_t axis_stride, unsigned long long* err) {
  Idx step = Idx(gridDim.x) * blockDim.x;
  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[3];
    offsets_of(i, l, off);
    int64_t p = clamp_index(load_index(idx + off[1]), axis_size, axis_size - 1, err);
    combine_at<R>(out + off[0] + p * axis_stride, vals[off[2]]);
  }
}

}  // namespace tandem
