// sort, argsort, partition, argpartition and topk against references
// computed here (NumPy order: NaN last; argsort stable).
#include <gtest/gtest.h>

#include <cmath>

#include "tandem/tandem.h"
#include "test_reduce_util.h"
#include "test_utils.h"

using namespace tandem;
using namespace tandem::test;
using namespace tandem::test::rt;

namespace {

bool nan_last_less(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return !std::isnan(a) && std::isnan(b);
  return a < b;
}

// Element indices (row-major) of each line along axis, in axis order.
std::vector<std::vector<size_t>> lines_of(const Shape& shape, int axis) {
  auto g = group_of(shape, {axis});
  std::vector<std::vector<size_t>> lines(shape_size(reduced_shape(shape, {axis}, false)));
  for (size_t i = 0; i < g.size(); ++i) lines[g[i]].push_back(i);
  return lines;
}

void ref_sorts(const std::vector<double>& vals, const Shape& shape, int axis,
               std::vector<double>& sorted, std::vector<double>& order) {
  sorted.assign(vals.size(), 0);
  order.assign(vals.size(), 0);
  for (auto& line : lines_of(shape, axis)) {
    std::vector<size_t> idx(line.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      return nan_last_less(vals[line[a]], vals[line[b]]);
    });
    for (size_t k = 0; k < line.size(); ++k) {
      sorted[line[k]] = vals[line[idx[k]]];
      order[line[k]] = static_cast<double>(idx[k]);
    }
  }
}

// Checks that got (values along each line) is a partition of vals at kth.
void check_partition(const std::vector<double>& vals, const std::vector<double>& got,
                     const Shape& shape, int axis, int kth, const std::string& what) {
  for (auto& line : lines_of(shape, axis)) {
    std::vector<double> in, out;
    for (size_t i : line) {
      in.push_back(vals[i]);
      out.push_back(got[i]);
    }
    int k = kth < 0 ? kth + static_cast<int>(line.size()) : kth;
    std::vector<double> s_in = in, s_out = out;
    std::sort(s_in.begin(), s_in.end(), nan_last_less);
    std::sort(s_out.begin(), s_out.end(), nan_last_less);
    for (size_t i = 0; i < s_in.size(); ++i) {
      bool same = (std::isnan(s_in[i]) && std::isnan(s_out[i])) || s_in[i] == s_out[i];
      ASSERT_TRUE(same) << what << ": not a permutation of the line";
    }
    double pivot = out[k];
    bool pivot_ok = (std::isnan(pivot) && std::isnan(s_in[k])) || pivot == s_in[k];
    ASSERT_TRUE(pivot_ok) << what << ": kth value " << pivot << ", want " << s_in[k];
    for (int i = 0; i < k; ++i) ASSERT_FALSE(nan_last_less(pivot, out[i])) << what << " before kth";
    for (size_t i = k + 1; i < out.size(); ++i) {
      ASSERT_FALSE(nan_last_less(out[i], pivot)) << what << " after kth";
    }
  }
}

// Gathers vals along axis by the indices idx (a uint32 result of arg*).
std::vector<double> gather_lines(const std::vector<double>& vals, const std::vector<double>& idx,
                                 const Shape& shape, int axis) {
  std::vector<double> out(vals.size());
  for (auto& line : lines_of(shape, axis)) {
    for (size_t k = 0; k < line.size(); ++k) {
      size_t j = static_cast<size_t>(idx[line[k]]);
      EXPECT_LT(j, line.size());
      out[line[k]] = j < line.size() ? vals[line[j]] : kNaN;
    }
  }
  return out;
}

}  // namespace

TEST(Sort, SortArgsortAllDtypes) {
  for (Dtype t : real_dtypes()) {
    array a = random_array({4, 5, 6}, t);  // integer ranges give many ties: argsort is stable
    auto vals = to_double(a);
    for (int axis = -3; axis < 3; ++axis) {
      std::vector<double> sorted, order;
      ref_sorts(vals, a.shape(), axis, sorted, order);
      for (auto& [lname, v] : layouts(a)) {
        std::string what = desc(t, {axis}, false, lname);
        array s = sort(v, axis);
        array o = argsort(v, axis);
        EXPECT_EQ(s.dtype(), t) << what;
        EXPECT_EQ(o.dtype(), uint32) << what;
        EXPECT_EQ(s.shape(), a.shape()) << what;
        expect_exact(to_double(s), sorted, "sort " + what);
        expect_exact(to_double(o), order, "argsort " + what);
      }
    }
    // Flattened.
    std::vector<double> flat = vals;
    std::stable_sort(flat.begin(), flat.end(), nan_last_less);
    expect_exact(to_double(sort(strided_view(a))), flat, std::string("flat sort ") + dtype_name(t));
    EXPECT_EQ(sort(a).shape(), Shape{120});
    EXPECT_EQ(argsort(a).shape(), Shape{120});
  }
}

