#pragma once
// export_function / import_function (MLX's function export): a function of
// arrays traced on example inputs (tandem/compile.h) and saved to a file
// that any later process imports and calls, from C++ or Python, without
// the function's code. A file holds one or more signatures (traces for
// different input structures, dtypes or shapes); a call picks the one
// matching its inputs.
//
// The file (own format, not MLX's .mlxfn bytes): the magic "TANDEMFN", a
// format version, the body's length and CRC-32, then the body: a metadata
// string and the signatures, each its input structure, then the graph's
// inputs (dtypes, shapes), its random keys, its constants (by value), its
// steps (primitive name, device, parameters, inputs, output dtypes and
// shapes) and its outputs. Import checks the checksum and every index, so a
// damaged file raises std::invalid_argument "[import_function] ..." naming
// the file. (The checksum catches corruption, not a file built to deceive:
// import files you trust, as with any code.)
//
// Semantics as MLX's, with these choices: each step runs on the importing
// thread's default stream of the device it was traced on (the CPU when that
// device is a GPU the process lacks); random sampling without an explicit
// key draws new subkeys from the importing thread's global key at each
// call, as compile does (MLX bakes the traced keys in as constants); pass
// keys as inputs for reproducible numbers. shapeless exports need a graph
// that compile's shapeless mode can replay (elementwise ops, reductions,
// transposes, unit reshapes, matmuls); others are refused at export.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/transforms.h"

namespace tandem {

class CompiledGraph;

// The structure of a call with num_args positional arrays and one array per
// keyword (names in any order): a signature's key. Structures of nested
// arguments (the Python bindings' lists, tuples and dicts) use the same
// grammar: "a" an array, "(...)" a tuple, "[...]" a list, "{k<len>:<name>
// item ...}" a dict by sorted keys; a call's structure is its positional
// arguments as a tuple followed by its keyword arguments as a dict.
std::string flat_structure(size_t num_args, const std::vector<std::string>& kw_names = {});

// Writes signatures of fun to one file: each add() traces fun on inputs
// (the array leaves of a call of `structure`, in its order; keywords by
// sorted name) and rewrites the file with every signature so far. A second
// signature equal to one already added throws std::runtime_error (as MLX).
class FunctionExporter {
 public:
  FunctionExporter(std::string path, ArrayFn fun, bool shapeless = false,
                   std::string metadata = "");
  ~FunctionExporter();
  FunctionExporter(const FunctionExporter&) = delete;
  FunctionExporter& operator=(const FunctionExporter&) = delete;

  void add(const std::vector<array>& inputs, const std::string& structure);
  // Positional inputs only.
  void operator()(const std::vector<array>& inputs) { add(inputs, flat_structure(inputs.size())); }
  // Later add() calls throw.
  void close();
  bool closed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One signature: traces fun on inputs and writes path.
void export_function(const std::string& path, const ArrayFn& fun, const std::vector<array>& inputs,
                     bool shapeless = false, const std::string& metadata = "");

// A function read back from a file. Calls return the traced function's
// outputs (a flat list); a call no signature accepts throws
// std::invalid_argument "[import_function] ..." listing the signatures.
class ImportedFunction {
 public:
  std::vector<array> operator()(const std::vector<array>& args) const {
    return call(args, flat_structure(args.size()));
  }
  // Positional arrays, then keyword arrays by name.
  std::vector<array> operator()(const std::vector<array>& args,
                                const std::map<std::string, array>& kwargs) const;
  // inputs: the array leaves of a call of `structure`.
  std::vector<array> call(const std::vector<array>& inputs, const std::string& structure) const;
  // Whether some signature has this structure.
  bool accepts(const std::string& structure) const;
  const std::string& metadata() const { return metadata_; }
  size_t num_signatures() const { return sigs_.size(); }

 private:
  friend ImportedFunction import_function(const std::string& path);
  friend ImportedFunction import_function_bytes(const std::string& bytes, const std::string& label);
  struct Signature {
    std::string structure;
    std::shared_ptr<CompiledGraph> graph;
  };
  std::vector<Signature> sigs_;
  std::string metadata_;
};

// Throws std::runtime_error when the file cannot be read, and
// std::invalid_argument "[import_function] file '...': ..." when it is not
// a well-formed export.
ImportedFunction import_function(const std::string& path);
// The same from bytes in memory (label names them in errors).
ImportedFunction import_function_bytes(const std::string& bytes, const std::string& label);

}  // namespace tandem
