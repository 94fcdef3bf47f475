// Tests of the indexing family: joins, splits, take/gather, scatters, pad,
// tile/repeat, flip/roll, triangles, diagonals, meshgrid and slice_update.
// References are computed here with plain loops over row-major indices.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>

#include "tandem/ops/indexing.h"
#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;

namespace {

const Dtype kTypes[] = {bool_,   int8,     uint16,  int32,   int64,    uint64,
                        float16, bfloat16, float32, float64, complex64};

// ---- row-major index arithmetic

std::vector<int64_t> unravel(int64_t flat, const Shape& s) {
  std::vector<int64_t> idx(s.size());
  for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
    idx[d] = flat % s[d];
    flat /= s[d];
  }
  return idx;
}

int64_t ravel(const std::vector<int64_t>& idx, const Shape& s) {
  int64_t f = 0;
  for (size_t d = 0; d < s.size(); ++d) f = f * s[d] + idx[d];
  return f;
}

int64_t nelem(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

// The documented index rule: wrap once, then clamp into [0, hi].
int64_t norm_idx(int64_t v, int64_t n, int64_t hi) {
  if (v < 0) v += n;
  return std::min(std::max<int64_t>(v, 0), hi);
}

// ---- values

struct Vals {
  std::vector<double> re, im;
};

Vals vals(array a) {
  Vals v;
  v.re = a.to_vector<double>();
  if (is_complex(a.dtype())) {
    v.im = imag(a).to_vector<double>();
  } else {
    v.im.assign(v.re.size(), 0.0);
  }
  return v;
}

// A random evaluated array; complex ones get random imaginary parts too.
array rnd(const Shape& shape, Dtype t) {
  if (!is_complex(t)) return test::random_array(shape, t);
  array re = test::random_array(shape, float32);
  array im = test::random_array(shape, float32);
  array c = add(astype(re, complex64), multiply(astype(im, complex64), array(complex64_t(0, 1))));
  c.eval();
  return c;
}

// Integer-valued random data (exact in every dtype), in [lo, hi].
array rnd_int_valued(const Shape& shape, Dtype t, int lo, int hi) {
  std::vector<double> v(nelem(shape));
  std::uniform_int_distribution<int> u(lo, hi);
  for (auto& x : v) x = u(test::rng());
  if (t == bool_) {
    for (auto& x : v) x = x != 0;
  } else if (is_unsigned(t)) {
    for (auto& x : v) x = std::abs(x);
  }
  array a = test::make_array(v, shape, t);
  a.eval();
  return a;
}

array idx_array(const std::vector<int64_t>& v, const Shape& shape, Dtype t = int32) {
  array a(v, shape, int64);
  array r = astype(a, t);
  r.eval();
  return r;
}

std::vector<int64_t> rnd_indices(size_t n, int64_t lo, int64_t hi) {
  std::uniform_int_distribution<int64_t> u(lo, hi);
  std::vector<int64_t> v(n);
  for (auto& x : v) x = u(test::rng());
  return v;
}

// Checks out[i] == in[map[i]] exactly (map[i] < 0: fill value).
void expect_mapped(array out, array in, const Shape& want_shape, const std::vector<int64_t>& map,
                   const std::string& what, double fill = 0.0) {
  ASSERT_EQ(out.shape(), want_shape) << what;
  ASSERT_EQ(out.dtype(), in.dtype()) << what;
  Vals o = vals(out), s = vals(in);
  ASSERT_EQ(o.re.size(), map.size()) << what;
  for (size_t i = 0; i < map.size(); ++i) {
    double wr = map[i] < 0 ? fill : s.re[map[i]];
    double wi = map[i] < 0 ? 0.0 : s.im[map[i]];
    ASSERT_EQ(o.re[i], wr) << what << " at " << i;
    ASSERT_EQ(o.im[i], wi) << what << " at " << i;
  }
}

// Expects f() to throw std::invalid_argument whose message starts with
// "[op]" and contains `part`.
template <typename F>
void expect_invalid(F f, const std::string& op, const std::string& part = "") {
  try {
    f();
    ADD_FAILURE() << "expected std::invalid_argument from " << op;
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("[" + op + "]", 0), 0u) << m;
    if (!part.empty()) EXPECT_NE(m.find(part), std::string::npos) << m;
  }
}

std::string tname(Dtype t) {
  return dtype_name(t);
}

}  // namespace

// ======================================================================
// concatenate / stack / split / unstack

TEST(IndexingConcatenate, AxesDtypesLayouts) {
  for (Dtype t : kTypes) {
    for (int axis : {0, 1, 2, -1, -3}) {
      int ax = axis < 0 ? axis + 3 : axis;
      Shape base{2, 3, 4};
      std::vector<array> parts;
      std::vector<int> lens{2, 0, 3, 1};
      for (size_t p = 0; p < lens.size(); ++p) {
        Shape s = base;
        s[ax] = lens[p];
        array a = rnd(s, t);
        parts.push_back(p % 2 ? test::strided_view(a) : a);
      }
      array out = concatenate(parts, axis);
      Shape os = base;
      os[ax] = 6;
      // Reference: out index -> (part, index within part).
      ASSERT_EQ(out.shape(), os);
      Vals o = vals(out);
      for (int64_t i = 0; i < nelem(os); ++i) {
        auto id = unravel(i, os);
        int64_t pos = id[ax];
        size_t p = 0;
        while (pos >= lens[p]) pos -= lens[p++];
        id[ax] = pos;
        Vals pv = vals(parts[p]);
        int64_t j = ravel(id, parts[p].shape());
        ASSERT_EQ(o.re[i], pv.re[j]) << tname(t) << " axis " << axis << " at " << i;
        ASSERT_EQ(o.im[i], pv.im[j]) << tname(t) << " axis " << axis << " at " << i;
      }
    }
  }
}

TEST(IndexingConcatenate, PromotesDtypes) {
  std::vector<std::pair<Dtype, Dtype>> pairs{{int8, float32},    {bool_, int32},
                                             {uint16, int8},     {float16, bfloat16},
                                             {int64, complex64}, {uint8, float64}};
  for (auto [t1, t2] : pairs) {
    array a = rnd_int_valued({2, 3}, t1, -5, 5), b = rnd_int_valued({1, 3}, t2, -5, 5);
    array out = concatenate({a, b}, 0);
    EXPECT_EQ(out.dtype(), promote_types(t1, t2)) << tname(t1) << "+" << tname(t2);
    auto o = out.to_vector<double>();
    auto va = astype(a, out.dtype()).to_vector<double>();
    auto vb = astype(b, out.dtype()).to_vector<double>();
    va.insert(va.end(), vb.begin(), vb.end());
    EXPECT_EQ(o, va) << tname(t1) << "+" << tname(t2);
  }
}

TEST(IndexingConcatenate, FlattenedAndAliasAndSingle) {
  array a = rnd({2, 2}, float32), b = rnd({3}, float32), c = array(7.0f);
  array out = concatenate({test::strided_view(a), b, c});
  auto want = a.to_vector<float>();
  for (float v : b.to_vector<float>()) want.push_back(v);
  want.push_back(7.0f);
  EXPECT_EQ(out.shape(), Shape{8});
  EXPECT_EQ(out.to_vector<float>(), want);
  EXPECT_EQ(concat({a, a}, 1).shape(), (Shape{2, 4}));
  EXPECT_EQ(concat({a}).shape(), Shape{4});
  array one = concatenate({a}, 0);
  EXPECT_EQ(one.to_vector<float>(), a.to_vector<float>());
  // All-empty inputs.
  array e = concatenate({zeros({0, 3}), zeros({0, 3})}, 0);
  EXPECT_EQ(e.shape(), (Shape{0, 3}));
  e.eval();
}

TEST(IndexingConcatenate, Large) {
  array a = rnd({300, 257}, float32), b = rnd({300, 131}, float32);
  array out = concatenate({a, transpose(contiguous(transpose(b)))}, 1);
  auto va = a.to_vector<float>(), vb = b.to_vector<float>(), vo = out.to_vector<float>();
  for (int r = 0; r < 300; ++r) {
    for (int c = 0; c < 388; ++c) {
      float w = c < 257 ? va[r * 257 + c] : vb[r * 131 + c - 257];
      ASSERT_EQ(vo[r * 388 + c], w) << r << "," << c;
    }
  }
}

TEST(IndexingConcatenate, Errors) {
  expect_invalid([] { concatenate(std::vector<array>{}, 0); }, "concatenate");
  expect_invalid(
      [] {
        concatenate({array(1.0f), array(2.0f)}, 0);
      },
      "concatenate", "zero-dimensional");
  expect_invalid([] { concatenate({zeros({2, 3}), zeros({2, 4})}, 0); }, "concatenate", "(2, 4)");
  expect_invalid([] { concatenate({zeros({2, 3}), zeros({2, 3, 1})}, 0); }, "concatenate");
  expect_invalid([] { concatenate({zeros({2, 3}), zeros({2, 3})}, 2); }, "concatenate", "axis 2");
  expect_invalid([] { stack(std::vector<array>{}); }, "stack");
  expect_invalid([] { stack({zeros({2}), zeros({3})}); }, "stack", "(3,)");
  expect_invalid([] { stack({zeros({2}), zeros({2})}, 2); }, "stack");
}

