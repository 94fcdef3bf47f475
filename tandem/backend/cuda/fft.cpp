// GPU kernel of FFT through cuFFT. Each pass transforms one axis of a
// row-major buffer: in place when the axis is innermost, else through a
// scratch copy with the axis moved innermost (the strided copy kernels) and
// back. Plans (one-dimensional, batched, basic layout) are cached per
// (stream, n, batch, type) and run on the node's stream; each stream has its
// own, since a plan's work area must not be shared by concurrent streams.
// The output scale and the imaginary parts a complex-to-real transform must
// ignore are handled by the small kernels of fft.cu.
#include "tandem/primitives/fft.h"

#include <cufft.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>

#include "tandem/allocator.h"
#include "tandem/backend/cuda/creation.h"
#include "tandem/backend/cuda/cuda_check.h"
#include "tandem/backend/cuda/encoder.h"
#include "tandem/backend/cuda/indexing.h"
#include "tandem/backend/cuda/memory.h"

namespace tandem {
namespace gpu {

// fft.cu's kernels: p[i] *= s for i < n; zero the imaginary parts of terms
// 0 and (nyquist) m - 1 of `lines` lines of m complex values.
const void* fft_scale_kernel_address();
const void* fft_zero_imag_kernel_address();

namespace {

unsigned grid_of(int64_t n) {
  int64_t b = (n + 255) / 256;
  return static_cast<unsigned>(std::min<int64_t>(std::max<int64_t>(b, 1), 4096));
}

// Loads fft.cu's kernels into the context once, with no spin wait in flight
// (loading may synchronize the context; see release_spin_waits), rather than
// lazily at a first launch that spins may precede.
void load_kernels_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    SyncSection section;
    for (const void* k : {fft_scale_kernel_address(), fft_zero_imag_kernel_address()}) {
      cudaFuncAttributes attr;
      if (cudaFuncGetAttributes(&attr, k) != cudaSuccess) cudaGetLastError();
    }
  });
}

void fft_scale(Encoder& enc, float* p, int64_t n, float s) {
  load_kernels_once();
  enc.launch(fft_scale_kernel_address(), dim3(grid_of(n)), dim3(256), 0, p, n, s);
}

void fft_zero_imag(Encoder& enc, void* p, int64_t lines, int64_t m, bool nyquist) {
  load_kernels_once();
  enc.launch(fft_zero_imag_kernel_address(), dim3(grid_of(lines)), dim3(256), 0, p, lines, m,
             nyquist);
}

void check_fft(cufftResult r, const char* what) {
  if (r == CUFFT_SUCCESS) return;
  if (r == CUFFT_ALLOC_FAILED) {
    throw OutOfMemory(std::string("[fft] ") + what + ": cuFFT could not allocate its work area");
  }
  throw std::runtime_error(std::string("[fft] ") + what + " failed (cuFFT error " +
                           std::to_string(static_cast<int>(r)) + ")");
}

// Guards the plan cache, and each plan from its stream binding to its
// execution (cufftSetStream then cufftExec*, which only enqueue).
std::mutex g_plans_mu;

struct Plan {
  cufftHandle handle;
  bool used = false;  // executed once: cuFFT has loaded its kernels
};
using PlanKey = std::tuple<cudaStream_t, int64_t, int64_t, int>;
std::map<PlanKey, Plan>& plans() {
  static auto* p = new std::map<PlanKey, Plan>;  // outlives the CUDA context at exit
  return *p;
}

// The cached plan for `batch` transforms of n points, contiguous (basic
// layout), made if missing. g_plans_mu must be held, and no spin wait in
// flight when the plan is new (see exec).
Plan& plan_for(const PlanKey& key) {
  auto& cache = plans();
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  constexpr size_t kMaxPlans = 64;
  if (cache.size() >= kMaxPlans) {
    // Rare: drop every cached plan, once their queued work is done.
    for (auto& [k, p] : cache) {
      check(cudaStreamSynchronize(std::get<0>(k)), "cudaStreamSynchronize (fft plan cache)");
      cufftDestroy(p.handle);
    }
    cache.clear();
  }
  Plan plan;
  int dims[1] = {static_cast<int>(std::get<1>(key))};
  check_fft(
      cufftPlanMany(&plan.handle, 1, dims, nullptr, 1, 0, nullptr, 1, 0,
                    static_cast<cufftType>(std::get<3>(key)), static_cast<int>(std::get<2>(key))),
      "cufftPlanMany");
  return cache.emplace(key, plan).first->second;
}

void exec(Encoder& enc, int64_t n, int64_t batch, cufftType type, void* in, void* out,
          bool inverse) {
  if (n > INT32_MAX || batch > INT32_MAX) {
    throw std::invalid_argument("[fft] transform of " + std::to_string(batch) + " lines of " +
                                std::to_string(n) + " points is too large for the GPU path");
  }
  PlanKey key{enc.handle(), n, batch, static_cast<int>(type)};
  bool fresh;
  {
    std::lock_guard<std::mutex> lock(g_plans_mu);
    auto it = plans().find(key);
    fresh = it == plans().end() || !it->second.used;
  }
  // Making a plan, its first run (cuFFT loads kernels lazily) and dropping
  // plans may synchronize the context: no spin kernel may wait meanwhile.
  std::optional<SyncSection> section;
  if (fresh) section.emplace();
  cudaStream_t stream = enc.stream();
  std::lock_guard<std::mutex> lock(g_plans_mu);
  Plan& plan = plan_for(key);
  check_fft(cufftSetStream(plan.handle, stream), "cufftSetStream");
  cufftResult r = CUFFT_SUCCESS;
  if (type == CUFFT_C2C) {
    r = cufftExecC2C(plan.handle, static_cast<cufftComplex*>(in), static_cast<cufftComplex*>(out),
                     inverse ? CUFFT_INVERSE : CUFFT_FORWARD);
  } else if (type == CUFFT_R2C) {
    r = cufftExecR2C(plan.handle, static_cast<cufftReal*>(in), static_cast<cufftComplex*>(out));
  } else {
    r = cufftExecC2R(plan.handle, static_cast<cufftComplex*>(in), static_cast<cufftReal*>(out));
  }
  check_fft(r, "cufftExec");
  plan.used = true;
  enc.mark_used();
}

