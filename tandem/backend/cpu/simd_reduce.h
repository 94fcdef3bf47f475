#pragma once
// Vectorised max/min over contiguous float32/float64 runs, dispatched at run
// time (Highway) like simd_math.h.
#include <cstddef>
#include <cstdint>

namespace tandem::cpu::simd {

// Folds the first n - n % 8 elements of p into acc[0..8), element i into
// lane i % 8, by the scalar rule acc = (x > acc || x != x) ? x : acc (max;
// x < acc for min). Lane for lane this is the scalar loop of eight
// accumulators, so results are bit-identical to it (first NaN of a lane
// sticks; of equal values such as -0.0 and +0.0 the first stays).
void extreme_lanes8(const float* p, size_t n, bool is_max, float* acc);
void extreme_lanes8(const double* p, size_t n, bool is_max, double* acc);

// float16 bits to float, exactly as red::half_to_float (NaN payloads kept).
void half_to_float(const uint16_t* in, float* out, size_t n);

}  // namespace tandem::cpu::simd
