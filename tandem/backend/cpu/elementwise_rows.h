#pragma once
// The row kernels of the Unary and Binary primitives behind plain function
// pointers, for kernels that run them in loops of their own (Fused).
#include <cstdint>

#include "tandem/primitives/binary.h"
#include "tandem/primitives/unary.h"

namespace tandem::cpu {

// out[i] = op(in[i * in_stride]) for i < n; out is dense.
using UnaryRowFn = void (*)(UnaryOp op, const void* in, int64_t in_stride, void* out, int64_t n);
// The row kernel of a Unary node reading dtype in and writing dtype out
// (defined in unary.cpp).
UnaryRowFn unary_row_fn(Dtype in, Dtype out);

// out[i] = a[i * as] op b[i * bs] for i < n; out is dense.
using BinaryRowFn = void (*)(const void* a, int64_t as, const void* b, int64_t bs, void* out,
                             int64_t n);
// The row kernel of a Binary node of op on operands of dtype t (defined in
// binary.cpp).
BinaryRowFn binary_row_fn(BinaryOp op, Dtype t);

}  // namespace tandem::cpu
