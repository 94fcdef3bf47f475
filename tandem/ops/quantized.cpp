// Affine quantization as composites; see quantized.h for the layout and why.
#include "tandem/ops/quantized.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/matmul.h"
#include "tandem/ops/reduce.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/ops/utils.h"
#include "tandem/transforms.h"

namespace tandem {
namespace {

// affine: scale * code + bias per group. The microscaling modes (OCP MX and
// NVIDIA's NVFP4): float codes (e2m1 in 4 bits, e4m3 in 8) times one uint8
// scale per group, no bias: mx modes a power of two (e8m0: 2^(s - 127)),
// nvfp4 an e4m3 value.
enum class Mode { affine, mxfp4, mxfp8, nvfp4 };

struct Params {
  int group_size;
  int bits;
  Mode mode = Mode::affine;
};

Mode parse_mode(const char* op, const std::string& mode) {
  if (mode == "affine") return Mode::affine;
  if (mode == "mxfp4") return Mode::mxfp4;
  if (mode == "mxfp8") return Mode::mxfp8;
  if (mode == "nvfp4") return Mode::nvfp4;
  invalid(op, "Invalid quantization mode '", mode, "'.");
}

// Checks the mode and fills MLX's defaults (affine: 64 and 4; mxfp4 32 and
// 4, mxfp8 32 and 8, nvfp4 16 and 4, the only values those modes take).
Params quant_params(const char* op, std::optional<int> group_size, std::optional<int> bits,
                    const std::string& mode) {
  Mode m = parse_mode(op, mode);
  if (m != Mode::affine) {
    const int g = m == Mode::nvfp4 ? 16 : 32, b = m == Mode::mxfp8 ? 8 : 4;
    Params p{group_size.value_or(g), bits.value_or(b), m};
    if (p.group_size != g) {
      invalid(op, mode, " quantization requires group size ", g, " but got ", p.group_size, ".");
    }
    if (p.bits != b) {
      invalid(op, mode, " quantization requires bits to be ", b, " but got ", p.bits, ".");
    }
    return p;
  }
  Params p{group_size.value_or(64), bits.value_or(4)};
  if (p.group_size != 32 && p.group_size != 64 && p.group_size != 128) {
    invalid(op, "The requested group size ", p.group_size,
            " is not supported. The supported group sizes are 32, 64, and 128.");
  }
  switch (p.bits) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 8:
      break;
    default:
      invalid(op, "The requested number of bits ", p.bits,
              " is not supported. The supported bits are 1, 2, 3, 4, 5, 6 and 8.");
  }
  return p;
}

array u32(const std::vector<uint32_t>& v) {
  return array(v, Shape{static_cast<int>(v.size())});
}

// The shape with its last dim replaced.
Shape with_last(Shape sh, int last) {
  sh.back() = last;
  return sh;
}

// Codes (..., K) uint32, K a multiple of 32 -> words (..., K * bits / 32).
// Per run of 32 codes (bits words): word j sums the codes starting inside it,
// each shifted to its offset (its bits past the word's top fall off), plus
// the high part of a code begun in word j - 1. The fields are disjoint, so
// the sum is their bitwise or.
array pack(const array& codes, int bits, StreamOrDevice s) {
  const int k = codes.shape(-1);
  Shape run = codes.shape();
  run.back() = k / 32;
  run.push_back(32);
  array c = reshape(codes, run, s);
  const int nd = c.ndim();
  std::vector<array> words;
  for (int j = 0; j < bits; ++j) {
    const int lo = 32 * j, hi = 32 * (j + 1);
    const int first = (lo + bits - 1) / bits;  // first code starting at or after lo
    const int last = (hi + bits - 1) / bits;   // one past the last starting before hi
    Shape start(nd, 0), stop = c.shape();
    start.back() = first;
    stop.back() = last;
    std::vector<uint32_t> shifts;
    for (int i = first; i < last; ++i) shifts.push_back(static_cast<uint32_t>(bits * i - lo));
    array word = sum(left_shift(slice(c, start, stop, s), u32(shifts), s), -1, false, s);
    if (first > 0 && bits * (first - 1) + bits > lo) {
      // The code straddling the boundary: its high bits open this word.
      array prev = take(c, first - 1, -1, s);
      word =
          add(word, right_shift(prev, array(static_cast<uint32_t>(lo - bits * (first - 1))), s), s);
    }
    words.push_back(astype(word, uint32, s));
  }
  array out = stack(words, -1, s);
  Shape flat = codes.shape();
  flat.back() = k * bits / 32;
  return reshape(out, flat, s);
}

// Words (..., W) -> codes (..., W * 32 / bits) uint32; the inverse of pack.
array unpack(const array& w, int bits, StreamOrDevice s) {
  const int nw = w.shape(-1);
  const uint32_t mask = (1u << bits) - 1u;
  if (32 % bits == 0) {
    // Whole codes per word: shift each word by every code offset.
    const int per = 32 / bits;
    std::vector<uint32_t> shifts;
    for (int i = 0; i < per; ++i) shifts.push_back(static_cast<uint32_t>(bits * i));
    array c = bitwise_and(right_shift(expand_dims(w, -1, s), u32(shifts), s), array(mask), s);
    return reshape(c, with_last(w.shape(), nw * per), s);
  }
  // Runs of bits words hold 32 codes; code i starts in word bits*i/32, and
  // when it straddles, its high bits come from the next word.
  Shape run = w.shape();
  run.back() = nw / bits;
  run.push_back(bits);
  array r = reshape(w, run, s);
  std::vector<uint32_t> lo_idx, lo_shift, hi_idx, hi_shift, hi_keep;
  for (int i = 0; i < 32; ++i) {
    const int start = bits * i, j = start / 32, off = start % 32;
    lo_idx.push_back(j);
    lo_shift.push_back(off);
    const bool straddles = off + bits > 32;
    hi_idx.push_back(straddles ? j + 1 : j);
    hi_shift.push_back(straddles ? 32 - off : 0);
    hi_keep.push_back(straddles ? 1u : 0u);
  }
  array lo = right_shift(take(r, u32(lo_idx), -1, s), u32(lo_shift), s);
  array hi = left_shift(multiply(take(r, u32(hi_idx), -1, s), u32(hi_keep), s), u32(hi_shift), s);
  array c = bitwise_and(bitwise_or(lo, hi, s), array(mask), s);
  return reshape(c, with_last(w.shape(), nw / bits * 32), s);
}

// Scales (and, affine, biases) must be w's matrix shape with one entry per
// group.
void check_scales(const char* op, const array& w, const array& scales,
                  const std::optional<array>& biases, Params p, const std::string& mode) {
  if (w.dtype() != uint32) invalid(op, "The matrix should be given as a uint32");
  if (w.ndim() < 2) {
    invalid(op, "The matrix to be dequantized must have at least 2 dimension but it has only ",
            w.ndim(), ".");
  }
  const bool affine = p.mode == Mode::affine;
  if (affine && !biases) invalid(op, "Biases must be provided for affine quantization.");
  if (!affine && biases) invalid(op, "Biases must be null for quantization mode '", mode, "'.");
  if (affine && biases->shape() != scales.shape()) {
    invalid(op, "Scales and biases should have the same shape. Received scales with shape ",
            shape_str(scales.shape()), " and biases with ", shape_str(biases->shape()));
  }
  const int64_t k = static_cast<int64_t>(w.shape(-1)) * 32 / p.bits;
  const bool exact = (static_cast<int64_t>(w.shape(-1)) * 32) % p.bits == 0;
  if (!exact || k % p.group_size != 0 || scales.shape() != with_last(w.shape(), k / p.group_size)) {
    invalid(op,
            "Shape of scales and biases does not match the matrix given the quantization "
            "parameters. Provided matrix of shape ",
            shape_str(w.shape()), " and scales/biases of shape ", shape_str(scales.shape()),
            " with group_size=", p.group_size, " and bits=", p.bits, ".");
  }
  if (!affine) {
    if (scales.dtype() != uint8) {
      invalid(op, "Scale type must be uint8 but received type ", scales.dtype(), ".");
    }
    return;
  }
  if (!is_floating_point(scales.dtype()) || !is_floating_point(biases->dtype())) {
    invalid(op, "Scales and biases must be floating point, got ", scales.dtype(), " and ",
            biases->dtype(), ".");
  }
}

// The e2m1 (fp4) codes of v: the nearest of 0, 0.5, 1, 1.5, 2, 3, 4, 6 in
// magnitude, ties toward zero, larger magnitudes saturating at 6; bit 3 the
// sign (never set for 0), as MLX's CPU quantize gives them.
array fp4_codes(const array& v, StreamOrDevice s) {
  static const float kBounds[] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.f};
  array mag = abs(v, s);
  array code = zeros(v.shape(), uint32, s);
  for (float b : kBounds) {
    code = add(code, astype(greater(mag, array(double(b), v.dtype()), s), uint32, s), s);
  }
  array neg = logical_and(less(v, array(0.0, v.dtype()), s), greater(code, array(0u), s), s);
  return add(code, multiply(astype(neg, uint32, s), array(8u), s), s);
}

