// CPU kernels of the indexing family: Concatenate, Gather, Scatter,
// GatherAxis, ScatterAxis and SliceUpdate. Data-dependent indices wrap once
// when negative and are then clamped into range, so no kernel reads or
// writes outside its buffers whatever the index values.
#include "tandem/primitives/indexing.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "tandem/backend/cpu/copy.h"
#include "tandem/backend/cpu/encoder.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/parallel.h"
#include "tandem/backend/cpu/strided.h"

namespace tandem {
namespace cpu {
namespace {

// Calls f(TypeTag<U>) with U an unsigned type of `bytes` bytes: kernels that
// only move elements run on their bits.
template <typename F>
void dispatch_size(size_t bytes, F&& f) {
  switch (bytes) {
    case 1:
      f(TypeTag<uint8_t>{});
      break;
    case 2:
      f(TypeTag<uint16_t>{});
      break;
    case 4:
      f(TypeTag<uint32_t>{});
      break;
    default:
      f(TypeTag<uint64_t>{});
      break;
  }
}

// Calls f(TypeTag<I>) for the integer index dtype t.
template <typename F>
void dispatch_index(Dtype t, F&& f) {
  dispatch_dtype(t, [&](auto tag) {
    using I = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<I> && !std::is_same_v<I, bool>) {
      f(tag);
    } else {
      throw std::runtime_error("[indexing] index arrays must have an integer dtype");
    }
  });
}

// The slow path of clamp_index: raises in the debug mode (check_indices),
// else clamps.
[[gnu::noinline, gnu::cold]] int64_t index_out_of_range(int64_t v, int64_t n, int64_t hi,
                                                        const char* op, int axis) {
  if (check_indices()) throw_index_out_of_range(op, v, axis, n, hi);
  int64_t w = v < 0 ? v + n : v;
  return w < 0 ? 0 : hi;
}

// Wraps a negative index once, then clamps it into [0, hi] (or raises, see
// check_indices); op and axis name it in the error.
inline int64_t clamp_index(int64_t v, int64_t n, int64_t hi, const char* op, int axis) {
  int64_t w = v < 0 ? v + n : v;
  if (w < 0 || w > hi) [[unlikely]]
    return index_out_of_range(v, n, hi, op, axis);
  return w;
}

template <typename I>
inline int64_t load_index(const I* p) {
  if constexpr (std::is_unsigned_v<I> && sizeof(I) == 8) {
    // Values past int64's range are out of bounds anyway: clamp to the top.
    return *p > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(*p);
  } else {
    return static_cast<int64_t>(*p);
  }
}

// Row-major walk over a shape with any number of stride sets.
class Odometer {
 public:
  Odometer(const Shape& shape, const std::vector<Strides>& strides)
      : shape_(shape), strides_(strides), idx_(shape.size(), 0), off_(strides.size(), 0) {}
  void seek(int64_t flat) {
    std::fill(off_.begin(), off_.end(), 0);
    for (int d = static_cast<int>(shape_.size()) - 1; d >= 0; --d) {
      int64_t i = flat % shape_[d];
      flat /= shape_[d];
      idx_[d] = i;
      for (size_t k = 0; k < off_.size(); ++k) off_[k] += i * strides_[k][d];
    }
  }
  void next() {
    for (int d = static_cast<int>(shape_.size()) - 1; d >= 0; --d) {
      for (size_t k = 0; k < off_.size(); ++k) off_[k] += strides_[k][d];
      if (++idx_[d] < shape_[d]) return;
      for (size_t k = 0; k < off_.size(); ++k) off_[k] -= strides_[k][d] * shape_[d];
      idx_[d] = 0;
    }
  }
  int64_t operator[](size_t k) const { return off_[k]; }

