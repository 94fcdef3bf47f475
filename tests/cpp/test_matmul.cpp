// Tests of the matmul family against float64 (or complex<double>) triple loops.
#include <gtest/gtest.h>

#include <complex>

#include "tandem/backend/cpu/blas_setup.h"
#include "tandem/ops/matmul.h"
#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;

namespace {

using cd = std::complex<double>;

// NumPy-semantics matmul of row-major data: 1-d promotion, batch
// broadcasting. Returns values and, per output, sum_k |a_ik| |b_kj| (the
// scale of the rounding error).
struct RefResult {
  std::vector<cd> val;
  std::vector<double> mag;
  Shape shape;
};

RefResult ref_matmul(const std::vector<cd>& a, Shape as, const std::vector<cd>& b, Shape bs) {
  bool drop_m = as.size() == 1, drop_n = bs.size() == 1;
  if (drop_m) as = {1, as[0]};
  if (drop_n) bs = {bs[0], 1};
  size_t na = as.size() - 2, nb = bs.size() - 2, n = std::max(na, nb);
  Shape ba(n, 1), bb(n, 1), bo(n, 1);
  for (size_t i = 0; i < na; ++i) ba[n - na + i] = as[i];
  for (size_t i = 0; i < nb; ++i) bb[n - nb + i] = bs[i];
  for (size_t i = 0; i < n; ++i) bo[i] = ba[i] == 1 ? bb[i] : ba[i];
  int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  int64_t nbatch = 1;
  for (auto d : bo) nbatch *= d;
  RefResult r;
  r.val.assign(nbatch * M * N, 0);
  r.mag.assign(nbatch * M * N, 0);
  for (int64_t bi = 0; bi < nbatch; ++bi) {
    int64_t rem = bi, ia = 0, ib = 0, sa = 1, sb = 1;
    for (int d = static_cast<int>(n) - 1; d >= 0; --d) {
      int64_t idx = rem % bo[d];
      rem /= bo[d];
      ia += (ba[d] == 1 ? 0 : idx) * sa;
      ib += (bb[d] == 1 ? 0 : idx) * sb;
      sa *= ba[d];
      sb *= bb[d];
    }
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t j = 0; j < N; ++j) {
        cd acc = 0;
        double mag = 0;
        for (int64_t k = 0; k < K; ++k) {
          cd x = a[ia * M * K + i * K + k], y = b[ib * K * N + k * N + j];
          acc += x * y;
          mag += std::abs(x) * std::abs(y);
        }
        r.val[bi * M * N + i * N + j] = acc;
        r.mag[bi * M * N + i * N + j] = mag;
      }
    }
  }
  r.shape = bo;
  if (!drop_m) r.shape.push_back(static_cast<ShapeElem>(M));
  if (!drop_n) r.shape.push_back(static_cast<ShapeElem>(N));
  return r;
}

std::vector<cd> values_of(array a) {
  if (a.dtype() == complex64) {
    auto v = a.to_vector<complex64_t>();
    return std::vector<cd>(v.begin(), v.end());
  }
  auto v = a.to_vector<double>();
  return std::vector<cd>(v.begin(), v.end());
}

// Error bound relative to sum |a||b| for a product computed in dtype t.
double tol_for(Dtype t, int64_t K) {
  if (t == float64) return 1e-13 * std::max<int64_t>(1, K);
  if (t == float32 || t == complex64) return 1e-6 * std::max<int64_t>(4, K);
  if (t == float16) return 2e-3;  // one rounding to float16 dominates
  return 1.6e-2;                  // bfloat16
}

void check_against(array got, const RefResult& want, Dtype t, int64_t K, double scale = 1.0,
                   const std::string& what = "") {
  ASSERT_EQ(got.shape(), want.shape) << what;
  ASSERT_EQ(got.dtype(), t) << what;
  auto g = values_of(got);
  ASSERT_EQ(g.size(), want.val.size()) << what;
  double tol = tol_for(t, K);
  for (size_t i = 0; i < g.size(); ++i) {
    cd w = want.val[i] * scale;
    EXPECT_LE(std::abs(g[i] - w), tol * want.mag[i] * std::abs(scale) + 1e-30)
        << what << " at " << i << ": got " << g[i] << ", want " << w;
  }
}

array random_of(Shape shape, Dtype t) {
  if (t == complex64) {
    auto re = test::random_values(shape_size(shape), float64);
    auto im = test::random_values(shape_size(shape), float64);
    std::vector<complex64_t> v(re.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = complex64_t(float(re[i]), float(im[i]));
    array a(v, shape, complex64);
    a.eval();
    return a;
  }
  return test::random_array(shape, t);
}

// Checks matmul(a, b) against the reference on the same logical values.
void check_matmul(const array& a, const array& b, const std::string& what) {
  array out = matmul(a, b);
  Dtype t = promote_types(a.dtype(), b.dtype());
  auto want = ref_matmul(values_of(a), a.shape(), values_of(b), b.shape());
  check_against(out, want, t, a.shape(-1), 1.0, what);
}

const Dtype kFloatTypes[] = {float16, bfloat16, float32, float64, complex64};

std::string name(Dtype t, const Shape& a, const Shape& b) {
  std::ostringstream os;
  os << t << " " << a << " @ " << b;
  return os.str();
}

}  // namespace