// The values of e2m1 codes (uint32, low 4 bits) in float32.
array fp4_values(const array& codes, StreamOrDevice s) {
  static const std::vector<float> kValues = {0.f,  0.5f,  1.f,  1.5f,  2.f,  3.f,  4.f,  6.f,
                                             -0.f, -0.5f, -1.f, -1.5f, -2.f, -3.f, -4.f, -6.f};
  return take(array(kValues, Shape{16}), codes, 0, s);
}

// 2^(code - 127) in float32 for e8m0 codes (uint32, 0 to 255): exact, built
// from the exponent bits (code 0 is the subnormal 2^-127; 255, NaN in the
// spec, comes out infinite).
array e8m0_values(const array& code, StreamOrDevice s) {
  array normal = view(left_shift(code, array(23u), s), float32, s);
  return where(equal(code, array(0u), s), array(std::ldexp(1.f, -127)), normal, s);
}

// ceil(log2(r)) of positive finite float32 r, exactly (int32), from its
// bits: the exponent, plus one unless the significand is a power of two. A
// subnormal r is its significand (an integer, exact in float32) times
// 2^-149. (A libm log2 rounds: log2 of 2^100 * (1 + 2^-23) comes out 100.)
array ceil_log2(const array& r, StreamOrDevice s) {
  auto parts = [&](const array& x) {
    array bits = view(x, uint32, s);
    array ex = astype(bitwise_and(right_shift(bits, array(23u), s), array(0xffu), s), int32, s);
    array frac = bitwise_and(bits, array(0x7fffffu), s);
    return std::pair{ex, frac};
  };
  auto [ex, frac] = parts(r);
  array normal =
      add(subtract(ex, array(127), s), astype(not_equal(frac, array(0u), s), int32, s), s);
  auto [ex2, frac2] = parts(astype(frac, float32, s));
  array sub =
      add(subtract(ex2, array(127 + 149), s), astype(not_equal(frac2, array(0u), s), int32, s), s);
  return where(equal(ex, array(0), s), sub, normal, s);
}

