// linalg through the C++ API: reconstructions (A A^-1 = I, Q R = A,
// U S Vt = A, L L^T = A, A V = V diag(w), L[P] U = A) over float32 and
// float64, batched and transposed inputs; validation messages; the refusal of
// GPU streams; one vjp against its closed form. The Python tests compare
// every routine with NumPy.
#include <gtest/gtest.h>

#include <cmath>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;
using namespace tandem::test;

namespace {

const Device C = Device::cpu;

// Well conditioned: I * n + values in [-1, 1] (diagonally dominant).
array dominant(Shape shape, Dtype t) {
  int m = shape[shape.size() - 2], n = shape.back();
  array d = multiply(eye(m, n, 0, t, C), array(double(n), t), C);
  array a = add(random_array(shape, t, -1.0, 1.0), d, C);
  a.eval();
  return a;
}

array spd(Shape shape, Dtype t) {
  array a = dominant(shape, t);
  return add(matmul(a, swapaxes(a, -1, -2, C), C), eye(shape.back(), shape.back(), 0, t, C), C);
}

double tol(Dtype t) {
  return t == float64 ? 1e-10 : 2e-4;
}

void expect_near_arrays(const array& got, const array& want, Dtype t, const std::string& what) {
  auto g = to_double(got), w = to_double(broadcast_to(want, got.shape(), C));
  double scale = 1;
  for (double x : w) scale = std::max(scale, std::fabs(x));
  expect_close(g, w, 0, tol(t) * scale, what);
}

class Linalg : public ::testing::TestWithParam<Dtype> {};

TEST_P(Linalg, InverseAndSolve) {
  Dtype t = GetParam();
  for (bool transposed : {false, true}) {
    array a = dominant({3, 4, 4}, t);
    if (transposed) a = strided_view(a);
    array ai = linalg::inv(a, C);
    expect_near_arrays(matmul(a, ai, C), eye(4, 4, 0, t, C), t, "A A^-1");
    array b = random_array({3, 4, 2}, t);
    expect_near_arrays(matmul(a, linalg::solve(a, b, C), C), b, t, "A solve(A, B)");
    array l = tril(a, 0, C);
    expect_near_arrays(matmul(l, linalg::tri_inv(a, false, C), C), eye(4, 4, 0, t, C), t,
                       "L tri_inv(L)");
  }
}

TEST_P(Linalg, Factorizations) {
  Dtype t = GetParam();
  array a = dominant({2, 5, 3}, t);
  auto [q, r] = linalg::qr(a, C);
  EXPECT_EQ(q.shape(), (Shape{2, 5, 3}));
  EXPECT_EQ(r.shape(), (Shape{2, 3, 3}));
  expect_near_arrays(matmul(q, r, C), a, t, "Q R");

  auto usv = linalg::svd(a, true, C);
  EXPECT_EQ(usv[0].shape(), (Shape{2, 5, 5}));
  EXPECT_EQ(usv[1].shape(), (Shape{2, 3}));
  array u3 = slice(usv[0], {0, 0, 0}, {2, 5, 3}, C);
  expect_near_arrays(matmul(multiply(u3, expand_dims(usv[1], -2, C), C), usv[2], C), a, t,
                     "U S Vt");

  array s = spd({3, 4, 4}, t);
  array l = linalg::cholesky(s, false, C);
  expect_near_arrays(matmul(l, swapaxes(l, -1, -2, C), C), s, t, "L L^T");
  expect_near_arrays(matmul(s, linalg::cholesky_inv(l, false, C), C), eye(4, 4, 0, t, C), t,
                     "A cholesky_inv(L)");

  auto [w, v] = linalg::eigh(s, "L", C);
  expect_near_arrays(matmul(s, v, C), multiply(v, expand_dims(w, -2, C), C), t, "A V = V w");

  auto plu = linalg::lu(a, C);
  EXPECT_EQ(plu[0].dtype(), uint32);
  array rows =
      take_along_axis(plu[1], broadcast_to(expand_dims(plu[0], -1, C), {2, 5, 3}, C), -2, C);
  expect_near_arrays(matmul(rows, plu[2], C), a, t, "L[P] U");
}

TEST_P(Linalg, Determinant) {
  Dtype t = GetParam();
  array a = array({2.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 4.0}, {3, 3}, t);
  EXPECT_NEAR(linalg::det(a, C).item<double>(), 18.0, 1e-4);
  auto [sgn, logabs] = linalg::slogdet(negative(a, C), C);
  EXPECT_EQ(sgn.item<double>(), -1.0);
  EXPECT_NEAR(logabs.item<double>(), std::log(18.0), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, Linalg, ::testing::Values(float32, float64));

TEST(LinalgErrors, Validation) {
  expect_invalid([] { linalg::inv(ones({3}), C); }, "linalg::inv", {">= 2 dimensions"});
  expect_invalid([] { linalg::inv(ones({2, 3}), C); }, "linalg::inv", {"square", "(2, 3)"});
  expect_invalid(
      [] {
        linalg::cholesky(ones({3, 3}, int32), false, C);
      },
      "linalg::cholesky", {"float32 or float64", "int32"});
  expect_invalid(
      [] {
        linalg::svd(ones({3, 3}, float16), true, C);
      },
      "linalg::svd", {"complex64", "float16"});
  expect_invalid([] { linalg::solve(eye(3), ones({4}), C); }, "linalg::solve", {"must match"});
  expect_invalid([] { linalg::eigh(eye(3), "Q", C); }, "linalg::eigh", {"UPLO"});
}

TEST(LinalgErrors, SingularInverseFailsAtEval) {
  array s = array({1.0, 2.0, 2.0, 4.0}, {2, 2}, float32);
  array x = linalg::inv(s, C);
  EXPECT_THROW(x.eval(), std::runtime_error);
  // The stream reports the failed task to the next synchronize as well.
  EXPECT_THROW(synchronize(default_stream(C)), std::runtime_error);
  EXPECT_EQ(linalg::det(s, C).item<float>(), 0.0f);
}

TEST(LinalgErrors, GpuStreamsRefused) {
  if (!is_available(Device::gpu)) GTEST_SKIP() << "no GPU";
  expect_invalid([] { linalg::qr(eye(3), Device::gpu); }, "linalg::qr", {"stream=mx.cpu"});
  expect_invalid([] { linalg::svd(eye(3), true, Device::gpu); }, "linalg::svd", {"stream=mx.cpu"});
}

TEST(LinalgTransforms, InverseVjp) {
  // d/dA sum(G o A^-1) = -A^-T G A^-T.
  array a = dominant({3, 3}, float64);
  array g = random_array({3, 3}, float64);
  auto [outs, grads] =
      vjp([](const std::vector<array>& x) { return std::vector<array>{linalg::inv(x[0], C)}; }, {a},
          {g});
  array ait = swapaxes(linalg::inv(a, C), -1, -2, C);
  expect_near_arrays(grads[0], negative(matmul(matmul(ait, g, C), ait, C), C), float64,
                     "inverse vjp");
}

}  // namespace