TEST(Matmul, ShapesAndDtypes) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{1, 1}, {1, 1}},    {{3, 4}, {4, 5}},     {{1, 7}, {7, 1}},     {{7, 1}, {1, 6}},
      {{17, 33}, {33, 9}}, {{64, 64}, {64, 64}}, {{5, 130}, {130, 3}}, {{100, 50}, {50, 70}}};
  for (Dtype t : kFloatTypes) {
    for (auto& [sa, sb] : cases) {
      array a = random_of(sa, t), b = random_of(sb, t);
      check_matmul(a, b, name(t, sa, sb));
    }
  }
}

TEST(Matmul, LargeUsesThreads) {
  // Big enough for OpenBLAS to use several threads.
  array a = random_of({300, 257}, float32), b = random_of({257, 311}, float32);
  check_matmul(a, b, "f32 large");
  array c = random_of({129, 200}, float64), d = random_of({200, 131}, float64);
  check_matmul(c, d, "f64 large");
}

TEST(Matmul, NarrowProducts) {
  // Few output columns take the narrow path: whole vectors of K plus a tail,
  // rows split over threads, b transposed or strided, a sliced.
  for (Dtype t : {float32, float64}) {
    for (int n = 1; n <= 9; ++n) {
      for (int k : {3, 37, 515}) {
        std::string what =
            std::string(dtype_name(t)) + " n=" + std::to_string(n) + " k=" + std::to_string(k);
        array a = random_of({300, k}, t);
        check_matmul(a, random_of({k, n}, t), what);
        check_matmul(a, transpose(random_of({n, k}, t)), what + " bt");
        check_matmul(a, slice(random_of({k, 2 * n}, t), {0, 0}, {k, 2 * n}, {1, 2}),
                     what + " strided b");
        check_matmul(slice(random_of({70, k + 5}, t), {0, 2}, {70, k + 2}), random_of({k, n}, t),
                     what + " sliced a");
      }
    }
  }
  // addmm through the narrow path, beta 0 ignoring NaN.
  array a = random_of({300, 40}, float32), b = random_of({40, 3}, float32);
  array c = random_of({300, 3}, float32);
  auto prod = ref_matmul(values_of(a), a.shape(), values_of(b), b.shape());
  auto cv = values_of(c);
  RefResult want = prod;
  for (size_t i = 0; i < want.val.size(); ++i) {
    want.val[i] = 0.5 * prod.val[i] - 2.0 * cv[i];
    want.mag[i] = 0.5 * prod.mag[i] + 2.0 * std::abs(cv[i]);
  }
  check_against(addmm(c, a, b, 0.5f, -2.f), want, float32, 40, 1.0, "narrow addmm");
  array nanc = full({300, 3}, array(std::nanf("")), float32);
  check_against(addmm(nanc, a, b, 1.f, 0.f), prod, float32, 40, 1.0, "narrow addmm beta 0");
}

TEST(Matmul, TransposedAndStridedOperands) {
  for (Dtype t : kFloatTypes) {
    // Transposed views (BLAS reads them with CblasTrans, no copy).
    array at = transpose(random_of({6, 5}, t));
    array bt = transpose(random_of({7, 6}, t));
    check_matmul(at, bt, "transposed both");
    check_matmul(at, random_of({6, 4}, t), "transposed a");
    check_matmul(random_of({3, 6}, t), bt, "transposed b");
    // Submatrices (leading dimension larger than the row).
    array big = random_of({12, 15}, t);
    array sub = slice(big, {1, 2}, {6, 11});  // (5, 9)
    check_matmul(sub, random_of({9, 4}, t), "submatrix a");
    check_matmul(random_of({3, 5}, t), slice(big, {2, 1}, {7, 15}), "submatrix b");
    // Steps in both dims and negative steps need a copy.
    array stepped = slice(big, {0, 0}, {12, 15}, {2, 3});  // (6, 5)
    check_matmul(stepped, random_of({5, 3}, t), "stepped a");
    array neg = slice(big, {11, 14}, {-13, -16}, {-1, -2});  // (12, 8)
    check_matmul(random_of({2, 12}, t), neg, "negative-step b");
    // test::strided_view: column-major copies.
    check_matmul(test::strided_view(random_of({4, 6}, t)), test::strided_view(random_of({6, 3}, t)),
                 "strided_view");
    // Broadcast inside a matrix (stride 0).
    array row = broadcast_to(random_of({1, 6}, t), {5, 6});
    check_matmul(row, random_of({6, 2}, t), "broadcast rows");
  }
}

TEST(Matmul, BatchBroadcasting) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3, 4}, {2, 4, 5}},   {{2, 1, 3, 4}, {5, 4, 6}}, {{3, 4}, {2, 4, 5}},
      {{4, 3, 4}, {4, 5}},      {{1, 3, 4}, {6, 4, 2}},    {{2, 3, 1, 2, 3}, {3, 4, 3, 2}},
      {{64, 8, 8}, {64, 8, 8}},  // many small GEMMs over threads
      {{0, 3, 4}, {4, 5}}};
  for (Dtype t : {float32, float64, float16, complex64}) {
    for (auto& [sa, sb] : cases) {
      check_matmul(random_of(sa, t), random_of(sb, t), name(t, sa, sb));
    }
  }
  // Batched operands that are transposed / strided in their batch dims.
  array a = transpose(random_of({4, 5, 3}, float32), {2, 1, 0});  // (3, 5, 4)
  array b = transpose(random_of({3, 6, 4}, float32), {0, 2, 1});  // (3, 4, 6)
  check_matmul(a, b, "batched transposes");
  array c = slice(random_of({6, 5, 4}, float32), {5, 0, 0}, {-7, 5, 4}, {-2, 1, 1});  // (3,5,4)
  check_matmul(c, random_of({4, 2}, float32), "negative batch step");
}