// A microscaling mode's codes and scales of the groups g (..., n, group) in
// w's dtype. The group maxima and the scales derived from them are computed
// in that dtype, as MLX does (a float16 ratio that rounds to a power of two
// changes the exponent).
std::pair<array, array> fp_quantize(const array& g, Mode m, StreamOrDevice s) {
  const Dtype ct = g.dtype();
  array amax = max(abs(g, s), -1, true, s);
  if (m == Mode::nvfp4) {
    array sc = to_fp8(divide(amax, array(6.0, ct), s), s);
    array sv = from_fp8(sc, ct, s);  // e4m3 values are exact in every float dtype
    array zero = equal(sv, array(0.0, ct), s);
    array v = where(zero, array(0.0, ct), divide(g, where(zero, array(1.0, ct), sv, s), s), s);
    return {fp4_codes(v, s), squeeze(sc, -1, s)};
  }
  // The smallest power of two 2^e that brings the group's largest
  // magnitude within the element type's (6 or 448); e = 0 when that ratio
  // is 0 in w's dtype (a zero group, or one that underflows there).
  const double top = m == Mode::mxfp4 ? 6.0 : 448.0;
  array ratio = divide(amax, array(top, ct), s);
  array zero = equal(ratio, array(0.0, ct), s);
  array e = ceil_log2(astype(where(zero, array(1.0, ct), ratio, s), float32, s), s);
  array code = astype(add(clip(e, array(-127), array(127), s), array(127), s), uint32, s);
  // Divided in float32: exact (a power of two), which w's dtype may not hold.
  array v = divide(astype(g, float32, s), e8m0_values(code, s), s);
  array codes = m == Mode::mxfp4 ? fp4_codes(v, s) : astype(to_fp8(v, s), uint32, s);
  return {codes, squeeze(astype(code, uint8, s), -1, s)};
}

