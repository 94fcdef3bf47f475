#pragma once
// OpenBLAS kernel selection checked against the CPU before the first BLAS
// call.

#include <string>

namespace tandem::cpu {

// Once per process, before any BLAS or LAPACK call: when OpenBLAS (a
// DYNAMIC_ARCH build) fell back to a generic core on a CPU it did not
// recognize (virtual machines that hide the model: OpenBLAS 0.3.21 picked
// "Prescott", SSE3 kernels, on the GPU host's AVX-512 Xeon, 4-5x slower),
// re-selects the core that the CPU's features allow. OPENBLAS_CORETYPE,
// when set, is left to OpenBLAS.
void blas_setup();

// The core OpenBLAS uses ("" when the BLAS is not OpenBLAS).
std::string blas_core();

}  // namespace tandem::cpu
