// eval and async_eval over pytrees; the function transforms (vjp, jvp,
// grad, value_and_grad) over Python functions of arrays and pytrees.
#include <nanobind/stl/function.h>

#include "python/src/common.h"
#include "python/src/trees.h"
#include "tandem/primitives/custom.h"

namespace tandem::py {
namespace {

// fun's result as the outputs of a transformed function: an array, or a
// list or tuple of arrays.
std::vector<array> outputs_of(nb::handle result, const char* op) {
  if (is_array(result)) return {as_array(result)};
  if (PyList_Check(result.ptr()) || PyTuple_Check(result.ptr())) {
    std::vector<array> out;
    for (nb::handle item : nb::borrow<nb::sequence>(result)) {
      if (!is_array(item)) {
        throw nb::value_error((std::string("[") + op +
                               "] the function must return an array or a list or tuple of "
                               "arrays; got an element of type " +
                               nb::type_name(item.type()).c_str())
                                  .c_str());
      }
      out.push_back(as_array(item));
    }
    return out;
  }
  throw nb::value_error((std::string("[") + op +
                         "] the function must return an array or a list or tuple of arrays; got " +
                         nb::type_name(result.type()).c_str())
                            .c_str());
}

std::vector<array> array_list(nb::handle seq, const char* op, const char* what) {
  if (is_array(seq)) return {as_array(seq)};
  if (!PyList_Check(seq.ptr()) && !PyTuple_Check(seq.ptr())) {
    throw nb::value_error(
        (std::string("[") + op + "] " + what + " must be a list of arrays").c_str());
  }
  std::vector<array> out;
  for (nb::handle item : nb::borrow<nb::sequence>(seq)) out.push_back(to_array(item));
  return out;
}

// fun called with the arrays as positional arguments.
ArrayFn positional(nb::callable fun, const char* op) {
  return [fun, op](const std::vector<array>& xs) {
    nb::list args;
    for (auto& x : xs) args.append(nb::cast(x));
    return outputs_of(fun(*nb::tuple(args)), op);
  };
}

// The differentiated arguments of a value_and_grad call: which positional
// arguments and keyword arguments, flattened to arrays.
struct GradArgs {
  std::vector<int> argnums;
  std::vector<std::string> argnames;
};

nb::object value_and_grad_call(nb::callable fun, const GradArgs& spec, nb::args args,
                               nb::kwargs kwargs, bool with_value) {
  const char* op = with_value ? "value_and_grad" : "grad";
  int n = static_cast<int>(args.size());
  std::vector<int> nums;
  for (int a : spec.argnums) {
    int k = a < 0 ? a + n : a;
    if (k < 0 || k >= n) {
      throw nb::value_error((std::string("[") + op + "] can't compute the gradient of argument " +
                             std::to_string(a) + ": the function was called with " +
                             std::to_string(n) + " positional arguments")
                                .c_str());
    }
    nums.push_back(k);
  }
  for (auto& name : spec.argnames) {
    if (!kwargs.contains(name.c_str())) {
      throw nb::value_error((std::string("[") + op +
                             "] can't compute the gradient of keyword "
                             "argument '" +
                             name + "': it was not passed")
                                .c_str());
    }
  }
  // The arrays to differentiate, and where each tree starts.
  std::vector<array> primals;
  std::vector<size_t> starts;
  for (int k : nums) {
    starts.push_back(primals.size());
    for (auto& a : tree_arrays(args[k], op)) primals.push_back(a);
  }
  for (auto& name : spec.argnames) {
    starts.push_back(primals.size());
    for (auto& a : tree_arrays(kwargs[name.c_str()], op)) primals.push_back(a);
  }
  nb::object result;
  auto f = [&](const std::vector<array>& xs) {
    nb::list new_args;
    for (nb::handle a : args) new_args.append(a);
    nb::dict new_kwargs;
    for (auto [k, v] : kwargs) new_kwargs[k] = v;
    size_t next = 0;
    for (int k : nums) new_args[k] = tree_replace(args[k], xs, next);
    for (auto& name : spec.argnames) {
      new_kwargs[name.c_str()] = tree_replace(kwargs[name.c_str()], xs, next);
    }
    result = fun(*nb::tuple(new_args), **new_kwargs);
    nb::handle loss = result;
    if ((PyList_Check(result.ptr()) || PyTuple_Check(result.ptr())) && nb::len(result) > 0) {
      loss = nb::borrow<nb::sequence>(result)[0];
    }
    if (!is_array(loss) || as_array(loss).size() != 1) {
      throw nb::value_error(
          (std::string("[") + op +
           "] the function must return a scalar array, or a tuple or list whose first element is "
           "a scalar array (the value to differentiate); got " +
           (is_array(loss) ? "an array of shape " + shape_str(as_array(loss).shape())
                           : std::string(nb::type_name(loss.type()).c_str())))
              .c_str());
    }
    return std::vector<array>{as_array(loss)};
  };
  std::vector<int> all(primals.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  std::vector<array> grads;
  if (primals.empty()) {
    f({});
  } else {
    grads = value_and_grad(f, all)(primals).second;
  }
  // The gradients in the shape of the arguments.
  size_t next = 0;
  nb::list pos;
  for (int k : nums) pos.append(tree_replace(args[k], grads, next));
  nb::dict kw;
  for (auto& name : spec.argnames)
    kw[name.c_str()] = tree_replace(kwargs[name.c_str()], grads, next);
  nb::object g;
  if (spec.argnames.empty()) {
    g = nums.size() == 1 ? nb::object(pos[0]) : nb::object(nb::tuple(pos));
  } else {
    nb::object p = nums.empty()       ? nb::none()
                   : nums.size() == 1 ? nb::object(pos[0])
                                      : nb::object(nb::tuple(pos));
    g = nb::make_tuple(p, kw);
  }
  if (!with_value) return g;
  return nb::make_tuple(result, g);
}

GradArgs grad_args(nb::handle argnums, nb::handle argnames, const char* op) {
  GradArgs spec;
  if (!argnames.is_none()) {
    if (PyUnicode_Check(argnames.ptr())) {
      spec.argnames.push_back(nb::cast<std::string>(argnames));
    } else {
      for (nb::handle n : nb::borrow<nb::sequence>(argnames)) {
        spec.argnames.push_back(nb::cast<std::string>(n));
      }
    }
  }
  if (argnums.is_none()) {
    if (spec.argnames.empty()) spec.argnums = {0};
  } else if (PyLong_Check(argnums.ptr())) {
    spec.argnums = {nb::cast<int>(argnums)};
  } else {
    for (nb::handle a : nb::borrow<nb::sequence>(argnums)) spec.argnums.push_back(nb::cast<int>(a));
    if (spec.argnums.empty() && spec.argnames.empty()) {
      throw nb::value_error(
          (std::string("[") + op + "] argnums and argnames can't both be empty").c_str());
    }
  }
  return spec;
}

// The axis given for each leaf of tree: `spec` is an int or None for all of
// its leaves, or a tree of the same structure.
// With raw (out_axes: the leaves are one batch element, so their axes are
// checked and normalized later against the batched outputs) the ints are
// passed through unchanged.
void leaf_axes(nb::handle tree, nb::handle spec, std::vector<int>& out, bool raw = false) {
  auto axis_of = [](nb::handle a) { return a.is_none() ? -1 : nb::cast<int>(a); };
  if (spec.is_none() || PyLong_Check(spec.ptr())) {
    std::vector<array> leaves;
    tree_collect(tree, leaves);
    for (auto& x : leaves) {
      if (raw) {
        if (spec.is_none()) throw nb::value_error("[vmap] out_axes must be ints, not None");
        out.push_back(nb::cast<int>(spec));
        continue;
      }
      int ax = axis_of(spec);
      if (ax < -1 || (ax == -1 && !spec.is_none())) ax += x.ndim();
      if (!spec.is_none() && (ax < 0 || ax >= x.ndim())) {
        throw nb::value_error(("[vmap] in_axes " + std::to_string(nb::cast<int>(spec)) +
                               " is out of range for an array of shape " + shape_str(x.shape()))
                                  .c_str());
      }
      out.push_back(spec.is_none() ? -1 : ax);
    }
    return;
  }
  if ((PyList_Check(tree.ptr()) || PyTuple_Check(tree.ptr())) &&
      (PyList_Check(spec.ptr()) || PyTuple_Check(spec.ptr())) && nb::len(tree) == nb::len(spec)) {
    auto t = nb::borrow<nb::sequence>(tree);
    auto sp = nb::borrow<nb::sequence>(spec);
    for (size_t i = 0; i < nb::len(tree); ++i) leaf_axes(t[i], sp[i], out, raw);
    return;
  }
  if (PyDict_Check(tree.ptr()) && PyDict_Check(spec.ptr())) {
    auto sp = nb::borrow<nb::dict>(spec);
    for (auto [k, v] : nb::borrow<nb::dict>(tree)) leaf_axes(v, sp[k], out, raw);
    return;
  }
  throw nb::value_error(raw ? "[vmap] out_axes must be an int or a tree matching the outputs"
                            : "[vmap] in_axes must be an int, None, or a tree matching the "
                              "arguments");
}

nb::object vmap_call(nb::callable fun, nb::handle in_axes, nb::handle out_axes, nb::args args) {
  std::vector<array> flat;
  tree_collect(args, flat);
  std::vector<int> axes;
  if (PyTuple_Check(in_axes.ptr()) || PyList_Check(in_axes.ptr())) {
    if (nb::len(in_axes) != nb::len(args)) {
      throw nb::value_error(("[vmap] in_axes has " + std::to_string(nb::len(in_axes)) +
                             " entries for " + std::to_string(nb::len(args)) + " arguments")
                                .c_str());
    }
  }
  leaf_axes(args, PyTuple_Check(in_axes.ptr()) || PyList_Check(in_axes.ptr()) ? in_axes : in_axes,
            axes);
  nb::object structure;
  auto f = [&](const std::vector<array>& xs) {
    size_t next = 0;
    nb::object new_args = tree_replace(args, xs, next);
    structure = fun(*nb::borrow<nb::tuple>(new_args));
    std::vector<array> outs;
    tree_collect(structure, outs);
    return outs;
  };
  // The output axes are known once the function has run: map with 0, then move.
  auto res = vmap(f, axes, {})(flat);
  std::vector<int> oaxes;
  if (out_axes.is_none()) {
    throw nb::value_error("[vmap] out_axes must be an int or a tree of ints");
  }
  if (PyLong_Check(out_axes.ptr())) {
    oaxes.assign(res.size(), nb::cast<int>(out_axes));
  } else {
    leaf_axes(structure, out_axes, oaxes, true);
  }
  for (size_t j = 0; j < res.size(); ++j) {
    int to = oaxes[j] < 0 ? oaxes[j] + res[j].ndim() : oaxes[j];
    if (to < 0 || to >= res[j].ndim()) {
      throw nb::value_error(("[vmap] out_axes " + std::to_string(oaxes[j]) +
                             " is out of range for an output with " +
                             std::to_string(res[j].ndim()) + " dims")
                                .c_str());
    }
    if (to != 0) res[j] = moveaxis(res[j], 0, to);
  }
  size_t next = 0;
  return tree_replace(structure, res, next);
}

// A Python function of pytrees as an ArrayFn over its flattened array
// leaves; `out` receives the structure of its result. The Python objects are
// held through gil_safe: the function may be dropped with a graph node.
ArrayFn flat_fn(nb::object fun, nb::tuple args, nb::dict kwargs, std::shared_ptr<nb::object> out) {
  auto f = gil_safe(fun), a = gil_safe(args), k = gil_safe(kwargs);
  return [f, a, k, out](const std::vector<array>& xs) {
    size_t next = 0;
    nb::object new_args = tree_replace(*a, xs, next);
    nb::object r = (*f)(*nb::borrow<nb::tuple>(new_args), **nb::borrow<nb::dict>(*k));
    std::vector<array> outs;
    tree_collect(r, outs);
    if (out) *out = r;
    return outs;
  };
}

// The Python object a custom rule returns, flattened to one array per
// expected slot.
std::vector<array> flat_arrays(nb::handle tree) {
  std::vector<array> v;
  tree_collect(tree, v);
  return v;
}

// The primals (or tangents) handed to a rule, as MLX does: the argument
// itself when there is one, else the tuple of them.
nb::object one_or_all(nb::object args) {
  return nb::len(args) == 1 ? nb::object(nb::borrow<nb::tuple>(args)[0]) : args;
}

// custom_function: a function with Python overrides of vjp, jvp and vmap.
struct CustomFunction {
  nb::object fun, vjp = nb::none(), jvp = nb::none(), vmap = nb::none();
};

// custom_function.vjp/.jvp/.vmap: stores the rule, returns the function.
template <nb::object CustomFunction::*Rule>
nb::object set_rule(nb::handle self, nb::object f) {
  nb::inst_ptr<CustomFunction>(self)->*Rule = std::move(f);
  return nb::borrow(self);
}

nb::object custom_call(CustomFunction& self, nb::args args, nb::kwargs kwargs) {
  std::vector<array> flat;
  tree_collect(args, flat);
  auto structure = gil_safe(nb::none());
  ArrayFn f =
      flat_fn(self.fun, nb::borrow<nb::tuple>(args), nb::borrow<nb::dict>(kwargs), structure);
  auto targs = gil_safe(nb::borrow<nb::tuple>(args));
  std::optional<CustomVjp> vjp;
  std::optional<CustomJvp> jvp;
  std::optional<CustomVmap> vm;
  if (!self.vjp.is_none()) {
    auto g = gil_safe(self.vjp);
    vjp = [g, targs, structure](const std::vector<array>& ins, const std::vector<array>& cots,
                                const std::vector<array>& outs) {
      size_t a = 0, b = 0, c = 0;
      nb::object p = one_or_all(tree_replace(*targs, ins, a));
      nb::object ct = tree_replace(*structure, cots, b);
      nb::object o = tree_replace(*structure, outs, c);
      nb::object r = (*g)(p, ct, o);
      // One cotangent per primal argument (a tuple, or one value for one argument).
      return flat_arrays(nb::len(*targs) == 1 && !PyTuple_Check(r.ptr()) ? nb::make_tuple(r) : r);
    };
  }
  if (!self.jvp.is_none()) {
    auto g = gil_safe(self.jvp);
    jvp = [g, targs](const std::vector<array>& ins, const std::vector<array>& ts,
                     const std::vector<int>& argnums) {
      size_t a = 0;
      nb::object p = one_or_all(tree_replace(*targs, ins, a));
      std::vector<array> full;
      for (auto& x : ins) full.push_back(zeros_like(x));
      for (size_t i = 0; i < argnums.size(); ++i) full[argnums[i]] = ts[i];
      size_t b = 0;
      nb::object t = one_or_all(tree_replace(*targs, full, b));
      return flat_arrays((*g)(p, t));
    };
  }
  if (!self.vmap.is_none()) {
    auto g = gil_safe(self.vmap);
    vm = [g, targs](const std::vector<array>& ins, const std::vector<int>& axes) {
      size_t a = 0;
      nb::object p = one_or_all(tree_replace(*targs, ins, a));
      nb::list ax;
      for (int x : axes) ax.append(x < 0 ? nb::none() : nb::cast(x));
      // One array argument: its axis alone (as its primal alone).
      nb::object axo = nb::len(*targs) == 1 && axes.size() == 1 ? ax[0] : nb::tuple(ax);
      nb::object r = (*g)(p, axo);
      auto pair = nb::borrow<nb::sequence>(r);
      std::vector<array> outs = flat_arrays(pair[0]);
      std::vector<int> oax;
      nb::object oa = pair[1];
      if (PyLong_Check(oa.ptr()) || oa.is_none()) {
        oax.assign(outs.size(), oa.is_none() ? -1 : nb::cast<int>(oa));
      } else {
        for (nb::handle x : nb::borrow<nb::sequence>(oa)) {
          oax.push_back(x.is_none() ? -1 : nb::cast<int>(x));
        }
      }
      return std::make_pair(outs, oax);
    };
  }
  auto res = custom_function(f, vjp, jvp, vm)(flat);
  size_t next = 0;
  return tree_replace(*structure, res, next);
}

}  // namespace

void init_transforms(nb::module_& m) {
  m.def(
      "eval",
      [](nb::args args) {
        std::vector<array> outs;
        tree_collect(args, outs);
        eval_interruptible(outs);
      },
      "args"_a, nb::sig("def eval(*args: object) -> None"),
      "Evaluates the arrays in args (arrays or trees of lists, tuples and dicts); returns when "
      "they are computed. The GIL is released while waiting; Ctrl-C interrupts the wait (the work "
      "already scheduled goes on).");
  m.def(
      "async_eval",
      [](nb::args args) {
        if (detail::tracing_depth()) {
          throw nb::value_error(
              "[async_eval] not allowed inside a function transformation (grad, vjp, jvp, "
              "vmap); use eval");
        }
        std::vector<array> outs;
        tree_collect(args, outs);
        schedule_interruptible(outs);
      },
      "args"_a, nb::sig("def async_eval(*args: object) -> None"),
      "Schedules the evaluation of the arrays in args and returns at once.");
  m.def(
      "vjp",
      [](nb::callable fun, nb::handle primals, nb::handle cotangents) {
        auto p = array_list(primals, "vjp", "primals");
        auto c = array_list(cotangents, "vjp", "cotangents");
        auto [outs, vjps] = vjp(positional(fun, "vjp"), p, c);
        return nb::make_tuple(nb::cast(outs), nb::cast(vjps));
      },
      "fun"_a, "primals"_a, "cotangents"_a,
      nb::sig("def vjp(fun: collections.abc.Callable[..., typing.Any], primals: list[array], "
              "cotangents: list[array]) -> "
              "tuple[list[array], list[array]]"),
      "Runs fun(*primals) and returns (its outputs, the vector-Jacobian products of the "
      "cotangents, one per primal).");
  m.def(
      "jvp",
      [](nb::callable fun, nb::handle primals, nb::handle tangents) {
        auto p = array_list(primals, "jvp", "primals");
        auto t = array_list(tangents, "jvp", "tangents");
        auto [outs, jvps] = jvp(positional(fun, "jvp"), p, t);
        return nb::make_tuple(nb::cast(outs), nb::cast(jvps));
      },
      "fun"_a, "primals"_a, "tangents"_a,
      nb::sig("def jvp(fun: collections.abc.Callable[..., typing.Any], primals: list[array], "
              "tangents: list[array]) -> "
              "tuple[list[array], list[array]]"),
      "Runs fun(*primals) and returns (its outputs, the Jacobian-vector products of the "
      "tangents, one per output).");
  m.def(
      "value_and_grad",
      [](nb::callable fun, nb::handle argnums, nb::handle argnames) {
        GradArgs spec = grad_args(argnums, argnames, "value_and_grad");
        return nb::cpp_function([fun, spec](nb::args args, nb::kwargs kwargs) {
          return value_and_grad_call(fun, spec, args, kwargs, true);
        });
      },
      "fun"_a, "argnums"_a = nb::none(), "argnames"_a = nb::none(),
      nb::sig("def value_and_grad(fun: collections.abc.Callable[..., typing.Any], argnums: int | "
              "collections.abc.Sequence[int] | None = None, "
              "argnames: str | collections.abc.Sequence[str] | None = None) -> "
              "collections.abc.Callable[..., typing.Any]"),
      "A function computing fun's value and its gradient with respect to the arguments argnums "
      "(default 0) and the keyword arguments argnames. fun returns a scalar array, or a tuple "
      "whose first element is one (the rest is returned with it).");
  nb::class_<CustomFunction>(m, "custom_function",
                             "A function with its own vjp, jvp and vmap rules: decorate a "
                             "function with it, then its .vjp, .jvp and .vmap with the rules.")
      .def(
          "__init__", [](CustomFunction* self, nb::object fun) { new (self) CustomFunction{fun}; },
          "fun"_a)
      .def("__call__", &custom_call, "args"_a, "kwargs"_a)
      .def("vjp", &set_rule<&CustomFunction::vjp>, "f"_a,
           "Sets the vjp rule: f(primals, cotangents, outputs) -> cotangents of primals. primals "
           "is the argument itself for a function of one argument, else the tuple of them.")
      .def("jvp", &set_rule<&CustomFunction::jvp>, "f"_a,
           "Sets the jvp rule: f(primals, tangents) -> tangents of the outputs (zeros for an "
           "input whose tangent is not asked for).")
      .def("vmap", &set_rule<&CustomFunction::vmap>, "f"_a,
           "Sets the vmap rule: f(inputs, axes) -> (outputs, output axes); axes holds None for "
           "an unbatched input (an int or None alone for a function of one argument).");
  m.def(
      "checkpoint",
      [](nb::callable fun) {
        return nb::cpp_function([fun](nb::args args, nb::kwargs kwargs) {
          std::vector<array> flat;
          tree_collect(args, flat);
          auto structure = gil_safe(nb::none());
          auto f =
              flat_fn(fun, nb::borrow<nb::tuple>(args), nb::borrow<nb::dict>(kwargs), structure);
          auto res = checkpoint(f)(flat);
          size_t next = 0;
          return tree_replace(*structure, res, next);
        });
      },
      "fun"_a,
      nb::sig("def checkpoint(fun: collections.abc.Callable[..., typing.Any]) -> "
              "collections.abc.Callable[..., typing.Any]"),
      "fun whose intermediates a vjp does not keep: the backward pass computes them again.");
  m.def(
      "vmap",
      [](nb::callable fun, nb::handle in_axes, nb::handle out_axes) {
        nb::object ia = nb::borrow(in_axes), oa = nb::borrow(out_axes);
        return nb::cpp_function(
            [fun, ia, oa](nb::args args) { return vmap_call(fun, ia, oa, args); });
      },
      "fun"_a, "in_axes"_a.none() = 0, "out_axes"_a.none() = 0,
      nb::sig("def vmap(fun: collections.abc.Callable[..., typing.Any], in_axes: object = 0, "
              "out_axes: object = 0) -> collections.abc.Callable[..., typing.Any]"),
      "A function that maps fun over axis in_axes of its arguments (an int, None for an argument "
      "shared by every batch element, or a tree matching the arguments) and stacks the results "
      "along out_axes.");
  m.def(
      "grad",
      [](nb::callable fun, nb::handle argnums, nb::handle argnames) {
        GradArgs spec = grad_args(argnums, argnames, "grad");
        return nb::cpp_function([fun, spec](nb::args args, nb::kwargs kwargs) {
          return value_and_grad_call(fun, spec, args, kwargs, false);
        });
      },
      "fun"_a, "argnums"_a = nb::none(), "argnames"_a = nb::none(),
      nb::sig("def grad(fun: collections.abc.Callable[..., typing.Any], argnums: int | "
              "collections.abc.Sequence[int] | None = None, "
              "argnames: str | collections.abc.Sequence[str] | None = None) -> "
              "collections.abc.Callable[..., typing.Any]"),
      "A function computing the gradient of fun (see value_and_grad).");
}

}  // namespace tandem::py