// The float32 groups (..., n, group) a microscaling mode's codes (..., n,
// group) and scales (..., n) stand for: exact (the products need at most
// 7 significant bits).
array fp_dequantize(const array& codes, const array& scales, Mode m, StreamOrDevice s) {
  array v = m == Mode::mxfp8 ? from_fp8(astype(codes, uint8, s), float32, s) : fp4_values(codes, s);
  array sv =
      m == Mode::nvfp4 ? from_fp8(scales, float32, s) : e8m0_values(astype(scales, uint32, s), s);
  return multiply(v, expand_dims(sv, -1, s), s);
}

array dequantize_checked(const array& w, const array& scales, const std::optional<array>& biases,
                         Params p, Dtype out, StreamOrDevice s) {
  array codes = unpack(w, p.bits, s);
  const int k = codes.shape(-1);
  Shape grouped = codes.shape();
  grouped.back() = k / p.group_size;
  grouped.push_back(p.group_size);
  if (p.mode != Mode::affine) {
    array v = fp_dequantize(reshape(codes, grouped, s), scales, p.mode, s);
    return astype(reshape(v, codes.shape(), s), out, s);
  }
  // As MLX: computed in the scales' dtype, the product rounded before the
  // bias is added, and only then converted to the output dtype.
  const Dtype ct = promote_types(scales.dtype(), biases->dtype());
  array q = astype(reshape(codes, grouped, s), ct, s);
  array v = multiply(q, expand_dims(astype(scales, ct, s), -1, s), s);
  v = add(v, expand_dims(astype(*biases, ct, s), -1, s), s);
  return astype(reshape(v, codes.shape(), s), out, s);
}

// gather_qmm's and gather_qqmm's operands: x's matrices picked by
// lhs_indices and w's (with their scales and biases) by rhs_indices, flat
// indices over the batch dims, each defaulting to every batch in order.
struct Gathered {
  array x, w;
  std::optional<array> scales, biases;
};
Gathered gather_batches(const char* op, const array& x, const array& w,
                        const std::optional<array>& scales, const std::optional<array>& biases,
                        const std::optional<array>& lhs_indices,
                        const std::optional<array>& rhs_indices, StreamOrDevice s) {
  for (const auto* idx : {&lhs_indices, &rhs_indices}) {
    if (*idx && !is_integral((*idx)->dtype())) {
      invalid(op, "Got indices with invalid dtype. Indices must be integral.");
    }
  }
  auto batch_of = [&](const array& a) {
    Shape b(a.shape().begin(), a.shape().end() - 2);
    int64_t n = 1;
    for (int d : b) n *= d;
    return reshape(arange(0, static_cast<int>(n), 1, uint32, s), b, s);
  };
  auto flat3 = [&](const array& a) { return reshape(a, Shape{-1, a.shape(-2), a.shape(-1)}, s); };
  array li = lhs_indices ? *lhs_indices : batch_of(x);
  array ri = rhs_indices ? *rhs_indices : batch_of(w);
  broadcast_shapes(li.shape(), ri.shape(), op);
  Gathered g{take(flat3(x), li, 0, s), take(flat3(w), ri, 0, s), std::nullopt, std::nullopt};
  if (scales) g.scales = take(flat3(*scales), ri, 0, s);
  if (biases) g.biases = take(flat3(*biases), ri, 0, s);
  return g;
}

}  // namespace

