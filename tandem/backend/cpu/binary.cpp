// CPU kernels of the Binary and Select primitives.
#include "tandem/primitives/binary.h"

#include <cmath>
#include <limits>

#include "tandem/backend/cpu/elementwise.h"
#include "tandem/backend/cpu/elementwise_rows.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/layout.h"

namespace tandem {
namespace cpu {
namespace {

// Arithmetic type T computes in: float for the 16-bit floats.
template <typename T>
using compute_t = std::conditional_t<is_half_v<T>, float, T>;

// Complex arithmetic for the shared scalar ops (tandem/kernels/binary_ops.h):
// std::complex's, which the GPU reimplements bit for bit on finite values.
struct HostComplex {
  using type = complex64_t;
  static complex64_t add(complex64_t a, complex64_t b) { return a + b; }
  static complex64_t sub(complex64_t a, complex64_t b) { return a - b; }
  static complex64_t mul(complex64_t a, complex64_t b) { return a * b; }
  static complex64_t div(complex64_t a, complex64_t b) { return a / b; }
  static complex64_t pow(complex64_t a, complex64_t b) { return std::pow(a, b); }
  static bool lt(complex64_t a, complex64_t b) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  }
  static bool isnan(complex64_t v) { return std::isnan(v.real()) || std::isnan(v.imag()); }
};

// One op on values of compute type C (comparisons return bool).
template <BinaryOp op, typename C>
auto apply(C a, C b) {
  return k::binary_apply<op, C, HostComplex>(a, b);
}

template <BinaryOp op, typename T>
void binary_row(const T* a, int64_t as, const T* b, int64_t bs, void* out_v, int64_t n) {
  using C = compute_t<T>;
  using R = decltype(apply<op, C>(C{}, C{}));
  using O = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
  O* out = static_cast<O*>(out_v);
  if (as == 1 && bs == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = O(apply<op, C>(C(a[i]), C(b[i])));
  } else if (as == 0 && bs == 1) {
    C x = C(a[0]);
    for (int64_t i = 0; i < n; ++i) out[i] = O(apply<op, C>(x, C(b[i])));
  } else if (as == 1 && bs == 0) {
    C y = C(b[0]);
    for (int64_t i = 0; i < n; ++i) out[i] = O(apply<op, C>(C(a[i]), y));
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = O(apply<op, C>(C(a[i * as]), C(b[i * bs])));
  }
}

// Whether every element of r is the one at r.ptr (a 0-d, size-1 or broadcast
// scalar). Judged from the strides: data_size alone does not tell, as a view
// with negative strides can report a span of 1.
bool is_scalar(const Ref& r) {
  if (r.size <= 1) return true;
  for (size_t i = 0; i < r.shape.size(); ++i) {
    if (r.shape[i] != 1 && r.strides[i] != 0) return false;
  }
  return true;
}

// out = a op b over n elements of a flat layout; an operand with stride 0 is
// a single value.
template <BinaryOp op, typename T>
void binary_flat(const T* pa, int64_t as, const T* pb, int64_t bs, char* po, size_t osz, size_t n) {
  parallel_for(n, kParallelGrain, [&](size_t s, size_t e) {
    binary_row<op, T>(pa + s * as, as, pb + s * bs, bs, po + s * osz, static_cast<int64_t>(e - s));
  });
}

template <BinaryOp op, typename T>
void binary_kernel(const Ref& a, const Ref& b, const Ref& out) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  char* po = out.ptr;
  size_t osz = out.dtype.size();
  bool a_flat = same_layout(a, out), b_flat = same_layout(b, out);
  bool a_scalar = is_scalar(a), b_scalar = is_scalar(b);
  if ((a_flat || a_scalar) && (b_flat || b_scalar)) {
    int64_t as = a_flat && !(a.size == 1) ? 1 : 0;
    int64_t bs = b_flat && !(b.size == 1) ? 1 : 0;
    if (out.data_size == 1) as = bs = 1;
    binary_flat<op, T>(pa, as, pb, bs, po, osz, out.data_size);
    return;
  }
  for_each_row<2>(
      {&a, &b}, out,
      [&](int64_t o, const std::array<int64_t, 2>& io, const std::array<int64_t, 2>& is,
          int64_t n) { binary_row<op, T>(pa + io[0], is[0], pb + io[1], is[1], po + o * osz, n); });
}

// The switches below instantiate one kernel per op of TANDEM_BINARY_OPS
// (tandem/kernels/binary_ops.h).

template <typename T>
void binary_flat_dispatch(BinaryOp op, const T* pa, int64_t as, const T* pb, int64_t bs, char* po,
                          size_t osz, size_t n) {
  switch (op) {
#define TANDEM_CASE(OP) \
  case BinaryOp::OP:    \
    return binary_flat<BinaryOp::OP, T>(pa, as, pb, bs, po, osz, n);
    TANDEM_BINARY_OPS(TANDEM_CASE)
#undef TANDEM_CASE
  }
}

template <typename T>
void binary_dispatch(BinaryOp op, const Ref& a, const Ref& b, const Ref& out) {
  switch (op) {
#define TANDEM_CASE(OP) \
  case BinaryOp::OP:    \
    return binary_kernel<BinaryOp::OP, T>(a, b, out);
    TANDEM_BINARY_OPS(TANDEM_CASE)
#undef TANDEM_CASE
  }
}

template <BinaryOp op, typename T>
void binary_row_erased(const void* a, int64_t as, const void* b, int64_t bs, void* out, int64_t n) {
  binary_row<op, T>(static_cast<const T*>(a), as, static_cast<const T*>(b), bs, out, n);
}

}  // namespace

