// tandem.core.fft: mlx.core.fft's transforms (tandem/ops/fft.h).
#include "python/src/ops_common.h"
#include "tandem/ops/fft.h"

namespace tandem::py {
namespace {
using OptShape = std::optional<Shape>;
using OptAxes = std::optional<std::vector<int>>;
}  // namespace

void init_ops_fft(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("fft", "Discrete Fourier transforms (mlx.core.fft).");
  // One-dimensional: fft(a, n=None, axis=-1, norm="backward", stream=None).
#define TANDEM_FFT_NORM                                                                  \
  "    norm: \"backward\" (the default: no scaling forward, 1 / n inverse), \"ortho\"\n" \
  "        (1 / sqrt(n) both ways) or \"forward\" (1 / n forward).\n\n"
#define TANDEM_FFT1(NAME, DOC, N)                                                                  \
  m.def(                                                                                           \
      #NAME,                                                                                       \
      [](ArrayLike a, std::optional<int> n, int axis, const std::string& norm, StreamOrDevice s) { \
        return fft::NAME(to_array(a), n, axis, norm, s);                                           \
      },                                                                                           \
      "a"_a, "n"_a = nb::none(), "axis"_a = -1, "norm"_a = "backward", S,                          \
      DOC "\n\nArgs:\n    a: input array.\n    n: " N                                              \
          "\n    axis: the axis transformed "                                                      \
          "(default the last).\n" TANDEM_FFT_NORM "Returns:\n    The transformed array.");
  TANDEM_FFT1(fft, "One-dimensional discrete Fourier transform along axis (complex64).",
              "the number of points used along axis: a is cropped or zero-padded to n\n        "
              "(default: the size of axis).")
  TANDEM_FFT1(ifft, "One-dimensional inverse discrete Fourier transform along axis (complex64).",
              "the number of points used along axis: a is cropped or zero-padded to n\n        "
              "(default: the size of axis).")
  TANDEM_FFT1(rfft,
              "One-dimensional transform of a real input: the n // 2 + 1 non-negative "
              "frequency terms (complex64; a complex input's real part is used).",
              "the number of points used along axis: a is cropped or zero-padded to n\n        "
              "(default: the size of axis).")
  TANDEM_FFT1(irfft,
              "The inverse of rfft: n real outputs (n defaults to 2 * (size - 1)) from "
              "n // 2 + 1 terms (float32).",
              "the number of real outputs (default 2 * (size - 1)); the input is cropped or\n"
              "        zero-padded to n // 2 + 1 terms.")
#undef TANDEM_FFT1
  // Two- and n-dimensional: s needs explicit axes; axes=None means every axis.
#define TANDEM_FFTN(NAME, AXES_DEFAULT, DOC)                                                  \
  m.def(                                                                                      \
      #NAME,                                                                                  \
      [](ArrayLike a, OptShape sz, OptAxes axes, const std::string& norm, StreamOrDevice s) { \
        return fft::NAME(to_array(a), sz, axes, norm, s);                                     \
      },                                                                                      \
      "a"_a, "s"_a = nb::none(), "axes"_a.none() = AXES_DEFAULT, "norm"_a = "backward", S,    \
      DOC                                                                                     \
      "\n\nArgs:\n    a: input array.\n    s: the number of points along each of axes (as n " \
      "of the\n        one-dimensional transforms; default: the sizes of axes).\n    axes: "  \
      "the axes transformed (default: the last two for the 2-D\n        transforms, every "   \
      "axis for the n-D ones).\n" TANDEM_FFT_NORM "Returns:\n    The transformed array.");
  const nb::object last_two = nb::cast(std::vector<int>{-2, -1});
  const nb::object all = nb::none();
  TANDEM_FFTN(fft2, last_two, "Two-dimensional discrete Fourier transform (complex64).")
  TANDEM_FFTN(ifft2, last_two, "Two-dimensional inverse discrete Fourier transform (complex64).")
  TANDEM_FFTN(rfft2, last_two,
              "Two-dimensional transform of a real input; the last axis keeps n // 2 + 1 terms.")
  TANDEM_FFTN(irfft2, last_two, "The inverse of rfft2 (float32).")
  TANDEM_FFTN(fftn, all, "n-dimensional discrete Fourier transform (complex64).")
  TANDEM_FFTN(ifftn, all, "n-dimensional inverse discrete Fourier transform (complex64).")
  TANDEM_FFTN(rfftn, all,
              "n-dimensional transform of a real input; the last axis keeps n // 2 + 1 terms.")
  TANDEM_FFTN(irfftn, all, "The inverse of rfftn (float32).")
#undef TANDEM_FFTN
#undef TANDEM_FFT_NORM
  m.def(
      "fftfreq", [](int n, double d, StreamOrDevice s) { return fft::fftfreq(n, d, s); }, "n"_a,
      "d"_a = 1.0, S,
      "Sample frequencies of an n-point transform with sample spacing d.\n\n"
      "Args:\n    n: the transform length.\n    d: the spacing between samples (default 1).\n\n"
      "Returns:\n    A float32 array of n frequencies: 0, 1, ..., then the negative ones, "
      "over n * d.");
  m.def(
      "rfftfreq", [](int n, double d, StreamOrDevice s) { return fft::rfftfreq(n, d, s); }, "n"_a,
      "d"_a = 1.0, S,
      "The n // 2 + 1 non-negative frequencies of rfft.\n\n"
      "Args:\n    n: the transform length.\n    d: the spacing between samples (default 1).\n\n"
      "Returns:\n    A float32 array of n // 2 + 1 frequencies.");
  m.def(
      "fftshift",
      [](ArrayLike a, const Axes& axes, StreamOrDevice s) {
        return fft::fftshift(to_array(a), axes.axes, s);
      },
      "a"_a, "axes"_a = nb::none(), S,
      "Shifts the zero-frequency term to the middle of each axis (all by default).\n\n"
      "Args:\n    a: input array.\n    axes: the axes rolled (default every axis).\n\n"
      "Returns:\n    An array of a's shape.");
  m.def(
      "ifftshift",
      [](ArrayLike a, const Axes& axes, StreamOrDevice s) {
        return fft::ifftshift(to_array(a), axes.axes, s);
      },
      "a"_a, "axes"_a = nb::none(), S,
      "The inverse of fftshift: moves the zero-frequency term back to the start.\n\n"
      "Args:\n    a: input array.\n    axes: the axes rolled (default every axis).\n\n"
      "Returns:\n    An array of a's shape.");
}

}  // namespace tandem::py