std::vector<array> quantize(const array& w, std::optional<int> group_size, std::optional<int> bits,
                            const std::string& mode, StreamOrDevice s) {
  const char* op = "quantize";
  // Checked in MLX's order, so the same mistake gives the same message.
  const Mode m = parse_mode(op, mode);
  if (w.ndim() < 2) {
    invalid(op, "The matrix to be quantized must have at least 2 dimension but it has only ",
            w.ndim(), ".");
  }
  const int k = w.shape(-1);
  const int g0 = group_size.value_or(m == Mode::affine ? 64 : m == Mode::nvfp4 ? 16 : 32);
  if (g0 > 0 && k % g0 != 0) {
    invalid(op,
            "The last dimension of the matrix needs to be divisible by the quantization group "
            "size ",
            g0, ". However the provided matrix has shape ", shape_str(w.shape()));
  }
  Params p = quant_params(op, group_size, bits, mode);
  if (!is_floating_point(w.dtype())) {
    invalid(op, "Only real floating types can be quantized but w has type ", w.dtype(), ".");
  }
  if (k % p.group_size != 0) {
    invalid(op,
            "The last dimension of the matrix needs to be divisible by the quantization group "
            "size ",
            p.group_size, ". However the provided matrix has shape ", shape_str(w.shape()));
  }
  if (p.mode != Mode::affine) {
    Shape grouped = w.shape();
    grouped.back() = k / p.group_size;
    grouped.push_back(p.group_size);
    auto [codes, scales] = fp_quantize(reshape(w, grouped, s), p.mode, s);
    return {pack(reshape(codes, w.shape(), s), p.bits, s), scales};
  }
  // Computed in float32 (float64 stays float64), rounded to w's dtype last.
  const Dtype ct = w.dtype() == float64 ? float64 : float32;
  const int n_bins = (1 << p.bits) - 1;
  Shape grouped = w.shape();
  grouped.back() = k / p.group_size;
  grouped.push_back(p.group_size);
  array g = reshape(astype(w, ct, s), grouped, s);
  array w_max = max(g, -1, true, s);
  array w_min = min(g, -1, true, s);
  const array eps(1e-7, ct);
  array scale = array(0.0, ct), bias = array(0.0, ct);
  if (p.bits == 1) {
    // One bit: the plain range, from the minimum.
    scale = maximum(subtract(w_max, w_min, s), eps, s);
    bias = w_min;
  } else {
    // The end of larger magnitude is kept exactly: the scale is nudged so that
    // it is a whole number of steps from zero, which makes 0 representable.
    array min_wins = greater(abs(w_min, s), abs(w_max, s), s);
    array step = maximum(divide(subtract(w_max, w_min, s), array(double(n_bins), ct), s), eps, s);
    step = where(min_wins, step, negative(step, s), s);
    array edge = where(min_wins, w_min, w_max, s);
    array q0 = round(divide(edge, step, s), 0, s);
    array nonzero = not_equal(q0, array(0.0, ct), s);
    scale = where(nonzero, divide(edge, q0, s), step, s);
    bias = where(nonzero, edge, array(0.0, ct), s);
  }
  array q = round(divide(subtract(g, bias, s), scale, s), 0, s);
  q = clip(q, array(0.0, ct), array(double(n_bins), ct), s);
  array codes = reshape(astype(q, uint32, s), w.shape(), s);
  return {pack(codes, p.bits, s), astype(squeeze(scale, -1, s), w.dtype(), s),
          astype(squeeze(bias, -1, s), w.dtype(), s)};
}

