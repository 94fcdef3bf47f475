// Shape ops: values against index arithmetic done here, views share the input
// buffer, errors name the op and the shapes.
#include <gtest/gtest.h>

#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;

namespace {

using test::expect_invalid;

std::string dname(Dtype t) {
  return dtype_name(t);
}

// Row-major values 0..n-1 as the given dtype (small enough to be exact).
array iota(Shape s, Dtype t = float32) {
  std::vector<double> v(shape_size(s));
  std::iota(v.begin(), v.end(), 0.0);
  array a = test::make_array(v, s, t);
  a.eval();
  return a;
}

// Value at multi-index idx of a row-major array of shape s holding 0..n-1.
double at(const Shape& s, const std::vector<int64_t>& idx) {
  int64_t off = 0;
  for (size_t d = 0; d < s.size(); ++d) off = off * s[d] + idx[d];
  return static_cast<double>(off);
}

// Calls f(idx) for every multi-index of shape s in row-major order.
void for_each_index(const Shape& s, const std::function<void(const std::vector<int64_t>&)>& f) {
  size_t n = shape_size(s);
  std::vector<int64_t> idx(s.size(), 0);
  for (size_t i = 0; i < n; ++i) {
    f(idx);
    for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
      if (++idx[d] < s[d]) break;
      idx[d] = 0;
    }
  }
}

bool shares_buffer(array a, array b) {
  a.eval();
  b.eval();
  return a.buffer() && a.buffer() == b.buffer();
}

// Python's slice(start, stop, step).indices(n), as the list of indices.
std::vector<int64_t> py_slice(int64_t start, int64_t stop, int64_t step, int64_t n) {
  int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? n : n - 1;
  auto fix = [&](int64_t v) {
    if (v < 0) {
      v += n;
      if (v < lower) v = lower;
    } else if (v > upper) {
      v = upper;
    }
    return v;
  };
  start = fix(start);
  stop = fix(stop);
  std::vector<int64_t> out;
  if (step > 0) {
    for (int64_t i = start; i < stop; i += step) out.push_back(i);
  } else {
    for (int64_t i = start; i > stop; i += step) out.push_back(i);
  }
  return out;
}

}  // namespace

TEST(Shape, ReshapeValuesViewsAndInference) {
  array a = iota({2, 3, 4});
  array r = reshape(a, {4, -1});
  EXPECT_EQ(r.shape(), (Shape{4, 6}));
  EXPECT_TRUE(shares_buffer(r, a));
  EXPECT_EQ(r.to_vector<double>(), a.to_vector<double>());
  EXPECT_EQ(reshape(a, {-1}).shape(), (Shape{24}));
  EXPECT_EQ(reshape(a, {2, -1, 2}).shape(), (Shape{2, 6, 2}));
  // 0-d and size-1.
  array s = reshape(array(5.0f), {1, 1});
  EXPECT_EQ(s.shape(), (Shape{1, 1}));
  EXPECT_EQ(reshape(s, {}).item<float>(), 5.0f);
  // Empty.
  array e = zeros({0, 3});
  EXPECT_EQ(reshape(e, {3, 0, 2}).shape(), (Shape{3, 0, 2}));
  expect_invalid([&] { reshape(e, {0, -1, 3}); }, "reshape");  // ambiguous, like NumPy
  // A transposed input is copied in its logical row-major order.
  array t = transpose(a, {2, 0, 1});
  auto tv = t.to_vector<double>();
  array rt = reshape(t, {24});
  EXPECT_EQ(rt.to_vector<double>(), tv);
  EXPECT_TRUE(rt.flags().row_contiguous);
  // Splitting or inserting dims of a strided view needs no copy.
  array t2 = transpose(a, {1, 0, 2});  // (3, 2, 4)
  array r2 = reshape(t2, {3, 2, 2, 1, 2});
  EXPECT_TRUE(shares_buffer(r2, a));
  EXPECT_EQ(r2.to_vector<double>(), t2.to_vector<double>());
  array r3 = reshape(t2, {1, 3, 8});  // merges dims 1 and 2: a copy
  EXPECT_EQ(r3.to_vector<double>(), t2.to_vector<double>());
  EXPECT_EQ(reshape(t2, {3, 2, 4, 1}).to_vector<double>(), t2.to_vector<double>());
  EXPECT_TRUE(shares_buffer(reshape(t2, {1, 3, 1, 2, 4}), a));
  // Reversed and broadcast inputs.
  array rev = slice(iota({6}), {5}, {-7}, {-1});
  array rr = reshape(rev, {2, 3});
  EXPECT_EQ(rr.to_vector<double>(), (std::vector<double>{5, 4, 3, 2, 1, 0}));
  EXPECT_TRUE(shares_buffer(rr, rev));
  EXPECT_EQ(add(rr, zeros({2, 3})).to_vector<double>(), (std::vector<double>{5, 4, 3, 2, 1, 0}));
  array b = broadcast_to(iota({3}), {2, 3});
  EXPECT_EQ(reshape(b, {3, 2}).to_vector<double>(), (std::vector<double>{0, 1, 2, 0, 1, 2}));
  array b2 = broadcast_to(iota({1, 3}), {4, 3});
  EXPECT_EQ(reshape(b2, {2, 2, 3}).to_vector<double>(),
            (std::vector<double>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}));
  EXPECT_TRUE(shares_buffer(reshape(b2, {2, 2, 3}), b2));
  // Every dtype keeps its bits.
  for (Dtype dt : all_dtypes) {
    array x = test::random_array({3, 4}, dt);
    array y = reshape(transpose(x), {12});
    EXPECT_EQ(y.dtype(), dt);
    EXPECT_EQ(y.to_vector<double>(), transpose(x).to_vector<double>()) << dname(dt);
  }
  // Large strided reshape (threaded copy).
  array big = test::random_array({700, 500}, float32);
  EXPECT_EQ(reshape(transpose(big), {-1}).to_vector<float>(), transpose(big).to_vector<float>());
}