TEST(IndexingStack, Axes) {
  for (Dtype t : {int8, float16, complex64, bool_}) {
    std::vector<array> in;
    for (int i = 0; i < 3; ++i)
      in.push_back(i == 1 ? test::strided_view(rnd({2, 4}, t)) : rnd({2, 4}, t));
    for (int axis : {0, 1, 2, -1, -3}) {
      int ax = axis < 0 ? axis + 3 : axis;
      array out = stack(in, axis);
      Shape os{2, 4};
      os.insert(os.begin() + ax, 3);
      ASSERT_EQ(out.shape(), os);
      Vals o = vals(out);
      for (int64_t i = 0; i < nelem(os); ++i) {
        auto id = unravel(i, os);
        int64_t which = id[ax];
        id.erase(id.begin() + ax);
        Vals v = vals(in[which]);
        ASSERT_EQ(o.re[i], v.re[ravel(id, {2, 4})]);
        ASSERT_EQ(o.im[i], v.im[ravel(id, {2, 4})]);
      }
    }
  }
  // 0-d inputs stack to 1-d.
  EXPECT_EQ(stack({array(1), array(2), array(3)}).to_vector<int>(), (std::vector<int>{1, 2, 3}));
}

TEST(IndexingSplit, EqualPartsAndIndices) {
  array a = rnd({6, 4}, int16);
  auto va = a.to_vector<int>();
  auto parts = split(a, 3);
  ASSERT_EQ(parts.size(), 3u);
  for (int p = 0; p < 3; ++p) {
    EXPECT_EQ(parts[p].shape(), (Shape{2, 4}));
    EXPECT_EQ(parts[p].to_vector<int>(),
              std::vector<int>(va.begin() + p * 8, va.begin() + (p + 1) * 8));
  }
  auto cols = split(test::strided_view(a), 2, -1);
  ASSERT_EQ(cols.size(), 2u);
  auto c1 = cols[1].to_vector<int>();
  for (int r = 0; r < 6; ++r) {
    EXPECT_EQ(c1[r * 2], va[r * 4 + 2]);
    EXPECT_EQ(c1[r * 2 + 1], va[r * 4 + 3]);
  }
  // Python semantics: a[:2], a[2:-1], a[-1:10], a[10:]: negative and out-of-range indices.
  array v = array({0, 1, 2, 3, 4, 5});
  auto s = split(v, Shape{2, -1, 10});
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].to_vector<int>(), (std::vector<int>{0, 1}));
  EXPECT_EQ(s[1].to_vector<int>(), (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(s[2].to_vector<int>(), (std::vector<int>{5}));
  EXPECT_EQ(s[3].size(), 0u);
  // Decreasing indices give an empty middle part.
  auto d = split(v, Shape{4, 1}, 0);
  EXPECT_EQ(d[0].to_vector<int>(), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(d[1].size(), 0u);
  EXPECT_EQ(d[2].to_vector<int>(), (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(split(zeros({0, 2}), 2).size(), 2u);
  expect_invalid([&] { split(a, 4); }, "split", "4 equal parts");
  expect_invalid([&] { split(a, 0); }, "split");
  expect_invalid([&] { split(a, 2, 2); }, "split", "axis 2");
  expect_invalid([&] { split(array(1.0f), 1); }, "split");
}

TEST(IndexingUnstack, Axes) {
  array a = rnd({2, 3, 4}, complex64);
  for (int axis : {0, 1, 2, -1}) {
    int ax = axis < 0 ? axis + 3 : axis;
    auto parts = unstack(a, axis);
    ASSERT_EQ(static_cast<int>(parts.size()), a.shape()[ax]);
    for (size_t p = 0; p < parts.size(); ++p) {
      Shape ps = a.shape();
      ps.erase(ps.begin() + ax);
      std::vector<int64_t> map(nelem(ps));
      for (int64_t i = 0; i < nelem(ps); ++i) {
        auto id = unravel(i, ps);
        id.insert(id.begin() + ax, static_cast<int64_t>(p));
        map[i] = ravel(id, a.shape());
      }
      expect_mapped(parts[p], a, ps, map, "unstack");
    }
  }
  expect_invalid([] { unstack(array(1)); }, "unstack");
}

// ======================================================================
// take / take_along_axis / gather

TEST(IndexingTake, AxesDtypesIndexTypes) {
  Shape as{3, 4, 5};
  const Dtype idx_types[] = {int8, int16, int32, int64, uint8, uint16, uint32, uint64};
  int iter = 0;
  for (Dtype t : kTypes) {
    for (int axis : {0, 1, 2, -1, -2}) {
      int ax = axis < 0 ? axis + 3 : axis;
      Dtype it = idx_types[iter++ % 8];
      int64_t n = as[ax];
      // Signed index types get negative and out-of-range values.
      auto iv = is_unsigned(it) ? rnd_indices(6, 0, n + 3) : rnd_indices(6, -n - 3, n + 3);
      array idx = idx_array(iv, {2, 3}, it);
      array a = rnd(as, t);
      bool strided_a = iter % 2, strided_i = iter % 3 == 0;
      array out = take(strided_a ? test::strided_view(a) : a,
                       strided_i ? test::strided_view(idx) : idx, axis);
      Shape os;
      for (int d = 0; d < ax; ++d) os.push_back(as[d]);
      os.push_back(2);
      os.push_back(3);
      for (int d = ax + 1; d < 3; ++d) os.push_back(as[d]);
      std::vector<int64_t> map(nelem(os));
      for (int64_t i = 0; i < nelem(os); ++i) {
        auto o = unravel(i, os);
        std::vector<int64_t> src;
        for (int d = 0; d < ax; ++d) src.push_back(o[d]);
        src.push_back(norm_idx(iv[o[ax] * 3 + o[ax + 1]], n, n - 1));
        for (int d = ax + 1; d < 3; ++d) src.push_back(o[d + 1]);
        map[i] = ravel(src, as);
      }
      expect_mapped(out, a, os, map,
                    "take " + tname(t) + " idx " + tname(it) + " axis " + std::to_string(axis));
    }
  }
}

TEST(IndexingTake, FlattenedScalarsAndEmpty) {
  array a = rnd({3, 4}, float64);
  std::vector<int64_t> iv{0, 11, -1, -12, 5, 100, -100};
  array out = take(test::strided_view(a), idx_array(iv, {7}, int64));
  std::vector<int64_t> map;
  for (auto v : iv) map.push_back(norm_idx(v, 12, 11));
  expect_mapped(out, a, {7}, map, "take flat");
  // 0-d index gives a 0-d result; 0-d a is flattened.
  array s = take(a, array(5));
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.item<double>(), a.to_vector<double>()[5]);
  EXPECT_EQ(take(array(3.5f), array({0, 0})).to_vector<float>(), (std::vector<float>{3.5f, 3.5f}));
  // Static int index removes the axis.
  array r = take(a, -1, 0);
  EXPECT_EQ(r.shape(), Shape{4});
  auto va = a.to_vector<double>();
  EXPECT_EQ(r.to_vector<double>(), std::vector<double>(va.begin() + 8, va.end()));
  EXPECT_EQ(take(a, 7).item<double>(), va[7]);
  // Empty indices and empty arrays.
  EXPECT_EQ(take(a, idx_array({}, {0, 2}), 1).shape(), (Shape{3, 0, 2}));
  EXPECT_EQ(take(zeros({0, 3}), array({1, 2}), 1).shape(), (Shape{0, 2}));
  EXPECT_EQ(take(zeros({3, 0}), idx_array({}, {0}), 1).shape(), (Shape{3, 0}));
}

TEST(IndexingTake, ExtremeIndicesAreClamped) {
  array a = rnd({5}, int32);
  auto va = a.to_vector<int64_t>();
  array i64 = array(std::vector<int64_t>{std::numeric_limits<int64_t>::max(),
                                         std::numeric_limits<int64_t>::min(), -5, -6, 4, 5},
                    Shape{6}, int64);
  EXPECT_EQ(take(a, i64).to_vector<int64_t>(),
            (std::vector<int64_t>{va[4], va[0], va[0], va[0], va[4], va[4]}));
  array u64 =
      array(std::vector<uint64_t>{std::numeric_limits<uint64_t>::max(), 1}, Shape{2}, uint64);
  EXPECT_EQ(take(a, u64).to_vector<int64_t>(), (std::vector<int64_t>{va[4], va[1]}));
}

TEST(IndexingTake, Large) {
  // Embedding-style lookup (contiguous rows) and element gather, both large.
  array table = rnd({1000, 64}, float32);
  auto iv = rnd_indices(5000, -1000, 999);
  array rows = take(table, idx_array(iv, {5000}), 0);
  std::vector<int64_t> map(5000 * 64);
  for (int i = 0; i < 5000; ++i) {
    for (int j = 0; j < 64; ++j) map[i * 64 + j] = norm_idx(iv[i], 1000, 999) * 64 + j;
  }
  expect_mapped(rows, table, {5000, 64}, map, "take rows");
  array flat = rnd({70000}, float16);
  auto fv = rnd_indices(90000, -70000, 69999);
  std::vector<int64_t> fmap;
  for (auto v : fv) fmap.push_back(norm_idx(v, 70000, 69999));
  expect_mapped(take(flat, idx_array(fv, {300, 300}, int64)), flat, {300, 300}, fmap, "take big");
}

TEST(IndexingTake, Errors) {
  array a = zeros({3, 4});
  expect_invalid([&] { take(a, array({1.0f}), 0); }, "take", "float32");
  expect_invalid([&] { take(a, array({true}), 0); }, "take", "bool");
  expect_invalid([&] { take(a, array({1}), 2); }, "take", "axis 2");
  expect_invalid([&] { take(a, 3, 0); }, "take", "out of bounds");
  expect_invalid([&] { take(a, -5, 1); }, "take", "out of bounds");
  expect_invalid([&] { take(zeros({0, 2}), array({0}), 0); }, "take", "size 0");
  expect_invalid([&] { take(a, array({0.5})); }, "take");
}

TEST(IndexingTakeAlongAxis, AxesBroadcastAndDtypes) {
  for (Dtype t : kTypes) {
    for (int axis : {0, 1, -1}) {
      int ax = axis < 0 ? axis + 3 : axis;
      Shape as{3, 4, 5};
      // Indices: size 6 along axis, size 1 (broadcast) on axis 2 unless ax == 2.
      Shape is = as;
      is[ax] = 6;
      if (ax != 2) is[2] = 1;
      int64_t n = as[ax];
      auto iv = rnd_indices(nelem(is), -n - 2, n + 2);
      array idx = idx_array(iv, is, int64);
      array a = rnd(as, t);
      array out = take_along_axis(test::strided_view(a), test::strided_view(idx), axis);
      Shape os = as;
      os[ax] = 6;
      std::vector<int64_t> map(nelem(os));
      for (int64_t i = 0; i < nelem(os); ++i) {
        auto o = unravel(i, os);
        auto ii = o;
        if (ax != 2) ii[2] = 0;
        auto src = o;
        src[ax] = norm_idx(iv[ravel(ii, is)], n, n - 1);
        map[i] = ravel(src, as);
      }
      expect_mapped(out, a, os, map,
                    "take_along_axis " + tname(t) + " axis " + std::to_string(axis));
    }
  }
  // a broadcast against indices (a has size 1 off axis).
  array a = rnd({1, 4}, int32);
  array idx = idx_array({3, 0, 1, 2, 2, 2}, {3, 2});
  array out = take_along_axis(a, idx, 1);
  auto va = a.to_vector<int>();
  EXPECT_EQ(out.to_vector<int>(), (std::vector<int>{va[3], va[0], va[1], va[2], va[2], va[2]}));
  // Sorting-style use: argsort-like permutation along the last axis (large).
  array big = rnd({200, 700}, float32);
  auto iv = rnd_indices(200 * 700, 0, 699);
  array bo = take_along_axis(big, idx_array(iv, {200, 700}), -1);
  std::vector<int64_t> map(200 * 700);
  for (int r = 0; r < 200; ++r) {
    for (int c = 0; c < 700; ++c) map[r * 700 + c] = r * 700 + iv[r * 700 + c];
  }
  expect_mapped(bo, big, {200, 700}, map, "take_along_axis big");
  EXPECT_EQ(take_along_axis(a, idx_array({}, {1, 0}), 1).shape(), (Shape{1, 0}));
}

TEST(IndexingTakeAlongAxis, Errors) {
  array a = zeros({3, 4});
  expect_invalid([&] { take_along_axis(a, array({1}), 0); }, "take_along_axis", "ndim");
  expect_invalid([&] { take_along_axis(a, zeros({1, 1}), 0); }, "take_along_axis", "float32");
  expect_invalid([&] { take_along_axis(a, zeros({2, 2}, int32), 0); }, "take_along_axis");
  expect_invalid([&] { take_along_axis(a, zeros({1, 1}, int32), 2); }, "take_along_axis");
  expect_invalid(
      [&] {
        take_along_axis(zeros({0, 2}), zeros({1, 2}, int32), 0);
      },
      "take_along_axis", "size 0");
}

TEST(IndexingGather, MultiAxisSlices) {
  for (Dtype t : kTypes) {
    Shape as{4, 5, 6};
    array a = rnd(as, t);
    // Index along axes 2 and 0 (in that order), broadcast shapes (3, 1) and (1, 2).
    auto i0 = rnd_indices(3, -8, 8), i1 = rnd_indices(2, -6, 6);
    array x0 = idx_array(i0, {3, 1}, int8), x1 = idx_array(i1, {1, 2}, int64);
    Shape sizes{2, 3, 1};
    array out = gather(test::strided_view(a), {x0, x1}, {-1, 0}, sizes);
    Shape os{3, 2, 2, 3, 1};
    std::vector<int64_t> map(nelem(os));
    for (int64_t i = 0; i < nelem(os); ++i) {
      auto o = unravel(i, os);
      int64_t p2 = norm_idx(i0[o[0]], 6, 6 - 1);
      int64_t p0 = norm_idx(i1[o[1]], 4, 4 - 2);
      map[i] = ravel({p0 + o[2], o[3], p2 + o[4]}, as);
    }
    expect_mapped(out, a, os, map, "gather " + tname(t));
  }
  // No index arrays: one block at the origin.
  array a = rnd({3, 3}, int32);
  array g = gather(a, std::vector<array>{}, {}, Shape{2, 2});
  auto va = a.to_vector<int>();
  EXPECT_EQ(g.to_vector<int>(), (std::vector<int>{va[0], va[1], va[3], va[4]}));
  // 0-d a.
  EXPECT_EQ(gather(array(2.5f), std::vector<array>{}, {}, Shape{}).item<float>(), 2.5f);
  // Full-row blocks (memcpy path) with a single-axis overload.
  array b = rnd({50, 40}, float64);
  auto iv = rnd_indices(100, -50, 49);
  array gb = gather(b, idx_array(iv, {100}), 0, Shape{1, 40});
  std::vector<int64_t> map;
  for (int i = 0; i < 100; ++i) {
    for (int j = 0; j < 40; ++j) map.push_back(norm_idx(iv[i], 50, 49) * 40 + j);
  }
  expect_mapped(gb, b, {100, 1, 40}, map, "gather rows");
  // Zero-size slices.
  EXPECT_EQ(gather(b, idx_array({1, 2}, {2}), 0, Shape{1, 0}).shape(), (Shape{2, 1, 0}));
}

TEST(IndexingGather, Errors) {
  array a = zeros({3, 4});
  array i = array({0, 1});
  expect_invalid([&] { gather(a, {i}, {0, 1}, Shape{1, 1}); }, "gather", "2 axes");
  expect_invalid([&] { gather(a, {i}, {0}, Shape{1}); }, "gather", "slice_sizes");
  expect_invalid([&] { gather(a, {i}, {0}, Shape{4, 1}); }, "gather", "slice_sizes");
  expect_invalid([&] { gather(a, {i}, {2}, Shape{1, 1}); }, "gather", "axis 2");
  expect_invalid([&] { gather(a, {i, i}, {0, -2}, Shape{1, 1}); }, "gather", "repeated");
  expect_invalid([&] { gather(a, {array({0.0f})}, {0}, Shape{1, 1}); }, "gather", "float32");
  expect_invalid(
      [&] {
        gather(a, {array({0, 1}), array({0, 1, 2})}, {0, 1}, Shape{1, 1});
      },
      "gather");
}

// ======================================================================
// scatter family

namespace {

// Reference for the MLX-style scatter: blocks of updates (shape I + U) land
// at the clamped start positions along axes; reduce combines in order.
std::vector<double> scatter_ref(const std::vector<double>& a, const Shape& as,
                                const std::vector<std::vector<int64_t>>& idx, const Shape& ishape,
                                const std::vector<int>& axes, const std::vector<double>& upd,
                                const Shape& us, const std::string& kind, bool is_bool) {
  std::vector<double> out = a;
  int64_t N = nelem(ishape), S = nelem(us);
  for (int64_t i = 0; i < N; ++i) {
    std::vector<int64_t> start(as.size(), 0);
    for (size_t k = 0; k < axes.size(); ++k) {
      start[axes[k]] = norm_idx(idx[k][i], as[axes[k]], as[axes[k]] - us[axes[k]]);
    }
    for (int64_t j = 0; j < S; ++j) {
      auto u = unravel(j, us);
      for (size_t d = 0; d < u.size(); ++d) u[d] += start[d];
      double& o = out[ravel(u, as)];
      double v = upd[i * S + j];
      if (kind == "scatter")
        o = v;
      else if (kind == "add")
        o = is_bool ? double(o != 0 || v != 0) : o + v;
      else if (kind == "prod")
        o = is_bool ? double(o != 0 && v != 0) : o * v;
      else if (kind == "max")
        o = std::max(o, v);
      else
        o = std::min(o, v);
    }
  }
  return out;
}

array run_scatter(const std::string& kind, const array& a, const std::vector<array>& idx,
                  const array& upd, const std::vector<int>& axes) {
  if (kind == "scatter") return scatter(a, idx, upd, axes);
  if (kind == "add") return scatter_add(a, idx, upd, axes);
  if (kind == "prod") return scatter_prod(a, idx, upd, axes);
  if (kind == "max") return scatter_max(a, idx, upd, axes);
  return scatter_min(a, idx, upd, axes);
}

}  // namespace

TEST(IndexingScatter, ReductionsWithRepeatedIndices) {
  const Dtype types[] = {bool_, int8, uint16, int32, int64, float16, bfloat16, float32, float64};
  for (std::string kind : {"add", "prod", "max", "min"}) {
    for (Dtype t : types) {
      Shape as{5, 4, 3};
      array a = rnd_int_valued(as, t, kind == "prod" ? -2 : -9, kind == "prod" ? 2 : 9);
      // Index along axes 0 and 2 with shape (6,): many repeats, negatives, out of range.
      std::vector<std::vector<int64_t>> iv{rnd_indices(6, -7, 7), rnd_indices(6, -4, 4)};
      if (is_unsigned(t)) {
        // Keep products small for uint16 (no negative factors anyway).
      }
      Shape us{2, 4, 1};
      Shape full{6, 2, 4, 1};
      array upd = rnd_int_valued(full, t, kind == "prod" ? -2 : -9, kind == "prod" ? 2 : 9);
      array x0 = idx_array(iv[0], {6}, int32), x1 = idx_array(iv[1], {6}, int16);
      array out = run_scatter(kind, test::strided_view(a), {x0, x1}, upd, {0, -1});
      auto want = scatter_ref(a.to_vector<double>(), as, iv, {6}, {0, 2}, upd.to_vector<double>(),
                              us, kind, t == bool_);
      if (kind == "prod" && !is_inexact(t) && t != bool_) {
        // Integer products wrap: compare modulo the type width via a cast.
        want = astype(array(want.data(), as, float64), t).to_vector<double>();
      }
      ASSERT_EQ(out.dtype(), t);
      EXPECT_EQ(out.to_vector<double>(), want) << kind << " " << tname(t);
    }
  }
}

TEST(IndexingScatter, PlainScatterTakesOneOfTheUpdates) {
  for (Dtype t : kTypes) {
    array a = rnd({6, 3}, t);
    auto iv = rnd_indices(10, -6, 5);  // 10 updates into 6 rows: repeats
    array upd = rnd({10, 1, 3}, t);
    array out = scatter(a, idx_array(iv, {10}), upd, 0);
    Vals o = vals(out), va = vals(a), vu = vals(upd);
    for (int r = 0; r < 6; ++r) {
      std::vector<int> writers;
      for (int i = 0; i < 10; ++i) {
        if (norm_idx(iv[i], 6, 5) == r) writers.push_back(i);
      }
      for (int c = 0; c < 3; ++c) {
        double gr = o.re[r * 3 + c], gi = o.im[r * 3 + c];
        if (writers.empty()) {
          EXPECT_EQ(gr, va.re[r * 3 + c]);
          EXPECT_EQ(gi, va.im[r * 3 + c]);
        } else {
          bool found = false;
          for (int w : writers) found |= gr == vu.re[w * 3 + c] && gi == vu.im[w * 3 + c];
          EXPECT_TRUE(found) << tname(t) << " row " << r << " col " << c;
        }
      }
    }
  }
}

TEST(IndexingScatter, ComplexAddAndUnique) {
  array a = rnd({4, 3}, complex64);
  array upd = rnd({4, 1, 3}, complex64);
  std::vector<int64_t> iv{3, 0, -3, 3};
  array out = scatter_add(a, idx_array(iv, {4}), upd, 0);
  auto ar = a.to_vector<double>(), ai = imag(a).to_vector<double>();
  auto ur = upd.to_vector<double>(), ui = imag(upd).to_vector<double>();
  for (int i = 0; i < 4; ++i) {
    int r = static_cast<int>(norm_idx(iv[i], 4, 3));
    for (int c = 0; c < 3; ++c) {
      ar[r * 3 + c] += ur[i * 3 + c];
      ai[r * 3 + c] += ui[i * 3 + c];
    }
  }
  test::expect_close(out.to_vector<double>(), ar, 1e-6, 1e-6, "complex scatter_add re");
  test::expect_close(imag(out).to_vector<double>(), ai, 1e-6, 1e-6, "complex scatter_add im");
}

TEST(IndexingScatter, UpdatesBroadcastCastAndLayouts) {
  // Updates of another dtype are cast; leading size-1 dims broadcast.
  array a = zeros({4, 3}, float32);
  array upd = array({1, 2, 3}, Shape{1, 1, 3}, int32);
  array out = scatter_add(a, idx_array({0, 2, 2}, {3}), upd, 0);
  EXPECT_EQ(out.to_vector<float>(), (std::vector<float>{1, 2, 3, 0, 0, 0, 2, 4, 6, 0, 0, 0}));
  // Donation path with a transposed dense source (a temporary), and the copy
  // path with a source that stays alive: both must give the same values,
  // and the live source must be unchanged.
  array base = rnd({5, 7}, float32);
  auto before = base.to_vector<float>();
  auto iv = rnd_indices(4, -5, 6);
  array u = rnd({4, 1, 7}, float32);
  array via_copy = scatter_add(base, idx_array(iv, {4}), u, 0);
  array tmp = copy(transpose(contiguous(transpose(base))));  // dense, column-major layout
  array via_donation = scatter_add(tmp, idx_array(iv, {4}), u, 0);
  tmp = array(0.0f);  // drop the handle so the buffer can be donated
  EXPECT_EQ(via_copy.to_vector<float>(), via_donation.to_vector<float>());
  EXPECT_EQ(base.to_vector<float>(), before);
  auto want = scatter_ref(std::vector<double>(before.begin(), before.end()), {5, 7}, {iv}, {4}, {0},
                          u.to_vector<double>(), {1, 7}, "add", false);
  test::expect_close(via_copy.to_vector<double>(), want, 1e-6, 1e-6, "scatter_add layouts");
  // 0-d indices, and an empty update set.
  array z = scatter(zeros({3}, int32), array(-1), reshape(array(5, int32), {1}), 0);
  EXPECT_EQ(z.to_vector<int>(), (std::vector<int>{0, 0, 5}));
  array e = scatter_add(a, idx_array({}, {0}), zeros({0, 1, 3}), 0);
  EXPECT_EQ(e.to_vector<float>(), std::vector<float>(12, 0.0f));
}

TEST(IndexingScatter, LargeParallelPaths) {
  // Many single-element updates (serial path) and few big blocks (parallel rows).
  array a = rnd_int_valued({100000}, float32, -5, 5);
  auto iv = rnd_indices(200000, -100000, 99999);
  array upd = rnd_int_valued({200000, 1}, float32, -5, 5);
  array out = scatter_add(a, idx_array(iv, {200000}, int64), upd, 0);
  auto want = scatter_ref(a.to_vector<double>(), {100000}, {iv}, {200000}, {0},
                          upd.to_vector<double>(), {1}, "add", false);
  EXPECT_EQ(out.to_vector<double>(), want);
  array b = rnd_int_valued({8, 300, 400}, int32, -9, 9);
  auto bv = rnd_indices(12, -8, 7);
  array bu = rnd_int_valued({12, 1, 300, 400}, int32, -9, 9);
  array bo = scatter_max(b, idx_array(bv, {12}), bu, 0);
  auto bw = scatter_ref(b.to_vector<double>(), {8, 300, 400}, {bv}, {12}, {0},
                        bu.to_vector<double>(), {1, 300, 400}, "max", false);
  EXPECT_EQ(bo.to_vector<double>(), bw);
}

TEST(IndexingScatter, NaNPropagatesInMaxMin) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  array a = array({1.0f, nan, 3.0f});
  array u = array({nan, 5.0f, 0.0f}, Shape{3, 1});
  auto mx = scatter_max(a, array({0, 1, 2}), u, 0).to_vector<float>();
  EXPECT_TRUE(std::isnan(mx[0]));
  EXPECT_TRUE(std::isnan(mx[1]));
  EXPECT_EQ(mx[2], 3.0f);
  auto mn = scatter_min(a, array({0, 1, 2}), u, 0).to_vector<float>();
  EXPECT_TRUE(std::isnan(mn[0]));
  EXPECT_EQ(mn[2], 0.0f);
}

TEST(IndexingScatter, Errors) {
  array a = zeros({3, 4});
  array i = array({0, 1});
  expect_invalid([&] { scatter(a, i, zeros({2, 4}), 0); }, "scatter", "ndim 3");
  expect_invalid([&] { scatter_add(a, i, zeros({2, 4, 4}), 0); }, "scatter_add", "exceed");
  expect_invalid([&] { scatter_prod(a, i, zeros({3, 1, 4}), 0); }, "scatter_prod", "index shape");
  expect_invalid(
      [&] {
        scatter_max(a, array({0.5f}), zeros({1, 1, 4}), 0);
      },
      "scatter_max", "float32");
  expect_invalid([&] { scatter_min(a, i, zeros({2, 1, 4}), 3); }, "scatter_min", "axis 3");
  expect_invalid([&] { scatter(a, {i}, zeros({2, 1, 4}), {0, 1}); }, "scatter");
}

TEST(IndexingPutAlongAxis, PutAndAdd) {
  for (Dtype t : kTypes) {
    for (int axis : {0, 1, -1}) {
      int ax = axis < 0 ? axis + 3 : axis;
      Shape as{4, 5, 3};
      int64_t n = as[ax];
      Shape is = as;
      is[ax] = 7;
      auto iv = rnd_indices(nelem(is), -n - 1, n + 1);
      array idx = idx_array(iv, is, int64);
      array a = rnd_int_valued(as, t, -6, 6);
      // values broadcast along the last axis when it is not the scatter axis.
      Shape vs = is;
      if (ax != 2) vs[2] = 1;
      array v = rnd_int_valued(vs, t, -6, 6);
      array added = scatter_add_axis(test::strided_view(a), idx, v, axis);
      array put = put_along_axis(a, test::strided_view(idx), v, axis);
      auto av = a.to_vector<double>(), vv = v.to_vector<double>();
      std::vector<double> want_add = av;
      std::vector<std::set<double>> cands(av.size());
      for (int64_t i = 0; i < nelem(is); ++i) {
        auto p = unravel(i, is);
        auto vp = p;
        if (ax != 2) vp[2] = 0;
        auto dst = p;
        dst[ax] = norm_idx(iv[i], n, n - 1);
        int64_t o = ravel(dst, as);
        double val = vv[ravel(vp, vs)];
        want_add[o] = t == bool_ ? double(want_add[o] != 0 || val != 0) : want_add[o] + val;
        cands[o].insert(val);
      }
      want_add = astype(array(want_add.data(), as, float64), t).to_vector<double>();
      EXPECT_EQ(added.to_vector<double>(), want_add) << tname(t) << " axis " << axis;
      auto got = put.to_vector<double>();
      for (size_t o = 0; o < av.size(); ++o) {
        if (cands[o].empty()) {
          EXPECT_EQ(got[o], av[o]) << tname(t) << " at " << o;
        } else {
          EXPECT_TRUE(cands[o].count(got[o])) << tname(t) << " at " << o;
        }
      }
    }
  }
  // Unique indices along the axis: put is exact (a permutation).
  array a = zeros({2, 3}, int32);
  array out = put_along_axis(a, idx_array({2, 0, 1, 1, 2, 0}, {2, 3}), array({1, 2, 3}), 1);
  EXPECT_EQ(out.to_vector<int>(), (std::vector<int>{2, 3, 1, 3, 1, 2}));
  // Large (parallel rows).
  array big = zeros({400, 300}, float32);
  auto iv = rnd_indices(400 * 50, 0, 299);
  array bo = scatter_add_axis(big, idx_array(iv, {400, 50}), array(1.0f), 1);
  std::vector<double> want(400 * 300, 0.0);
  for (int r = 0; r < 400; ++r) {
    for (int j = 0; j < 50; ++j) want[r * 300 + iv[r * 50 + j]] += 1;
  }
  EXPECT_EQ(bo.to_vector<double>(), want);
  EXPECT_EQ(put_along_axis(a, idx_array({}, {2, 0}), array(1), 1).to_vector<int>(),
            std::vector<int>(6, 0));
}

TEST(IndexingPutAlongAxis, Errors) {
  array a = zeros({3, 4});
  expect_invalid([&] { put_along_axis(a, array({0}), array(1.0f), 0); }, "put_along_axis", "ndim");
  expect_invalid(
      [&] {
        put_along_axis(a, zeros({1, 4}), array(1.0f), 0);
      },
      "put_along_axis", "float32");
  expect_invalid(
      [&] {
        put_along_axis(a, zeros({1, 5}, int32), array(1.0f), 0);
      },
      "put_along_axis");
  expect_invalid(
      [&] {
        put_along_axis(a, zeros({2, 4}, int32), zeros({3, 4}), 0);
      },
      "put_along_axis", "values");
  expect_invalid(
      [&] {
        scatter_add_axis(a, zeros({1, 4}, int32), array(1.0f), -3);
      },
      "scatter_add_axis");
}

// ======================================================================
// slice_update

TEST(IndexingSliceUpdate, StepsDtypesLayouts) {
  struct Case {
    Shape start, stop, steps;
  };
  std::vector<Case> cases{{{0, 0}, {5, 6}, {1, 1}},
                          {{1, -1}, {4, -7}, {2, -2}},
                          {{-1, 0}, {-6, 6}, {-1, 3}},
                          {{10, 2}, {0, 100}, {-3, 1}},
                          {{2, 3}, {2, 5}, {1, 1}}};
  for (Dtype t : kTypes) {
    for (size_t c = 0; c < cases.size(); ++c) {
      auto& cs = cases[c];
      array src = rnd({5, 6}, t);
      array view = slice(src, cs.start, cs.stop, cs.steps);
      Shape ss = view.shape();
      if (nelem(ss) == 0) {
        array out = slice_update(src, zeros({1}, t), cs.start, cs.stop, cs.steps);
        expect_mapped(
            out, src, {5, 6},
            [&] {
              std::vector<int64_t> m(30);
              for (int i = 0; i < 30; ++i) m[i] = i;
              return m;
            }(),
            "slice_update empty");
        continue;
      }
      array upd = rnd(ss, t);
      array out = slice_update(c % 2 ? test::strided_view(src) : src,
                               c % 3 ? test::strided_view(upd) : upd, cs.start, cs.stop, cs.steps);
      // Reference: positions of the slice via a slice of arange.
      auto pos = slice(reshape(arange(0, 30, 1, int64), {5, 6}), cs.start, cs.stop, cs.steps)
                     .to_vector<int64_t>();
      Vals o = vals(out), vs = vals(src), vu = vals(upd);
      std::vector<double> wr = vs.re, wi = vs.im;
      for (size_t k = 0; k < pos.size(); ++k) {
        wr[pos[k]] = vu.re[k];
        wi[pos[k]] = vu.im[k];
      }
      EXPECT_EQ(o.re, wr) << tname(t) << " case " << c;
      EXPECT_EQ(o.im, wi) << tname(t) << " case " << c;
    }
  }
}

TEST(IndexingSliceUpdate, BroadcastCastDonationAndZeroD) {
  array src = rnd({4, 5}, float64);
  auto before = src.to_vector<double>();
  array out = slice_update(src, array({1, 2, 3}, Shape{3}, int8), {0, 1}, {4, 4});
  auto got = out.to_vector<double>();
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 5; ++c) {
      double w = (c >= 1 && c < 4) ? double(c) : before[r * 5 + c];
      EXPECT_EQ(got[r * 5 + c], w);
    }
  }
  EXPECT_EQ(src.to_vector<double>(), before);  // the source held here is untouched
  // Donated temporary with a column-major dense layout.
  array tmp = copy(transpose(contiguous(transpose(src))));
  array d = slice_update(tmp, array(9.0), {1, 0}, {3, 5}, {1, 2});
  tmp = array(0.0);
  auto dv = d.to_vector<double>();
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 5; ++c) {
      double w = (r >= 1 && r < 3 && c % 2 == 0) ? 9.0 : before[r * 5 + c];
      EXPECT_EQ(dv[r * 5 + c], w);
    }
  }
  // Chained updates (the intermediate is donated).
  array z = zeros({6}, int32);
  for (int i = 0; i < 6; ++i) z = slice_update(z, array(i * 10, int32), {i}, {i + 1});
  EXPECT_EQ(z.to_vector<int>(), (std::vector<int>{0, 10, 20, 30, 40, 50}));
  // 0-d source.
  EXPECT_EQ(slice_update(array(1.5f), array(2.5f), {}, {}).item<float>(), 2.5f);
  // Large.
  array big = zeros({500, 400}, float32);
  array bu = rnd({250, 400}, float32);
  array bo = slice_update(big, bu, {0, 0}, {500, 400}, {2, 1});
  auto bv = bo.to_vector<float>(), uv = bu.to_vector<float>();
  for (int r = 0; r < 500; ++r) {
    for (int c = 0; c < 400; c += 37) {
      ASSERT_EQ(bv[r * 400 + c], r % 2 ? 0.0f : uv[(r / 2) * 400 + c]);
    }
  }
}