array dequantize(const array& w, const array& scales, const std::optional<array>& biases,
                 std::optional<int> group_size, std::optional<int> bits, const std::string& mode,
                 std::optional<Dtype> dtype, StreamOrDevice s) {
  const char* op = "dequantize";
  Params p = quant_params(op, group_size, bits, mode);
  check_scales(op, w, scales, biases, p, mode);
  // The microscaling modes' scales are uint8: bfloat16 unless asked, as MLX.
  Dtype out = dtype.value_or(p.mode == Mode::affine ? scales.dtype() : bfloat16);
  if (!is_floating_point(out)) {
    invalid(op, "Only real floating types are supported but output dtype == ", out, ".");
  }
  return dequantize_checked(w, scales, biases, p, out, s);
}

array quantized_matmul(const array& x, const array& w, const array& scales,
                       const std::optional<array>& biases, bool transpose,
                       std::optional<int> group_size, std::optional<int> bits,
                       const std::string& mode, StreamOrDevice s) {
  const char* op = "quantized_matmul";
  Params p = quant_params(op, group_size, bits, mode);
  check_scales(op, w, scales, biases, p, mode);
  if (!is_floating_point(x.dtype())) {
    invalid(op, "Only real floating types are supported but the first input has type ", x.dtype(),
            ".");
  }
  const int rows = w.shape(-2);
  const int k = w.shape(-1) * 32 / p.bits;
  const int inner = transpose ? k : rows;
  if (x.ndim() < 1 || x.shape(-1) != inner) {
    invalid(op, "Last dimension of first input with shape (..., ", x.ndim() ? x.shape(-1) : 0,
            ") does not match the expanded quantized matrix (", transpose ? k : rows, ", ",
            transpose ? rows : k, ") computed from shape ", shape_str(w.shape()),
            " with group_size=", p.group_size, ", bits=", p.bits,
            " and transpose=", transpose ? "true" : "false");
  }
  // Microscaling modes: x's dtype (their dequantized values are exact in
  // float32, and in bfloat16 or float16 apart from range).
  Dtype out = p.mode == Mode::affine ? promote_types(x.dtype(), scales.dtype()) : x.dtype();
  array wd =
      dequantize_checked(w, scales, biases, p, p.mode == Mode::affine ? scales.dtype() : out, s);
  if (transpose) wd = swapaxes(wd, -1, -2, s);
  return matmul(astype(x, out, s), astype(wd, out, s), s);
}

array gather_qmm(const array& x, const array& w, const array& scales,
                 const std::optional<array>& biases, const std::optional<array>& lhs_indices,
                 const std::optional<array>& rhs_indices, bool transpose,
                 std::optional<int> group_size, std::optional<int> bits, const std::string& mode,
                 bool /*sorted_indices*/, StreamOrDevice s) {
  const char* op = "gather_qmm";
  Params p = quant_params(op, group_size, bits, mode);
  check_scales(op, w, scales, biases, p, mode);
  if (x.ndim() < 2) invalid(op, "The input must have at least 2 dims, got ", shape_str(x.shape()));
  Gathered g = gather_batches(op, x, w, scales, biases, lhs_indices, rhs_indices, s);
  return quantized_matmul(g.x, g.w, *g.scales, g.biases, transpose, p.group_size, p.bits, mode, s);
}

// ---- qqmm ----