 private:
  const Shape& shape_;
  const std::vector<Strides>& strides_;
  std::vector<int64_t> idx_;
  std::vector<int64_t> off_;
};

// Calls f(offsets, j0, j1) for pieces [j0, j1) of the rows of proto, in
// parallel over all elements: long rows are split, so one huge row (a 1-d
// array) still uses every thread.
template <int K, typename F>
void parallel_rows(const RowIterator<K>& proto, F&& f) {
  int64_t rows = proto.rows(), inner = proto.inner_size();
  if (rows == 0 || inner == 0) return;
  size_t total = static_cast<size_t>(rows * inner);
  parallel_for(total, kParallelGrain, [&](size_t b, size_t e) {
    int64_t r = static_cast<int64_t>(b) / inner, j = static_cast<int64_t>(b) % inner;
    RowIterator<K> it = proto;
    it.seek(r);
    int64_t left = static_cast<int64_t>(e - b);
    while (left > 0) {
      int64_t j1 = std::min<int64_t>(inner, j + left);
      f(it.offsets(), j, j1);
      left -= j1 - j;
      j = 0;
      it.next();
    }
  });
}

// Out for ops that update a copy of src: takes src's buffer when allowed,
// else a fresh row-major buffer. Returns whether src must be copied in.
bool prepare_update_output(const array& src, array& out) {
  if (is_donatable(src, out)) {
    out.copy_shared_buffer(src);
    return false;
  }
  allocate_row_contiguous(out);
  return true;
}

// ---- combining scattered values

// Ordering and NaN tests of complex values for k::scatter_combine.
struct ScatterComplex {
  using type = complex64_t;
  static bool lt(complex64_t a, complex64_t b) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  }
  static bool isnan(complex64_t v) { return std::isnan(v.real()) || std::isnan(v.imag()); }
};

// tandem/kernels/reduce_ops.h's k::scatter_combine (the GPU's too); half
// types combine in float.
template <ScatterReduce R, typename T>
inline void combine(T& d, T v) {
  if constexpr (is_half_v<T>) {
    d = T(
        k::scatter_combine<R, float, ScatterComplex>(static_cast<float>(d), static_cast<float>(v)));
  } else {
    d = k::scatter_combine<R, T, ScatterComplex>(d, v);
  }
}

template <typename F>
void dispatch_reduce(ScatterReduce r, F&& f) {
  switch (r) {
    case ScatterReduce::None:
      f(std::integral_constant<ScatterReduce, ScatterReduce::None>{});
      break;
    case ScatterReduce::Sum:
      f(std::integral_constant<ScatterReduce, ScatterReduce::Sum>{});
      break;
    case ScatterReduce::Prod:
      f(std::integral_constant<ScatterReduce, ScatterReduce::Prod>{});
      break;
    case ScatterReduce::Max:
      f(std::integral_constant<ScatterReduce, ScatterReduce::Max>{});
      break;
    case ScatterReduce::Min:
      f(std::integral_constant<ScatterReduce, ScatterReduce::Min>{});
      break;
  }
}

// ---- gather

// The indexed axes of the array a gather reads or a scatter writes: for each,
// its stride and the clamp range for a block of `block[axis]` elements.
struct IndexedAxes {
  std::vector<int64_t> stride, n, hi;
  std::vector<int> axis;
  const char* op;
  IndexedAxes(const Ref& arr, const std::vector<int>& axes, const Shape& block, const char* op)
      : axis(axes), op(op) {
    for (int ax : axes) {
      stride.push_back(arr.strides[ax]);
      n.push_back(arr.shape[ax]);
      hi.push_back(arr.shape[ax] - block[ax]);
    }
  }
  // Offset (elements) of the block selected by the indices at od's position.
  template <typename I>
  int64_t offset(const std::vector<Ref>& idx, const Odometer& od) const {
    int64_t base = 0;
    for (size_t k = 0; k < idx.size(); ++k) {
      base +=
          clamp_index(load_index(idx[k].data<I>() + od[k]), n[k], hi[k], op, axis[k]) * stride[k];
    }
    return base;
  }
};

void gather_kernel(const Ref& a, const std::vector<Ref>& idx, const std::vector<int>& axes,
                   const Shape& sizes, const Ref& out) {
  size_t K = idx.size();
  Shape ishape;
  for (int d = 0; d < out.ndim() - a.ndim(); ++d) ishape.push_back(out.shape[d]);
  int64_t N = static_cast<int64_t>(shape_size(ishape));
  int64_t S = static_cast<int64_t>(shape_size(sizes));
  if (N == 0 || S == 0) return;
  std::vector<Strides> istr;
  for (auto& r : idx) istr.push_back(r.strides);
  IndexedAxes ax(a, axes, sizes, "gather");
  // The slice: collapsed against a's strides and the output's row-major ones.
  std::vector<Strides> cst;
  Shape cshape = collapse_dims(sizes, {row_major_strides(sizes), a.strides}, cst);
  RowIterator<2> proto(cshape, cst);
  int64_t rows = proto.rows(), inner = proto.inner_size(), in_s = proto.inner_stride(1);
  Dtype itype = K ? idx[0].dtype : int32;
  if (K == 1 && S == 1) {
    // One index array and single elements: tight rows over the indices.
    std::vector<Strides> ist;
    Shape cs = collapse_dims(ishape, {row_major_strides(ishape), idx[0].strides}, ist);
    RowIterator<2> proto1(cs, ist);
    int64_t os = proto1.inner_stride(0), is = proto1.inner_stride(1);
    int64_t n = ax.n[0], hi = ax.hi[0], st = ax.stride[0];
    dispatch_size(a.dtype.size(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = a.data<T>();
      T* dst = out.data<T>();
      dispatch_index(itype, [&](auto itag) {
        using I = typename decltype(itag)::type;
        const I* ip = idx[0].data<I>();
        parallel_rows(proto1, [&](const int64_t* off, int64_t j0, int64_t j1) {
          T* o = dst + off[0];
          const I* ii = ip + off[1];
          for (int64_t j = j0; j < j1; ++j) {
            o[j * os] = src[clamp_index(load_index(ii + j * is), n, hi, "gather", axes[0]) * st];
          }
        });
      });
    });
    return;
  }
  size_t grain = std::max<size_t>(1, kParallelGrain / static_cast<size_t>(S));
  dispatch_size(a.dtype.size(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = a.data<T>();
    T* dst = out.data<T>();
    dispatch_index(itype, [&](auto itag) {
      using I = typename decltype(itag)::type;
      parallel_for(static_cast<size_t>(N), grain, [&](size_t b, size_t e) {
        Odometer od(ishape, istr);
        od.seek(static_cast<int64_t>(b));
        for (size_t i = b; i < e; ++i, od.next()) {
          int64_t base = ax.offset<I>(idx, od);
          const T* s = src + base;
          T* o = dst + static_cast<int64_t>(i) * S;
          if (S == 1) {
            *o = *s;
          } else if (rows == 1) {
            if (in_s == 1) {
              std::memcpy(o, s, static_cast<size_t>(inner) * sizeof(T));
            } else {
              for (int64_t j = 0; j < inner; ++j) o[j] = s[j * in_s];
            }
          } else {
            RowIterator<2> it = proto;
            for (int64_t r = 0; r < rows; ++r, it.next()) {
              T* oo = o + it.offsets()[0];
              const T* ss = s + it.offsets()[1];
              if (in_s == 1) {
                std::memcpy(oo, ss, static_cast<size_t>(inner) * sizeof(T));
              } else {
                for (int64_t j = 0; j < inner; ++j) oo[j] = ss[j * in_s];
              }
            }
          }
        }
      });
    });
  });
}

// ---- scatter

void scatter_kernel(ScatterReduce reduce, const Ref& upd, const std::vector<Ref>& idx,
                    const std::vector<int>& axes, const Ref& out) {
  size_t K = idx.size();
  int k_nd = upd.ndim() - out.ndim();
  Shape ishape, ushape;
  Strides upd_i, upd_u;
  for (int d = 0; d < upd.ndim(); ++d) {
    if (d < k_nd) {
      ishape.push_back(upd.shape[d]);
      upd_i.push_back(upd.strides[d]);
    } else {
      ushape.push_back(upd.shape[d]);
      upd_u.push_back(upd.strides[d]);
    }
  }
  int64_t N = static_cast<int64_t>(shape_size(ishape));
  int64_t S = static_cast<int64_t>(shape_size(ushape));
  if (N == 0 || S == 0) return;
  IndexedAxes ax(out, axes, ushape, "scatter");
  if (K == 1 && S == 1) {
    // One index array and single elements: a tight serial walk.
    std::vector<Strides> cst;
    Shape cs = collapse_dims(ishape, {idx[0].strides, upd_i}, cst);
    RowIterator<2> it(cs, cst);
    int64_t rows = it.rows(), inner = it.inner_size();
    int64_t is = it.inner_stride(0), us = it.inner_stride(1);
    int64_t n = ax.n[0], hi = ax.hi[0], st = ax.stride[0];
    dispatch_dtype(out.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* o = out.data<T>();
      const T* u = upd.data<T>();
      dispatch_index(idx[0].dtype, [&](auto itag) {
        using I = typename decltype(itag)::type;
        const I* ip = idx[0].data<I>();
        dispatch_reduce(reduce, [&](auto rtag) {
          constexpr ScatterReduce R = decltype(rtag)::value;
          for (int64_t r = 0; r < rows; ++r, it.next()) {
            const I* ii = ip + it.offsets()[0];
            const T* uu = u + it.offsets()[1];
            for (int64_t j = 0; j < inner; ++j) {
              int64_t p = clamp_index(load_index(ii + j * is), n, hi, "scatter", axes[0]);
              combine<R>(o[p * st], uu[j * us]);
            }
          }
        });
      });
    });
    return;
  }
  // Where each update block goes and where it starts in updates.
  std::vector<int64_t> dst_base(N), src_base(N);
  std::vector<Strides> istr;
  for (auto& r : idx) istr.push_back(r.strides);
  istr.push_back(upd_i);
  Dtype itype = K ? idx[0].dtype : int32;
  dispatch_index(itype, [&](auto itag) {
    using I = typename decltype(itag)::type;
    parallel_for(static_cast<size_t>(N), kParallelGrain, [&](size_t b, size_t e) {
      Odometer od(ishape, istr);
      od.seek(static_cast<int64_t>(b));
      for (size_t i = b; i < e; ++i, od.next()) {
        dst_base[i] = ax.offset<I>(idx, od);
        src_base[i] = od[K];
      }
    });
  });
  // With blocks one wide along every indexed axis, distinct block elements
  // land on distinct outputs whatever the indices, so rows can run in
  // parallel; wider blocks may overlap each other.
  bool disjoint = true;
  for (size_t k = 0; k < K; ++k) disjoint &= ushape[axes[k]] == 1;
  std::vector<Strides> cst;
  Shape cshape = collapse_dims(ushape, {out.strides, upd_u}, cst);
  RowIterator<2> proto(cshape, cst);
  int64_t rows = proto.rows(), inner = proto.inner_size();
  int64_t os = proto.inner_stride(0), us = proto.inner_stride(1);
  dispatch_dtype(out.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = out.data<T>();
    const T* u = upd.data<T>();
    dispatch_reduce(reduce, [&](auto rtag) {
      constexpr ScatterReduce R = decltype(rtag)::value;
      if (S == 1) {
        for (int64_t i = 0; i < N; ++i) combine<R>(o[dst_base[i]], u[src_base[i]]);
        return;
      }
      // Blocks are applied in index order for every slice row, so repeated
      // indices combine deterministically; rows are independent.
      auto body = [&](size_t r0, size_t r1) {
        for (int64_t i = 0; i < N; ++i) {
          RowIterator<2> it = proto;
          it.seek(static_cast<int64_t>(r0));
          for (size_t r = r0; r < r1; ++r, it.next()) {
            T* oo = o + dst_base[i] + it.offsets()[0];
            const T* uu = u + src_base[i] + it.offsets()[1];
            for (int64_t j = 0; j < inner; ++j) combine<R>(oo[j * os], uu[j * us]);
          }
        }
      };
      if (!disjoint) {
        body(0, static_cast<size_t>(rows));  // blocks may overlap across rows
        return;
      }
      size_t per_row = static_cast<size_t>(std::max<int64_t>(1, inner * N));
      parallel_for(static_cast<size_t>(rows), std::max<size_t>(1, kParallelGrain / per_row), body);
    });
  });
}