TEST(Matmul, OneDimensional) {
  for (Dtype t : {float32, float64, bfloat16, complex64}) {
    const std::vector<std::pair<Shape, Shape>> cases = {
        {{5}, {5}}, {{5}, {5, 3}}, {{4, 5}, {5}}, {{5}, {2, 5, 3}}, {{2, 3, 5}, {5}}, {{1}, {1}}};
    for (auto& [sa, sb] : cases) {
      check_matmul(random_of(sa, t), random_of(sb, t), name(t, sa, sb));
    }
    check_matmul(test::strided_view(random_of({6}, t)), random_of({6, 2}, t), "strided vector");
  }
  array s = matmul(random_of({4}, float32), random_of({4}, float32));
  EXPECT_EQ(s.ndim(), 0);
}

TEST(Matmul, EmptyDims) {
  for (Dtype t : {float32, float64, float16, complex64}) {
    array z = matmul(random_of({3, 0}, t), random_of({0, 4}, t));
    EXPECT_EQ(z.shape(), Shape({3, 4}));
    for (auto v : values_of(z)) EXPECT_EQ(v, cd(0));
    EXPECT_EQ(matmul(random_of({0, 5}, t), random_of({5, 4}, t)).shape(), Shape({0, 4}));
    EXPECT_EQ(matmul(random_of({3, 5}, t), random_of({5, 0}, t)).shape(), Shape({3, 0}));
    EXPECT_EQ(matmul(random_of({2, 0, 3, 5}, t), random_of({5, 4}, t)).shape(),
              Shape({2, 0, 3, 4}));
    array zv = matmul(random_of({0}, t), random_of({0}, t));
    EXPECT_EQ(zv.ndim(), 0);
    EXPECT_EQ(values_of(zv)[0], cd(0));
  }
}

TEST(Matmul, MixedDtypesPromote) {
  array a = random_of({3, 4}, float16), b = random_of({4, 2}, float32);
  array c = matmul(a, b);
  EXPECT_EQ(c.dtype(), float32);
  check_matmul(a, b, "f16 @ f32");
  EXPECT_EQ(matmul(random_of({3, 4}, bfloat16), random_of({4, 2}, float16)).dtype(), float32);
  EXPECT_EQ(matmul(random_of({3, 4}, float32), random_of({4, 2}, float64)).dtype(), float64);
}

TEST(Matmul, Errors) {
  auto expect_invalid = [](auto fn, const std::string& prefix, const std::string& has) {
    try {
      fn();
      ADD_FAILURE() << "no exception, expected " << prefix;
    } catch (const std::invalid_argument& e) {
      std::string m = e.what();
      EXPECT_EQ(m.rfind(prefix, 0), 0u) << m;
      EXPECT_NE(m.find(has), std::string::npos) << m;
    }
  };
  array i = test::random_array({2, 3}, int32), j = test::random_array({3, 2}, int32);
  expect_invalid([&] { matmul(i, j); }, "[matmul]", "int32");
  expect_invalid([&] { matmul(test::random_array({2, 3}, bool_), j); }, "[matmul]", "bool");
  array a = random_of({2, 3}, float32);
  expect_invalid([&] { matmul(a, random_of({4, 2}, float32)); }, "[matmul]", "(2, 3) and (4, 2)");
  expect_invalid(
      [&] {
        matmul(random_of({3, 2, 3}, float32), random_of({4, 3, 2}, float32));
      },
      "[matmul]", "(3, 2, 3) and (4, 3, 2)");
  expect_invalid([&] { matmul(array(1.0f), a); }, "[matmul]", "()");
  expect_invalid([&] { matmul(random_of({3}, float32), random_of({4}, float32)); }, "[matmul]",
                 "(3,) and (4,)");
  expect_invalid(
      [&] {
        addmm(random_of({5, 5}, float32), a, random_of({3, 4}, float32));
      },
      "[addmm]", "(5, 5)");
  expect_invalid([&] { tensordot(a, a, 3); }, "[tensordot]", "(2, 3)");
  expect_invalid(
      [&] {
        tensordot(a, random_of({4, 2}, float32), {1}, {0});
      },
      "[tensordot]", "size 3");
  expect_invalid([&] { tensordot(a, a, {0, 1}, {0}); }, "[tensordot]", "same length");
  expect_invalid([&] { tensordot(a, a, {5}, {0}); }, "[tensordot]", "5");
  expect_invalid([&] { inner(a, random_of({2, 4}, float32)); }, "[inner]", "(2, 4)");
  expect_invalid([&] { einsum("ij,jk->ik", {a}); }, "[einsum]", "2 operands");
  expect_invalid([&] { einsum("ij,jk->ik", {a, random_of({4, 2}, float32)}); }, "[einsum]", "'j'");
  expect_invalid([&] { einsum("ijk->i", {a}); }, "[einsum]", "(2, 3)");
  expect_invalid([&] { einsum("ij->z", {a}); }, "[einsum]", "'z'");
  expect_invalid([&] { einsum("i1->i", {a}); }, "[einsum]", "'1'");
  expect_invalid([&] { einsum("ij->ij", {i}); }, "[einsum]", "int32");
}

