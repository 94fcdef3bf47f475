#pragma once
// Vectorised float32/float64 math through Highway, dispatched at run time to
// the best instruction set the processor has (SSE4, AVX2, AVX-512).
#include <cstddef>

#include "tandem/primitives/unary.h"

namespace tandem::cpu::simd {

// Applies op to n contiguous elements. Lanes outside the range where the
// vector formula is exact to a few ULP (and NaN/inf) are recomputed with the C
// library, so results match std:: semantics. Returns false, writing nothing,
// for ops without a vector path.
bool unary(UnaryOp op, const float* in, float* out, size_t n);
bool unary(UnaryOp op, const double* in, double* out, size_t n);

// The instruction set chosen at run time ("AVX3", "AVX2", ...), for reports.
const char* target_name();

}  // namespace tandem::cpu::simd
