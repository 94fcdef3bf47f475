// The run-time dispatched CPU kernels (sort_keys, simd_reduce) on every
// Highway target this processor has, not just the best one: each is forced
// in turn and checked against scalar references.
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "tandem/backend/cpu/reduce_common.h"
#include "tandem/backend/cpu/simd_reduce.h"
#include "tandem/backend/cpu/sort_keys.h"

namespace {

using namespace tandem::cpu;

// Runs f once per available target, each forced; restores the default after.
template <typename F>
void for_each_target(F&& f) {
  std::vector<int64_t> targets;
  for (int64_t t = hwy::SupportedTargets(); t != 0; t &= t - 1) targets.push_back(t & ~(t - 1));
  for (int64_t t : targets) {
    hwy::SetSupportedTargetsForTest(t);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    SCOPED_TRACE(hwy::TargetName(t));
    f();
  }
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

template <typename U>
void check_select(std::mt19937_64& g, size_t n, U range) {
  std::vector<U> k(n);
  for (auto& x : k) x = static_cast<U>(g() % range) << (sizeof(U) * 8 - 16);  // ties, shared bytes
  for (size_t kth : {size_t(0), n / 3, n - 1}) {
    std::vector<U> got = k, ref = k;
    keys::select(got.data(), n, kth);
    std::nth_element(ref.begin(), ref.begin() + kth, ref.end());
    ASSERT_EQ(got[kth], ref[kth]);
    for (size_t i = 0; i < n; ++i) ASSERT_TRUE(i <= kth ? got[i] <= got[kth] : got[i] >= got[kth]);
    std::sort(got.begin(), got.end());
    std::sort(ref.begin(), ref.end());
    ASSERT_EQ(got, ref);
  }
  std::vector<U> got = k, ref = k;
  keys::sort(got.data(), n);
  std::sort(ref.begin(), ref.end());
  ASSERT_EQ(got, ref);
}

TEST(CpuSimdTargets, SelectAndSortKeys) {
  for_each_target([] {
    std::mt19937_64 g(7);
    for (size_t n : {size_t(100), size_t(5000), size_t(70001)}) {
      check_select<uint32_t>(g, n, 1000);
      check_select<uint32_t>(g, n, 3);
      check_select<uint64_t>(g, n, 1000);
      check_select<uint16_t>(g, n, 60000);
    }
  });
}

template <typename T>
void check_extreme(std::mt19937_64& g, size_t n, bool is_max) {
  std::normal_distribution<T> d;
  std::vector<T> v(n);
  for (auto& x : v) x = d(g);
  for (size_t i = 0; i < n; i += 37) v[i] = T(0) * (g() & 1 ? -1 : 1);  // signed zeros
  for (size_t i = 5; i < n; i += 501) v[i] = std::numeric_limits<T>::quiet_NaN();
  T init = is_max ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  T got[8], ref[8];
  std::fill(got, got + 8, init);
  std::fill(ref, ref + 8, init);
  simd::extreme_lanes8(v.data(), n, is_max, got);
  for (size_t i = 0; i < n / 8 * 8; ++i) {
    T x = v[i], &a = ref[i % 8];
    bool better = is_max ? x > a : x < a;
    if (better || x != x) a = x;
  }
  ASSERT_EQ(std::memcmp(got, ref, sizeof got), 0);
}

TEST(CpuSimdTargets, ExtremeLanesAndHalfToFloat) {
  for_each_target([] {
    std::mt19937_64 g(11);
    for (size_t n : {size_t(8), size_t(40), size_t(1000), size_t(4099)}) {
      for (bool is_max : {true, false}) {
        check_extreme<float>(g, n, is_max);
        check_extreme<double>(g, n, is_max);
      }
    }
    std::vector<uint16_t> h(65536);
    for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint16_t>(i);
    std::vector<float> got(h.size());
    simd::half_to_float(h.data(), got.data(), h.size());
    for (size_t i = 0; i < h.size(); ++i) {
      float ref = red::half_to_float(h[i]);
      ASSERT_EQ(std::memcmp(&got[i], &ref, 4), 0) << i;
    }
  });
}

}  // namespace