TEST(Shape, ReshapeErrors) {
  array a = zeros({2, 3});
  expect_invalid([&] { reshape(a, {4, 2}); }, "reshape", {"(2, 3)", "(4, 2)"});
  expect_invalid([&] { reshape(a, {-1, -1}); }, "reshape", {"(-1, -1)"});
  expect_invalid([&] { reshape(a, {4, -1}); }, "reshape", {"(2, 3)"});
  expect_invalid([&] { reshape(a, {-2, 3}); }, "reshape", {"-2"});
  expect_invalid([&] { reshape(zeros({0, 3}), {-1, 0}); }, "reshape");
}

TEST(Shape, FlattenUnflatten) {
  array a = iota({2, 3, 4, 5});
  EXPECT_EQ(flatten(a).shape(), (Shape{120}));
  EXPECT_EQ(flatten(a, 1, 2).shape(), (Shape{2, 12, 5}));
  EXPECT_EQ(flatten(a, -2, -1).shape(), (Shape{2, 3, 20}));
  EXPECT_EQ(flatten(a, 2, 2).shape(), (Shape{2, 3, 4, 5}));
  EXPECT_EQ(flatten(a, 1, 2).to_vector<double>(), a.to_vector<double>());
  EXPECT_EQ(flatten(array(3)).shape(), (Shape{1}));
  EXPECT_TRUE(shares_buffer(flatten(a), a));
  expect_invalid([&] { flatten(a, 2, 1); }, "flatten", {"(2, 3, 4, 5)"});
  expect_invalid([&] { flatten(a, 0, 4); }, "flatten", {"(2, 3, 4, 5)"});

  array u = unflatten(iota({6, 5}), 0, {2, -1});
  EXPECT_EQ(u.shape(), (Shape{2, 3, 5}));
  EXPECT_EQ(unflatten(iota({6, 5}), -1, {5, 1}).shape(), (Shape{6, 5, 1}));
  EXPECT_EQ(u.to_vector<double>(), iota({30}).to_vector<double>());
  expect_invalid([&] { unflatten(iota({6, 5}), 0, {4, -1}); }, "unflatten", {"6"});
  expect_invalid([&] { unflatten(iota({6, 5}), 0, {4, 2}); }, "unflatten", {"6"});
  expect_invalid([&] { unflatten(iota({6, 5}), 2, {1}); }, "unflatten", {"(6, 5)"});
  expect_invalid([&] { unflatten(iota({6, 5}), 0, {-2, -3}); }, "unflatten");
  expect_invalid([&] { unflatten(iota({6, 5}), 0, {-1, -1}); }, "unflatten");
}

