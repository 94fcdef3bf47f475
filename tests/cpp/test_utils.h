#pragma once
// Shared helpers for the C++ tests: random inputs of any dtype, strided
// views, float64 references and tolerance checks. DEVICE=cpu|gpu picks the
// default device for a run (GPU tests skip when no GPU is present).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tandem/tandem.h"
#ifdef TANDEM_WITH_CUDA
#include "tandem/backend/cuda/jit.h"
#endif

namespace tandem::test {

// The device the tests run their ops on (DEVICE env var; default cpu).
inline Device test_device() {
  const char* d = std::getenv("DEVICE");
  if (d && std::string(d) == "gpu") return Device::gpu;
  return Device::cpu;
}

// Ops without an explicit stream run on the default device: make it the test
// device (when present) before any test runs.
inline const bool g_default_device_set = [] {
  if (is_available(test_device())) set_default_device(test_device());
  return true;
}();

#ifdef TANDEM_WITH_CUDA
// Compiles (NVRTC, sm_90, no GPU needed) the program of device/`header`
// instantiating the kernels `names`: "" when it compiles, else the error
// (NVRTC's log).
inline std::string jit_compile_error(const std::string& header,
                                     const std::vector<std::string>& names) {
  try {
    if (gpu::jit_compile(header, names, "sm_90").empty()) return "empty cubin";
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
inline void expect_jit_compiles(const std::string& header, const std::vector<std::string>& names) {
  EXPECT_EQ(jit_compile_error(header, names), "") << "device/" << header;
}
#endif

// A fixture for death tests whose child must have its own threads (runtime
// workers): the child re-executes the test binary instead of forking.
class ThreadsafeDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// Skips the current test when the chosen device is missing.
#define TANDEM_REQUIRE_DEVICE()                                                 \
  do {                                                                          \
    if (!::tandem::is_available(::tandem::test::test_device())) {               \
      GTEST_SKIP() << "DEVICE=gpu but no usable GPU (or a build without CUDA)"; \
    }                                                                           \
  } while (0)

// Skips the current test when no GPU is usable (GPU-only tests).
#define TANDEM_REQUIRE_GPU()                                \
  do {                                                      \
    if (!::tandem::is_available(::tandem::Device::gpu)) {   \
      GTEST_SKIP() << "no usable CUDA GPU in this process"; \
    }                                                       \
  } while (0)

// One generator per thread (tests make inputs from several threads); the
// main thread's sequence is the same in every run.
inline std::mt19937_64& rng() {
  thread_local std::mt19937_64 g(12345);
  return g;
}

// Random values suited to dtype t: bools, small integers (signed ones include
// negatives), floats in [lo, hi), complex with random real and imaginary parts.
inline std::vector<double> random_values(size_t n, Dtype t, double lo = -3.0, double hi = 3.0) {
  std::vector<double> v(n);
  std::uniform_real_distribution<double> u(lo, hi);
  for (auto& x : v) {
    if (t == bool_) {
      x = (rng()() & 1) ? 1.0 : 0.0;
    } else if (is_integral(t)) {
      double lo_i = is_unsigned(t) ? 0 : -20, hi_i = 20;
      x = std::floor(std::uniform_real_distribution<double>(lo_i, hi_i)(rng()));
    } else {
      x = u(rng());
    }
  }
  return v;
}

// An evaluated row-major array of dtype t holding values (converted).
inline array make_array(const std::vector<double>& values, Shape shape, Dtype t) {
  array a(values.data(), shape, float64);
  return astype(a, t, Device::cpu);
}

inline array random_array(Shape shape, Dtype t, double lo = -3.0, double hi = 3.0) {
  auto v = random_values(shape_size(shape), t, lo, hi);
  array a = make_array(v, shape, t);
  a.eval();
  return a;
}

// The same logical values as a, through a non-contiguous layout: a transposed
// copy transposed back (for ndim >= 2), else a strided slice of a bigger array.
inline array strided_view(const array& a) {
  if (a.ndim() >= 2) {
    array t = contiguous(transpose(a), false, Device::cpu);
    return transpose(t);
  }
  if (a.ndim() == 1) {
    // Each element twice in a buffer of 2n, then every other one.
    int n = a.shape(0);
    array big = reshape(broadcast_to(reshape(a, {n, 1}), {n, 2}), {2 * n}, Device::cpu);
    big.eval();
    return slice(big, {0}, {2 * n}, {2}, Device::cpu);
  }
  return a;
}

// Row-major values of a as doubles (real part for complex).
inline std::vector<double> to_double(array a) {
  return a.to_vector<double>();
}

// Checks got against want elementwise: |got - want| <= atol + rtol * |want|,
// NaNs must match, infinities must match exactly. Counts mismatches and
// reports the first few.
inline void expect_close(const std::vector<double>& got, const std::vector<double>& want,
                         double rtol, double atol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  size_t bad = 0;
  std::ostringstream os;
  for (size_t i = 0; i < got.size(); ++i) {
    double g = got[i], w = want[i];
    bool ok;
    if (std::isnan(w)) {
      ok = std::isnan(g);
    } else if (std::isinf(w)) {
      ok = g == w;
    } else {
      ok = std::fabs(g - w) <= atol + rtol * std::fabs(w);
    }
    if (!ok && bad++ < 5) os << "\n  at " << i << ": got " << g << ", want " << w;
  }
  EXPECT_EQ(bad, 0u) << what << " (" << bad << " of " << got.size() << " wrong)" << os.str();
}

// Expects f() to throw std::invalid_argument whose message starts with
// "[op]" and contains each of parts.
template <typename F>
void expect_invalid(F f, const std::string& op, std::vector<std::string> parts = {}) {
  try {
    f();
    ADD_FAILURE() << op << " did not throw";
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("[" + op + "]", 0), 0u) << m;
    for (auto& p : parts) EXPECT_NE(m.find(p), std::string::npos) << m << " lacks " << p;
  }
}

// Tolerances by dtype for results computed in that dtype.
inline double rtol_for(Dtype t) {
  if (t == float16) return 2e-3;
  if (t == bfloat16) return 1.6e-2;
  if (t == float32 || t == complex64) return 2e-6;
  if (t == float64) return 1e-12;
  return 0;
}

// Every integer dtype, and every real floating dtype.
inline const std::vector<Dtype> kIntTypes = {uint8, uint16, uint32, uint64,
                                             int8,  int16,  int32,  int64};
inline const std::vector<Dtype> kFloatTypes = {float16, float32, float64, bfloat16};

// v rounded to dtype t (through t's storage type), back in double.
inline double round_to(Dtype t, double v) {
  return dispatch_dtype(t, [&](auto tag) -> double {
    using T = typename decltype(tag)::type;
    return convert_value<double>(convert_value<T>(v));
  });
}

// The bits u wrapped to the integer dtype t (two's complement), as double.
inline double wrap_to(Dtype t, uint64_t u) {
  int bits = static_cast<int>(t.size() * 8);
  if (bits < 64) u &= (uint64_t(1) << bits) - 1;
  if (is_unsigned(t)) return static_cast<double>(u);
  if (bits < 64 && ((u >> (bits - 1)) & 1)) u |= ~((uint64_t(1) << bits) - 1);
  return static_cast<double>(static_cast<int64_t>(u));
}

}  // namespace tandem::test