TEST(IndexingSliceUpdate, Errors) {
  array a = zeros({3, 4});
  expect_invalid([&] { slice_update(a, zeros({3}), {0}, {3}); }, "slice_update", "one entry");
  expect_invalid([&] { slice_update(a, zeros({2, 2}), {0, 0}, {3, 2}); }, "slice_update", "(2, 2)");
  expect_invalid(
      [&] {
        slice_update(a, zeros({1}), {0, 0}, {3, 4}, {0, 1});
      },
      "slice_update", "step");
}

// ======================================================================
// pad

TEST(IndexingPad, ConstantAndEdge) {
  for (Dtype t : kTypes) {
    array a = rnd({3, 4}, t);
    Shape lo{1, 0}, hi{2, 3};
    for (std::string mode : {"constant", "edge"}) {
      array val = t == bool_ ? array(true) : array(5);
      array out = pad(test::strided_view(a), {{1, 2}, {0, 3}}, val, mode);
      Shape os{6, 7};
      std::vector<int64_t> map(42);
      for (int64_t i = 0; i < 42; ++i) {
        auto o = unravel(i, os);
        int64_t r = o[0] - 1, c = o[1];
        if (mode == "edge") {
          r = std::clamp<int64_t>(r, 0, 2);
          c = std::clamp<int64_t>(c, 0, 3);
          map[i] = r * 4 + c;
        } else {
          map[i] = (r >= 0 && r < 3 && c < 4) ? r * 4 + c : -1;
        }
      }
      expect_mapped(out, a, os, map, "pad " + mode + " " + tname(t), t == bool_ ? 1.0 : 5.0);
    }
  }
}

