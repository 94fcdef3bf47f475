#include "tandem/ops/random.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <thread>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/linalg.h"
#include "tandem/ops/matmul.h"
#include "tandem/ops/reduce.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/sort.h"
#include "tandem/ops/unary.h"
#include "tandem/ops/utils.h"
#include "tandem/primitives/random.h"

namespace tandem::random {

namespace {

constexpr double kSqrt2 = 1.41421356237309504880;

// The calling thread's global key, kept on the host: advancing it costs two
// Threefry blocks and builds no graph.
struct GlobalKey {
  uint32_t k0 = 0, k1 = 0;
  bool init = false;
};

GlobalKey& global_key() {
  thread_local GlobalKey g;
  if (!g.init) {
    uint64_t t =
        static_cast<uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
    t ^= static_cast<uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id())) << 1;
    g.k0 = static_cast<uint32_t>(t >> 32);
    g.k1 = static_cast<uint32_t>(t);
    g.init = true;
  }
  return g;
}

array key_array(uint32_t k0, uint32_t k1) {
  uint32_t v[2] = {k0, k1};
  return array(v, Shape{2}, uint32);
}

thread_local detail::KeyHook t_key_hook = nullptr;
thread_local void* t_key_hook_ctx = nullptr;

// The next subkey of the global key, as split(global, 2) would give:
// the state becomes subkey 0, the caller gets subkey 1.
array next_key() {
  GlobalKey& g = global_key();
  uint32_t s0, s1, d0, d1;
  random_block(g.k0, g.k1, 0, s0, s1);
  random_block(g.k0, g.k1, 1, d0, d1);
  g.k0 = s0;
  g.k1 = s1;
  array k = key_array(d0, d1);
  return t_key_hook ? t_key_hook(std::move(k), t_key_hook_ctx) : k;
}

array get_key(const char* op, const std::optional<array>& key) {
  if (!key) return next_key();
  if (key->dtype() != uint32 || key->shape() != Shape{2}) {
    invalid(op, "a key must be a uint32 array of shape (2,); got shape ", key->shape(),
            " and dtype ", key->dtype());
  }
  return *key;
}

void check_float(const char* op, Dtype dtype) {
  if (!is_floating_point(dtype)) {
    invalid(op, "dtype must be a real floating point type; got ", dtype);
  }
}

void check_shape(const char* op, const Shape& shape, Dtype dtype) {
  checked_shape_size(shape, dtype, op);
}

// Checks that the parameters' shape broadcasts to `shape` without growing it.
void check_broadcast(const char* op, const Shape& shape, const Shape& params, const char* what) {
  Shape b = broadcast_shapes(shape, params, op);
  if (b != shape) {
    invalid(op, what, " of shape ", params, " do not broadcast to the requested shape ", shape);
  }
}

// The dtype the continuous samplers compute in.
Dtype compute_type(Dtype t) {
  return (t == float16 || t == bfloat16) ? float32 : t;
}

// The float of type t nearest -1 from above (nextafter(-1, 0)).
double above_minus_one(Dtype t) {
  if (t == float64) return std::nextafter(-1.0, 0.0);
  if (t == float16) return -1.0 + std::ldexp(1.0, -11);
  if (t == bfloat16) return -1.0 + std::ldexp(1.0, -8);
  return static_cast<double>(std::nextafter(-1.0f, 0.0f));
}

// Uniform in [0, 1) of dtype t: the top p bits of each random word times 2^-p.
array unit_uniform(const Shape& shape, Dtype t, const array& key, StreamOrDevice s) {
  int width, p;
  if (t == float64) {
    width = 8;
    p = 53;
  } else if (t == float32) {
    width = 4;
    p = 24;
  } else if (t == float16) {
    width = 2;
    p = 11;
  } else {
    width = 2;
    p = 8;
  }
  array b = bits(shape, width, key, s);
  Dtype bt = b.dtype();
  array top = right_shift(b, array(8 * width - p, bt), s);
  return multiply(astype(top, t, s), array(std::ldexp(1.0, -p), t), s);
}

}  // namespace

array key(uint64_t seed) {
  return key_array(static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(seed));
}

void seed(uint64_t seed) {
  GlobalKey& g = global_key();
  g.k0 = static_cast<uint32_t>(seed >> 32);
  g.k1 = static_cast<uint32_t>(seed);
}

array state() {
  GlobalKey& g = global_key();
  return key_array(g.k0, g.k1);
}

