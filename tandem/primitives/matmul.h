#pragma once
// Matrix products. Ops resolve 1-d operands, batch broadcasting and dtypes
// before building a node, so kernels see:
//   a: (..., M, K), b: (..., K, N) with identical batch shapes (broadcast dims
//   have stride 0), both of the output dtype (float16, bfloat16, float32,
//   float64 or complex64); out: (..., M, N), row-contiguous.
// AddMM also takes c, already broadcast to out's shape and of out's dtype,
// and computes alpha * (a @ b) + beta * c.
#include "tandem/primitive.h"

namespace tandem {

class Matmul : public Primitive {
 public:
  explicit Matmul(Stream s) : Primitive(s) {}
  TANDEM_PRIMITIVE(Matmul)
};

class AddMM : public Primitive {
 public:
  AddMM(Stream s, float alpha, float beta) : Primitive(s), alpha_(alpha), beta_(beta) {}
  float alpha() const { return alpha_; }
  float beta() const { return beta_; }
  TANDEM_PRIMITIVE(AddMM)
  void print(std::ostream& os) const override {
    os << "AddMM(alpha=" << alpha_ << ", beta=" << beta_ << ")";
  }

 private:
  float alpha_;
  float beta_;
};

}  // namespace tandem
