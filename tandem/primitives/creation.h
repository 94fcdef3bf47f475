#pragma once
// Primitives that make or convert whole arrays.
#include "tandem/primitive.h"

namespace tandem {

// start + i * step for i in [0, size), in the output dtype.
class Arange : public Primitive {
 public:
  Arange(Stream s, double start, double step) : Primitive(s), start_(start), step_(step) {}
  TANDEM_PRIMITIVE(Arange)
  double start() const { return start_; }
  double step() const { return step_; }

 private:
  double start_, step_;
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