namespace detail {
std::pair<uint32_t, uint32_t> global_key_words() {
  GlobalKey& g = global_key();
  return {g.k0, g.k1};
}
void set_global_key_words(std::pair<uint32_t, uint32_t> words) {
  GlobalKey& g = global_key();
  g.k0 = words.first;
  g.k1 = words.second;
}
array next_subkey() {
  return next_key();
}
std::pair<KeyHook, void*> set_key_hook(KeyHook hook, void* ctx) {
  std::pair<KeyHook, void*> old{t_key_hook, t_key_hook_ctx};
  t_key_hook = hook;
  t_key_hook_ctx = ctx;
  return old;
}
}  // namespace detail

array bits(const Shape& shape, int width, const std::optional<array>& key, StreamOrDevice s) {
  Dtype t;
  switch (width) {
    case 1:
      t = uint8;
      break;
    case 2:
      t = uint16;
      break;
    case 4:
      t = uint32;
      break;
    case 8:
      t = uint64;
      break;
    default:
      invalid("bits", "width must be 1, 2, 4 or 8 bytes; got ", width, " (shape ", shape, ")");
  }
  check_shape("bits", shape, uint32);
  array k = get_key("bits", key);
  return array(shape, t, make_pooled<RandomBits>(to_stream(s), width), {k});
}

std::pair<array, array> split(const array& key, StreamOrDevice s) {
  array ks = random::split(key, 2, s);
  return {reshape(slice(ks, {0, 0}, {1, 2}, s), {2}, s),
          reshape(slice(ks, {1, 0}, {2, 2}, s), {2}, s)};
}

array split(const array& key, int num, StreamOrDevice s) {
  if (num < 0) invalid("split", "num must be non-negative; got ", num);
  get_key("split", key);
  return bits({num, 2}, 4, key, s);
}

array uniform(const array& low, const array& high, const Shape& shape, Dtype dtype,
              const std::optional<array>& key, StreamOrDevice s) {
  check_float("uniform", dtype);
  check_shape("uniform", shape, dtype);
  if (is_complex(low.dtype()) || is_complex(high.dtype())) {
    invalid("uniform", "low and high must be real; got dtypes ", low.dtype(), " and ",
            high.dtype());
  }
  check_broadcast("uniform", shape, broadcast_shapes(low.shape(), high.shape(), "uniform"),
                  "low and high");
  array k = get_key("uniform", key);
  array lo = astype(low, dtype, s), hi = astype(high, dtype, s);
  array u = unit_uniform(shape, dtype, k, s);
  array out = add(lo, multiply(subtract(hi, lo, s), u, s), s);
  // Rounding can land on high itself; keep the interval half open.
  return where(equal(out, hi, s), lo, out, s);
}

array uniform(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  check_float("uniform", dtype);
  check_shape("uniform", shape, dtype);
  return unit_uniform(shape, dtype, get_key("uniform", key), s);
}

array normal(const Shape& shape, Dtype dtype, const std::optional<array>& loc,
             const std::optional<array>& scale, const std::optional<array>& key, StreamOrDevice s) {
  check_float("normal", dtype);
  check_shape("normal", shape, dtype);
  if (loc) check_broadcast("normal", shape, loc->shape(), "loc");
  if (scale) check_broadcast("normal", shape, scale->shape(), "scale");
  array k = get_key("normal", key);
  Dtype ct = compute_type(dtype);
  array u = uniform(array(above_minus_one(ct), ct), array(1.0, ct), shape, ct, k, s);
  array z = multiply(erfinv(u, s), array(kSqrt2, ct), s);
  if (scale) z = multiply(z, astype(*scale, ct, s), s);
  if (loc) z = add(z, astype(*loc, ct, s), s);
  return astype(z, dtype, s);
}

array normal(const Shape& shape, Dtype dtype, const float loc, const float scale,
             const std::optional<array>& key, StreamOrDevice s) {
  std::optional<array> l, sc;
  if (loc != 0.f) l = array(loc);
  if (scale != 1.f) sc = array(scale);
  return normal(shape, dtype, l, sc, key, s);
}

array randint(const array& low, const array& high, const Shape& shape, Dtype dtype,
              const std::optional<array>& key, StreamOrDevice s) {
  if (!is_integral(dtype) && dtype != bool_) {
    invalid("randint", "dtype must be an integer type; got ", dtype);
  }
  check_shape("randint", shape, dtype);
  if (is_complex(low.dtype()) || is_complex(high.dtype())) {
    invalid("randint", "low and high must be real; got dtypes ", low.dtype(), " and ",
            high.dtype());
  }
  check_broadcast("randint", shape, broadcast_shapes(low.shape(), high.shape(), "randint"),
                  "low and high");
  array k = get_key("randint", key);
  array lo = floor(astype(low, float64, s), s), hi = floor(astype(high, float64, s), s);
  array u = unit_uniform(shape, float64, k, s);
  array r = floor(add(lo, multiply(subtract(hi, lo, s), u, s), s), s);
  r = maximum(minimum(r, subtract(hi, array(1.0), s), s), lo, s);
  return astype(r, dtype, s);
}

