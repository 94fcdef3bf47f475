// Printing: MLX's repr format, checked against strings written out here.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;

namespace {
std::string str(const array& a) {
  std::ostringstream os;
  os << a;
  return os.str();
}
array iota(Shape s, Dtype t = int32) {
  return reshape(arange(0.0, double(shape_size(s)), 1.0, t), s);
}
}  // namespace

TEST(Printing, Scalars) {
  EXPECT_EQ(str(array(1.5f)), "array(1.5, dtype=float32)");
  EXPECT_EQ(str(array(3)), "array(3, dtype=int32)");
  EXPECT_EQ(str(array(true)), "array(True, dtype=bool)");
  EXPECT_EQ(str(array(false)), "array(False, dtype=bool)");
  EXPECT_EQ(str(array(0.1, float64)), "array(0.1, dtype=float64)");
  EXPECT_EQ(str(array(1.0 / 3.0, float64)), "array(0.333333, dtype=float64)");
  EXPECT_EQ(str(array(complex64_t(1, -2))), "array(1-2j, dtype=complex64)");
  EXPECT_EQ(str(array(int8_t(-128))), "array(-128, dtype=int8)");
  EXPECT_EQ(str(array(uint8_t(255))), "array(255, dtype=uint8)");
  EXPECT_EQ(str(array(UINT64_MAX)), "array(18446744073709551615, dtype=uint64)");
  EXPECT_EQ(str(array(INT64_MIN)), "array(-9223372036854775808, dtype=int64)");
  EXPECT_EQ(str(array(float16_t(0.1f))), "array(0.0999756, dtype=float16)");
  EXPECT_EQ(str(array(bfloat16_t(1.5f))), "array(1.5, dtype=bfloat16)");
}

TEST(Printing, Vectors) {
  EXPECT_EQ(str(array({1, 2, 3})), "array([1, 2, 3], dtype=int32)");
  EXPECT_EQ(str(array({1.0f, 2.5f, -0.125f, 1e6f, 1e-7f, 123456789.0f})),
            "array([1, 2.5, -0.125, 1e+06, 1e-07, 1.23457e+08], dtype=float32)");
  EXPECT_EQ(str(array({NAN, INFINITY, -INFINITY, -0.0f})),
            "array([nan, inf, -inf, -0], dtype=float32)");
  EXPECT_EQ(str(array({true, false})), "array([True, False], dtype=bool)");
  EXPECT_EQ(str(array({complex64_t(1, 2), complex64_t(-3, -4.5f), complex64_t(0, -0.0f)})),
            "array([1+2j, -3-4.5j, 0-0j], dtype=complex64)");
  EXPECT_EQ(str(array({uint8_t(0), uint8_t(255)})), "array([0, 255], dtype=uint8)");
  EXPECT_EQ(str(astype(array({1, 2}), float16)), "array([1, 2], dtype=float16)");
  // Six entries print in full; seven or more are summarised.
  EXPECT_EQ(str(arange(6)), "array([0, 1, 2, 3, 4, 5], dtype=int32)");
  EXPECT_EQ(str(arange(7)), "array([0, 1, 2, ..., 4, 5, 6], dtype=int32)");
  EXPECT_EQ(str(arange(100000)), "array([0, 1, 2, ..., 99997, 99998, 99999], dtype=int32)");
}

TEST(Printing, Matrices) {
  EXPECT_EQ(str(iota({2, 2})), "array([[0, 1],\n       [2, 3]], dtype=int32)");
  EXPECT_EQ(str(iota({2, 2, 2})),
            "array([[[0, 1],\n        [2, 3]],\n       [[4, 5],\n        [6, 7]]], dtype=int32)");
  EXPECT_EQ(str(iota({7, 2})),
            "array([[0, 1],\n       [2, 3],\n       [4, 5],\n       ...,\n       [8, 9],\n"
            "       [10, 11],\n       [12, 13]], dtype=int32)");
  EXPECT_EQ(str(iota({2, 8})),
            "array([[0, 1, 2, ..., 5, 6, 7],\n       [8, 9, 10, ..., 13, 14, 15]], dtype=int32)");
  EXPECT_EQ(str(iota({1, 1, 1})), "array([[[0]]], dtype=int32)");
  // Views print their logical order.
  EXPECT_EQ(str(transpose(iota({2, 3}))),
            "array([[0, 3],\n       [1, 4],\n       [2, 5]], dtype=int32)");
  EXPECT_EQ(str(slice(arange(5), {4}, {-6}, {-2})), "array([4, 2, 0], dtype=int32)");
  EXPECT_EQ(str(broadcast_to(array({1.5f, 2.0f}), {2, 2})),
            "array([[1.5, 2],\n       [1.5, 2]], dtype=float32)");
  // Lazy input.
  EXPECT_EQ(str(add(array({1, 2}), array(1))), "array([2, 3], dtype=int32)");
}

TEST(Printing, Empty) {
  EXPECT_EQ(str(zeros({0})), "array([], dtype=float32)");
  EXPECT_EQ(str(zeros({0, 3})), "array([], dtype=float32)");
  EXPECT_EQ(str(zeros({2, 0}, int32)), "array([[],\n       []], dtype=int32)");
}