// ---- take_along_axis

// o[j] = s[idx[j] * stride] for j < len, indices wrapped and clamped as
// clamp_index does; every parameter a local, so nothing is reloaded.
template <typename T, typename I>
void gather_run(T* __restrict o, const I* __restrict idx, const T* __restrict s, int64_t len,
                int64_t n, int64_t stride, int axis) {
  const auto hi = static_cast<uint64_t>(n - 1);
  for (int64_t j = 0; j < len; ++j) {
    int64_t v = load_index(idx + j);
    int64_t w = v < 0 ? v + n : v;
    if (static_cast<uint64_t>(w) > hi) [[unlikely]]
      w = index_out_of_range(v, n, n - 1, "take_along_axis", axis);
    o[j] = s[w * stride];
  }
}

void gather_axis_kernel(const Ref& a, const Ref& idx, int axis, const Ref& out) {
  Strides a_st = a.strides;
  int64_t ax_stride = a_st[axis], n = a.shape[axis];
  a_st[axis] = 0;
  std::vector<Strides> cst;
  Shape cshape = collapse_dims(out.shape, {row_major_strides(out.shape), idx.strides, a_st}, cst);
  RowIterator<3> proto(cshape, cst);
  int64_t os = proto.inner_stride(0), is = proto.inner_stride(1), as = proto.inner_stride(2);
  dispatch_size(a.dtype.size(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = a.data<T>();
    T* dst = out.data<T>();
    dispatch_index(idx.dtype, [&](auto itag) {
      using I = typename decltype(itag)::type;
      const I* ip = idx.data<I>();
      parallel_rows(proto, [&](const int64_t* off, int64_t j0, int64_t j1) {
        T* o = dst + off[0];
        const I* ii = ip + off[1];
        const T* s = src + off[2];
        if (os == 1 && is == 1 && as == 0) {
          // take's common case: a tight loop on locals (stores through o may
          // alias the captured ints, so the general loop reloads them).
          gather_run(o + j0, ii + j0, s, j1 - j0, n, ax_stride, axis);
          return;
        }
        for (int64_t j = j0; j < j1; ++j) {
          int64_t v = clamp_index(load_index(ii + j * is), n, n - 1, "take_along_axis", axis);
          o[j * os] = s[j * as + v * ax_stride];
        }
      });
    });
  });
}