array bernoulli(const array& p, const Shape& shape, const std::optional<array>& key,
                StreamOrDevice s) {
  if (!is_floating_point(p.dtype())) {
    invalid("bernoulli", "p must have a real floating point dtype; got ", p.dtype(), " (shape ",
            p.shape(), ")");
  }
  check_shape("bernoulli", shape, bool_);
  check_broadcast("bernoulli", shape, p.shape(), "p");
  array k = get_key("bernoulli", key);
  Dtype ct = compute_type(p.dtype());
  return less(unit_uniform(shape, ct, k, s), astype(p, ct, s), s);
}

array bernoulli(const array& p, const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(p, p.shape(), key, s);
}

array bernoulli(const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(array(0.5f), Shape{}, key, s);
}

array truncated_normal(const array& lower, const array& upper, const Shape& shape, Dtype dtype,
                       const std::optional<array>& key, StreamOrDevice s) {
  check_float("truncated_normal", dtype);
  check_shape("truncated_normal", shape, dtype);
  check_broadcast("truncated_normal", shape,
                  broadcast_shapes(lower.shape(), upper.shape(), "truncated_normal"),
                  "lower and upper");
  array k = get_key("truncated_normal", key);
  Dtype ct = compute_type(dtype);
  array lo = astype(lower, ct, s), hi = astype(upper, ct, s);
  array inv_sqrt2(1.0 / kSqrt2, ct);
  array a = erf(multiply(lo, inv_sqrt2, s), s), b = erf(multiply(hi, inv_sqrt2, s), s);
  array u = uniform(a, b, shape, ct, k, s);
  // Keep erfinv finite: stay strictly inside (-1, 1).
  double m = above_minus_one(ct);
  u = clip(u, array(m, ct), array(-m, ct), s);
  array z = multiply(erfinv(u, s), array(kSqrt2, ct), s);
  z = clip(z, lo, hi, s);
  return astype(z, dtype, s);
}

array truncated_normal(const array& lower, const array& upper, Dtype dtype,
                       const std::optional<array>& key, StreamOrDevice s) {
  Shape shape = broadcast_shapes(lower.shape(), upper.shape(), "truncated_normal");
  return truncated_normal(lower, upper, shape, dtype, key, s);
}

array gumbel(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  check_float("gumbel", dtype);
  check_shape("gumbel", shape, dtype);
  array k = get_key("gumbel", key);
  Dtype ct = compute_type(dtype);
  double tiny = ct == float64 ? std::numeric_limits<double>::min()
                              : static_cast<double>(std::numeric_limits<float>::min());
  array u = uniform(array(tiny, ct), array(1.0, ct), shape, ct, k, s);
  return astype(negative(log(negative(log(u, s), s), s), s), dtype, s);
}

array categorical(const array& logits, int axis, const Shape& shape,
                  const std::optional<array>& key, StreamOrDevice s) {
  if (logits.ndim() == 0) invalid("categorical", "logits must have at least one dimension");
  if (!is_floating_point(logits.dtype())) {
    invalid("categorical", "logits must have a real floating point dtype; got ", logits.dtype(),
            " (shape ", logits.shape(), ")");
  }
  int ax = normalize_axis(axis, logits.ndim(), "categorical", logits.shape());
  check_shape("categorical", shape, uint32);
  Shape reduced = logits.shape();
  Shape r2;
  for (int i = 0; i < logits.ndim(); ++i) {
    if (i != ax) r2.push_back(reduced[i]);
  }
  if (logits.shape(ax) == 0) {
    invalid("categorical", "cannot sample from an empty axis ", ax, " of logits of shape ",
            logits.shape());
  }
  check_broadcast("categorical", shape, r2, "logits (without the sampled axis)");
  array k = get_key("categorical", key);
  // The sampled axis goes where it lines up with logits counted from the end.
  int from_end = logits.ndim() - ax;  // >= 1
  int pos = static_cast<int>(shape.size()) - (from_end - 1);
  Shape gshape;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    if (i == pos) gshape.push_back(logits.shape(ax));
    gshape.push_back(shape[i]);
  }
  if (pos == static_cast<int>(shape.size())) gshape.push_back(logits.shape(ax));
  Dtype ct = logits.dtype() == float64 ? float64 : float32;
  array g = gumbel(gshape, ct, k, s);
  return argmax(add(g, astype(logits, ct, s), s), pos, false, s);
}