namespace {

// x's values once quantized in the mode (groups along its last axis), as
// float32: what qqmm multiplies.
// The codes are turned back into values directly (no packing into words
// and out again).
array fake_quantize(const array& x, Params p, StreamOrDevice s) {
  Shape grouped = x.shape();
  grouped.back() /= p.group_size;
  grouped.push_back(p.group_size);
  auto [codes, scales] = fp_quantize(reshape(x, grouped, s), p.mode, s);
  return reshape(fp_dequantize(codes, scales, p.mode, s), x.shape(), s);
}

// a summed over the leading dims that `shape` lacks or broadcasts (size 1).
array sum_to(const array& a, const Shape& shape, StreamOrDevice s) {
  std::vector<int> axes;
  const int extra = a.ndim() - static_cast<int>(shape.size());
  for (int d = 0; d < a.ndim(); ++d) {
    if (d < extra || (shape[d - extra] == 1 && a.shape(d) != 1)) axes.push_back(d);
  }
  array r = axes.empty() ? a : sum(a, axes, true, s);
  return reshape(r, shape, s);
}

void check_float_operand(const char* op, const char* name, const array& a) {
  if (a.dtype() != float32 && a.dtype() != float16 && a.dtype() != bfloat16) {
    invalid(op, name, " must be float32, float16 or bfloat16 (or, for w, quantized uint32); got ",
            a.dtype(), ".");
  }
}

}  // namespace

array qqmm(const array& x, const array& w, const std::optional<array>& scales,
           std::optional<int> group_size, std::optional<int> bits, const std::string& mode,
           StreamOrDevice s) {
  const char* op = "qqmm";
  if (mode != "nvfp4" && mode != "mxfp8") {
    parse_mode(op, mode);  // an unknown name gets that message
    invalid(op, "mode '", mode, "' is not supported; qqmm takes 'nvfp4' or 'mxfp8'.");
  }
  Params p = quant_params(op, group_size, bits, mode);
  check_float_operand(op, "x", x);
  if (x.ndim() < 1) invalid(op, "x must have at least one dimension; got a 0-d array.");
  if (w.ndim() < 2) invalid(op, "w must have at least 2 dimensions; got ", shape_str(w.shape()));
  int k = w.shape(-1);
  if (scales) {
    check_scales(op, w, *scales, std::nullopt, p, mode);
    k = w.shape(-1) * 32 / p.bits;
  } else {
    check_float_operand(op, "w", w);
  }
  if (x.shape(-1) != k) {
    invalid(op, "x's last dimension (shape ", shape_str(x.shape()), ") must match w's ", k,
            " (w of shape ", shape_str(w.shape()), scales ? ", quantized" : "", ").");
  }
  if (k % p.group_size != 0) {
    invalid(op, "the inner dimension ", k, " must be divisible by the group size ", p.group_size,
            ".");
  }
  const Dtype out = x.dtype();
  Stream st = to_stream(s);
  auto product = [=](const array& xq, const array& wq) {
    return astype(matmul(xq, swapaxes(wq, -1, -2, st), st), out, st);
  };
  if (scales) {
    // A quantized w takes no gradient: only x's passes through.
    array wd = dequantize(w, *scales, std::nullopt, p.group_size, p.bits, mode, float32, st);
    ArrayFn f = custom_function(
        [=](const std::vector<array>& in) {
          return std::vector<array>{product(fake_quantize(in[0], p, st), wd)};
        },
        [=](const std::vector<array>& in, const std::vector<array>& cot,
            const std::vector<array>&) {
          array g = astype(cot[0], float32, st);
          return std::vector<array>{
              astype(sum_to(matmul(g, wd, st), in[0].shape(), st), in[0].dtype(), st)};
        });
    return f({x})[0];
  }
  ArrayFn f = custom_function(
      [=](const std::vector<array>& in) {
        return std::vector<array>{
            product(fake_quantize(in[0], p, st), fake_quantize(in[1], p, st))};
      },
      [=](const std::vector<array>& in, const std::vector<array>& cot, const std::vector<array>&) {
        // Straight through the quantizers: the gradients of the product of
        // the quantized values.
        array g = astype(cot[0], float32, st);
        array xq = fake_quantize(in[0], p, st);
        array wq = fake_quantize(in[1], p, st);
        array dx = sum_to(matmul(g, wq, st), in[0].shape(), st);
        array dw = in[0].ndim() == 1 ? matmul(expand_dims(g, -1, st), expand_dims(xq, 0, st), st)
                                     : matmul(swapaxes(g, -1, -2, st), xq, st);
        return std::vector<array>{astype(dx, in[0].dtype(), st),
                                  astype(sum_to(dw, in[1].shape(), st), in[1].dtype(), st)};
      });
  return f({x, w})[0];
}