TEST(Sort, NaNLastAndInfinities) {
  double nan = kNaN;
  std::vector<double> v = {3, nan, -kInf, 1, nan, kInf, 0, -2};
  for (Dtype t : {float16, float32, float64, bfloat16}) {
    array a = make_array(v, {8}, t);
    auto s = to_double(sort(a));
    std::vector<double> want = {-kInf, -2, 0, 1, 3, kInf, nan, nan};
    expect_exact(s, want, std::string("sort nan ") + dtype_name(t));
    EXPECT_EQ(to_double(argsort(a)), (std::vector<double>{2, 7, 6, 3, 0, 5, 1, 4}));
    auto p = to_double(partition(a, 5));
    check_partition(to_double(a), p, a.shape(), 0, 5, "partition nan");
    auto tk = to_double(sort(topk(a, 3)));
    EXPECT_EQ(tk[0], kInf);
    EXPECT_TRUE(std::isnan(tk[1]) && std::isnan(tk[2]));
  }
}

TEST(Sort, Complex) {
  std::vector<complex64_t> c = {{2, 1}, {1, 5}, {2, -1}, {-1, 0}, {1, 5}, {0, 0}};
  array a(c.data(), {6}, complex64);
  auto s = sort(a).to_vector<complex64_t>();
  std::vector<complex64_t> want = {{-1, 0}, {0, 0}, {1, 5}, {1, 5}, {2, -1}, {2, 1}};
  EXPECT_EQ(s, want);
  EXPECT_EQ(argsort(a).to_vector<uint32_t>(), (std::vector<uint32_t>{3, 5, 1, 4, 2, 0}));
  auto tk = sort(topk(a, 2)).to_vector<complex64_t>();
  EXPECT_EQ(tk, (std::vector<complex64_t>{{2, -1}, {2, 1}}));
}

TEST(Sort, PartitionArgpartitionAllDtypes) {
  for (Dtype t : real_dtypes()) {
    array a = random_array({4, 5, 6}, t);
    auto vals = to_double(a);
    for (int axis : {0, 1, 2, -1}) {
      int n = a.shape()[axis < 0 ? axis + 3 : axis];
      for (int kth : {0, 1, n / 2, n - 1, -1, -n}) {
        for (auto& [lname, v] : layouts(a)) {
          std::string what = desc(t, {axis}, false, lname) + " kth=" + std::to_string(kth);
          array p = partition(v, kth, axis);
          EXPECT_EQ(p.dtype(), t) << what;
          check_partition(vals, to_double(p), a.shape(), axis, kth, "partition " + what);
          array ap = argpartition(v, kth, axis);
          EXPECT_EQ(ap.dtype(), uint32) << what;
          auto idx = to_double(ap);
          // Indices form a permutation of each line.
          for (auto& line : lines_of(a.shape(), axis < 0 ? axis + 3 : axis)) {
            std::vector<double> ix;
            for (size_t i : line) ix.push_back(idx[i]);
            std::sort(ix.begin(), ix.end());
            for (size_t k = 0; k < ix.size(); ++k) ASSERT_EQ(ix[k], k) << what;
          }
          check_partition(vals, gather_lines(vals, idx, a.shape(), axis), a.shape(), axis, kth,
                          "argpartition " + what);
        }
      }
    }
  }
}

TEST(Sort, Topk) {
  for (Dtype t : {float32, int32, float16, uint8, float64}) {
    array a = random_array({6, 7}, t);
    auto vals = to_double(a);
    for (int axis : {0, 1, -1}) {
      int ax = axis < 0 ? axis + 2 : axis;
      int n = a.shape()[ax];
      for (int k : {0, 1, 3, n}) {
        for (auto& [lname, v] : layouts(a)) {
          std::string what = desc(t, {axis}, false, lname) + " k=" + std::to_string(k);
          array r = topk(v, k, axis);
          Shape want_shape = a.shape();
          want_shape[ax] = k;
          ASSERT_EQ(r.shape(), want_shape) << what;
          // Each line of r holds the k largest of the input line.
          auto got = to_double(sort(r, axis));
          auto in_lines = lines_of(a.shape(), ax);
          auto out_lines = lines_of(want_shape, ax);
          for (size_t l = 0; l < in_lines.size(); ++l) {
            std::vector<double> line;
            for (size_t i : in_lines[l]) line.push_back(vals[i]);
            std::sort(line.begin(), line.end());
            for (int j = 0; j < k; ++j) {
              EXPECT_EQ(got[out_lines[l][j]], line[n - k + j]) << what;
            }
          }
        }
      }
    }
  }
  array a = array({5, 1, 9, 3, 7});
  auto r = sort(topk(a, 2)).to_vector<int>();
  EXPECT_EQ(r, (std::vector<int>{7, 9}));
  EXPECT_EQ(topk(array({5, 1, 9, 3, 7, 2}, {2, 3}), 1).shape(), Shape{1});  // flattened
}

