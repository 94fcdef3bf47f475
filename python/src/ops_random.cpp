// mx.random: functional, key-based random numbers (every sampler takes key=).
#include "python/src/common.h"
#include "tandem/ops/random.h"

namespace tandem::py {
namespace {

const auto S = "stream"_a = nb::none();

std::optional<array> opt_key(const std::optional<ArrayLike>& k) {
  if (!k) return std::nullopt;
  return to_array(*k);
}

// A Python scalar bound in the sampler's dtype (no float32 rounding for float64).
array bound(const ArrayLike& v, Dtype t) {
  if (is_array(v.h)) return as_array(v.h);
  PyObject* o = v.h.ptr();
  if (PyFloat_Check(o) || PyLong_Check(o)) return to_array(v.h, t);
  return to_array(v);
}

}  // namespace

void init_ops_random(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("random", "Random numbers: functional and key based.");

  m.def(
      "seed", [](uint64_t seed) { random::seed(seed); }, "seed"_a,
      "Resets the calling thread's global key to key(seed).");
  m.def(
      "key", [](uint64_t seed) { return random::key(seed); }, "seed"_a,
      "A PRNG key (uint32, shape (2,)) from a seed.");
  m.def(
      "split",
      [](ArrayLike key, int num, StreamOrDevice s) { return random::split(to_array(key), num, s); },
      "key"_a, "num"_a = 2, nb::kw_only(), S, "Splits a key into num keys: shape (num, 2).");
  m.def(
      "bits",
      [](Shape shape, int width, std::optional<ArrayLike> key, StreamOrDevice s) {
        return random::bits(shape, width, opt_key(key), s);
      },
      "shape"_a = Shape{}, "width"_a = 4, "key"_a = nb::none(), nb::kw_only(), S,
      "Random bits: width bytes per element (unsigned integers).");
  m.def(
      "uniform",
      [](ArrayLike low, ArrayLike high, Shape shape, std::optional<Dtype> dtype,
         std::optional<ArrayLike> key, StreamOrDevice s) {
        Dtype t = dtype.value_or(float32);
        return random::uniform(bound(low, t), bound(high, t), shape, t, opt_key(key), s);
      },
      "low"_a = 0, "high"_a = 1, "shape"_a = Shape{}, "dtype"_a = nb::none(), "key"_a = nb::none(),
      nb::kw_only(), S, "Uniform samples in [low, high).");
  m.def(
      "normal",
      [](Shape shape, std::optional<Dtype> dtype, ArrayLike loc, ArrayLike scale,
         std::optional<ArrayLike> key, StreamOrDevice s) {
        Dtype t = dtype.value_or(float32);
        bool scalars = (PyFloat_Check(loc.h.ptr()) || PyLong_Check(loc.h.ptr())) &&
                       (PyFloat_Check(scale.h.ptr()) || PyLong_Check(scale.h.ptr()));
        if (scalars && t != float64) {
          return random::normal(shape, t, nb::cast<float>(loc.h), nb::cast<float>(scale.h),
                                opt_key(key), s);
        }
        return random::normal(shape, t, bound(loc, t), bound(scale, t), opt_key(key), s);
      },
      "shape"_a = Shape{}, "dtype"_a = nb::none(), "loc"_a = 0.0, "scale"_a = 1.0,
      "key"_a = nb::none(), nb::kw_only(), S, "Normal samples with mean loc and std scale.");
  m.def(
      "multivariate_normal",
      [](ArrayLike mean, ArrayLike cov, Shape shape, std::optional<Dtype> dtype,
         std::optional<ArrayLike> key, StreamOrDevice s) {
        return random::multivariate_normal(to_array(mean), to_array(cov), shape,
                                           dtype.value_or(float32), opt_key(key), s);
      },
      "mean"_a, "cov"_a, "shape"_a = Shape{}, "dtype"_a = nb::none(), "key"_a = nb::none(),
      nb::kw_only(), S,
      "Jointly normal samples: mean + z @ L.T with cov = L L.T (from its eigendecomposition).");
  m.def(
      "randint",
      [](ArrayLike low, ArrayLike high, Shape shape, std::optional<Dtype> dtype,
         std::optional<ArrayLike> key, StreamOrDevice s) {
        Dtype t = dtype.value_or(int32);
        return random::randint(bound(low, t), bound(high, t), shape, t, opt_key(key), s);
      },
      "low"_a, "high"_a, "shape"_a = Shape{}, "dtype"_a = nb::none(), "key"_a = nb::none(),
      nb::kw_only(), S, "Integers uniform in [low, high).");
  m.def(
      "bernoulli",
      [](ArrayLike p, std::optional<Shape> shape, std::optional<ArrayLike> key, StreamOrDevice s) {
        array pa = bound(p, float32);
        return shape ? random::bernoulli(pa, *shape, opt_key(key), s)
                     : random::bernoulli(pa, opt_key(key), s);
      },
      "p"_a = 0.5, "shape"_a = nb::none(), "key"_a = nb::none(), nb::kw_only(), S,
      "True with probability p.");
  m.def(
      "truncated_normal",
      [](ArrayLike lower, ArrayLike upper, std::optional<Shape> shape, std::optional<Dtype> dtype,
         std::optional<ArrayLike> key, StreamOrDevice s) {
        Dtype t = dtype.value_or(float32);
        array lo = bound(lower, t), hi = bound(upper, t);
        return shape ? random::truncated_normal(lo, hi, *shape, t, opt_key(key), s)
                     : random::truncated_normal(lo, hi, t, opt_key(key), s);
      },
      "lower"_a, "upper"_a, "shape"_a = nb::none(), "dtype"_a = nb::none(), "key"_a = nb::none(),
      nb::kw_only(), S, "Standard normal samples truncated to [lower, upper].");
  m.def(
      "gumbel",
      [](Shape shape, std::optional<Dtype> dtype, std::optional<ArrayLike> key, StreamOrDevice s) {
        return random::gumbel(shape, dtype.value_or(float32), opt_key(key), s);
      },
      "shape"_a = Shape{}, "dtype"_a = nb::none(), "key"_a = nb::none(), nb::kw_only(), S,
      "Standard Gumbel samples.");
  m.def(
      "categorical",
      [](ArrayLike logits, int axis, std::optional<Shape> shape, std::optional<int> num_samples,
         std::optional<ArrayLike> key, StreamOrDevice s) {
        array l = to_array(logits);
        if (shape && num_samples) {
          throw std::invalid_argument(
              "[categorical] at most one of shape or num_samples can be given");
        }
        if (shape) return random::categorical(l, axis, *shape, opt_key(key), s);
        if (num_samples) return random::categorical(l, axis, *num_samples, opt_key(key), s);
        return random::categorical(l, axis, opt_key(key), s);
      },
      "logits"_a, "axis"_a = -1, "shape"_a = nb::none(), "num_samples"_a = nb::none(),
      "key"_a = nb::none(), nb::kw_only(), S,
      "Samples indices from unnormalised log-probabilities along axis.");
  m.def(
      "laplace",
      [](Shape shape, std::optional<Dtype> dtype, float loc, float scale,
         std::optional<ArrayLike> key, StreamOrDevice s) {
        return random::laplace(shape, dtype.value_or(float32), loc, scale, opt_key(key), s);
      },
      "shape"_a = Shape{}, "dtype"_a = nb::none(), "loc"_a = 0.0f, "scale"_a = 1.0f,
      "key"_a = nb::none(), nb::kw_only(), S,
      "Samples from the Laplace distribution (density exp(-|x - loc| / scale) / (2 * "
      "scale)).\n\n"
      "Args:\n"
      "    shape: the output shape.\n"
      "    dtype: a floating dtype (default float32).\n"
      "    loc: the location (mean) of the distribution.\n"
      "    scale: the scale, positive.\n"
      "    key: a PRNG key; None uses and advances the global key.\n\n"
      "Returns:\n"
      "    An array of shape and dtype.");
  m.def(
      "permutation",
      [](ArrayLike x, int axis, std::optional<ArrayLike> key, StreamOrDevice s) {
        if (PyLong_Check(x.h.ptr()) && !PyBool_Check(x.h.ptr())) {
          return random::permutation(nb::cast<int>(x.h), opt_key(key), s);
        }
        return random::permutation(to_array(x), axis, opt_key(key), s);
      },
      "x"_a, "axis"_a = 0, "key"_a = nb::none(), nb::kw_only(), S,
      "A random permutation of range(x) (an int) or of x along axis.");
  // mx.random.state: [the calling thread's global key], read on access.
  m.def(
      "__getattr__",
      [](const std::string& name) -> nb::object {
        if (name == "state") {
          nb::list l;
          l.append(random::state());
          return l;
        }
        throw nb::attribute_error(
            ("module 'tandem.core.random' has no attribute '" + name + "'").c_str());
      },
      "name"_a);
}

}  // namespace tandem::py
