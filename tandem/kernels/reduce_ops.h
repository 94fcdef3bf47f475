#pragma once
// The ops of the reduction, scan and scatter families, numbered alike for
// the core and both backends.
#include "tandem/kernels/defines.h"

namespace tandem {

enum class ReduceOp : int { And, Or, Sum, Prod, Max, Min };
enum class ArgReduceOp : int { ArgMin, ArgMax };
enum class ScanOp : int { Sum, Prod, Max, Min, LogAddExp };
// How a scatter combines an update with the value in place (None: replace).
enum class ScatterReduce : int { None, Sum, Prod, Max, Min };

}  // namespace tandem
