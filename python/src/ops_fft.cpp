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
#define TANDEM_FFT1(NAME, DOC)                                                                     \
  m.def(                                                                                           \
      #NAME,                                                                                       \
      [](ArrayLike a, std::optional<int> n, int axis, const std::string& norm, StreamOrDevice s) { \
        return fft::NAME(to_array(a), n, axis, norm, s);                                           \
      },                                                                                           \
      "a"_a, "n"_a = nb::none(), "axis"_a = -1, "norm"_a = "backward", S, DOC);
  TANDEM_FFT1(fft, "One-dimensional discrete Fourier transform along axis (complex64).")
  TANDEM_FFT1(ifft, "One-dimensional inverse discrete Fourier transform along axis (complex64).")
  TANDEM_FFT1(rfft,
              "One-dimensional transform of a real input: the n // 2 + 1 non-negative "
              "frequency terms (complex64; a complex input's real part is used).")
  TANDEM_FFT1(irfft,
              "The inverse of rfft: n real outputs (n defaults to 2 * (size - 1)) from "
              "n // 2 + 1 terms (float32).")
#undef TANDEM_FFT1
  // Two- and n-dimensional: s needs explicit axes; axes=None means every axis.
#define TANDEM_FFTN(NAME, AXES_DEFAULT, DOC)                                                  \
  m.def(                                                                                      \
      #NAME,                                                                                  \
      [](ArrayLike a, OptShape sz, OptAxes axes, const std::string& norm, StreamOrDevice s) { \
        return fft::NAME(to_array(a), sz, axes, norm, s);                                     \
      },                                                                                      \
      "a"_a, "s"_a = nb::none(), "axes"_a.none() = AXES_DEFAULT, "norm"_a = "backward", S, DOC);
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
  m.def(
      "fftfreq", [](int n, double d, StreamOrDevice s) { return fft::fftfreq(n, d, s); }, "n"_a,
      "d"_a = 1.0, S, "Sample frequencies of an n-point transform with sample spacing d.");
  m.def(
      "rfftfreq", [](int n, double d, StreamOrDevice s) { return fft::rfftfreq(n, d, s); }, "n"_a,
      "d"_a = 1.0, S, "The n // 2 + 1 non-negative frequencies of rfft.");
  m.def(
      "fftshift",
      [](ArrayLike a, const Axes& axes, StreamOrDevice s) {
        return fft::fftshift(to_array(a), axes.axes, s);
      },
      "a"_a, "axes"_a = nb::none(), S,
      "Shifts the zero-frequency term to the middle of each axis (all by default).");
  m.def(
      "ifftshift",
      [](ArrayLike a, const Axes& axes, StreamOrDevice s) {
        return fft::ifftshift(to_array(a), axes.axes, s);
      },
      "a"_a, "axes"_a = nb::none(), S, "The inverse of fftshift.");
}

}  // namespace tandem::py
