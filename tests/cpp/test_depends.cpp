// depends: the outputs equal the inputs, and evaluating them evaluates the
// dependencies (which nothing else references) too, on any stream.
#include <gtest/gtest.h>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;
using namespace tandem::test;

TEST(Depends, EvaluatingOutputsEvaluatesDependencies) {
  auto vals = random_values(6, float32);
  array x = make_array(vals, {2, 3}, float32);
  Stream side = new_stream(Device::cpu);
  array dep = exp(add(x, array(1.0f), side), side);
  auto outs = depends({x, multiply(x, array(2.0f))}, {dep});
  ASSERT_EQ(outs.size(), 2u);
  eval(outs);
  EXPECT_EQ(dep.status(), array::Status::available);
  expect_close(to_double(outs[0]), to_double(x), 0, 0, "depends output 0");
  std::vector<double> twice;
  for (double v : to_double(x)) twice.push_back(2 * v);
  expect_close(to_double(outs[1]), twice, 0, 0, "depends output 1");
}

TEST(Depends, NoDependenciesReturnsInputsAndEmptyInputsThrow) {
  array x = ones({2});
  auto outs = depends({x}, {});
  EXPECT_EQ(outs[0].id(), x.id());
  expect_invalid([] { depends({}, {ones({1})}); }, "depends");
}
