#pragma once
// Discrete Fourier transforms with mlx.core.fft's names and semantics.
// Real inputs of the complex transforms and complex inputs of the inverse
// real ones are converted to complex64 (float64 too: MLX has no complex128);
// rfft* of a complex input transforms its real part. n / s pad with zeros or
// crop each axis to its size before the transform (for irfft*, the last
// axis's output size, its input taking s[-1] / 2 + 1 values). norm is
// "backward" (1/n on the inverse), "ortho" (1/sqrt(n) both ways) or
// "forward" (1/n on the forward transform).
#include <optional>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::fft {

using OptShape = std::optional<Shape>;
using OptAxes = std::optional<std::vector<int>>;

// n-dimensional transforms: s (output sizes) needs explicit axes; axes
// nullopt means every axis. Empty axes return a unchanged (as MLX).
array fftn(const array& a, const OptShape& s = std::nullopt, const OptAxes& axes = std::nullopt,
           const std::string& norm = "backward", StreamOrDevice st = {});
array ifftn(const array& a, const OptShape& s = std::nullopt, const OptAxes& axes = std::nullopt,
            const std::string& norm = "backward", StreamOrDevice st = {});
array rfftn(const array& a, const OptShape& s = std::nullopt, const OptAxes& axes = std::nullopt,
            const std::string& norm = "backward", StreamOrDevice st = {});
array irfftn(const array& a, const OptShape& s = std::nullopt, const OptAxes& axes = std::nullopt,
             const std::string& norm = "backward", StreamOrDevice st = {});

// Two-dimensional: axes default to the last two.
array fft2(const array& a, const OptShape& s = std::nullopt,
           const OptAxes& axes = std::vector<int>{-2, -1}, const std::string& norm = "backward",
           StreamOrDevice st = {});
array ifft2(const array& a, const OptShape& s = std::nullopt,
            const OptAxes& axes = std::vector<int>{-2, -1}, const std::string& norm = "backward",
            StreamOrDevice st = {});
array rfft2(const array& a, const OptShape& s = std::nullopt,
            const OptAxes& axes = std::vector<int>{-2, -1}, const std::string& norm = "backward",
            StreamOrDevice st = {});
array irfft2(const array& a, const OptShape& s = std::nullopt,
             const OptAxes& axes = std::vector<int>{-2, -1}, const std::string& norm = "backward",
             StreamOrDevice st = {});

// One-dimensional along axis; n nullopt keeps the axis's size (irfft:
// 2 * (size - 1)).
array fft(const array& a, std::optional<int> n = std::nullopt, int axis = -1,
          const std::string& norm = "backward", StreamOrDevice st = {});
array ifft(const array& a, std::optional<int> n = std::nullopt, int axis = -1,
           const std::string& norm = "backward", StreamOrDevice st = {});
array rfft(const array& a, std::optional<int> n = std::nullopt, int axis = -1,
           const std::string& norm = "backward", StreamOrDevice st = {});
array irfft(const array& a, std::optional<int> n = std::nullopt, int axis = -1,
            const std::string& norm = "backward", StreamOrDevice st = {});

// Sample frequencies (float32) of an n-point transform with spacing d:
// [0, 1, ..., -1] / (d n) and, for rfft, [0, 1, ..., n / 2] / (d n).
array fftfreq(int n, double d = 1.0, StreamOrDevice st = {});
array rfftfreq(int n, double d = 1.0, StreamOrDevice st = {});

// Rolls each axis (all when nullopt) by n / 2 (fftshift) or -(n / 2)
// (ifftshift), putting the zero frequency in the middle and back.
array fftshift(const array& a, const OptAxes& axes = std::nullopt, StreamOrDevice st = {});
array ifftshift(const array& a, const OptAxes& axes = std::nullopt, StreamOrDevice st = {});

}  // namespace tandem::fft
