// Highway compiles this file once per x86 target; HWY_DYNAMIC_DISPATCH picks
// one at run time (see simd_math.cpp).
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_AVX3_DL)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tandem/backend/cpu/narrow_gemm.cpp"
#include "tandem/backend/cpu/narrow_gemm.h"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>

#include "tandem/backend/cpu/parallel.h"

HWY_BEFORE_NAMESPACE();
namespace tandem::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Rows [r0, r1) with N known at compile time, so the N accumulators stay in
// registers while one pass over each row of A feeds all of them.
template <int N, typename T>
void rows(int64_t r0, int64_t r1, int64_t K, T alpha, const T* A, int64_t lda, const T* BT, T beta,
          T* C, int64_t ldc) {
  const hn::ScalableTag<T> d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t i = r0; i < r1; ++i) {
    const T* a = A + i * lda;
    hn::Vec<decltype(d)> acc[N];
    for (int j = 0; j < N; ++j) acc[j] = hn::Zero(d);
    int64_t k = 0;
    for (; k + L <= K; k += L) {
      const auto av = hn::LoadU(d, a + k);
      for (int j = 0; j < N; ++j) acc[j] = hn::MulAdd(av, hn::LoadU(d, BT + j * K + k), acc[j]);
    }
    for (int j = 0; j < N; ++j) {
      T s = hn::GetLane(hn::SumOfLanes(d, acc[j]));
      for (int64_t t = k; t < K; ++t) s += a[t] * BT[j * K + t];
      T* c = C + i * ldc + j;
      *c = beta != T(0) ? alpha * s + beta * *c : alpha * s;
    }
  }
}

template <typename T>
void Narrow(int64_t r0, int64_t r1, int N, int64_t K, T alpha, const T* A, int64_t lda, const T* BT,
            T beta, T* C, int64_t ldc) {
  switch (N) {
#define TANDEM_NARROW_CASE(n) \
  case n:                     \
    return rows<n>(r0, r1, K, alpha, A, lda, BT, beta, C, ldc);
    TANDEM_NARROW_CASE(1)
    TANDEM_NARROW_CASE(2)
    TANDEM_NARROW_CASE(3)
    TANDEM_NARROW_CASE(4)
    TANDEM_NARROW_CASE(5)
    TANDEM_NARROW_CASE(6)
    TANDEM_NARROW_CASE(7)
    TANDEM_NARROW_CASE(8)
#undef TANDEM_NARROW_CASE
    default:
      break;
  }
}

void NarrowF32(int64_t r0, int64_t r1, int N, int64_t K, float alpha, const float* A, int64_t lda,
               const float* BT, float beta, float* C, int64_t ldc) {
  Narrow(r0, r1, N, K, alpha, A, lda, BT, beta, C, ldc);
}
void NarrowF64(int64_t r0, int64_t r1, int N, int64_t K, double alpha, const double* A, int64_t lda,
               const double* BT, double beta, double* C, int64_t ldc) {
  Narrow(r0, r1, N, K, alpha, A, lda, BT, beta, C, ldc);
}

}  // namespace tandem::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tandem::cpu {
HWY_EXPORT(NarrowF32);
HWY_EXPORT(NarrowF64);

namespace {
template <typename T, typename F>
void split_rows(int64_t M, int N, int64_t K, F run) {
  // Each chunk of rows reads about kParallelGrain elements of A and B.
  size_t per_row = static_cast<size_t>(std::max<int64_t>(1, K * (N + 1)));
  size_t grain = std::max<size_t>(1, kParallelGrain / per_row);
  parallel_for(static_cast<size_t>(M), grain,
               [&](size_t b, size_t e) { run(static_cast<int64_t>(b), static_cast<int64_t>(e)); });
}
}  // namespace

void narrow_gemm(int64_t M, int N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* BT, float beta, float* C, int64_t ldc) {
  split_rows<float>(M, N, K, [&](int64_t r0, int64_t r1) {
    HWY_DYNAMIC_DISPATCH(NarrowF32)(r0, r1, N, K, alpha, A, lda, BT, beta, C, ldc);
  });
}

void narrow_gemm(int64_t M, int N, int64_t K, double alpha, const double* A, int64_t lda,
                 const double* BT, double beta, double* C, int64_t ldc) {
  split_rows<double>(M, N, K, [&](int64_t r0, int64_t r1) {
    HWY_DYNAMIC_DISPATCH(NarrowF64)(r0, r1, N, K, alpha, A, lda, BT, beta, C, ldc);
  });
}

}  // namespace tandem::cpu
#endif
