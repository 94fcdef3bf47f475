// mx.export_function, mx.import_function and mx.exporter (tandem/export.h)
// over Python functions of pytrees: a call's arguments become a structure
// string (tuples, lists, dicts by sorted key, arrays as leaves) and the
// list of its arrays, which pick the signature.
#include "tandem/export.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "python/src/common.h"

namespace tandem::py {
namespace {

// Dict keys in sorted order (keys must be str).
std::vector<std::pair<std::string, nb::handle>> sorted_items(nb::handle d, const char* op) {
  std::vector<std::pair<std::string, nb::handle>> items;
  for (auto [k, v] : nb::borrow<nb::dict>(d)) {
    if (!PyUnicode_Check(k.ptr())) {
      throw nb::type_error((std::string("[") + op + "] dictionary keys must be strings; got " +
                            nb::type_name(k.type()).c_str())
                               .c_str());
    }
    items.emplace_back(nb::cast<std::string>(k), v);
  }
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return items;
}

// Appends tree's structure (see flat_structure in tandem/export.h) to s and
// its arrays to out.
void encode(nb::handle tree, std::string& s, std::vector<array>& out, const char* op) {
  if (is_array(tree)) {
    s += 'a';
    out.push_back(as_array(tree));
  } else if (PyTuple_Check(tree.ptr()) || PyList_Check(tree.ptr())) {
    bool tuple = PyTuple_Check(tree.ptr());
    s += tuple ? '(' : '[';
    for (nb::handle item : nb::borrow<nb::sequence>(tree)) encode(item, s, out, op);
    s += tuple ? ')' : ']';
  } else if (PyDict_Check(tree.ptr())) {
    s += '{';
    for (auto& [k, v] : sorted_items(tree, op)) {
      s += 'k' + std::to_string(k.size()) + ':' + k;
      encode(v, s, out, op);
    }
    s += '}';
  } else {
    throw nb::value_error(
        (std::string("[") + op +
         "] the inputs must be arrays or lists, tuples and dicts of arrays; got a leaf of type " +
         nb::type_name(tree.type()).c_str() +
         (nb::hasattr(tree, "__array__") || PyNumber_Check(tree.ptr())
              ? " (convert it with mx.array)"
              : ""))
            .c_str());
  }
}

// tree with its arrays replaced by vals[next], ... in encode's order.
nb::object rebuild(nb::handle tree, const std::vector<array>& vals, size_t& next) {
  if (is_array(tree)) return nb::cast(vals.at(next++));
  if (PyTuple_Check(tree.ptr()) || PyList_Check(tree.ptr())) {
    nb::list items;
    for (nb::handle item : nb::borrow<nb::sequence>(tree)) items.append(rebuild(item, vals, next));
    if (PyTuple_Check(tree.ptr())) return nb::tuple(items);
    return std::move(items);
  }
  nb::dict out;
  for (auto& [k, v] : sorted_items(tree, "export_function"))
    out[k.c_str()] = rebuild(v, vals, next);
  return std::move(out);
}

struct Call {
  nb::tuple args;
  nb::dict kwargs;
};

// MLX's second form of a call: one tuple or list of the positional inputs
// and/or one dict of the keyword ones, with no keywords given.
std::optional<Call> packed_form(const nb::args& args, const nb::kwargs& kwargs) {
  Py_ssize_t n = PyTuple_GET_SIZE(args.ptr());
  if (PyDict_Size(kwargs.ptr()) != 0 || n == 0 || n > 2) return std::nullopt;
  auto seq = [](nb::handle h) { return PyTuple_Check(h.ptr()) || PyList_Check(h.ptr()); };
  auto as_tuple = [](nb::handle h) { return nb::steal<nb::tuple>(PySequence_Tuple(h.ptr())); };
  nb::handle a0 = args[0];
  if (n == 1 && seq(a0)) return Call{as_tuple(a0), nb::dict()};
  if (n == 1 && PyDict_Check(a0.ptr())) return Call{nb::tuple(), nb::borrow<nb::dict>(a0)};
  if (n == 2 && seq(a0) && PyDict_Check(args[1].ptr())) {
    return Call{as_tuple(a0), nb::borrow<nb::dict>(args[1])};
  }
  return std::nullopt;
}

std::string structure_of(const Call& c, std::vector<array>& leaves, const char* op) {
  std::string s;
  encode(c.args, s, leaves, op);
  encode(c.kwargs, s, leaves, op);
  return s;
}

std::string path_of(nb::handle file, const char* op) {
  if (PyCallable_Check(file.ptr()) && !PyUnicode_Check(file.ptr())) {
    throw nb::type_error(
        (std::string("[") + op + "] exporting to a callback is not supported; give a file path")
            .c_str());
  }
  if (!PyUnicode_Check(file.ptr()) && !PyBytes_Check(file.ptr()) &&
      !nb::hasattr(file, "__fspath__")) {
    throw nb::type_error(
        (std::string("[") + op + "] file must be a path; got " + nb::type_name(file.type()).c_str())
            .c_str());
  }
  return nb::cast<std::string>(nb::module_::import_("os").attr("fsdecode")(file));
}

// fun's outputs as a list of arrays: one array, or a tuple or list of them.
std::vector<array> outputs_of(nb::handle r) {
  std::vector<array> outs;
  if (is_array(r)) {
    outs.push_back(as_array(r));
    return outs;
  }
  if (PyTuple_Check(r.ptr()) || PyList_Check(r.ptr())) {
    bool all = true;
    for (nb::handle item : nb::borrow<nb::sequence>(r)) {
      all = all && is_array(item);
      if (all) outs.push_back(as_array(item));
    }
    if (all) return outs;
  }
  throw nb::value_error(
      ("[export_function] the function must return an array or a tuple or list of arrays; got " +
       std::string(nb::type_name(r.type()).c_str()))
          .c_str());
}

// An exporter of a Python function: each call traces it on one call's
// arguments.
struct PyExporter {
  nb::object fun;
  Call current;
  std::unique_ptr<FunctionExporter> ex;