TEST(Matmul, Addmm) {
  for (Dtype t : kFloatTypes) {
    for (auto [alpha, beta] : {std::pair{1.f, 1.f}, {2.f, -0.5f}, {-1.f, 0.f}, {0.5f, 3.f}}) {
      for (Shape cs : {Shape{3, 5}, Shape{5}, Shape{3, 1}, Shape{}}) {
        array a = random_of({3, 4}, t), b = random_of({4, 5}, t), c = random_of(cs, t);
        array out = addmm(c, a, b, alpha, beta);
        auto prod = ref_matmul(values_of(a), a.shape(), values_of(b), b.shape());
        auto cv = values_of(broadcast_to(c, {3, 5}));
        RefResult want = prod;
        for (size_t i = 0; i < want.val.size(); ++i) {
          want.val[i] = double(alpha) * prod.val[i] + double(beta) * cv[i];
          want.mag[i] = std::abs(alpha) * prod.mag[i] + std::abs(beta) * std::abs(cv[i]);
        }
        check_against(out, want, t, 4, 1.0, "addmm");
      }
    }
  }
  // Batched, transposed operands, c donated or not.
  array a = transpose(random_of({2, 4, 3}, float32), {0, 2, 1});
  array b = random_of({4, 6}, float32);
  array c = random_of({2, 3, 6}, float32);
  auto prod = ref_matmul(values_of(a), a.shape(), values_of(b), b.shape());
  auto cv = values_of(c);
  array out = addmm(c, a, b, 0.25f, 2.f);
  RefResult want = prod;
  for (size_t i = 0; i < want.val.size(); ++i) {
    want.val[i] = 0.25 * prod.val[i] + 2.0 * cv[i];
    want.mag[i] = 0.25 * prod.mag[i] + 2.0 * std::abs(cv[i]);
  }
  check_against(out, want, float32, 4, 1.0, "batched addmm");
  // A c that is a fresh temporary (donatable).
  array out2 = addmm(multiply(c, array(1.0f)), a, b, 0.25f, 2.f);
  check_against(out2, want, float32, 4, 1.0, "addmm donated c");
  // beta = 0 ignores c, NaNs included (as BLAS does).
  array nanc = full({3, 5}, array(std::nanf("")), float32);
  array x = random_of({3, 4}, float32), y = random_of({4, 5}, float32);
  check_against(addmm(nanc, x, y, 2.f, 0.f),
                ref_matmul(values_of(x), x.shape(), values_of(y), y.shape()), float32, 4, 2.0,
                "beta 0");
  // K = 0: beta * c.
  array ck = random_of({2, 3}, float64);
  auto kv = addmm(ck, random_of({2, 0}, float64), random_of({0, 3}, float64), 1.f, 3.f)
                .to_vector<double>();
  auto cvals = ck.to_vector<double>();
  for (size_t i = 0; i < kv.size(); ++i) EXPECT_DOUBLE_EQ(kv[i], 3.0 * cvals[i]);
  // 1-d operands.
  array v = random_of({4}, float64), w = random_of({4}, float64);
  double dot = 0;
  auto vv = v.to_vector<double>(), wv = w.to_vector<double>();
  for (int i = 0; i < 4; ++i) dot += vv[i] * wv[i];
  array r = addmm(array(1.5), v, w, 2.f, 1.f);
  EXPECT_EQ(r.ndim(), 0);
  EXPECT_NEAR(r.item<double>(), 2 * dot + 1.5, 1e-12);
  EXPECT_EQ(addmm(random_of({3}, float32), random_of({2, 4}, float32), random_of({4, 3}, float32))
                .shape(),
            Shape({2, 3}));
}

namespace {

// Reference tensordot through explicit index loops on row-major doubles.
std::vector<double> ref_tensordot(const std::vector<double>& a, const Shape& as,
                                  const std::vector<double>& b, const Shape& bs,
                                  const std::vector<int>& ca, const std::vector<int>& cb,
                                  Shape& out_shape) {
  std::vector<int> fa, fb;
  for (int i = 0; i < (int)as.size(); ++i)
    if (std::find(ca.begin(), ca.end(), i) == ca.end()) fa.push_back(i);
  for (int i = 0; i < (int)bs.size(); ++i)
    if (std::find(cb.begin(), cb.end(), i) == cb.end()) fb.push_back(i);
  out_shape.clear();
  for (int i : fa) out_shape.push_back(as[i]);
  for (int i : fb) out_shape.push_back(bs[i]);
  Shape cshape;
  for (int i : ca) cshape.push_back(as[i]);
  size_t nout = shape_size(out_shape), nc = shape_size(cshape);
  Strides sa = row_major_strides(as), sb = row_major_strides(bs);
  std::vector<double> out(nout, 0);
  auto unravel = [](size_t i, const Shape& s) {
    std::vector<int64_t> idx(s.size());
    for (int d = (int)s.size() - 1; d >= 0; --d) {
      idx[d] = i % s[d];
      i /= s[d];
    }
    return idx;
  };
  for (size_t o = 0; o < nout; ++o) {
    auto oi = unravel(o, out_shape);
    for (size_t c = 0; c < nc; ++c) {
      auto ci = unravel(c, cshape);
      int64_t offa = 0, offb = 0;
      for (size_t k = 0; k < fa.size(); ++k) offa += oi[k] * sa[fa[k]];
      for (size_t k = 0; k < fb.size(); ++k) offb += oi[fa.size() + k] * sb[fb[k]];
      for (size_t k = 0; k < ca.size(); ++k) {
        offa += ci[k] * sa[ca[k]];
        offb += ci[k] * sb[cb[k]];
      }
      out[o] += a[offa] * b[offb];
    }
  }
  return out;
}

}  // namespace