TEST(IndexingPad, OverloadsAndEdgeCases) {
  array a = array({1.0f, 2.0f, 3.0f});
  EXPECT_EQ(pad(a, 2).to_vector<float>(), (std::vector<float>{0, 0, 1, 2, 3, 0, 0}));
  EXPECT_EQ(pad(a, {1, 0}, array(-1.5f)).to_vector<float>(), (std::vector<float>{-1.5f, 1, 2, 3}));
  EXPECT_EQ(pad(a, 2, array(0), "edge").to_vector<float>(),
            (std::vector<float>{1, 1, 1, 2, 3, 3, 3}));
  // Selected axes; pad value converted to a's dtype.
  array m = reshape(arange(0, 6, 1), {2, 3});
  array pm = pad(m, {-1}, Shape{1}, Shape{0}, array(7.9f));
  EXPECT_EQ(pm.dtype(), int32);
  EXPECT_EQ(pm.to_vector<int>(), (std::vector<int>{7, 0, 1, 2, 7, 3, 4, 5}));
  // Empty input with constant padding, 0-d input (nothing to pad), no-op padding.
  EXPECT_EQ(pad(zeros({0, 2}), 1, array(3.0f)).to_vector<float>(), std::vector<float>(8, 3.0f));
  EXPECT_EQ(pad(array(4.0f), std::vector<std::pair<int, int>>{}).item<float>(), 4.0f);
  EXPECT_EQ(pad(m, 0).to_vector<int>(), m.to_vector<int>());
  // A single pair applies to every axis.
  EXPECT_EQ(pad(m, std::vector<std::pair<int, int>>{{1, 1}}).shape(), (Shape{4, 5}));
  // Large 3-d pad, both modes.
  array b = rnd({20, 30, 40}, float32);
  for (std::string mode : {"constant", "edge"}) {
    array out = pad(b, {{2, 3}, {0, 1}, {4, 0}}, array(0.0f), mode);
    Shape os{25, 31, 44};
    std::vector<int64_t> map(nelem(os));
    for (int64_t i = 0; i < nelem(os); ++i) {
      auto o = unravel(i, os);
      std::vector<int64_t> s{o[0] - 2, o[1], o[2] - 4};
      bool inside = s[0] >= 0 && s[0] < 20 && s[1] < 30 && s[2] >= 0;
      if (mode == "edge") {
        s = {std::clamp<int64_t>(s[0], 0, 19), std::clamp<int64_t>(s[1], 0, 29),
             std::clamp<int64_t>(s[2], 0, 39)};
        inside = true;
      }
      map[i] = inside ? ravel(s, {20, 30, 40}) : -1;
    }
    expect_mapped(out, b, os, map, "pad big " + mode);
  }
}