// ---- put_along_axis

void scatter_axis_kernel(ScatterReduce reduce, const Ref& idx, const Ref& vals, int axis,
                         const Ref& out) {
  int nd = out.ndim();
  int64_t ax_stride = out.strides[axis], n = out.shape[axis];
  // Move axis innermost so that rows never share an output element.
  Shape shape;
  Strides o_st, i_st, v_st;
  for (int d = 0; d < nd; ++d) {
    if (d == axis) continue;
    shape.push_back(idx.shape[d]);
    o_st.push_back(out.strides[d]);
    i_st.push_back(idx.strides[d]);
    v_st.push_back(vals.strides[d]);
  }
  shape.push_back(idx.shape[axis]);
  o_st.push_back(0);
  i_st.push_back(idx.strides[axis]);
  v_st.push_back(vals.strides[axis]);
  std::vector<Strides> cst;
  Shape cshape = collapse_dims(shape, {o_st, i_st, v_st}, cst);
  RowIterator<3> proto(cshape, cst);
  int64_t rows = proto.rows(), inner = proto.inner_size();
  int64_t os = proto.inner_stride(0), is = proto.inner_stride(1), vs = proto.inner_stride(2);
  size_t grain =
      std::max<size_t>(1, kParallelGrain / static_cast<size_t>(std::max<int64_t>(1, inner)));
  dispatch_dtype(out.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dst = out.data<T>();
    const T* vp = vals.data<T>();
    dispatch_index(idx.dtype, [&](auto itag) {
      using I = typename decltype(itag)::type;
      const I* ip = idx.data<I>();
      dispatch_reduce(reduce, [&](auto rtag) {
        constexpr ScatterReduce R = decltype(rtag)::value;
        parallel_for(static_cast<size_t>(rows), grain, [&](size_t r0, size_t r1) {
          RowIterator<3> it = proto;
          it.seek(static_cast<int64_t>(r0));
          for (size_t r = r0; r < r1; ++r, it.next()) {
            const int64_t* off = it.offsets();
            T* o = dst + off[0];
            const I* ii = ip + off[1];
            const T* v = vp + off[2];
            for (int64_t j = 0; j < inner; ++j) {
              int64_t p = clamp_index(load_index(ii + j * is), n, n - 1, "put_along_axis", axis);
              combine<R>(o[j * os + p * ax_stride], v[j * vs]);
            }
          }
        });
      });
    });
  });
}

}  // namespace
}  // namespace cpu

