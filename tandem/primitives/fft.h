#pragma once
// Discrete Fourier transforms over one or more axes.
#include <vector>

#include "tandem/primitive.h"

namespace tandem {

// The unnormalized DFT over axes (distinct, normalized), times scale.
// Complex (real = false): complex64 in and out, same shape; inverse picks the
// sign +i of the exponent. Real forward (real && !inverse): float32 in; the
// last listed axis is transformed real-to-complex (n in, n / 2 + 1 out), the
// others complex-to-complex. Real inverse (real && inverse): complex64 in,
// float32 out; the other axes first, then complex-to-real along the last
// listed axis, whose output size n is the output's and whose input holds
// n / 2 + 1 values (the imaginary parts of the zero and, for even n,
// Nyquist terms are ignored, as NumPy does).
class FFT : public Primitive {
 public:
  FFT(Stream s, std::vector<int> axes, bool inverse, bool real, double scale)
      : Primitive(s), axes_(std::move(axes)), inverse_(inverse), real_(real), scale_(scale) {}
  const std::vector<int>& axes() const { return axes_; }
  bool inverse() const { return inverse_; }
  bool real() const { return real_; }
  double scale() const { return scale_; }
  TANDEM_PRIMITIVE(FFT)

 private:
  std::vector<int> axes_;
  bool inverse_;
  bool real_;
  double scale_;
};

}  // namespace tandem