TEST(IndexingPad, Errors) {
  array a = zeros({2, 3});
  expect_invalid([&] { pad(a, -1); }, "pad", "non-negative");
  expect_invalid([&] { pad(a, 1, array(0), "reflect"); }, "pad", "reflect");
  expect_invalid([&] { pad(a, 1, array({1, 2})); }, "pad", "scalar");
  expect_invalid(
      [&] {
        pad(a, std::vector<std::pair<int, int>>{{1, 1}, {1, 1}, {1, 1}});
      },
      "pad", "(2, 3)");
  expect_invalid([&] { pad(zeros({0, 2}), 1, array(0), "edge"); }, "pad", "size 0");
  expect_invalid([&] { pad(a, {0, 0}, Shape{1, 1}, Shape{1, 1}); }, "pad", "repeated");
  expect_invalid([&] { pad(a, {2}, Shape{1}, Shape{1}); }, "pad", "axis 2");
}

// ======================================================================
// tile / repeat / flip / roll

TEST(IndexingTile, Reps) {
  struct Case {
    Shape shape;
    std::vector<int> reps;
  };
  std::vector<Case> cases{{{2, 3}, {2, 3}},
                          {{2, 3}, {3}},
                          {{3}, {2, 2}},
                          {{}, {3}},
                          {{2, 3}, {1, 1}},
                          {{2, 3}, {0, 2}},
                          {{2, 1, 3}, {2, 1, 2, 1}}};
  for (Dtype t : {bool_, uint16, int64, bfloat16, complex64}) {
    for (auto& c : cases) {
      array a = rnd(c.shape, t);
      array out = tile(c.shape.size() >= 1 ? test::strided_view(a) : a, c.reps);
      size_t nd = std::max(c.shape.size(), c.reps.size());
      Shape as(nd - c.shape.size(), 1);
      for (auto d : c.shape) as.push_back(d);
      std::vector<int> reps(nd - c.reps.size(), 1);
      reps.insert(reps.end(), c.reps.begin(), c.reps.end());
      Shape os;
      for (size_t d = 0; d < nd; ++d) os.push_back(as[d] * reps[d]);
      std::vector<int64_t> map(nelem(os));
      for (int64_t i = 0; i < nelem(os); ++i) {
        auto o = unravel(i, os);
        for (size_t d = 0; d < nd; ++d) o[d] %= as[d];
        map[i] = ravel(o, as);
      }
      expect_mapped(out, a, os, map, "tile " + tname(t));
    }
  }
  expect_invalid([] { tile(zeros({2}), {-1}); }, "tile");
}

