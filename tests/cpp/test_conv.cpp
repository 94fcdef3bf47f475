// conv2d and conv_transpose1d from C++ against direct sums written here, and
// the shape errors. (tests/python/test_conv.py covers dtypes, layouts,
// dilations, groups and gradients.)
#include <gtest/gtest.h>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;
using namespace tandem::test;

namespace {

TEST(Conv, Conv2dStridePaddingGroupsMatchDirectSum) {
  const int n = 2, h = 6, w = 5, cin = 4, cout = 6, kh = 3, kw = 2, groups = 2;
  const int sh = 2, sw = 1, ph = 1, pw = 1;
  auto xv = random_values(n * h * w * cin, float64);
  auto wv = random_values(cout * kh * kw * (cin / groups), float64);
  array x = make_array(xv, {n, h, w, cin}, float64);
  array k = make_array(wv, {cout, kh, kw, cin / groups}, float64);
  array out = conv2d(x, k, {sh, sw}, {ph, pw}, {1, 1}, groups);
  const int oh = (h + 2 * ph - kh) / sh + 1, ow = (w + 2 * pw - kw) / sw + 1;
  ASSERT_EQ(out.shape(), (Shape{n, oh, ow, cout}));
  const int cg = cin / groups, co = cout / groups;
  std::vector<double> want;
  for (int b = 0; b < n; ++b)
    for (int i = 0; i < oh; ++i)
      for (int j = 0; j < ow; ++j)
        for (int c = 0; c < cout; ++c) {
          double acc = 0;
          int g = c / co;
          for (int di = 0; di < kh; ++di)
            for (int dj = 0; dj < kw; ++dj)
              for (int ci = 0; ci < cg; ++ci) {
                int y = i * sh + di - ph, xx = j * sw + dj - pw;
                if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                acc += xv[((b * h + y) * w + xx) * cin + g * cg + ci] *
                       wv[((c * kh + di) * kw + dj) * cg + ci];
              }
          want.push_back(acc);
        }
  expect_close(to_double(out), want, 1e-12, 1e-12, "conv2d");
}

TEST(Conv, ConvTranspose1dScattersEachInputThroughTheKernel) {
  // out[s * i + k - p] += x[i] * w[k]: the transposed convolution's definition.
  const int len = 5, kl = 3, s = 2, p = 1;
  auto xv = random_values(len, float64);
  auto wv = random_values(kl, float64);
  array out = conv_transpose1d(make_array(xv, {1, len, 1}, float64),
                               make_array(wv, {1, kl, 1}, float64), s, p);
  const int ol = (len - 1) * s - 2 * p + kl;
  ASSERT_EQ(out.shape(), (Shape{1, ol, 1}));
  std::vector<double> want(ol, 0.0);
  for (int i = 0; i < len; ++i)
    for (int k = 0; k < kl; ++k) {
      int o = s * i + k - p;
      if (o >= 0 && o < ol) want[o] += xv[i] * wv[k];
    }
  expect_close(to_double(out), want, 1e-12, 1e-12, "conv_transpose1d");
}

TEST(Conv, ShapeErrorsNameTheShapes) {
  expect_invalid([] { conv1d(zeros({1, 5, 2}), zeros({3, 2, 3})); }, "conv", {"(1, 5, 2)"});
  expect_invalid(
      [] {
        conv2d(zeros({1, 2, 2, 2}), zeros({3, 3, 3, 2}));
      },
      "conv", {"smaller than"});
  expect_invalid(
      [] {
        conv1d(zeros({1, 5, 2}, int32), zeros({3, 2, 2}, int32));
      },
      "conv", {"int32"});
}

}  // namespace