  PyExporter(const std::string& path, nb::object f, bool shapeless, std::string metadata)
      : fun(std::move(f)) {
    ex = std::make_unique<FunctionExporter>(
        path,
        [this](const std::vector<array>& ins) {
          size_t next = 0;
          nb::object a = rebuild(current.args, ins, next);
          nb::object k = rebuild(current.kwargs, ins, next);
          return outputs_of(fun(*nb::borrow<nb::tuple>(a), **nb::borrow<nb::dict>(k)));
        },
        shapeless, std::move(metadata));
  }

  void call(nb::args args, nb::kwargs kwargs) {
    if (ex->closed()) {
      throw std::runtime_error("[export_function] this exporter is closed");
    }
    auto packed = packed_form(args, kwargs);
    current = packed ? *packed : Call{args, kwargs};
    std::vector<array> leaves;
    std::string s = structure_of(current, leaves, "export_function");
    struct Clear {
      Call& c;
      ~Clear() { c = Call{}; }
    } clear{current};
    ex->add(leaves, s);
  }
};

struct PyImported {
  ImportedFunction f;

  nb::tuple call(nb::args args, nb::kwargs kwargs) const {
    std::vector<array> leaves;
    std::string s = structure_of(Call{args, kwargs}, leaves, "import_function");
    if (!f.accepts(s)) {
      if (auto packed = packed_form(args, kwargs)) {
        std::vector<array> l2;
        std::string s2 = structure_of(*packed, l2, "import_function");
        if (f.accepts(s2)) {
          s = std::move(s2);
          leaves = std::move(l2);
        }
      }
    }
    std::vector<array> outs = f.call(leaves, s);
    nb::list out;
    for (auto& o : outs) out.append(nb::cast(std::move(o)));
    return nb::tuple(out);
  }
};

}  // namespace

void init_export(nb::module_& m) {
  nb::class_<PyImported>(m, "ImportedFunction",
                         "A function read by import_function(): call it with arrays (as the "
                         "exported function was called) to get a tuple of its outputs.")
      .def("__call__", &PyImported::call, "args"_a, "kwargs"_a,
           nb::sig("def __call__(self, *args: object, **kwargs: object) -> tuple[array, ...]"),
           "Runs the exported graph whose signature (argument structure, dtypes, shapes; ranks "
           "for a shapeless export) matches the arguments; returns its outputs as a tuple. "
           "Like MLX, a single tuple (and/or dict) of the arguments is accepted too. Raises "
           "ValueError listing the signatures when none matches.")
      .def_prop_ro(
          "metadata", [](const PyImported& p) { return p.f.metadata(); },
          "The metadata string saved with the function (empty if none).")
      .def_prop_ro(
          "num_signatures", [](const PyImported& p) { return p.f.num_signatures(); },
          "How many traced signatures the file holds.");

  nb::class_<PyExporter>(m, "FunctionExporter",
                         "Writes several traces of one function to a file (see exporter()).")
      .def("__call__", &PyExporter::call, "args"_a, "kwargs"_a,
           nb::sig("def __call__(self, *args: object, **kwargs: object) -> None"),
           "Traces the function on these example arguments and adds the signature to the file "
           "(the file is rewritten with every signature so far). Raises if the signature was "
           "already added or the exporter is closed.")
      .def(
          "close", [](PyExporter& e) { e.ex->close(); },
          "Ends the export: later calls raise RuntimeError. The file is already complete.")
      .def(
          "__enter__", [](nb::object self) { return self; },
          nb::sig("def __enter__(self) -> FunctionExporter"),
          "Returns the exporter itself, for `with mx.exporter(...) as ex:`.")
      .def(
          "__exit__", [](PyExporter& e, nb::args) { e.ex->close(); }, "args"_a,
          nb::sig("def __exit__(self, *args: object) -> None"), "Closes the exporter.");

  m.def(
      "export_function",
      [](nb::object file, nb::object fun, nb::args args, bool shapeless,
         std::optional<std::string> metadata, nb::kwargs kwargs) {
        std::string path = path_of(file, "export_function");
        if (!PyCallable_Check(fun.ptr())) {
          throw nb::type_error("[export_function] fun must be callable");
        }
        PyExporter e(path, fun, shapeless, metadata.value_or(""));
        e.call(args, kwargs);
      },
      "file"_a, "fun"_a, "args"_a, "shapeless"_a = false, "metadata"_a = nb::none(), "kwargs"_a,
      nb::sig("def export_function(file: str | os.PathLike[str], fun: Callable[..., Any], "
              "*args: object, shapeless: bool = False, metadata: str | None = None, "
              "**kwargs: object) -> None"),
      "Traces fun on example arguments and saves the traced graph to file, to be loaded by "
      "import_function() in this or another process (Python or C++) and called without fun's "
      "code.\n\n"
      "The arguments are arrays, or lists, tuples and dicts (string keys) of arrays, given "
      "as *args and **kwargs; like MLX, a single tuple (and/or dict) holding them is accepted "
      "too. fun must return an array or a tuple or list of arrays. Arrays fun reads from "
      "elsewhere are saved as constants. With shapeless=True the function also runs on inputs "
      "of other shapes of the same ranks (graphs of elementwise ops, reductions, transposes, "
      "unit reshapes and matmuls; others raise ValueError). metadata is a string saved "
      "alongside (import_function(file, return_metadata=True) returns it). Random sampling "
      "without an explicit key draws new numbers at each call of the imported function (MLX "
      "bakes the traced keys in); pass a key as an input for fixed numbers. The file format "
      "is Tandem's own, not MLX's .mlxfn bytes.");

  m.def(
      "import_function",
      [](nb::object file, bool return_metadata) -> nb::object {
        std::string path = path_of(file, "import_function");
        auto p = new PyImported{import_function(path)};
        nb::object f = nb::cast(p, nb::rv_policy::take_ownership);
        if (!return_metadata) return f;
        return nb::make_tuple(f, p->f.metadata());
      },
      "file"_a, "return_metadata"_a = false,
      nb::sig("def import_function(file: str | os.PathLike[str], return_metadata: bool = False) "
              "-> Any"),
      "Loads a function saved by export_function() or exporter(). Call the result with "
      "arguments of one of the exported signatures (the same structure and dtypes, and shapes "
      "or, for shapeless exports, ranks); it returns a tuple of arrays. With "
      "return_metadata=True returns (function, metadata string). Raises RuntimeError if the "
      "file cannot be read and ValueError if it is not a well-formed export (truncated or "
      "damaged).");

  m.def(
      "exporter",
      [](nb::object file, nb::object fun, bool shapeless, std::optional<std::string> metadata) {
        std::string path = path_of(file, "exporter");
        if (!PyCallable_Check(fun.ptr())) throw nb::type_error("[exporter] fun must be callable");
        return new PyExporter(path, fun, shapeless, metadata.value_or(""));
      },
      "file"_a, "fun"_a, nb::kw_only(), "shapeless"_a = false, "metadata"_a = nb::none(),
      nb::rv_policy::take_ownership,
      nb::sig("def exporter(file: str | os.PathLike[str], fun: Callable[..., Any], *, "
              "shapeless: bool = False, metadata: str | None = None) -> FunctionExporter"),
      "Returns a FunctionExporter that saves several signatures of fun to one file: each call "
      "ex(*args, **kwargs) traces fun on those example arguments and adds the trace. Use it "
      "as a context manager (`with mx.exporter(path, fun) as ex:`); import_function() picks "
      "the signature matching each call.");
}

}  // namespace tandem::py