TEST(IndexingRepeat, AxesAndFlat) {
  for (Dtype t : {int8, float16, float64, complex64}) {
    array a = rnd({2, 3, 2}, t);
    for (int axis : {0, 1, 2, -1}) {
      int ax = axis < 0 ? axis + 3 : axis;
      for (int rep : {0, 1, 3}) {
        array out = repeat(test::strided_view(a), rep, axis);
        Shape os = a.shape();
        os[ax] *= rep;
        std::vector<int64_t> map(nelem(os));
        for (int64_t i = 0; i < nelem(os); ++i) {
          auto o = unravel(i, os);
          o[ax] /= rep;
          map[i] = ravel(o, a.shape());
        }
        expect_mapped(out, a, os, map, "repeat " + tname(t));
      }
    }
    array flat = repeat(a, 2);
    std::vector<int64_t> map;
    for (int i = 0; i < 12; ++i) map.insert(map.end(), {i, i});
    expect_mapped(flat, a, {24}, map, "repeat flat");
  }
  EXPECT_EQ(repeat(array(3), 4).to_vector<int>(), (std::vector<int>{3, 3, 3, 3}));
  expect_invalid([] { repeat(zeros({2}), -1, 0); }, "repeat", "-1");
  expect_invalid([] { repeat(zeros({2}), 2, 1); }, "repeat", "axis 1");
}

TEST(IndexingFlip, Axes) {
  for (Dtype t : {bool_, uint16, float32, complex64}) {
    array a = rnd({3, 4, 2}, t);
    std::vector<std::vector<int>> axes_list{{0}, {1}, {-1}, {0, 2}, {}, {0, 1, 2}};
    for (auto& axes : axes_list) {
      array out = flip(test::strided_view(a), axes);
      std::vector<int64_t> map(24);
      for (int64_t i = 0; i < 24; ++i) {
        auto o = unravel(i, a.shape());
        for (int ax : axes) {
          int d = ax < 0 ? ax + 3 : ax;
          o[d] = a.shape()[d] - 1 - o[d];
        }
        map[i] = ravel(o, a.shape());
      }
      expect_mapped(out, a, a.shape(), map, "flip " + tname(t));
    }
    array all = flip(a);
    std::vector<int64_t> rev(24);
    for (int i = 0; i < 24; ++i) rev[i] = 23 - i;
    expect_mapped(all, a, a.shape(), rev, "flip all");
  }
  EXPECT_EQ(flip(array(2)).item<int>(), 2);
  EXPECT_EQ(flip(zeros({0, 3}), 0).shape(), (Shape{0, 3}));
  expect_invalid([] { flip(zeros({2}), 1); }, "flip", "axis 1");
}

TEST(IndexingRoll, ShiftsAndAxes) {
  for (Dtype t : {int8, uint64, bfloat16, complex64}) {
    array a = rnd({3, 5}, t);
    std::vector<std::pair<Shape, std::vector<int>>> cases{
        {{2}, {0}}, {{-1}, {1}}, {{7}, {-1}}, {{1, -2}, {0, 1}}, {{2, 3}, {1, 1}}, {{0}, {0}}};
    for (auto& [shift, axes] : cases) {
      array out = roll(test::strided_view(a), shift, axes);
      std::vector<int64_t> tot(2, 0);
      for (size_t i = 0; i < axes.size(); ++i) tot[axes[i] < 0 ? axes[i] + 2 : axes[i]] += shift[i];
      std::vector<int64_t> map(15);
      for (int64_t i = 0; i < 15; ++i) {
        auto o = unravel(i, a.shape());
        for (int d = 0; d < 2; ++d) {
          int64_t n = a.shape()[d];
          o[d] = (((o[d] - tot[d]) % n) + n) % n;
        }
        map[i] = ravel(o, a.shape());
      }
      expect_mapped(out, a, a.shape(), map, "roll " + tname(t));
    }
    // Flattened roll.
    for (int sh : {4, -3, 31}) {
      array out = roll(a, sh);
      std::vector<int64_t> map(15);
      for (int64_t i = 0; i < 15; ++i) map[i] = (((i - sh) % 15) + 15) % 15;
      expect_mapped(out, a, a.shape(), map, "roll flat");
    }
  }
  EXPECT_EQ(roll(array({1, 2, 3}), 1, 0).to_vector<int>(), (std::vector<int>{3, 1, 2}));
  EXPECT_EQ(roll(array({1, 2, 3}), Shape{1}, 0).to_vector<int>(), (std::vector<int>{3, 1, 2}));
  EXPECT_EQ(roll(array({1, 2, 3}), 1, std::vector<int>{0}).to_vector<int>(),
            (std::vector<int>{3, 1, 2}));
  EXPECT_EQ(roll(zeros({0, 2}), 3, 0).shape(), (Shape{0, 2}));
  EXPECT_EQ(roll(array(5), 3).item<int>(), 5);
  expect_invalid([] { roll(zeros({2, 2}), Shape{1, 2, 3}, std::vector<int>{0, 1}); }, "roll");
  expect_invalid([] { roll(zeros({2, 2}), 1, 2); }, "roll", "axis 2");
}

// ======================================================================
// tril / triu / diagonal / diag / meshgrid