TEST(Shape, SqueezeExpandDims) {
  array a = iota({1, 3, 1, 2});
  EXPECT_EQ(squeeze(a).shape(), (Shape{3, 2}));
  EXPECT_EQ(squeeze(a, 0).shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(squeeze(a, -2).shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(squeeze(a, std::vector<int>{0, 2}).shape(), (Shape{3, 2}));
  EXPECT_EQ(squeeze(a).to_vector<double>(), a.to_vector<double>());
  EXPECT_TRUE(shares_buffer(squeeze(a), a));
  EXPECT_EQ(squeeze(array(1.0f)).shape(), Shape{});
  expect_invalid([&] { squeeze(a, 1); }, "squeeze", {"(1, 3, 1, 2)"});
  expect_invalid([&] { squeeze(a, 4); }, "squeeze", {"4", "(1, 3, 1, 2)"});
  expect_invalid([&] { squeeze(a, std::vector<int>{0, -4}); }, "squeeze", {"repeated"});

  array b = iota({3, 2});
  EXPECT_EQ(expand_dims(b, 0).shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(expand_dims(b, -1).shape(), (Shape{3, 2, 1}));
  EXPECT_EQ(expand_dims(b, std::vector<int>{0, 2, -1}).shape(), (Shape{1, 3, 1, 2, 1}));
  EXPECT_EQ(expand_dims(b, std::vector<int>{1, 2}).shape(), (Shape{3, 1, 1, 2}));
  EXPECT_EQ(expand_dims(array(2), 0).shape(), (Shape{1}));
  EXPECT_TRUE(shares_buffer(expand_dims(b, 1), b));
  EXPECT_EQ(expand_dims(b, 1).to_vector<double>(), b.to_vector<double>());
  expect_invalid([&] { expand_dims(b, 3); }, "expand_dims", {"(3, 2)"});
  expect_invalid([&] { expand_dims(b, std::vector<int>{0, 0}); }, "expand_dims", {"(3, 2)"});
  // On a strided input, values follow the logical order.
  array t = transpose(iota({2, 3}));
  EXPECT_EQ(expand_dims(t, 1).to_vector<double>(), t.to_vector<double>());
}

TEST(Shape, TransposeAllPermutations) {
  Shape s{2, 3, 4};
  array a = iota(s);
  std::vector<int> perm = {0, 1, 2};
  do {
    array t = transpose(a, perm);
    Shape ts;
    for (int p : perm) ts.push_back(s[p]);
    EXPECT_EQ(t.shape(), ts);
    std::vector<double> want;
    for_each_index(ts, [&](const std::vector<int64_t>& idx) {
      std::vector<int64_t> src(3);
      for (int d = 0; d < 3; ++d) src[perm[d]] = idx[d];
      want.push_back(at(s, src));
    });
    EXPECT_EQ(t.to_vector<double>(), want);
    EXPECT_TRUE(shares_buffer(t, a));
    // Ops on the transposed view read it correctly.
    auto got = add(t, array(1.0f)).to_vector<double>();
    for (auto& w : want) w += 1;
    EXPECT_EQ(got, want);
  } while (std::next_permutation(perm.begin(), perm.end()));
  EXPECT_EQ(transpose(a, {-1, 0, -2}).shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(transpose(a).shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(transpose(array(1)).shape(), Shape{});
  expect_invalid([&] { transpose(a, {0, 1}); }, "transpose", {"(2, 3, 4)"});
  expect_invalid([&] { transpose(a, {0, 1, 1}); }, "transpose", {"(2, 3, 4)"});
  expect_invalid([&] { transpose(a, {0, 1, 3}); }, "transpose", {"(2, 3, 4)"});
}

TEST(Shape, MoveaxisSwapaxesMatrixTranspose) {
  Shape s{2, 3, 4, 5};
  array a = iota(s);
  EXPECT_EQ(moveaxis(a, 0, -1).shape(), (Shape{3, 4, 5, 2}));
  EXPECT_EQ(moveaxis(a, -1, 1).shape(), (Shape{2, 5, 3, 4}));
  EXPECT_EQ(moveaxis(a, 2, 2).shape(), s);
  EXPECT_EQ(moveaxis(a, 0, -1).to_vector<double>(), transpose(a, {1, 2, 3, 0}).to_vector<double>());
  EXPECT_EQ(swapaxes(a, 1, 3).shape(), (Shape{2, 5, 4, 3}));
  EXPECT_EQ(swapaxes(a, 1, -1).to_vector<double>(), transpose(a, {0, 3, 2, 1}).to_vector<double>());
  EXPECT_EQ(matrix_transpose(a).shape(), (Shape{2, 3, 5, 4}));
  array m = iota({2, 3});
  EXPECT_EQ(matrix_transpose(m).to_vector<double>(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_TRUE(shares_buffer(swapaxes(a, 0, 2), a));
  expect_invalid([&] { moveaxis(a, 4, 0); }, "moveaxis", {"(2, 3, 4, 5)"});
  expect_invalid([&] { swapaxes(a, 0, -5); }, "swapaxes", {"(2, 3, 4, 5)"});
  expect_invalid([&] { matrix_transpose(iota({3})); }, "matrix_transpose", {"(3,)"});
}

TEST(Shape, BroadcastToAndArrays) {
  array a = iota({3, 1});
  array b = broadcast_to(a, {2, 3, 4});
  EXPECT_EQ(b.shape(), (Shape{2, 3, 4}));
  std::vector<double> want;
  for_each_index({2, 3, 4}, [&](const std::vector<int64_t>& i) { want.push_back(double(i[1])); });
  EXPECT_EQ(b.to_vector<double>(), want);
  EXPECT_TRUE(shares_buffer(b, a));
  b.eval();
  EXPECT_EQ(b.strides(0), 0);
  EXPECT_EQ(b.strides(2), 0);
  EXPECT_EQ(broadcast_to(array(7), {0, 3}).shape(), (Shape{0, 3}));
  EXPECT_EQ(broadcast_to(iota({1, 3}), {0, 3}).size(), 0u);
  // Broadcasting a transposed view.
  array t = transpose(iota({3, 2}));  // (2, 3)
  auto tv = t.to_vector<double>();
  auto bv = broadcast_to(t, {2, 2, 3}).to_vector<double>();
  for (int k = 0; k < 2; ++k) {
    for (int i = 0; i < 6; ++i) EXPECT_EQ(bv[k * 6 + i], tv[i]);
  }
  expect_invalid([&] { broadcast_to(iota({3}), {4}); }, "broadcast_to", {"(3,)", "(4,)"});
  expect_invalid([&] { broadcast_to(iota({2, 3}), {3}); }, "broadcast_to", {"(2, 3)", "(3,)"});
  expect_invalid([&] { broadcast_to(iota({3}), {0}); }, "broadcast_to", {"(3,)", "(0,)"});

  auto arrs = broadcast_arrays({iota({3, 1}), iota({4}), array(1.0f)});
  ASSERT_EQ(arrs.size(), 3u);
  for (auto& x : arrs) EXPECT_EQ(x.shape(), (Shape{3, 4}));
  EXPECT_EQ(arrs[1].to_vector<double>(), (std::vector<double>{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}));
  expect_invalid(
      [&] {
        broadcast_arrays({iota({3}), iota({4})});
      },
      "broadcast_arrays", {"(3,)", "(4,)"});
}

TEST(Shape, SliceMatchesPython) {
  std::mt19937_64 g(3);
  std::uniform_int_distribution<int> pos(-12, 12), stp(-4, 4);
  for (int trial = 0; trial < 400; ++trial) {
    Shape s{7, 5};
    array a = iota(s, trial % 2 ? float32 : int64);
    int st0 = pos(g), sp0 = pos(g), s0 = stp(g), st1 = pos(g), sp1 = pos(g), s1 = stp(g);
    if (s0 == 0) s0 = 1;
    if (s1 == 0) s1 = -1;
    array r = slice(a, {st0, st1}, {sp0, sp1}, {s0, s1});
    auto i0 = py_slice(st0, sp0, s0, 7), i1 = py_slice(st1, sp1, s1, 5);
    std::string what = "slice [" + std::to_string(st0) + ":" + std::to_string(sp0) + ":" +
                       std::to_string(s0) + ", " + std::to_string(st1) + ":" + std::to_string(sp1) +
                       ":" + std::to_string(s1) + "]";
    ASSERT_EQ(r.shape(), (Shape{int(i0.size()), int(i1.size())})) << what;
    std::vector<double> want;
    for (auto x : i0) {
      for (auto y : i1) want.push_back(at(s, {x, y}));
    }
    EXPECT_EQ(r.to_vector<double>(), want) << what;
    if (r.size() > 0) EXPECT_TRUE(shares_buffer(r, a)) << what;
    // Ops on the slice read it right.
    if (r.size() > 0) {
      auto got = multiply(r, array(2.0f)).to_vector<double>();
      for (auto& w : want) w *= 2;
      EXPECT_EQ(got, want) << what;
    }
  }
  // Slice of a slice of a transpose, with negative steps.
  array a = iota({6, 8});
  array t = transpose(a);                            // (8, 6)
  array s1 = slice(t, {7, 0}, {-9, 6}, {-2, 2});     // rows 7,5,3,1; cols 0,2,4
  array s2 = slice(s1, {3, 2}, {-5, -4}, {-1, -1});  // rows 1,3,5,7; cols 4,2,0
  std::vector<double> want;
  for (int r : {1, 3, 5, 7}) {
    for (int c : {4, 2, 0}) want.push_back(at({6, 8}, {c, r}));
  }
  EXPECT_EQ(s2.to_vector<double>(), want);
  EXPECT_EQ(slice(a, {0, 0}, {6, 8}).to_vector<double>(), a.to_vector<double>());
  expect_invalid([&] { slice(a, {0}, {1}, {1}); }, "slice", {"(6, 8)"});
  expect_invalid([&] { slice(a, {0, 0}, {1, 1}, {1, 0}); }, "slice", {"0"});
}

TEST(Shape, AsStrided) {
  array a = iota({10});
  // Sliding windows of 3.
  array w = as_strided(a, {8, 3}, {1, 1});
  std::vector<double> want;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 3; ++j) want.push_back(i + j);
  }
  EXPECT_EQ(w.to_vector<double>(), want);
  EXPECT_TRUE(shares_buffer(w, a));
  EXPECT_EQ(as_strided(a, {3}, {3}, 1).to_vector<double>(), (std::vector<double>{1, 4, 7}));
  EXPECT_EQ(as_strided(a, {2, 2}, {0, 2}, 4).to_vector<double>(),
            (std::vector<double>{4, 6, 4, 6}));
  // Offsets count from the first element of a sliced input.
  array s = slice(a, {2}, {10});
  EXPECT_EQ(as_strided(s, {3}, {1}, 1).to_vector<double>(), (std::vector<double>{3, 4, 5}));
  // A non-contiguous input is read in its logical row-major order.
  array t = transpose(iota({2, 3}));  // logical [0, 3, 1, 4, 2, 5]
  EXPECT_EQ(as_strided(t, {3}, {2}, 0).to_vector<double>(), (std::vector<double>{0, 1, 2}));
  expect_invalid([&] { as_strided(a, {2, 2}, {1}); }, "as_strided", {"(2, 2)"});
  expect_invalid([&] { as_strided(a, {-1}, {1}); }, "as_strided", {"(-1,)"});
}

TEST(Shape, AtLeast) {
  EXPECT_EQ(atleast_1d(array(1)).shape(), (Shape{1}));
  EXPECT_EQ(atleast_1d(iota({2, 3})).shape(), (Shape{2, 3}));
  EXPECT_EQ(atleast_2d(array(1)).shape(), (Shape{1, 1}));
  EXPECT_EQ(atleast_2d(iota({3})).shape(), (Shape{1, 3}));
  EXPECT_EQ(atleast_2d(iota({2, 3, 4})).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(atleast_3d(array(1)).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(atleast_3d(iota({3})).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(atleast_3d(iota({2, 3})).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(atleast_3d(iota({2, 3, 4, 5})).shape(), (Shape{2, 3, 4, 5}));
  EXPECT_EQ(atleast_3d(iota({3})).to_vector<double>(), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(atleast_2d(array(4.5f)).item<float>(), 4.5f);
}

// Views of unevaluated results, and views of views of every dtype.
TEST(Shape, ViewChainsAllDtypes) {
  for (Dtype t : all_dtypes) {
    array a = test::random_array({4, 6}, t);
    auto av = a.to_vector<double>();
    // a^T[::-1, 1::2] broadcast to (2, 6, 2)... built step by step.
    array v = slice(transpose(a), {5, 1}, {-7, 4}, {-1, 2});  // (6, 2)
    array b = broadcast_to(expand_dims(v, 0), {2, 6, 2});
    std::vector<double> want;
    for (int k = 0; k < 2; ++k) {
      for (int r = 5; r >= 0; --r) {
        for (int c : {1, 3}) want.push_back(av[c * 6 + r]);
      }
    }
    EXPECT_EQ(b.to_vector<double>(), want) << dname(t);
    EXPECT_TRUE(shares_buffer(b, a)) << dname(t);
    EXPECT_EQ(contiguous(b).to_vector<double>(), want) << dname(t);
    EXPECT_EQ(reshape(b, {-1}).to_vector<double>(), want) << dname(t);
  }
  // Views of a lazy result.
  array x = exp(iota({3, 4}));
  array y = slice(transpose(x), {0, 0}, {4, 3}, {2, 1});
  auto yv = y.to_vector<double>();
  ASSERT_EQ(yv.size(), 6u);
  EXPECT_NEAR(yv[0], 1.0, 1e-6);
  EXPECT_NEAR(yv[1], std::exp(4.0), 1e-2);
  EXPECT_NEAR(yv[3], std::exp(2.0), 1e-4);
}