TEST(Sort, EmptyScalarErrors) {
  EXPECT_EQ(sort(zeros({0, 3}), 0).shape(), Shape({0, 3}));
  EXPECT_EQ(argsort(zeros({3, 0}), 1).shape(), Shape({3, 0}));
  EXPECT_EQ(argsort(zeros({3, 0}), 1).dtype(), uint32);
  EXPECT_EQ(sort(array(2.0f)).shape(), Shape{1});
  EXPECT_EQ(argsort(array({4.0f})).to_vector<uint32_t>(), (std::vector<uint32_t>{0}));
  EXPECT_EQ(topk(zeros({0}), 0).shape(), Shape{0});
  array a = random_array({3, 4}, float32);
  expect_invalid_eval([&] { return sort(a, 2); }, "sort", "(3, 4)");
  expect_invalid_eval([&] { return argsort(a, -3); }, "argsort", "(3, 4)");
  expect_invalid_eval([&] { return sort(array(1.0f), 0); }, "sort", "()");
  expect_invalid_eval([&] { return partition(a, 4, 1); }, "partition", "kth 4");
  expect_invalid_eval([&] { return partition(a, -5, 1); }, "partition", "(3, 4)");
  expect_invalid_eval([&] { return argpartition(a, 3, 0); }, "argpartition", "kth 3");
  expect_invalid_eval([&] { return partition(a, 0, 2); }, "partition");
  expect_invalid_eval([&] { return partition(zeros({0}), 0); }, "partition", "size 0");
  expect_invalid_eval([&] { return topk(a, 5, 1); }, "topk", "k = 5");
  expect_invalid_eval([&] { return topk(a, -1); }, "topk", "k = -1");
  expect_invalid_eval([&] { return topk(a, 1, 3); }, "topk", "(3, 4)");
}

TEST(Sort, DonatedAndLarge) {
  // A temporary row-major input is sorted in place.
  array a = random_array({40, 50}, float32);
  auto vals = to_double(a);
  std::vector<double> sorted, order;
  ref_sorts(vals, a.shape(), 1, sorted, order);
  expect_exact(to_double(sort(add(a, array(0.0f)), 1)), sorted, "donated sort");
  ref_sorts(vals, a.shape(), 0, sorted, order);
  expect_exact(to_double(sort(multiply(a, array(1.0f)), 0)), sorted, "donated sort axis 0");

  struct Case {
    Shape shape;
    int axis;
    Dtype t;
  };
  std::vector<Case> cases = {{{300000}, 0, float32},
                             {{1000, 300}, 0, float32},
                             {{300, 1000}, 1, int32},
                             {{100, 3000}, 0, float16}};
  for (auto& c : cases) {
    array b = random_array(c.shape, c.t);
    auto bv = to_double(b);
    ref_sorts(bv, c.shape, c.axis, sorted, order);
    std::string what = desc(c.t, {c.axis}, false, "") + shape_str(c.shape);
    expect_exact(to_double(sort(b, c.axis)), sorted, "large sort " + what);
    expect_exact(to_double(argsort(strided_view(b), c.axis)), order, "large argsort " + what);
    int n = c.shape[c.axis];
    check_partition(bv, to_double(partition(b, n / 3, c.axis)), c.shape, c.axis, n / 3,
                    "large partition " + what);
  }
}

TEST(Sort, LongLinesStableWithTiesAndNaN) {
  // Lines longer than one GPU tile are sorted in tiles and merged: ties
  // keep their order (argsort is stable), NaNs go last, -0 equals 0.
  struct Case {
    Shape shape;
    int axis;
    Dtype t;
  };
  std::vector<Case> cases = {{{10000}, 0, float32},
                             {{5000, 3}, 0, float32},
                             {{2, 7000}, 1, float16},
                             {{9000}, 0, int8},
                             {{4100}, 0, complex64}};
  for (auto& c : cases) {
    size_t n = shape_size(c.shape);
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i) {
      v[i] = static_cast<double>((i * 7919) % 11) - 5;
      if (is_floating_point(c.t) && i % 97 == 3) v[i] = kNaN;
      if (is_floating_point(c.t) && i % 89 == 5) v[i] = -0.0;
    }
    array a = make_array(v, c.shape, c.t);
    auto vals = to_double(a);
    std::vector<double> sorted, order;
    ref_sorts(vals, c.shape, c.axis, sorted, order);
    std::string what = desc(c.t, {c.axis}, false, "") + shape_str(c.shape);
    expect_exact(to_double(sort(a, c.axis)), sorted, "long sort " + what);
    expect_exact(to_double(argsort(a, c.axis)), order, "long argsort " + what);
    expect_exact(to_double(argsort(strided_view(a), c.axis)), order,
                 "long argsort strided " + what);
    int k = c.shape[c.axis] / 2;
    check_partition(vals, to_double(partition(a, k, c.axis)), c.shape, c.axis, k,
                    "long partition " + what);
    check_partition(vals,
                    gather_lines(vals, to_double(argpartition(a, k, c.axis)), c.shape, c.axis),
                    c.shape, c.axis, k, "long argpartition " + what);
  }
}