TEST(IndexingTriangles, TrilTriu) {
  for (Dtype t : {bool_, int16, float16, float64, complex64}) {
    array a = rnd({2, 3, 5}, t);
    for (int k : {-3, -1, 0, 1, 2, 6}) {
      array lo = tril(test::strided_view(a), k), up = triu(a, k);
      std::vector<int64_t> ml(30), mu(30);
      for (int64_t i = 0; i < 30; ++i) {
        auto o = unravel(i, a.shape());
        bool below = o[2] - o[1] <= k;
        bool above = o[2] - o[1] >= k;
        ml[i] = below ? i : -1;
        mu[i] = above ? i : -1;
      }
      expect_mapped(lo, a, a.shape(), ml, "tril " + tname(t));
      expect_mapped(up, a, a.shape(), mu, "triu " + tname(t));
    }
  }
  expect_invalid([] { tril(zeros({3})); }, "tril", "(3,)");
  expect_invalid([] { triu(array(1.0f)); }, "triu");
}

TEST(IndexingDiagonal, OffsetsAndAxes) {
  for (Dtype t : {uint16, float32, complex64}) {
    array a = rnd({3, 4, 5}, t);
    std::vector<std::pair<int, int>> axes{{0, 1}, {1, 0}, {2, 0}, {-1, -2}, {1, 2}};
    for (auto [x1, x2] : axes) {
      for (int off : {-4, -1, 0, 2, 3, 9}) {
        array out = diagonal(test::strided_view(a), off, x1, x2);
        int a1 = x1 < 0 ? x1 + 3 : x1, a2 = x2 < 0 ? x2 + 3 : x2;
        int other = 3 - a1 - a2;
        int64_t n1 = a.shape()[a1], n2 = a.shape()[a2];
        int64_t len =
            std::max<int64_t>(0, off >= 0 ? std::min(n1, n2 - off) : std::min(n1 + off, n2));
        Shape os{a.shape()[other], static_cast<ShapeElem>(len)};
        std::vector<int64_t> map;
        for (int64_t o = 0; o < os[0]; ++o) {
          for (int64_t i = 0; i < len; ++i) {
            std::vector<int64_t> id(3);
            id[other] = o;
            id[a1] = i + std::max(0, -off);
            id[a2] = i + std::max(0, off);
            map.push_back(ravel(id, a.shape()));
          }
        }
        expect_mapped(out, a, os, map, "diagonal " + tname(t));
      }
    }
  }
  expect_invalid([] { diagonal(zeros({3})); }, "diagonal", "(3,)");
  expect_invalid([] { diagonal(zeros({3, 3}), 0, 1, -1); }, "diagonal", "differ");
  expect_invalid([] { diagonal(zeros({3, 3}), 0, 0, 2); }, "diagonal", "axis 2");
}

TEST(IndexingDiag, VectorAndMatrix) {
  for (Dtype t : {bool_, int64, bfloat16, complex64}) {
    array v = rnd({4}, t);
    for (int k : {-2, 0, 3}) {
      array m = diag(test::strided_view(v), k);
      int64_t N = 4 + std::abs(k);
      std::vector<int64_t> map(N * N, -1);
      for (int64_t i = 0; i < 4; ++i) {
        int64_t r = k >= 0 ? i : i - k, c = k >= 0 ? i + k : i;
        map[r * N + c] = i;
      }
      expect_mapped(m, v, {static_cast<ShapeElem>(N), static_cast<ShapeElem>(N)}, map,
                    "diag vector " + tname(t));
      // And back: diag of the matrix recovers the vector.
      expect_mapped(diag(m, k), v, {4}, {0, 1, 2, 3}, "diag matrix");
    }
  }
  EXPECT_EQ(diag(zeros({0}), 2).shape(), (Shape{2, 2}));
  expect_invalid([] { diag(zeros({2, 2, 2})); }, "diag", "(2, 2, 2)");
}

TEST(IndexingMeshgrid, XYAndIJ) {
  array x = array({1, 2, 3}), y = array({10.0f, 20.0f}), z = array({7, 8, 9, 10}, Shape{2, 2});
  auto xy = meshgrid({x, y});
  ASSERT_EQ(xy.size(), 2u);
  EXPECT_EQ(xy[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(xy[0].to_vector<int>(), (std::vector<int>{1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(xy[1].to_vector<float>(), (std::vector<float>{10, 10, 10, 20, 20, 20}));
  auto ij = meshgrid({x, y, z}, false, "ij");
  EXPECT_EQ(ij[0].shape(), (Shape{3, 2, 4}));
  auto v2 = ij[2].to_vector<int>();
  auto v0 = ij[0].to_vector<int>();
  for (int i = 0; i < 24; ++i) {
    EXPECT_EQ(v2[i], 7 + i % 4);
    EXPECT_EQ(v0[i], 1 + i / 8);
  }
  auto sp = meshgrid({x, y, z}, true, "xy");
  EXPECT_EQ(sp[0].shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(sp[1].shape(), (Shape{2, 1, 1}));
  EXPECT_EQ(sp[2].shape(), (Shape{1, 1, 4}));
  EXPECT_EQ(meshgrid({x}).at(0).to_vector<int>(), (std::vector<int>{1, 2, 3}));
  expect_invalid([&] { meshgrid({x, y}, false, "yx"); }, "meshgrid", "yx");
}

// ======================================================================
// layouts, laziness, streams, donation

TEST(IndexingMisc, NegativeStepAndBroadcastSources) {
  array a = rnd({4, 6}, int32);
  array fa = flip(a, 1);  // negative-step view
  auto va = a.to_vector<int>();
  array idx = idx_array({0, 5, -1, 2}, {4});
  auto got = take(fa, idx, 1).to_vector<int>();
  for (int r = 0; r < 4; ++r) {
    int cols[] = {5, 0, 0, 3};  // flipped positions
    for (int j = 0; j < 4; ++j) ASSERT_EQ(got[r * 4 + j], va[r * 6 + cols[j]]);
  }
  // Scatter into a negative-step view and into a broadcast array (copy paths).
  array s = scatter(fa, idx_array({1}, {1}), full({1, 1, 1}, array(-100, int32)), 0);
  auto sv = s.to_vector<int>();
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 6; ++c) {
      int w = (r == 1 && c == 0) ? -100 : va[r * 6 + (5 - c)];
      ASSERT_EQ(sv[r * 6 + c], w);
    }
  }
  array b =
      scatter_add(broadcast_to(array(1.0f), {4, 3}), idx_array({3, 3}, {2}), ones({2, 1, 3}), 0);
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3}));
  // Concatenate a negative-step view and a broadcast.
  array c = concatenate({fa, broadcast_to(array(7, int32), {4, 1})}, 1);
  auto cv = c.to_vector<int>();
  for (int r = 0; r < 4; ++r) {
    for (int k = 0; k < 7; ++k) ASSERT_EQ(cv[r * 7 + k], k < 6 ? va[r * 6 + 5 - k] : 7);
  }
}

TEST(IndexingMisc, LazyIndicesAndOtherStream) {
  Stream st = new_stream(Device::cpu);
  array a = rnd({10, 3}, float32);
  array idx = multiply(arange(0, 5, 1), array(2));  // lazy, computed on the default stream
  array out = take(a, idx, 0, st);
  auto va = a.to_vector<float>(), vo = out.to_vector<float>();
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 3; ++j) ASSERT_EQ(vo[i * 3 + j], va[i * 2 * 3 + j]);
  }
  array sc =
      scatter_add(zeros({5}, int32, st), idx_array({1, 1, 4}, {3}), ones({3, 1}, int32), 0, st);
  EXPECT_EQ(sc.to_vector<int>(), (std::vector<int>{0, 2, 0, 0, 1}));
  synchronize(st);
}

TEST(IndexingMisc, DonatesTemporarySources) {
  array src = rnd({64, 64}, float32);
  array tmp = add(src, array(1.0f));
  tmp.eval();
  const void* p = tmp.buffer().get();
  array out = slice_update(tmp, array(0.0f), {0, 0}, {1, 64});
  tmp = array(0.0f);
  out.eval();
  EXPECT_EQ(out.buffer().get(), p);
  // A source still held elsewhere is copied, not written.
  array kept = add(src, array(1.0f));
  kept.eval();
  array out2 = scatter(kept, idx_array({0}, {1}), zeros({1, 1, 64}), 0);
  out2.eval();
  EXPECT_NE(out2.buffer().get(), kept.buffer().get());
  EXPECT_EQ(out2.to_vector<float>()[5], 0.0f);
  EXPECT_EQ(kept.to_vector<float>()[5], src.to_vector<float>()[5] + 1.0f);
}

