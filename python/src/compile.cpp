// mx.compile over Python functions of pytrees: the signature of a call (its
// tree structure, the constants among its leaves, the dtypes and shapes of
// its arrays) picks a traced graph (tandem/compile.h), and captured state
// (inputs=, outputs=) is read before and written after each replay.
#include "tandem/compile.h"

#include <string>
#include <unordered_map>

#include "python/src/common.h"
#include "python/src/gil.h"
#include "python/src/trees.h"

namespace tandem::py {
namespace {

// Appends tree's signature to key and its arrays to out: arrays by dtype
// and shape (rank only with `ranks`), other leaves by value.
void encode(nb::handle tree, std::string& key, std::vector<array>& out, bool ranks) {
  if (is_array(tree)) {
    array a = as_array(tree);
    key += 'A';
    key += std::to_string(a.dtype().index());
    if (ranks) {
      key += 'r' + std::to_string(a.ndim());
    } else {
      key += shape_str(a.shape());
    }
    out.push_back(std::move(a));
  } else if (PyList_Check(tree.ptr()) || PyTuple_Check(tree.ptr())) {
    key += PyList_Check(tree.ptr()) ? '[' : '(';
    for (nb::handle item : nb::borrow<nb::sequence>(tree)) encode(item, key, out, ranks);
    key += ']';
  } else if (PyDict_Check(tree.ptr())) {
    key += '{';
    for (auto [k, v] : nb::borrow<nb::dict>(tree)) {
      key += nb::repr(k).c_str();
      key += ':';
      encode(v, key, out, ranks);
    }
    key += '}';
  } else if (tree.is_none() || PyBool_Check(tree.ptr()) || PyLong_Check(tree.ptr()) ||
             PyFloat_Check(tree.ptr()) || PyUnicode_Check(tree.ptr()) ||
             PyComplex_Check(tree.ptr())) {
    // A constant: a new value traces again.
    key += nb::type_name(tree.type()).c_str();
    key += '=';
    key += nb::repr(tree).c_str();
  } else if (nb::isinstance<Dtype>(tree) || nb::isinstance<Device>(tree) ||
             nb::isinstance<Device::DeviceType>(tree) || nb::isinstance<Stream>(tree)) {
    key += nb::repr(tree).c_str();
  } else {
    // Anything else could hold arrays or values the graph would bake in.
    throw nb::type_error(
        ("[compile] the arguments of a compiled function must be arrays, trees (lists, tuples, "
         "dicts) of them, or constants (None, bool, int, float, complex, str, dtypes, devices, "
         "streams); got " +
         std::string(nb::type_name(tree.type()).c_str()) +
         (nb::hasattr(tree, "__array__") ? " (convert it with mx.array)" : ""))
            .c_str());
  }
  key += ',';
}

// Writes vals[next], vals[next+1], ... over tree's array leaves in place
// (list items and dict values; tuples are walked but not written).
void tree_assign(nb::handle tree, const std::vector<array>& vals, size_t& next) {
  auto put = [&](nb::handle item, auto&& set) {
    if (is_array(item)) {
      if (next >= vals.size()) throw nb::value_error("[compile] the captured state changed size");
      set(nb::cast(vals[next++]));
    } else {
      tree_assign(item, vals, next);
    }
  };
  if (PyList_Check(tree.ptr())) {
    auto l = nb::borrow<nb::list>(tree);
    for (size_t i = 0; i < nb::len(l); ++i) put(l[i], [&](nb::object v) { l[i] = v; });
  } else if (PyDict_Check(tree.ptr())) {
    auto d = nb::borrow<nb::dict>(tree);
    nb::list keys = nb::list(d.keys());
    for (nb::handle k : keys) put(d[k], [&](nb::object v) { d[k] = v; });
  } else if (PyTuple_Check(tree.ptr())) {
    for (nb::handle item : nb::borrow<nb::tuple>(tree)) {
      if (is_array(item)) {
        throw nb::value_error(
            "[compile] captured state must hold its arrays in lists or dicts (a tuple can't be "
            "updated in place)");
      }
      tree_assign(item, vals, next);
    }
  }
}

struct Compiled {
  nb::object fun, inputs, outputs;
  bool shapeless = false;
  struct Entry {
    std::shared_ptr<CompiledGraph> graph;
    nb::object structure;  // fun's result, its arrays standing for the outputs
    size_t num_outputs = 0;
  };
  std::unordered_map<std::string, Entry> cache;
  size_t traces = 0;