array categorical(const array& logits, int axis, int num_samples, const std::optional<array>& key,
                  StreamOrDevice s) {
  if (logits.ndim() == 0) invalid("categorical", "logits must have at least one dimension");
  if (num_samples < 0)
    invalid("categorical", "num_samples must be non-negative; got ", num_samples);
  int ax = normalize_axis(axis, logits.ndim(), "categorical", logits.shape());
  Shape shape;
  for (int i = 0; i < logits.ndim(); ++i) {
    if (i != ax) shape.push_back(logits.shape(i));
  }
  shape.push_back(num_samples);
  return categorical(expand_dims(logits, -1, s), ax, shape, key, s);
}

array categorical(const array& logits, int axis, const std::optional<array>& key,
                  StreamOrDevice s) {
  if (logits.ndim() == 0) invalid("categorical", "logits must have at least one dimension");
  int ax = normalize_axis(axis, logits.ndim(), "categorical", logits.shape());
  Shape shape;
  for (int i = 0; i < logits.ndim(); ++i) {
    if (i != ax) shape.push_back(logits.shape(i));
  }
  return categorical(logits, ax, shape, key, s);
}

array laplace(const Shape& shape, Dtype dtype, const float loc, const float scale,
              const std::optional<array>& key, StreamOrDevice s) {
  check_float("laplace", dtype);
  check_shape("laplace", shape, dtype);
  array k = get_key("laplace", key);
  Dtype ct = compute_type(dtype);
  array u = uniform(array(above_minus_one(ct), ct), array(1.0, ct), shape, ct, k, s);
  // Inverse CDF: -sign(u) * log(1 - |u|).
  array z = multiply(negative(sign(u, s), s), log1p(negative(abs(u, s), s), s), s);
  if (scale != 1.f) z = multiply(z, array(static_cast<double>(scale), ct), s);
  if (loc != 0.f) z = add(z, array(static_cast<double>(loc), ct), s);
  return astype(z, dtype, s);
}

array permutation(int x, const std::optional<array>& key, StreamOrDevice s) {
  if (x < 0) invalid("permutation", "size must be non-negative; got ", x);
  array k = get_key("permutation", key);
  return argsort(bits({x}, 4, k, s), 0, s);
}

array permutation(const array& x, int axis, const std::optional<array>& key, StreamOrDevice s) {
  if (x.ndim() == 0) invalid("permutation", "cannot permute a 0-d array");
  int ax = normalize_axis(axis, x.ndim(), "permutation", x.shape());
  return take(x, permutation(x.shape(ax), key, s), ax, s);
}

array multivariate_normal(const array& mean, const array& cov, const Shape& shape, Dtype dtype,
                          const std::optional<array>& key, StreamOrDevice s) {
  if (dtype != float32) {
    invalid("multivariate_normal", "supports float32 only (as MLX); got ", dtype);
  }
  if (mean.ndim() < 1 || cov.ndim() < 2) {
    invalid("multivariate_normal", "needs mean (..., n) and cov (..., n, n); got shapes ",
            mean.shape(), " and ", cov.shape());
  }
  const int n = mean.shape(-1);
  if (cov.shape(-1) != n || cov.shape(-2) != n) {
    invalid("multivariate_normal", "cov must be (..., ", n, ", ", n, ") for mean ", mean.shape(),
            "; got ", cov.shape());
  }
  Shape mb(mean.shape().begin(), mean.shape().end() - 1);
  Shape cb(cov.shape().begin(), cov.shape().end() - 2);
  Shape batch = broadcast_shapes(mb, cb, "multivariate_normal");
  if (!shape.empty()) batch = broadcast_shapes(shape, batch, "multivariate_normal");
  if (!shape.empty() && batch != shape) {
    invalid("multivariate_normal", "shape ", shape, " must hold the batch shapes of mean ",
            mean.shape(), " and cov ", cov.shape());
  }
  Shape zshape = batch;
  zshape.push_back(n);
  array z = normal(zshape, dtype, 0.0f, 1.0f, key, s);
  // L = V diag(sqrt(max(w, 0))): works for semi-definite cov (a Cholesky
  // factor would not exist).
  Stream cpu = default_stream(Device::cpu);
  auto [w, v] = linalg::eigh(astype(cov, dtype, cpu), "L", cpu);
  array root = sqrt(maximum(w, array(0.0f), cpu), cpu);
  array l = multiply(v, expand_dims(root, -2, cpu), cpu);
  Shape row = batch;
  row.push_back(1);
  row.push_back(n);
  array zl = matmul(reshape(z, row, s), swapaxes(l, -1, -2, s), s);
  return add(astype(mean, dtype, s), squeeze(zl, std::vector<int>{-2}, s), s);
}

}  // namespace tandem::random