void Concatenate::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  cpu::allocate_row_contiguous(out);
  if (out.size() == 0) return;
  std::vector<cpu::Ref> ins;
  std::vector<int64_t> offs;
  int64_t pos = 0;
  for (auto& in : inputs) {
    if (in.size() > 0) {
      ins.emplace_back(in);
      offs.push_back(pos * out.strides()[axis_]);
    }
    pos += in.shape()[axis_];
  }
  cpu::dispatch([ins = std::move(ins), offs = std::move(offs), out = cpu::Ref(out)] {
    int64_t isz = static_cast<int64_t>(out.dtype.size());
    for (size_t i = 0; i < ins.size(); ++i) {
      cpu::copy_strided(ins[i], out.ptr + offs[i] * isz, out.strides, out.dtype);
    }
  });
}

void Gather::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  cpu::allocate_row_contiguous(out);
  if (out.size() == 0) return;
  std::vector<cpu::Ref> idx;
  for (size_t i = 1; i < inputs.size(); ++i) idx.emplace_back(inputs[i]);
  cpu::dispatch([a = cpu::Ref(inputs[0]), idx = std::move(idx), axes = axes_, sizes = slice_sizes_,
                 out = cpu::Ref(out)] { cpu::gather_kernel(a, idx, axes, sizes, out); });
}