TEST(Matmul, Tensordot) {
  array a = random_of({3, 4, 5}, float64), b = random_of({4, 5, 2}, float64);
  Shape os;
  auto want = ref_tensordot(a.to_vector<double>(), a.shape(), b.to_vector<double>(), b.shape(),
                            {1, 2}, {0, 1}, os);
  array r = tensordot(a, b, 2);
  EXPECT_EQ(r.shape(), os);
  test::expect_close(r.to_vector<double>(), want, 1e-12, 1e-12, "tensordot 2");
  array r2 = tensordot(a, b, std::vector<int>{1, 2}, std::vector<int>{0, 1});
  test::expect_close(r2.to_vector<double>(), want, 1e-12, 1e-12, "tensordot pairs");

  array c = random_of({5, 3, 4}, float32), d = random_of({4, 6, 5}, float32);
  auto want2 = ref_tensordot(c.to_vector<double>(), c.shape(), d.to_vector<double>(), d.shape(),
                             {0, 2}, {2, 0}, os);
  array r3 = tensordot(c, d, std::vector<int>{0, -1}, std::vector<int>{-1, 0});
  EXPECT_EQ(r3.shape(), os);
  test::expect_close(r3.to_vector<double>(), want2, 1e-5, 1e-5, "tensordot permuted");
  // axes = 0: outer product.
  array e = random_of({2, 3}, float32), f = random_of({4}, float32);
  auto want3 =
      ref_tensordot(e.to_vector<double>(), e.shape(), f.to_vector<double>(), f.shape(), {}, {}, os);
  array r4 = tensordot(e, f, 0);
  EXPECT_EQ(r4.shape(), Shape({2, 3, 4}));
  test::expect_close(r4.to_vector<double>(), want3, 1e-6, 1e-6, "tensordot 0");
  // Strided input.
  array g = test::strided_view(random_of({4, 5}, float64));
  auto want4 = ref_tensordot(g.to_vector<double>(), g.shape(), b.to_vector<double>(), b.shape(),
                             {0, 1}, {0, 1}, os);
  test::expect_close(tensordot(g, b, 2).to_vector<double>(), want4, 1e-12, 1e-12,
                     "tensordot strided");
}

TEST(Matmul, InnerOuterVecdotKron) {
  array a = random_of({2, 3, 4}, float64), b = random_of({5, 4}, float64);
  Shape os;
  auto want = ref_tensordot(a.to_vector<double>(), a.shape(), b.to_vector<double>(), b.shape(), {2},
                            {1}, os);
  array r = inner(a, b);
  EXPECT_EQ(r.shape(), Shape({2, 3, 5}));
  test::expect_close(r.to_vector<double>(), want, 1e-12, 1e-12, "inner");
  EXPECT_NEAR(inner(array(2.0), array(3.5)).item<double>(), 7.0, 0);

  // outer: any dtype, inputs flattened.
  array x = test::random_array({2, 2}, int32), y = test::random_array({3}, int32);
  array o = outer(x, y);
  EXPECT_EQ(o.shape(), Shape({4, 3}));
  EXPECT_EQ(o.dtype(), int32);
  auto xv = x.to_vector<int>(), yv = y.to_vector<int>(), ov = o.to_vector<int>();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(ov[i * 3 + j], xv[i] * yv[j]);

  // vecdot conjugates the first argument.
  array p = random_of({3, 4}, complex64), q = random_of({4}, complex64);
  array vd = vecdot(p, q);
  EXPECT_EQ(vd.shape(), Shape({3}));
  auto pv = values_of(p), qv = values_of(q), vv = values_of(vd);
  for (int i = 0; i < 3; ++i) {
    cd acc = 0;
    for (int k = 0; k < 4; ++k) acc += std::conj(pv[i * 4 + k]) * qv[k];
    EXPECT_LE(std::abs(vv[i] - acc), 1e-5 * (1 + std::abs(acc)));
  }
  array u = random_of({4, 3}, float32), w = random_of({4, 1}, float32);
  array vd0 = vecdot(u, w, 0);
  EXPECT_EQ(vd0.shape(), Shape({3}));
  auto uv = u.to_vector<double>(), wv = w.to_vector<double>(), v0 = vd0.to_vector<double>();
  for (int j = 0; j < 3; ++j) {
    double acc = 0;
    for (int k = 0; k < 4; ++k) acc += uv[k * 3 + j] * wv[k];
    EXPECT_NEAR(v0[j], acc, 1e-5 * 12);
  }

  // kron over dtypes and ranks.
  for (Dtype t : {int32, float32, float64}) {
    array ka = test::random_array({2, 3}, t), kb = test::random_array({4, 1, 2}, t);
    array k = kron(ka, kb);
    EXPECT_EQ(k.shape(), Shape({4, 2, 6}));
    EXPECT_EQ(k.dtype(), t);
    auto av = ka.to_vector<double>(), bv = kb.to_vector<double>(), kv = k.to_vector<double>();
    // ka padded to (1, 2, 3): k[i, j, l] = ka[0, j/1, l/2] * kb[i, j%1, l%2].
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 2; ++j)
        for (int l = 0; l < 6; ++l)
          EXPECT_NEAR(kv[(i * 2 + j) * 6 + l], av[j * 3 + l / 2] * bv[i * 2 + l % 2],
                      test::rtol_for(t) * std::fabs(av[j * 3 + l / 2] * bv[i * 2 + l % 2]));
  }
  EXPECT_EQ(
      kron(test::strided_view(random_of({2, 3}, float32)), random_of({2, 2}, float32)).shape(),
      Shape({4, 6}));
}

