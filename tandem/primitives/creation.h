#pragma once
// Primitives that make or convert whole arrays.
#include "tandem/primitive.h"

namespace tandem {

// start + i * step for i in [0, size), in the output dtype. A floating
// output computes it in double (start_, step_); an integer output in int64
// with two's-complement wrap-around (istart_, istep_), then wraps into the
// dtype, so both backends give the same values and nothing saturates.
class Arange : public Primitive {
 public:
  Arange(Stream s, double start, double step, int64_t istart, int64_t istep)
      : Primitive(s), start_(start), step_(step), istart_(istart), istep_(istep) {}
  TANDEM_PRIMITIVE(Arange)
  double start() const { return start_; }
  double step() const { return step_; }
  int64_t int_start() const { return istart_; }
  int64_t int_step() const { return istep_; }

 private:
  double start_, step_;
  int64_t istart_, istep_;
};

// Copies its input into a dense array of the output's dtype (converting), the
// basis of astype, contiguous and full.
class AsType : public Primitive {
 public:
  AsType(Stream s, bool row_contiguous) : Primitive(s), row_contiguous_(row_contiguous) {}
  TANDEM_PRIMITIVE(AsType)
  bool row_contiguous() const { return row_contiguous_; }

 private:
  bool row_contiguous_;  // always row-major output (else a dense input keeps its layout)
};

}  // namespace tandem