TEST(IndexingMisc, LongRowPaths) {
  // take with long trailing rows (block gather + transposed view) on a middle axis.
  array a = rnd({3, 5, 2, 40}, float32);
  auto iv = rnd_indices(8, -7, 7);
  array out = take(test::strided_view(a), idx_array(iv, {2, 4}, int16), 1);
  Shape os{3, 2, 4, 2, 40};
  std::vector<int64_t> map(nelem(os));
  for (int64_t i = 0; i < nelem(os); ++i) {
    auto o = unravel(i, os);
    map[i] = ravel({o[0], norm_idx(iv[o[1] * 4 + o[2]], 5, 4), o[3], o[4]}, a.shape());
  }
  expect_mapped(out, a, os, map, "take long rows");
  // repeat with long trailing rows (broadcast path).
  array r = repeat(a, 3, 1);
  Shape rs{3, 15, 2, 40};
  std::vector<int64_t> rmap(nelem(rs));
  for (int64_t i = 0; i < nelem(rs); ++i) {
    auto o = unravel(i, rs);
    o[1] /= 3;
    rmap[i] = ravel(o, a.shape());
  }
  expect_mapped(r, a, rs, rmap, "repeat long rows");
  // gather of single elements with a 2-d strided index array.
  array flat = rnd({50}, int64);
  auto gv = rnd_indices(12, -60, 60);
  array gi = test::strided_view(idx_array(gv, {3, 4}, int32));
  array g = gather(flat, {gi}, {0}, Shape{1});
  std::vector<int64_t> gmap;
  for (auto v : gv) gmap.push_back(norm_idx(v, 50, 49));
  expect_mapped(g, flat, {3, 4, 1}, gmap, "gather elements");
  // One very long 1-d take (split rows across threads).
  array big = rnd({300000}, int32);
  auto bv = rnd_indices(300000, -300000, 299999);
  std::vector<int64_t> bmap;
  for (auto v : bv) bmap.push_back(norm_idx(v, 300000, 299999));
  expect_mapped(take(big, idx_array(bv, {300000})), big, {300000}, bmap, "take 1-d long");
}

TEST(IndexingScatter, OverlappingBlocks) {
  // Blocks two wide along the indexed axis overlap; every update must count.
  array a = rnd_int_valued({10, 300, 300}, int32, -9, 9);
  std::vector<int64_t> iv{0, 1, 1, 8, -2, 100};
  array upd = rnd_int_valued({6, 2, 300, 299}, int32, -9, 9);
  array out = scatter_add(a, idx_array(iv, {6}), upd, 0);
  auto want = scatter_ref(a.to_vector<double>(), {10, 300, 300}, {iv}, {6}, {0},
                          upd.to_vector<double>(), {2, 300, 299}, "add", false);
  EXPECT_EQ(out.to_vector<double>(), want);
}

// ======================================================================
// The test device against the CPU: every dtype, reduction and index dtype,
// strided and broadcast index arrays (DEVICE=gpu runs the GPU kernels; on
// the CPU both sides agree trivially).

namespace {

const Dtype kAllTypes[] = {bool_, uint8, uint16,  uint32,   uint64,  int8,    int16,
                           int32, int64, float16, bfloat16, float32, float64, complex64};
const Dtype kIndexTypes[] = {uint8, uint16, uint32, uint64, int8, int16, int32, int64};

// Integer-valued data in [lo, hi] (exact in every dtype, so sums and
// products do not depend on the order updates land in); complex gets an
// integer imaginary part too.
array int_data(const Shape& shape, Dtype t, int lo, int hi) {
  if (!is_complex(t)) return rnd_int_valued(shape, t, lo, hi);
  array re = rnd_int_valued(shape, float32, lo, hi), im = rnd_int_valued(shape, float32, lo, hi);
  array c = add(astype(re, complex64), multiply(astype(im, complex64), array(complex64_t(0, 1))));
  c.eval();
  return c;
}

// Index values for dtype it: unsigned types get no negatives.
array index_data(std::vector<int64_t> v, const Shape& shape, Dtype it, int64_t n) {
  if (is_unsigned(it)) {
    for (auto& x : v) x = x < 0 ? x + n : x;
  }
  return idx_array(v, shape, it);
}

void expect_same(array got, array want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  Vals g = vals(got), w = vals(want);
  for (size_t i = 0; i < g.re.size(); ++i) {
    bool re = g.re[i] == w.re[i] || (std::isnan(g.re[i]) && std::isnan(w.re[i]));
    bool im = g.im[i] == w.im[i] || (std::isnan(g.im[i]) && std::isnan(w.im[i]));
    ASSERT_TRUE(re && im) << what << " at " << i << ": got (" << g.re[i] << ", " << g.im[i]
                          << "), want (" << w.re[i] << ", " << w.im[i] << ")";
  }
}

array scatter_on(const std::string& kind, const array& a, const std::vector<array>& idx,
                 const array& upd, const std::vector<int>& axes, StreamOrDevice s) {
  if (kind == "scatter") return scatter(a, idx, upd, axes, s);
  if (kind == "add") return scatter_add(a, idx, upd, axes, s);
  if (kind == "prod") return scatter_prod(a, idx, upd, axes, s);
  if (kind == "max") return scatter_max(a, idx, upd, axes, s);
  return scatter_min(a, idx, upd, axes, s);
}

}  // namespace

TEST(IndexingOnDevice, ScatterReductionsMatchCpu) {
  TANDEM_REQUIRE_DEVICE();
  Device dev = test::test_device();
  int n = 0;
  for (std::string kind : {"add", "prod", "max", "min"}) {
    int lo = kind == "prod" ? -1 : -9, hi = kind == "prod" ? 1 : 9;
    for (Dtype t : kAllTypes) {
      Dtype it = kIndexTypes[n++ % 8];
      Shape as{6, 5, 4};
      array a = int_data(as, t, lo, hi);
      // Axes 0 and 2, index shape (3, 4): a broadcast index array and a
      // transposed one; repeats, negatives and out-of-range values. Blocks
      // two wide along axis 0 overlap.
      array i0 = broadcast_to(index_data({-6, 0, 4, 9}, {1, 4}, it, 6), {3, 4});
      array i1 = test::strided_view(index_data(rnd_indices(12, -4, 5), {3, 4}, it, 4));
      array upd = int_data({3, 4, 2, 5, 1}, t, lo, hi);
      std::string what = kind + " " + tname(t) + " index " + tname(it);
      expect_same(scatter_on(kind, test::strided_view(a), {i0, i1}, upd, {0, 2}, dev),
                  scatter_on(kind, a, {i0, i1}, upd, {0, 2}, Device::cpu), what);
      // One index array, single elements, many repeats.
      array flat = int_data({7}, t, lo, hi);
      array fi = index_data(rnd_indices(40, -7, 8), {40}, it, 7);
      array fu = int_data({40, 1}, t, lo, hi);
      expect_same(scatter_on(kind, flat, {fi}, fu, {0}, dev),
                  scatter_on(kind, flat, {fi}, fu, {0}, Device::cpu), what + " 1-d");
    }
  }
}

TEST(IndexingOnDevice, PlainScatterGatherAndAxisOpsMatchCpu) {
  TANDEM_REQUIRE_DEVICE();
  Device dev = test::test_device();
  int n = 0;
  for (Dtype t : kAllTypes) {
    Dtype it = kIndexTypes[n++ % 8];
    std::string what = tname(t) + " index " + tname(it);
    array a = rnd({6, 5, 4}, t);
    // Plain scatter with distinct positions (so the result is unique).
    array si = index_data({-1, 0, 2, -4}, {4}, it, 5);
    array su = rnd({4, 6, 1, 4}, t);
    expect_same(scatter(a, si, su, 1, dev), scatter(a, si, su, 1, Device::cpu), what + " scatter");
    // Gather blocks along two axes with strided index arrays.
    array g0 = test::strided_view(index_data(rnd_indices(6, -7, 7), {2, 3}, it, 6));
    array g1 = index_data(rnd_indices(6, -5, 5), {2, 3}, it, 4);
    expect_same(gather(test::strided_view(a), {g0, g1}, {0, 2}, Shape{2, 3, 3}, dev),
                gather(a, {g0, g1}, {0, 2}, Shape{2, 3, 3}, Device::cpu), what + " gather");
    // take / take_along_axis / put_along_axis / scatter_add_axis.
    array ti = index_data(rnd_indices(10, -6, 6), {2, 5}, it, 5);
    expect_same(take(a, ti, 1, dev), take(a, ti, 1, Device::cpu), what + " take");
    array ai = index_data(rnd_indices(6 * 3 * 4, -6, 6), {6, 3, 4}, it, 5);
    expect_same(take_along_axis(test::strided_view(a), ai, 1, dev),
                take_along_axis(a, ai, 1, Device::cpu), what + " take_along_axis");
    array pu = index_data({-1, 0, 3, 2, 1, 4}, {1, 6, 1}, it, 6);  // distinct along axis 1
    array pa = rnd({3, 6, 2}, t);
    array pv = rnd({3, 6, 2}, t);
    expect_same(put_along_axis(pa, broadcast_to(pu, {3, 6, 2}), pv, 1, dev),
                put_along_axis(pa, broadcast_to(pu, {3, 6, 2}), pv, 1, Device::cpu),
                what + " put_along_axis");
    if (t != bool_) {
      array vi = int_data({3, 8, 2}, t, -9, 9);
      array xi = index_data(rnd_indices(48, -6, 6), {3, 8, 2}, it, 6);
      array xa = int_data({3, 6, 2}, t, -9, 9);
      expect_same(scatter_add_axis(xa, xi, vi, 1, dev),
                  scatter_add_axis(xa, xi, vi, 1, Device::cpu), what + " scatter_add_axis");
    }
    // concatenate and slice_update with strided and broadcast pieces.
    array c1 = rnd({6, 2, 4}, t);
    array c2 = broadcast_to(rnd({1, 1, 4}, t), {6, 3, 4});
    expect_same(concatenate({test::strided_view(a), c1, c2}, 1, dev),
                concatenate({a, c1, c2}, 1, Device::cpu), what + " concatenate");
    array u = rnd({3, 1, 4}, t);
    expect_same(slice_update(test::strided_view(a), u, {5, 1, 0}, {0, 5, 4}, {-2, 2, 1}, dev),
                slice_update(a, u, {5, 1, 0}, {0, 5, 4}, {-2, 2, 1}, Device::cpu),
                what + " slice_update");
  }
}