array gather_qqmm(const array& x, const array& w, const std::optional<array>& scales,
                  const std::optional<array>& lhs_indices, const std::optional<array>& rhs_indices,
                  std::optional<int> group_size, std::optional<int> bits, const std::string& mode,
                  StreamOrDevice s) {
  const char* op = "gather_qqmm";
  if (x.ndim() < 2 || w.ndim() < 2) {
    invalid(op, "x and w must have at least 2 dims; got ", shape_str(x.shape()), " and ",
            shape_str(w.shape()));
  }
  Gathered g = gather_batches(op, x, w, scales, std::nullopt, lhs_indices, rhs_indices, s);
  return qqmm(g.x, g.w, g.scales, group_size, bits, mode, s);
}

// ---- float8 (e4m3) ----

namespace {

// The value of each e4m3 code: 1 sign, 4 exponent (bias 7) and 3 mantissa
// bits; exponent 0 is subnormal (m * 2^-9); 0x7f and 0xff are NaN.
const std::vector<float>& fp8_values() {
  static const std::vector<float> table = [] {
    std::vector<float> t(256);
    for (int c = 0; c < 256; ++c) {
      int e = (c >> 3) & 15, m = c & 7;
      float v = e == 0 ? std::ldexp(static_cast<float>(m), -9)
                       : std::ldexp(1.0f + static_cast<float>(m) / 8.0f, e - 7);
      if (e == 15 && m == 7) v = std::nanf("");
      t[c] = (c & 0x80) ? -v : v;
    }
    return t;
  }();
  return table;
}

}  // namespace

array to_fp8(const array& x, StreamOrDevice s) {
  if (!is_floating_point(x.dtype())) {
    invalid("to_fp8", "needs a real floating-point array; got ", x.dtype());
  }
  array xf = astype(x, float32, s);
  array sign = astype(bitwise_and(right_shift(view(xf, uint32, s), array(24u), s), array(0x80u), s),
                      int32, s);
  // |x| saturated: past 448 (the largest finite code), inf and NaN give 448.
  array a = abs(xf, s);
  a = where(isnan(a, s), array(448.0f), minimum(a, array(448.0f), s), s);
  // a = m * 2^(e-3) with e its exponent (at least -6, the subnormal one) and
  // m rounded to nearest even in [0, 16]; scaling by powers of two is exact.
  array biased = astype(right_shift(view(a, uint32, s), array(23u), s), int32, s);
  array e = maximum(subtract(biased, array(127), s), array(-6), s);
  array inv_quantum = view(left_shift(subtract(array(130), e, s), array(23), s), float32, s);
  array m = astype(round(multiply(a, inv_quantum, s), 0, s), int32, s);
  // m = 16 carries into the next exponent.
  array carry = greater_equal(m, array(16), s);
  e = add(e, astype(carry, int32, s), s);
  m = where(carry, array(8), m, s);
  // Normal codes (m >= 8) hold e + 7 and m - 8; subnormal ones just m.
  array normal = add(multiply(add(e, array(7), s), array(8), s), subtract(m, array(8), s), s);
  array code = where(greater_equal(m, array(8), s), normal, m, s);
  return astype(bitwise_or(code, sign, s), uint8, s);
}

array from_fp8(const array& x, Dtype dtype, StreamOrDevice s) {
  if (x.dtype() != uint8) invalid("from_fp8", "needs uint8 codes; got ", x.dtype());
  if (!is_floating_point(dtype)) {
    invalid("from_fp8", "converts to a real floating dtype; got ", dtype);
  }
  const auto& table = fp8_values();
  array values(table.data(), Shape{256}, float32);
  return astype(take(values, x, s), dtype, s);
}

}  // namespace tandem