TEST(Matmul, Einsum) {
  array a = random_of({3, 4}, float64), b = random_of({4, 5}, float64);
  array c = random_of({5, 2}, float64);
  auto av = a.to_vector<double>(), bv = b.to_vector<double>(), cv = c.to_vector<double>();
  // Plain product.
  {
    auto want = ref_matmul(values_of(a), a.shape(), values_of(b), b.shape());
    check_against(einsum("ij,jk->ik", {a, b}), want, float64, 4);
    check_against(einsum("ij,jk", {a, b}), want, float64, 4);  // implicit output
  }
  // Transposed output, three operands.
  {
    array r = einsum("ij,jk,kl->li", {a, b, c});
    EXPECT_EQ(r.shape(), Shape({2, 3}));
    auto rv = r.to_vector<double>();
    for (int l = 0; l < 2; ++l)
      for (int i = 0; i < 3; ++i) {
        double acc = 0;
        for (int j = 0; j < 4; ++j)
          for (int k = 0; k < 5; ++k) acc += av[i * 4 + j] * bv[j * 5 + k] * cv[k * 2 + l];
        EXPECT_NEAR(rv[l * 3 + i], acc, 1e-12 * 20 * 27);
      }
  }
  // Trace, diagonal, sums, transposes.
  array sq = random_of({4, 4}, float64);
  auto sv = sq.to_vector<double>();
  double tr = 0;
  for (int i = 0; i < 4; ++i) tr += sv[i * 5];
  EXPECT_NEAR(einsum("ii", {sq}).item<double>(), tr, 1e-12);
  auto dg = einsum("ii->i", {sq}).to_vector<double>();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(dg[i], sv[i * 5]);
  auto rs = einsum("ij->i", {a}).to_vector<double>();
  for (int i = 0; i < 3; ++i) {
    double acc = 0;
    for (int j = 0; j < 4; ++j) acc += av[i * 4 + j];
    EXPECT_NEAR(rs[i], acc, 1e-12);
  }
  double total = 0;
  for (double v : av) total += v;
  EXPECT_NEAR(einsum("ij->", {a}).item<double>(), total, 1e-12);
  auto tv = einsum("ij->ji", {a}).to_vector<double>();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(tv[j * 3 + i], av[i * 4 + j]);
  // Batched product with ellipsis and broadcasting batch dims.
  {
    array x = random_of({2, 1, 3, 4}, float32), y = random_of({5, 4, 2}, float32);
    auto want = ref_matmul(values_of(x), x.shape(), values_of(y), y.shape());
    check_against(einsum("...ij,...jk->...ik", {x, y}), want, float32, 4);
    check_against(einsum("...ij,...jk", {x, y}), want, float32, 4);
  }
  // Outer product and elementwise product with sum.
  {
    array u = random_of({3}, float32), v = random_of({4}, float32);
    auto uv = u.to_vector<double>(), vv = v.to_vector<double>();
    auto o = einsum("i,j->ij", {u, v}).to_vector<double>();
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) EXPECT_NEAR(o[i * 4 + j], uv[i] * vv[j], 1e-6);
    array w = random_of({3}, float32);
    auto wv = w.to_vector<double>();
    auto had = einsum("i,i->i", {u, w}).to_vector<double>();
    double dot = 0;
    for (int i = 0; i < 3; ++i) {
      EXPECT_NEAR(had[i], uv[i] * wv[i], 1e-6);
      dot += uv[i] * wv[i];
    }
    EXPECT_NEAR(einsum("i,i", {u, w}).item<double>(), dot, 1e-5);
  }
  // Index repeated in one operand and shared with another: sum_i A[i, i] * v[i].
  {
    array v = random_of({4}, float64);
    auto vv = v.to_vector<double>();
    double acc = 0;
    for (int i = 0; i < 4; ++i) acc += sv[i * 5] * vv[i];
    EXPECT_NEAR(einsum("ii,i->", {sq, v}).item<double>(), acc, 1e-12);
  }
  // A contracted index shared by three operands and a label summed alone.
  {
    array p = random_of({3, 4}, float64), q = random_of({4}, float64),
          r = random_of({4, 2}, float64);
    auto pv = p.to_vector<double>(), qv = q.to_vector<double>(), rv = r.to_vector<double>();
    auto got = einsum("ij,j,jk->k", {p, q, r}).to_vector<double>();
    for (int k = 0; k < 2; ++k) {
      double acc = 0;
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 4; ++j) acc += pv[i * 4 + j] * qv[j] * rv[j * 2 + k];
      EXPECT_NEAR(got[k], acc, 1e-12 * 100);
    }
  }
  // Mixed dtypes promote; strided inputs.
  array h = random_of({3, 4}, float16);
  EXPECT_EQ(einsum("ij,jk->ik", {h, test::strided_view(random_of({4, 2}, float32))}).dtype(),
            float32);
}

