// CPU kernels of Sort, ArgSort, Partition and ArgPartition. Each line along
// the axis is gathered (from any input layout) into the row-major output (or
// a scratch buffer when the axis is not innermost), sorted or partitioned
// with NaN last (NumPy's order), and written back. Lines are spread over
// threads.
#include "tandem/primitives/sort.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>

#include "tandem/backend/cpu/encoder.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/parallel.h"
#include "tandem/backend/cpu/reduce_common.h"
#include "tandem/backend/cpu/sort_keys.h"

namespace tandem {
namespace cpu {
namespace {

using red::load;
using red::Vec;

// The lines of an array along axis: their input offsets (over the other
// dims) and where each goes in the row-major output.
struct Lines {
  int64_t n = 1;          // line length
  int64_t in_stride = 0;  // input stride along the axis
  int64_t post = 1;       // output stride along the axis
  int64_t count = 0;      // number of lines
  Vec shape, strides;     // the other dims, input strides

  Lines(const Ref& in, int axis) {
    n = in.shape[axis];
    in_stride = in.strides[axis];
    count = 1;
    for (int i = 0; i < in.ndim(); ++i) {
      if (i == axis) continue;
      shape.push_back(in.shape[i]);
      strides.push_back(in.strides[i]);
      count *= in.shape[i];
      if (i > axis) post *= in.shape[i];
    }
  }
  int64_t out_offset(int64_t line) const { return (line / post) * n * post + line % post; }
  size_t grain() const {
    return static_cast<size_t>(
        std::max<int64_t>(1, int64_t(kParallelGrain) / std::max<int64_t>(n, 1)));
  }
};

template <typename T>
constexpr bool has_nan_v =
    std::is_floating_point_v<red::compute_t<T>> || std::is_same_v<T, complex64_t>;

// Sorts (kth < 0) or partitions at kth the values in [b, e), NaN last.
// Real dtypes sort and select as integer keys (sort_keys.h): -0.0 comes
// before +0.0, and NaNs keep the order std::partition leaves them in.
template <typename T>
void order_values(T* b, T* e, int64_t kth) {
  T* mid = e;
  if constexpr (has_nan_v<T>) {
    // A branch-free count first: most lines have no NaN to move.
    size_t nans = 0;
    for (T* p = b; p < e; ++p) nans += red::is_nan(load(*p));
    if (nans) mid = std::partition(b, e, [](T x) { return !red::is_nan(load(x)); });
  }
  if constexpr (std::is_void_v<keys::key_t<T>>) {
    auto lt = [](T x, T y) { return red::less(load(x), load(y)); };
    if (kth < 0) {
      std::sort(b, mid, lt);
    } else if (b + kth < mid) {
      std::nth_element(b, b + kth, mid, lt);
    }
  } else {
    using U = keys::key_t<T>;
    static_assert(sizeof(U) == sizeof(T));
    auto n = static_cast<size_t>(mid - b);
    if (n < 2 || (kth >= 0 && b + kth >= mid)) return;
    keys::map_all<T, true>(b, n);
    U* k = reinterpret_cast<U*>(b);  // the keys live in the line's bytes
    if (kth < 0) {
      keys::sort(k, n);
    } else {
      keys::select(k, n, static_cast<size_t>(kth));
    }
    keys::map_all<T, false>(b, n);
  }
}

template <typename T>
void sort_values(const Ref& in, const Ref& out, int axis, int64_t kth) {
  Lines L(in, axis);
  const T* src = in.data<T>();
  T* dst = out.data<T>();
  int64_t n = L.n, sa = L.in_stride, post = L.post;
  parallel_for(static_cast<size_t>(L.count), L.grain(), [&](size_t l0, size_t l1) {
    std::unique_ptr<T[]> buf(post == 1 ? nullptr : new T[static_cast<size_t>(n)]);  // T may be bool
    red::Odometer od(L.shape, L.strides);
    od.seek(static_cast<int64_t>(l0));
    for (size_t l = l0; l < l1; ++l, od.next()) {
      const T* s = src + od.off;
      T* d = dst + L.out_offset(static_cast<int64_t>(l));
      T* line = post == 1 ? d : buf.get();
      if (!(line == s && sa == 1)) {
        for (int64_t i = 0; i < n; ++i) line[i] = s[i * sa];
      }
      order_values(line, line + n, kth);
      if (post != 1) {
        for (int64_t i = 0; i < n; ++i) d[i * post] = line[i];
      }
    }
  });
}

// The key of the value at p (sort_keys.h), NaN mapped above every number
// and -0.0 to +0.0's key: equal values tie, and ties go by index.
template <typename T>
inline keys::key_t<T> key_at(const T* p) {
  using U = keys::key_t<T>;
  if constexpr (has_nan_v<T>) {
    auto x = load(*p);
    if (red::is_nan(x)) return U(~U(0));  // only NaN bits encode to it
    if (x == 0) return keys::map<T, true>(U(0));
  }
  U u;
  std::memcpy(&u, p, sizeof(U));
  return keys::map<T, true>(u);
}

// Argsort / argpartition of one line through (key, index) pairs packed in
// one wider integer: ties (NaNs included) fall in index order, so the plain
// sort is stable, and the selection picks the element the (value, index)
// order puts at kth, as the comparison path does. Returns false when the
// pairs do not fit (64-bit keys for a selection).
template <typename T>
bool order_indices_packed(const T* s, int64_t sa, int64_t n, int64_t kth, uint32_t* d, int64_t post,
                          std::vector<uint64_t>& p64, std::vector<keys::Key128>& p128) {
  using U = keys::key_t<T>;
  if constexpr (sizeof(U) <= 4) {
    p64.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      p64[i] = (uint64_t(key_at(s + i * sa)) << 32) | static_cast<uint64_t>(i);
    }
    if (kth < 0) {
      keys::sort(p64.data(), p64.size());
    } else {
      keys::select(p64.data(), p64.size(), static_cast<size_t>(kth));
    }
    for (int64_t i = 0; i < n; ++i) d[i * post] = static_cast<uint32_t>(p64[i]);
    return true;
  } else {
    if (kth >= 0) return false;
    p128.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      p128[i].hi = key_at(s + i * sa);
      p128[i].lo = static_cast<uint64_t>(i);
    }
    keys::sort(p128.data(), p128.size());
    for (int64_t i = 0; i < n; ++i) d[i * post] = static_cast<uint32_t>(p128[i].lo);
    return true;
  }
}

template <typename T>
void sort_indices(const Ref& in, const Ref& out, int axis, int64_t kth) {
  using C = red::compute_t<T>;
  using CS = std::conditional_t<std::is_same_v<C, bool>, uint8_t, C>;
  Lines L(in, axis);
  const T* src = in.data<T>();
  uint32_t* dst = out.data<uint32_t>();
  int64_t n = L.n, sa = L.in_stride, post = L.post;
  parallel_for(static_cast<size_t>(L.count), L.grain(), [&](size_t l0, size_t l1) {
    std::vector<CS> v;
    std::vector<uint32_t> idx;
    [[maybe_unused]] std::vector<uint64_t> p64;
    [[maybe_unused]] std::vector<keys::Key128> p128;
    red::Odometer od(L.shape, L.strides);
    od.seek(static_cast<int64_t>(l0));
    for (size_t l = l0; l < l1; ++l, od.next()) {
      const T* s = src + od.off;
      if constexpr (!std::is_void_v<keys::key_t<T>>) {
        uint32_t* d = dst + L.out_offset(static_cast<int64_t>(l));
        if (order_indices_packed(s, sa, n, kth, d, post, p64, p128)) continue;
      }
      v.resize(static_cast<size_t>(n));
      idx.resize(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) v[i] = load(s[i * sa]);
      std::iota(idx.begin(), idx.end(), 0u);
      auto mid = idx.end();
      if constexpr (has_nan_v<T>) {
        mid = std::stable_partition(idx.begin(), idx.end(),
                                    [&](uint32_t i) { return !red::is_nan(C(v[i])); });
      }
      if (kth < 0) {
        std::stable_sort(idx.begin(), mid,
                         [&](uint32_t a, uint32_t b) { return red::less(C(v[a]), C(v[b])); });
      } else if (idx.begin() + kth < mid) {
        // Ties broken by index: a strict total order, so results are reproducible.
        std::nth_element(idx.begin(), idx.begin() + kth, mid, [&](uint32_t a, uint32_t b) {
          if (red::less(C(v[a]), C(v[b]))) return true;
          if (red::less(C(v[b]), C(v[a]))) return false;
          return a < b;
        });
      }
      uint32_t* d = dst + L.out_offset(static_cast<int64_t>(l));
      for (int64_t i = 0; i < n; ++i) d[i * post] = idx[i];
    }
  });
}

// Output for a values op: donates a row-contiguous input buffer, else allocates.
void values_output(const array& in, array& out) {
  if (in.flags().row_contiguous && is_donatable(in, out)) {
    out.copy_shared_buffer(in);
  } else {
    allocate_row_contiguous(out);
  }
}

void dispatch_values(const array& in, array& out, int axis, int64_t kth) {
  values_output(in, out);
  if (out.size() == 0) return;
  dispatch([in = Ref(in), out = Ref(out), axis, kth] {
    dispatch_dtype(in.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      sort_values<T>(in, out, axis, kth);
    });
  });
}

void dispatch_indices(const array& in, array& out, int axis, int64_t kth) {
  allocate_row_contiguous(out);
  if (out.size() == 0) return;
  dispatch([in = Ref(in), out = Ref(out), axis, kth] {
    dispatch_dtype(in.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      sort_indices<T>(in, out, axis, kth);
    });
  });
}

}  // namespace
}  // namespace cpu

void Sort::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  cpu::dispatch_values(inputs[0], outputs[0], axis_, -1);
}

void ArgSort::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  cpu::dispatch_indices(inputs[0], outputs[0], axis_, -1);
}

void Partition::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  cpu::dispatch_values(inputs[0], outputs[0], axis_, kth_);
}

void ArgPartition::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  cpu::dispatch_indices(inputs[0], outputs[0], axis_, kth_);
}

}  // namespace tandem
