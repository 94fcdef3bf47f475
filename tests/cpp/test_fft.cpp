// tandem::fft against a direct O(n^2) DFT computed here in double precision,
// over sizes with prime factors, strided inputs and several axes; the vjp of
// the complex transform against its adjoint; argument errors.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;
using namespace tandem::test;

namespace {

using cd = std::complex<double>;

std::vector<cd> values_of(const array& a) {
  array c = astype(a, complex64);
  auto re = to_double(real(c)), im = to_double(imag(c));
  std::vector<cd> v(re.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = cd(re[i], im[i]);
  return v;
}

// DFT along the last axis of row-major data (lines of n), output length m
// (the first m terms), sign -1 forward, +1 inverse, times scale.
std::vector<cd> dft_lines(const std::vector<cd>& x, size_t n, size_t m, int sign, double scale) {
  size_t lines = x.size() / n;
  std::vector<cd> out(lines * m);
  for (size_t l = 0; l < lines; ++l) {
    for (size_t k = 0; k < m; ++k) {
      cd acc = 0;
      for (size_t j = 0; j < n; ++j) {
        double ang = sign * 2 * M_PI * double((j * k) % n) / double(n);
        acc += x[l * n + j] * cd(std::cos(ang), std::sin(ang));
      }
      out[l * m + k] = acc * scale;
    }
  }
  return out;
}

// |got - want| <= 8 log2(n) eps max|want|.
void expect_close_c(const std::vector<cd>& got, const std::vector<cd>& want, size_t n,
                    const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double mx = 1;
  for (auto& w : want) mx = std::max(mx, std::abs(w));
  double tol = 8 * std::max(1.0, std::log2(double(n))) * 1.1920929e-7 * mx;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_LE(std::abs(got[i] - want[i]), tol) << what << " at " << i;
  }
}

array random_complex(Shape shape) {
  return add(astype(random_array(shape, float32), complex64),
             multiply(array(complex64_t(0.f, 1.f)), random_array(shape, float32)));
}

}  // namespace

TEST(FFT, OneDimensionalSizes) {
  for (int n : {1, 2, 3, 5, 7, 8, 12, 13, 16, 97}) {
    array x = random_complex({3, n});
    auto xv = values_of(x);
    std::string w = "n = " + std::to_string(n);
    expect_close_c(values_of(fft::fft(x)), dft_lines(xv, n, n, -1, 1.0), n, "fft " + w);
    expect_close_c(values_of(fft::ifft(x)), dft_lines(xv, n, n, 1, 1.0 / n), n, "ifft " + w);
    array r = real(x);
    auto rv = values_of(r);
    expect_close_c(values_of(fft::rfft(r)), dft_lines(rv, n, n / 2 + 1, -1, 1.0), n, "rfft " + w);
    EXPECT_EQ(fft::rfft(r).dtype(), complex64);
  }
}

TEST(FFT, IrfftIsTheInverseOfRfft) {
  for (int n : {2, 3, 7, 8, 13, 64}) {
    array r = random_array({4, n}, float32);
    array back = fft::irfft(fft::rfft(r), n);
    EXPECT_EQ(back.dtype(), float32);
    expect_close(to_double(back), to_double(r), 0, 1e-5, "irfft(rfft) n = " + std::to_string(n));
  }
}

TEST(FFT, AxesStridesAndPadding) {
  array x = random_complex({4, 6, 5});
  array t = transpose(x, {2, 0, 1});  // (5, 4, 6), not contiguous
  // fft along axis 0 of t == fft along the last axis of x, moved.
  array got = fft::fft(t, std::nullopt, 0);
  array want = transpose(fft::fft(x), {2, 0, 1});
  expect_close_c(values_of(got), values_of(want), 5, "axis 0 of a transpose");
  // n pads with zeros and crops.
  array padded = fft::fft(x, 9);
  array manual = pad(x, {2}, {0}, {4}, array(0.f));
  expect_close_c(values_of(padded), values_of(fft::fft(manual)), 9, "n = 9");
  array cropped = fft::fft(x, 3);
  array x3 = slice(x, {0, 0, 0}, {4, 6, 3});
  expect_close_c(values_of(cropped), values_of(fft::fft(x3)), 3, "n = 3");
  // fftn over (0, 2) is fft along 0 then along 2.
  array both = fft::fftn(x, std::nullopt, std::vector<int>{0, -1});
  array seq = fft::fft(fft::fft(x, std::nullopt, 0), std::nullopt, 2);
  expect_close_c(values_of(both), values_of(seq), 20, "fftn axes (0, -1)");
  EXPECT_EQ(fft::irfftn(x).shape(), (Shape{4, 6, 8}));
  EXPECT_EQ(fft::rfft2(real(x)).shape(), (Shape{4, 6, 3}));
}

TEST(FFT, VjpOfComplexTransformIsAdjoint) {
  // <F x, c> = <x, F^H c>: the vjp of fft is n * ifft.
  array x = random_complex({2, 7});
  array c = random_complex({2, 7});
  auto [outs, vjps] = vjp([](const array& a) { return fft::fft(a); }, x, c);
  expect_close_c(values_of(vjps), values_of(multiply(array(7.f), fft::ifft(c))), 7, "vjp");
  auto [o2, jv] = jvp([](const array& a) { return fft::ifft(a); }, x, c);
  expect_close_c(values_of(jv), values_of(fft::ifft(c)), 7, "jvp");
}

TEST(FFT, Errors) {
  array x = random_array({3, 4}, float32);
  EXPECT_THROW(fft::fft(array(1.f)), AxisError);
  EXPECT_THROW(fft::fft(x, std::nullopt, 2), AxisError);
  expect_invalid([&] { fft::fft(x, 0); }, "fft", {"(0,)"});
  expect_invalid(
      [&] {
        fft::fft2(x, std::nullopt, std::vector<int>{1, 1});
      },
      "fft2", {"Duplicated"});
  expect_invalid([&] { fft::fftn(x, Shape{2, 2}); }, "fftn", {"axes"});
  expect_invalid([&] { fft::fftn(x, Shape{2}, std::vector<int>{0, 1}); }, "fftn", {"(2,)"});
  expect_invalid([&] { fft::fft(x, std::nullopt, -1, "bad"); }, "fft", {"bad"});
  expect_invalid([&] { fft::fftfreq(0); }, "fftfreq");
  expect_invalid([&] { fft::rfftfreq(4, 0.0); }, "rfftfreq");
}

TEST(FFT, FreqAndShift) {
  expect_close(to_double(fft::fftfreq(5, 0.5)), {0, 0.4, 0.8, -0.8, -0.4}, 1e-6, 1e-7, "fftfreq");
  expect_close(to_double(fft::rfftfreq(6)), {0, 1.0 / 6, 2.0 / 6, 0.5}, 1e-6, 1e-7, "rfftfreq");
  array a = arange(5);
  expect_close(to_double(fft::fftshift(a)), {3, 4, 0, 1, 2}, 0, 0, "fftshift");
  expect_close(to_double(fft::ifftshift(a)), {2, 3, 4, 0, 1}, 0, 0, "ifftshift");
}