// ---- the same products on the test device (DEVICE=gpu: cuBLASLt, its
// layout handling and the fallback kernel), against the float64 reference.

namespace {

void check_matmul_on_device(const array& a, const array& b, const std::string& what) {
  array out = matmul(a, b, test::test_device());
  Dtype t = promote_types(a.dtype(), b.dtype());
  auto want = ref_matmul(values_of(a), a.shape(), values_of(b), b.shape());
  check_against(out, want, t, a.shape(-1), 1.0, what);
}

// addmm on the test device against alpha * (a @ b) + beta * c in float64.
void check_addmm_on_device(const array& c, const array& a, const array& b, float alpha, float beta,
                           const std::string& what) {
  array out = addmm(c, a, b, alpha, beta, test::test_device());
  auto prod = ref_matmul(values_of(a), a.shape(), values_of(b), b.shape());
  auto cv = values_of(broadcast_to(c, prod.shape, Device::cpu));
  RefResult want = prod;
  for (size_t i = 0; i < want.val.size(); ++i) {
    cd cterm = beta == 0.f ? cd(0) : double(beta) * cv[i];
    want.val[i] = double(alpha) * prod.val[i] + cterm;
    want.mag[i] = std::abs(alpha) * prod.mag[i] + std::abs(cterm);
  }
  check_against(out, want, promote_types(a.dtype(), b.dtype()), a.shape(-1), 1.0, what);
}

}  // namespace

TEST(Matmul, OnTestDeviceShapesAndLayouts) {
  TANDEM_REQUIRE_DEVICE();
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{1, 1}, {1, 1}},      {{3, 4}, {4, 5}},       {{1, 7}, {7, 1}},
      {{7, 1}, {1, 6}},      {{17, 33}, {33, 9}},    {{64, 64}, {64, 64}},
      {{100, 50}, {50, 70}}, {{1, 300}, {300, 129}}, {{257, 129}, {129, 1}}};
  for (Dtype t : kFloatTypes) {
    for (auto& [sa, sb] : cases)
      check_matmul_on_device(random_of(sa, t), random_of(sb, t), name(t, sa, sb));
    array at = transpose(random_of({6, 5}, t));
    array bt = transpose(random_of({7, 6}, t));
    check_matmul_on_device(at, bt, "transposed both");
    check_matmul_on_device(at, random_of({6, 4}, t), "transposed a");
    check_matmul_on_device(random_of({3, 6}, t), bt, "transposed b");
    // Submatrices: larger leading dims and element 0 off the allocation's alignment.
    array big = random_of({12, 15}, t);
    check_matmul_on_device(slice(big, {1, 2}, {6, 11}), random_of({9, 4}, t), "submatrix a");
    check_matmul_on_device(random_of({3, 5}, t), slice(big, {2, 1}, {7, 15}), "submatrix b");
    check_matmul_on_device(slice(big, {0, 1}, {12, 15}),
                           slice(random_of({16, 9}, t), {1, 1}, {15, 9}), "odd offsets");
    // Layouts cuBLASLt cannot read: copies.
    check_matmul_on_device(slice(big, {0, 0}, {12, 15}, {2, 3}), random_of({5, 3}, t), "stepped a");
    check_matmul_on_device(random_of({2, 12}, t), slice(big, {11, 14}, {-13, -16}, {-1, -2}),
                           "negative-step b");
    check_matmul_on_device(broadcast_to(random_of({1, 6}, t), {5, 6}), random_of({6, 2}, t),
                           "broadcast rows");
    check_matmul_on_device(test::strided_view(random_of({4, 6}, t)),
                           test::strided_view(random_of({6, 3}, t)), "strided_view");
  }
  for (Dtype t : {float32, float64, bfloat16, complex64}) {
    const std::vector<std::pair<Shape, Shape>> vec = {
        {{5}, {5}}, {{5}, {5, 3}}, {{4, 5}, {5}}, {{5}, {2, 5, 3}}, {{2, 3, 5}, {5}}, {{1}, {1}}};
    for (auto& [sa, sb] : vec)
      check_matmul_on_device(random_of(sa, t), random_of(sb, t), name(t, sa, sb));
    check_matmul_on_device(test::strided_view(random_of({6}, t)), random_of({6, 2}, t),
                           "strided vector");
  }
  // A product big enough for the tensor-core kernels.
  for (Dtype t : {float32, bfloat16, float16}) {
    check_matmul_on_device(random_of({256, 192}, t), random_of({192, 320}, t),
                           name(t, {256, 192}, {192, 320}));
  }
  // Empty dims; K = 0 gives zeros.
  Device d = test::test_device();
  for (Dtype t : {float32, float64, float16, complex64}) {
    array z = matmul(random_of({3, 0}, t), random_of({0, 4}, t), d);
    EXPECT_EQ(z.shape(), Shape({3, 4}));
    for (auto v : values_of(z)) EXPECT_EQ(v, cd(0));
    EXPECT_EQ(matmul(random_of({0, 5}, t), random_of({5, 4}, t), d).shape(), Shape({0, 4}));
    EXPECT_EQ(matmul(random_of({2, 0, 3, 5}, t), random_of({5, 4}, t), d).shape(),
              Shape({2, 0, 3, 4}));
  }
}