void Scatter::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& a = inputs[0];
  array& out = outputs[0];
  bool copy = cpu::prepare_update_output(a, out);
  if (out.size() == 0) return;
  std::vector<cpu::Ref> idx;
  for (size_t i = 2; i < inputs.size(); ++i) idx.emplace_back(inputs[i]);
  cpu::Ref src = copy ? cpu::Ref(a) : cpu::Ref();
  cpu::Ref upd = inputs[1].size() ? cpu::Ref(inputs[1]) : cpu::Ref();
  cpu::dispatch([copy, src = std::move(src), upd = std::move(upd), idx = std::move(idx),
                 axes = axes_, reduce = reduce_, out = cpu::Ref(out)] {
    if (copy) cpu::copy_strided(src, out.ptr, out.strides, out.dtype);
    if (upd.size) cpu::scatter_kernel(reduce, upd, idx, axes, out);
  });
}

void GatherAxis::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  cpu::allocate_row_contiguous(out);
  if (out.size() == 0) return;
  cpu::dispatch([a = cpu::Ref(inputs[0]), idx = cpu::Ref(inputs[1]), axis = axis_,
                 out = cpu::Ref(out)] { cpu::gather_axis_kernel(a, idx, axis, out); });
}

void ScatterAxis::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& a = inputs[0];
  array& out = outputs[0];
  bool copy = cpu::prepare_update_output(a, out);
  if (out.size() == 0) return;
  cpu::Ref src = copy ? cpu::Ref(a) : cpu::Ref();
  bool any = inputs[1].size() > 0;
  cpu::Ref idx = any ? cpu::Ref(inputs[1]) : cpu::Ref();
  cpu::Ref vals = any ? cpu::Ref(inputs[2]) : cpu::Ref();
  cpu::dispatch([copy, any, src = std::move(src), idx = std::move(idx), vals = std::move(vals),
                 axis = axis_, reduce = reduce_, out = cpu::Ref(out)] {
    if (copy) cpu::copy_strided(src, out.ptr, out.strides, out.dtype);
    if (any) cpu::scatter_axis_kernel(reduce, idx, vals, axis, out);
  });
}

void SliceUpdate::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& src = inputs[0];
  const array& upd = inputs[1];
  array& out = outputs[0];
  bool copy = cpu::prepare_update_output(src, out);
  if (out.size() == 0) return;
  int64_t off = 0;
  Strides dst_strides;
  for (int i = 0; i < out.ndim(); ++i) {
    off += static_cast<int64_t>(start_[i]) * out.strides()[i];
    dst_strides.push_back(out.strides()[i] * strides_[i]);
  }
  cpu::Ref s = copy ? cpu::Ref(src) : cpu::Ref();
  cpu::Ref u = upd.size() ? cpu::Ref(upd) : cpu::Ref();
  cpu::dispatch([copy, s = std::move(s), u = std::move(u), off,
                 dst_strides = std::move(dst_strides), out = cpu::Ref(out)] {
    if (copy) cpu::copy_strided(s, out.ptr, out.strides, out.dtype);
    if (u.size) {
      cpu::copy_strided(u, out.ptr + off * static_cast<int64_t>(out.dtype.size()), dst_strides,
                        out.dtype);
    }
  });
}

}  // namespace tandem