  nb::object call(nb::args args, nb::kwargs kwargs);
};

nb::object Compiled::call(nb::args args, nb::kwargs kwargs) {
  if (!compile_enabled()) return fun(*args, **kwargs);
  std::string exact, ranks;
  std::vector<array> xs, ignore;
  encode(args, exact, xs, false);
  encode(kwargs, exact, xs, false);
  size_t num_args = xs.size();
  if (!inputs.is_none()) encode(inputs, exact, xs, false);
  if (shapeless) {
    encode(args, ranks, ignore, true);
    encode(kwargs, ranks, ignore, true);
    if (!inputs.is_none()) encode(inputs, ranks, ignore, true);
    ranks += "|shapeless";
  }
  Entry* entry = nullptr;
  if (auto it = cache.find(exact); it != cache.end()) {
    entry = &it->second;
  } else if (shapeless) {
    if (auto r = cache.find(ranks); r != cache.end()) entry = &r->second;
  }
  if (!entry) {
    Entry e;
    std::vector<array> state(xs.begin() + static_cast<long>(num_args), xs.end());
    auto f = [&](const std::vector<array>& ins) {
      size_t next = 0;
      nb::object new_args = tree_replace(args, ins, next);
      nb::object new_kwargs = tree_replace(kwargs, ins, next);
      if (!inputs.is_none()) tree_assign(inputs, ins, next);
      nb::object r = fun(*nb::borrow<nb::tuple>(new_args), **nb::borrow<nb::dict>(new_kwargs));
      std::vector<array> outs;
      tree_collect(r, outs);
      e.structure = r;
      e.num_outputs = outs.size();
      if (!outputs.is_none()) tree_collect(outputs, outs);
      return outs;
    };
    try {
      e.graph = std::make_shared<CompiledGraph>(f, xs, shapeless);
    } catch (...) {
      size_t next = 0;
      if (!inputs.is_none()) tree_assign(inputs, state, next);
      throw;
    }
    // The trace left stand-ins in the captured state: put the values back.
    size_t next = 0;
    if (!inputs.is_none()) tree_assign(inputs, state, next);
    ++traces;
    bool poly = e.graph->shape_polymorphic();
    entry = &(cache[exact] = std::move(e));
    if (poly) cache[ranks] = *entry;
  }
  std::vector<array> outs = entry->graph->replay(xs);
  if (!outputs.is_none()) {
    std::vector<array> state(outs.begin() + static_cast<long>(entry->num_outputs), outs.end());
    size_t next = 0;
    tree_assign(outputs, state, next);
  }
  outs.erase(outs.begin() + static_cast<long>(entry->num_outputs), outs.end());
  size_t next = 0;
  return tree_replace(entry->structure, outs, next);
}

}  // namespace

void init_compile(nb::module_& m) {
  nb::class_<Compiled>(m, "CompiledFunction",
                       "A function compiled by compile(): call it as the function it wraps.")
      .def("__call__", &Compiled::call, "args"_a, "kwargs"_a,
           nb::sig("def __call__(self, *args: object, **kwargs: object) -> object"),
           "Calls the compiled function: traces it for a new signature, else replays.")
      .def_ro("num_traces", &Compiled::traces,
              "How many times the wrapped function has been traced (once per new signature).")
      .def_ro("__wrapped__", &Compiled::fun, "The function compile() wrapped.");
  m.def(
      "compile",
      [](nb::object fun, nb::object inputs, nb::object outputs, bool shapeless) {
        if (!PyCallable_Check(fun.ptr())) {
          throw nb::type_error(("[compile] fun must be callable; got " +
                                std::string(nb::type_name(fun.type()).c_str()))
                                   .c_str());
        }
        auto c = new Compiled();
        c->fun = fun;
        c->inputs = inputs;
        c->outputs = outputs;
        c->shapeless = shapeless;
        return nb::cast(c, nb::rv_policy::take_ownership);
      },
      "fun"_a, "inputs"_a = nb::none(), "outputs"_a = nb::none(), "shapeless"_a = false,
      nb::sig("def compile(fun: Callable[..., Any], inputs: object = None, outputs: object = None, "
              "shapeless: bool = False) -> Callable[..., Any]"),
      "Returns a compiled version of fun. The first call for a signature (the structure of "
      "the arguments, their non-array values, and the dtypes and shapes of their arrays) runs "
      "fun once to trace the graph it builds; later calls replay that graph on the new arrays "
      "without running fun. inputs and outputs are trees (lists, dicts, modules) of captured "
      "state: the arrays in inputs are read at each call and those in outputs written after "
      "it. With shapeless=True a graph of elementwise ops, reductions, transposes and matmuls "
      "is replayed across shape changes that keep ranks and dtypes (others trace again). "
      "Random sampling inside fun draws new keys at each call.");
  m.def("disable_compile", &disable_compile,
        "Makes every compiled function call its function directly (process-wide).");
  m.def("enable_compile", &enable_compile, "Turns compilation back on after disable_compile().");
}

}  // namespace tandem::py