BinaryRowFn binary_row_fn(BinaryOp op, Dtype t) {
  BinaryRowFn fn = nullptr;
  dispatch_dtype(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (op) {
#define TANDEM_CASE(OP)                       \
  case BinaryOp::OP:                          \
    fn = &binary_row_erased<BinaryOp::OP, T>; \
    break;
      TANDEM_BINARY_OPS(TANDEM_CASE)
#undef TANDEM_CASE
    }
  });
  return fn;
}

}  // namespace cpu

namespace cpu {
namespace {
// Whether a kernel can read `in` in out's flat order (same dense layout) or
// as a single broadcast value.
bool flat_with(const array& in, const array& out) {
  if (in.size() <= 1) return true;
  bool scalar = true;
  for (int i = 0; i < in.ndim(); ++i) {
    if (in.shape()[i] != 1 && in.strides()[i] != 0) scalar = false;
  }
  if (scalar) return true;
  return in.flags().contiguous && in.data_size() == in.size() && in.shape() == out.shape() &&
         in.strides() == out.strides();
}

// Sets up an elementwise output: donated or in a shared dense layout when
// possible. The strided walk writes row-major order, so when some input can
// not be read flat the output must be row-major.
void prepare_output(const std::vector<array>& inputs, array& out, bool same_dtype) {
  if (same_dtype) {
    set_elementwise_output(inputs, out);
  } else {
    allocate_row_contiguous(out);
  }
  if (out.flags().row_contiguous) return;
  for (auto& in : inputs) {
    if (!flat_with(in, out)) {
      allocate_row_contiguous(out);
      return;
    }
  }
}
}  // namespace
}  // namespace cpu