TEST(Matmul, OnTestDeviceBatches) {
  TANDEM_REQUIRE_DEVICE();
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3, 4}, {2, 4, 5}},
      {{2, 1, 3, 4}, {5, 4, 6}},
      {{3, 4}, {2, 4, 5}},
      {{4, 3, 4}, {4, 5}},
      {{1, 3, 4}, {6, 4, 2}},
      {{2, 3, 1, 2, 3}, {3, 4, 3, 2}},
      {{64, 8, 8}, {64, 8, 8}},
      {{0, 3, 4}, {4, 5}},
      // Batch dims that do not merge: a short host loop, then contiguous copies.
      {{3, 4, 5, 6}, {3, 1, 6, 2}},
      {{70, 2, 3, 4}, {70, 1, 4, 5}}};
  for (Dtype t : {float32, float64, float16, complex64}) {
    for (auto& [sa, sb] : cases)
      check_matmul_on_device(random_of(sa, t), random_of(sb, t), name(t, sa, sb));
  }
  array a = transpose(random_of({4, 5, 3}, float32), {2, 1, 0});  // (3, 5, 4)
  array b = transpose(random_of({3, 6, 4}, float32), {0, 2, 1});  // (3, 4, 6)
  check_matmul_on_device(a, b, "batched transposes");
  array c = slice(random_of({6, 5, 4}, float32), {5, 0, 0}, {-7, 5, 4}, {-2, 1, 1});  // (3,5,4)
  check_matmul_on_device(c, random_of({4, 2}, float32), "negative batch step");
  // More batches than one cuBLASLt call takes.
  check_matmul_on_device(random_of({70000, 2, 3}, float32), random_of({70000, 3, 2}, float32),
                         "70000 batches");
}

TEST(Matmul, OnTestDeviceAddmm) {
  TANDEM_REQUIRE_DEVICE();
  Device d = test::test_device();
  for (Dtype t : kFloatTypes) {
    for (auto [alpha, beta] : {std::pair{1.f, 1.f}, {2.f, -0.5f}, {-1.f, 0.f}}) {
      for (Shape cs : {Shape{3, 5}, Shape{5}, Shape{3, 1}, Shape{}}) {
        check_addmm_on_device(random_of(cs, t), random_of({3, 4}, t), random_of({4, 5}, t), alpha,
                              beta, "addmm");
      }
      // c transposed (gathered into out), and c computed on the device (donated).
      check_addmm_on_device(test::strided_view(random_of({3, 5}, t)), random_of({3, 4}, t),
                            random_of({4, 5}, t), alpha, beta, "addmm strided c");
      array cdev = multiply(random_of({3, 5}, t), array(1.0f, t), d);
      check_addmm_on_device(cdev, random_of({3, 4}, t), random_of({4, 5}, t), alpha, beta,
                            "addmm device c");
    }
  }
  array a = transpose(random_of({2, 4, 3}, float32), {0, 2, 1});
  check_addmm_on_device(random_of({2, 3, 6}, float32), a, random_of({4, 6}, float32), 0.25f, 2.f,
                        "batched addmm");
  // beta = 0 ignores c, NaNs included.
  array nanc = full({3, 5}, array(std::nanf("")), float32);
  array x = random_of({3, 4}, float32), y = random_of({4, 5}, float32);
  check_against(addmm(nanc, x, y, 2.f, 0.f, d),
                ref_matmul(values_of(x), x.shape(), values_of(y), y.shape()), float32, 4, 2.0,
                "beta 0");
  // K = 0: beta * c.
  array ck = random_of({2, 3}, float64);
  auto kv = addmm(ck, random_of({2, 0}, float64), random_of({0, 3}, float64), 1.f, 3.f, d)
                .to_vector<double>();
  auto cvals = ck.to_vector<double>();
  for (size_t i = 0; i < kv.size(); ++i) EXPECT_DOUBLE_EQ(kv[i], 3.0 * cvals[i]);
}

// OpenBLAS's generic fallback kernels run a quarter as fast as those the
// CPU allows (an AVX-512 Xeon whose model a VM hid got "Prescott"):
// blas_setup re-selects them, so a CPU with AVX2 and FMA never ends with a
// core outside OpenBLAS's AVX2-or-newer ones.
TEST(Blas, CoreFitsTheCpu) {
  Stream s = new_stream(Device::cpu);  // blas_setup has run
  array a = test::random_array({64, 64}, float32);
  std::vector<float> va = a.to_vector<float>();
  std::vector<float> got = matmul(a, a, s).to_vector<float>();
  for (int i = 0; i < 64; i += 7) {
    for (int j = 0; j < 64; j += 5) {
      double want = 0;
      for (int k = 0; k < 64; ++k) want += double(va[i * 64 + k]) * va[k * 64 + j];
      EXPECT_NEAR(got[i * 64 + j], want, 1e-4 * (1 + std::abs(want)));
    }
  }
  std::string core = cpu::blas_core();
  if (core.empty()) GTEST_SKIP() << "the BLAS is not OpenBLAS";
#if defined(__x86_64__) && defined(__GNUC__)
  if (std::getenv("OPENBLAS_CORETYPE")) GTEST_SKIP() << "OPENBLAS_CORETYPE chooses the core";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_TRUE(core == "Haswell" || core == "SkylakeX" || core == "Cooperlake" ||
                core == "SapphireRapids" || core == "Zen")
        << "OpenBLAS core " << core << " on an AVX2+FMA CPU";
  }
#endif
}
