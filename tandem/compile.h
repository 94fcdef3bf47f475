#pragma once
// compile: a function of arrays traced once per input signature into a graph
// of primitives, simplified, and replayed on later inputs without calling
// the function again. Replays build the same nodes (same primitives, same
// streams) an uncompiled call would, so eval's scheduling, cross-stream
// dependencies, fusion and every transform apply to them unchanged.
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/transforms.h"

namespace tandem {

namespace io::detail {
class ByteWriter;
class ByteReader;
}  // namespace io::detail

// One traced function. Simplifications: common subexpressions are merged
// (nodes of one primitive with equal parameters, stream and inputs), and
// values that do not depend on the inputs are computed once at trace time
// and kept as constants. Subkeys fun draws from the global random key
// become inputs of the graph, drawn again (advancing the key) at each
// replay, so a compiled function gives the numbers an uncompiled call
// would.
class CompiledGraph {
 public:
  // Traces fun on stand-ins for inputs. With shapeless, records whether the
  // graph can be replayed on inputs of other shapes (of the same ranks):
  // every node must have a shape rule (elementwise ops, broadcasts feeding
  // them, reductions, transposes, reshapes that only add or drop size-1
  // axes, matmuls).
  CompiledGraph(const ArrayFn& fun, const std::vector<array>& inputs, bool shapeless = false);
  ~CompiledGraph();
  CompiledGraph(const CompiledGraph&) = delete;
  CompiledGraph& operator=(const CompiledGraph&) = delete;

  // fun's outputs for new inputs: the same count and dtypes as the traced
  // ones, and the same shapes unless shape_polymorphic(). Throws
  // std::invalid_argument "[compile] ..." naming a mismatch.
  std::vector<array> replay(const std::vector<array>& inputs) const;

  // Whether replay accepts other shapes of the same ranks.
  bool shape_polymorphic() const;
  // Nodes one replay builds (after simplification), and constants it reads.
  size_t num_nodes() const;
  size_t num_constants() const;
  // Nodes a replay at the traced shapes builds outside transforms, runs of
  // elementwise nodes made one Fused node each as eval would fuse them.
  size_t num_fused_nodes() const;
  // The traced inputs' shapes and dtypes.
  const std::vector<Shape>& input_shapes() const;
  const std::vector<Dtype>& input_dtypes() const;

  // export_function's files (tandem/export.h): the graph (unfused steps,
  // constants by value, how many subkeys it draws) appended to w, and a
  // graph read back, its numbering checked, fused again as a trace would.
  // A loaded graph draws its subkeys from the importing thread's global key
  // at each replay, as a traced one does.
  void save(io::detail::ByteWriter& w) const;
  static std::shared_ptr<CompiledGraph> load(io::detail::ByteReader& r);

 private:
  CompiledGraph();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A function that traces fun at its first call for each signature (input
// count, dtypes and shapes; ranks only with shapeless, when the graph
// allows) and replays the traced graph at later calls. Thread-safe. While
// compile is disabled it calls fun directly.
ArrayFn compile(ArrayFn fun, bool shapeless = false);

// Turns compile off (every compiled function calls its function) or back
// on, process-wide; TANDEM_DISABLE_COMPILE set to anything but "" or "0" at
// startup turns it off.
void disable_compile();
void enable_compile();
bool compile_enabled();

namespace detail {
// How many compile traces this thread is inside.
int compile_tracing_depth();
}  // namespace detail

}  // namespace tandem