void Binary::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  cpu::prepare_output(inputs, out, out.dtype() == inputs[0].dtype());
  if (out.size() == 0) return;
  const array& a = inputs[0];
  const array& b = inputs[1];
  // What binary_kernel's flat path decides, judged on the arrays at encode
  // time: whether each operand is read in out's flat order, or as one value.
  bool a_flat = same_flat_layout(a, out), b_flat = same_flat_layout(b, out);
  if ((a_flat || is_broadcast_scalar(a)) && (b_flat || is_broadcast_scalar(b))) {
    // The common case (same-shape dense operands, or a scalar): a compact
    // task of pointers, strides 1 or 0.
    int64_t as = a_flat && a.size() != 1 ? 1 : 0;
    int64_t bs = b_flat && b.size() != 1 ? 1 : 0;
    if (out.data_size() == 1) as = bs = 1;
    const char* pa = static_cast<const char*>(a.buffer()->host) + a.offset();
    const char* pb = static_cast<const char*>(b.buffer()->host) + b.offset();
    char* po = static_cast<char*>(out.buffer()->host) + out.offset();
    cpu::dispatch([op = op_, t = a.dtype(), osz = out.itemsize(), n = out.data_size(), pa, as, pb,
                   bs, po, ha = cpu::Hold(a), hb = cpu::Hold(b), ho = cpu::Hold(out)] {
      dispatch_dtype(t, [&](auto tag) {
        using T = typename decltype(tag)::type;
        cpu::binary_flat_dispatch<T>(op, reinterpret_cast<const T*>(pa), as,
                                     reinterpret_cast<const T*>(pb), bs, po, osz, n);
      });
    });
    return;
  }
  // A one-element input of another shape is walked with zero strides.
  auto at_out_shape = [&](const array& in) {
    cpu::Ref r(in);
    if (r.shape != out.shape()) {
      r.shape = out.shape();
      r.strides.assign(out.shape().size(), 0);
    }
    return r;
  };
  cpu::dispatch([op = op_, a = at_out_shape(a), b = at_out_shape(b), out = cpu::Ref(out)] {
    dispatch_dtype(a.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      cpu::binary_dispatch<T>(op, a, b, out);
    });
  });
}

namespace cpu {
namespace {
template <typename T>
void select_row(const bool* c, int64_t cs, const T* x, int64_t xs, const T* y, int64_t ys, T* o,
                int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = c[i * cs] ? x[i * xs] : y[i * ys];
}

template <typename T>
void select_kernel(const Ref& c, const Ref& x, const Ref& y, const Ref& out) {
  const bool* pc = c.data<bool>();
  const T* px = x.data<T>();
  const T* py = y.data<T>();
  T* po = out.data<T>();
  bool c_flat = same_layout(c, out), x_flat = same_layout(x, out), y_flat = same_layout(y, out);
  bool c_sc = is_scalar(c), x_sc = is_scalar(x), y_sc = is_scalar(y);
  if ((c_flat || c_sc) && (x_flat || x_sc) && (y_flat || y_sc)) {
    // One flat loop over out's dense layout; scalars have stride 0.
    int64_t cs = c_flat && c.size > 1 ? 1 : 0;
    int64_t xs = x_flat && x.size > 1 ? 1 : 0;
    int64_t ys = y_flat && y.size > 1 ? 1 : 0;
    parallel_for(out.data_size, kParallelGrain, [&](size_t s, size_t e) {
      select_row(pc + s * cs, cs, px + s * xs, xs, py + s * ys, ys, po + s,
                 static_cast<int64_t>(e - s));
    });
    return;
  }
  for_each_row<3>({&c, &x, &y}, out,
                  [&](int64_t o, const std::array<int64_t, 3>& io, const std::array<int64_t, 3>& is,
                      int64_t n) {
                    select_row(pc + io[0], is[0], px + io[1], is[1], py + io[2], is[2], po + o, n);
                  });
}
}  // namespace
}  // namespace cpu

void Select::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  // The condition's buffer may be donated too when out is 1 byte wide.
  cpu::prepare_output(inputs, out, true);
  if (out.size() == 0) return;
  cpu::dispatch([c = cpu::Ref(inputs[0]), x = cpu::Ref(inputs[1]), y = cpu::Ref(inputs[2]),
                 out = cpu::Ref(out)] {
    dispatch_dtype(out.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      cpu::select_kernel<T>(c, x, y, out);
    });
  });
}

}  // namespace tandem
