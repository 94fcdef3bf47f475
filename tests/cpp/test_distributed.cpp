// tandem::distributed for one process: the singleton group, collectives
// that return their input's values, and the errors of point-to-point calls.
#include <gtest/gtest.h>

#include <stdexcept>

#include "tandem/distributed.h"
#include "test_utils.h"

using namespace tandem;
namespace d = tandem::distributed;

TEST(Distributed, SingletonGroupAndCollectives) {
  EXPECT_FALSE(d::is_available());
  d::Group g = d::init();
  EXPECT_EQ(g.rank(), 0);
  EXPECT_EQ(g.size(), 1);
  for (Dtype t : {float32, float16, int32, bool_}) {
    array x = test::random_array({3, 4}, t);
    for (auto f : {&d::all_sum, &d::all_max, &d::all_min, &d::all_gather, &d::sum_scatter}) {
      array y = f(transpose(x, {1, 0}), g, {});
      ASSERT_EQ(y.shape(), (Shape{4, 3}));
      EXPECT_EQ(test::to_double(y), test::to_double(transpose(x, {1, 0}))) << dtype_name(t);
    }
  }
}

TEST(Distributed, ErrorsNameTheCall) {
  d::Group g = d::init();
  array x = test::random_array({2}, float32);
  EXPECT_THROW(d::send(x, 1, g), std::invalid_argument);
  EXPECT_THROW(d::recv({2}, float32, 0), std::invalid_argument);
  EXPECT_THROW(d::recv_like(x, 0), std::invalid_argument);
  EXPECT_THROW(d::init(true), std::runtime_error);
  EXPECT_THROW(d::init(false, "gloo"), std::invalid_argument);
  EXPECT_THROW(g.split(0), std::runtime_error);
  try {
    d::send(x, 3);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[distributed.send]"), std::string::npos) << e.what();
  }
}