// shape with axis ax moved last, and the strides (in elements) that read a
// row-major buffer of `shape` in that order.
std::pair<Shape, Strides> axis_last(const Shape& shape, const Strides& strides, int ax) {
  Shape p;
  Strides st;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    if (i == ax) continue;
    p.push_back(shape[i]);
    st.push_back(strides[i]);
  }
  p.push_back(shape[ax]);
  st.push_back(strides[ax]);
  return {p, st};
}

// The row-major buffer src of `shape` (axis ax last in it, i.e. at shape
// `last`) copied to dst, row-major at `shape`.
void move_back(Encoder& enc, const void* src, const Shape& shape, int ax, void* dst,
               size_t itemsize) {
  Strides rm = row_major_strides(shape);
  Shape last = axis_last(shape, rm, ax).first;
  Strides lst = row_major_strides(last);
  // Element (i_0, .., i_ax, ..) of shape sits in src at the permuted index.
  Strides src_st(shape.size(), 0);
  int j = 0;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    src_st[i] = i == ax ? lst.back() : lst[j++];
  }
  copy_into(enc, src, src_st, dst, rm, shape, itemsize);
}

int64_t product(const Shape& s) {
  int64_t p = 1;
  for (auto d : s) p *= d;
  return p;
}

// In-place complex transform of buf (row-major at shape) along ax.
void c2c_pass(Encoder& enc, void* buf, const Shape& shape, int ax, bool inverse) {
  int64_t n = shape[ax], total = product(shape);
  if (ax == static_cast<int>(shape.size()) - 1) {
    exec(enc, n, total / n, CUFFT_C2C, buf, buf, inverse);
    return;
  }
  auto [last, st] = axis_last(shape, row_major_strides(shape), ax);
  void* tmp = enc.scratch(total * sizeof(complex64_t));
  copy_into(enc, buf, st, tmp, row_major_strides(last), last, sizeof(complex64_t));
  exec(enc, n, total / n, CUFFT_C2C, tmp, tmp, inverse);
  move_back(enc, tmp, shape, ax, buf, sizeof(complex64_t));
}

void run(Encoder& enc, const array& in, array& out, const std::vector<int>& axes, bool inverse,
         bool real, float scale) {
  void* o = enc.out(out);
  if (out.size() == 0) {
    enc.mark_used();
    return;
  }
  const Shape& oshape = out.shape();
  int nd = static_cast<int>(oshape.size());
  if (!real) {
    copy_row_major(enc, in, o, complex64);
    for (int ax : axes) c2c_pass(enc, o, oshape, ax, inverse);
  } else if (!inverse) {
    // Real-to-complex along the last listed axis, read straight from the
    // input with that axis innermost; then the other axes in place.
    int ax = axes.back();
    int64_t n = in.shape()[ax], m = n / 2 + 1, lines = product(in.shape()) / n;
    auto [last, st] = axis_last(in.shape(), in.strides(), ax);
    void* r = enc.scratch(product(in.shape()) * sizeof(float));
    copy_into(enc, enc.in(in), st, r, row_major_strides(last), last, sizeof(float));
    void* c = ax == nd - 1 ? o : enc.scratch(lines * m * sizeof(complex64_t));
    exec(enc, n, lines, CUFFT_R2C, r, c, false);
    if (c != o) move_back(enc, c, oshape, ax, o, sizeof(complex64_t));
    for (size_t i = 0; i + 1 < axes.size(); ++i) c2c_pass(enc, o, oshape, axes[i], false);
  } else {
    // The other axes on a complex copy of the input, then complex-to-real
    // along the last listed axis (cuFFT overwrites a C2R input: always scratch).
    const Shape& ishape = in.shape();
    int64_t isize = product(ishape);
    void* x = enc.scratch(isize * sizeof(complex64_t));
    copy_row_major(enc, in, x, complex64);
    for (size_t i = 0; i + 1 < axes.size(); ++i) c2c_pass(enc, x, ishape, axes[i], true);
    int ax = axes.back();
    int64_t n = oshape[ax], m = ishape[ax], lines = isize / m;
    void* y = x;
    if (ax != nd - 1) {
      auto [last, st] = axis_last(ishape, row_major_strides(ishape), ax);
      y = enc.scratch(isize * sizeof(complex64_t));
      copy_into(enc, x, st, y, row_major_strides(last), last, sizeof(complex64_t));
    }
    fft_zero_imag(enc, y, lines, m, n % 2 == 0);
    void* z = ax == nd - 1 ? o : enc.scratch(lines * n * sizeof(float));
    exec(enc, n, lines, CUFFT_C2R, y, z, true);
    if (z != o) move_back(enc, z, oshape, ax, o, sizeof(float));
  }
  if (scale != 1.f) {
    int64_t floats = product(oshape) * (out.dtype() == complex64 ? 2 : 1);
    fft_scale(enc, static_cast<float*>(o), floats, scale);
  }
}

}  // namespace
}  // namespace gpu

void FFT::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = gpu::encoder(stream());
  gpu::run(enc, inputs[0], outputs[0], axes_, inverse_, real_, static_cast<float>(scale_));
}

}  // namespace tandem
