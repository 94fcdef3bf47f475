#include <gtest/gtest.h>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;

TEST(Smoke, AddExp) {
  array a({1.0f, 2.0f, 3.0f});
  array b = exp(a) + array(1.0f);
  auto v = b.to_vector<float>();
  EXPECT_NEAR(v[0], std::exp(1.0f) + 1, 1e-5);
  EXPECT_NEAR(v[2], std::exp(3.0f) + 1, 1e-4);
}

TEST(Smoke, StridedViewHelper) {
  array a = test::random_array({7}, float32);
  array v = test::strided_view(a);
  v.eval();
  EXPECT_FALSE(v.flags().contiguous);
  EXPECT_EQ(a.to_vector<float>(), v.to_vector<float>());
  array m = test::random_array({3, 5}, int32);
  array mv = test::strided_view(m);
  mv.eval();
  EXPECT_FALSE(mv.flags().row_contiguous);
  EXPECT_EQ(m.to_vector<int>(), mv.to_vector<int>());
}
