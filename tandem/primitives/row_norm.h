#pragma once
// Row-wise normalizations over the last axis: softmax, logsumexp, layer norm
// and RMS norm, each one pass over a row (the row is read once where it fits
// in registers) instead of the chain of reductions and elementwise ops the
// composites build. Ops (tandem/ops/reduce.cpp, fast.cpp) pick this
// primitive when the normalized axis is the last one, else the composites.
#include <ostream>

#include "tandem/primitive.h"

namespace tandem {

enum class RowNormOp : int {
  Softmax = 0,    // exp(x - max) / sum(exp(x - max))
  LogSumExp = 1,  // log(sum(exp(x - max))) + max; output (..., 1)
  LayerNorm = 2,  // (x - mean) * rsqrt(var + eps) [* weight] [+ bias]
  RmsNorm = 3,    // x * rsqrt(mean(x^2) + eps) [* weight]
};

const char* row_norm_op_name(RowNormOp op);

// Inputs: x (floating: float16, bfloat16, float32 or float64, at least 1-d),
// then weight when has_weight, then bias when has_bias (both 1-d of x's last
// axis's size, in x's compute type: float32 for the half types, else x's).
// Output: x's dtype, x's shape (LogSumExp: the last axis kept as 1). Half
// inputs are computed in float32 (what the composites did, so MLX's
// `precise` flag changes nothing and is not stored). A max that is not
// finite shifts by 0, as the composites do (so rows with inf or nan give
// what exp(x) / sum(exp(x)) gives).
//
// A causal softmax (causal_rows > 0; x at least 2-d) reads element j of row
// r as -inf when j > r % causal_rows + causal_offset: the causal mask of
// attention scores (..., Tq, Tkv), with causal_rows = Tq and causal_offset =
// Tkv - Tq, without building the mask or a where() over the scores.
class RowNorm : public Primitive {
 public:
  RowNorm(Stream s, RowNormOp op, float eps = 0.f, bool has_weight = false, bool has_bias = false,
          int64_t causal_rows = 0, int64_t causal_offset = 0)
      : Primitive(s),
        op_(op),
        eps_(eps),
        has_weight_(has_weight),
        has_bias_(has_bias),
        causal_rows_(causal_rows),
        causal_offset_(causal_offset) {}
  RowNormOp op() const { return op_; }
  float eps() const { return eps_; }
  bool has_weight() const { return has_weight_; }
  bool has_bias() const { return has_bias_; }
  int64_t causal_rows() const { return causal_rows_; }
  int64_t causal_offset() const { return causal_offset_; }
  TANDEM_PRIMITIVE(RowNorm)
  void print(std::ostream& os) const override;

 private:
  RowNormOp op_;
  float eps_;
  bool has_weight_;
  bool has_bias_;
  int64_t causal_rows_;
  int64_t causal_offset_;
};

}  // namespace tandem
