#pragma once
// The part of a traced function's graph that the transforms walk: the nodes
// between its inputs and its outputs.
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"
#include "tandem/transforms/id_table.h"

namespace tandem {

class GraphWalk {
 public:
  // Walks back from outputs, stopping at inputs and at arrays without a
  // node; and at stop_gradient unless through_stop_gradient (vmap batches
  // through it; derivatives stop there).
  GraphWalk(const std::vector<array>& inputs, const std::vector<array>& outputs,
            bool through_stop_gradient = false);
  // One array per node that depends on an input, producers before consumers.
  const std::vector<array>& tape() const { return tape_; }
  // Whether a is one of the inputs or an output of a tape node.
  bool depends(const array& a) const { return depends_.contains(a.id()); }

 private:
  std::vector<array> tape_;
  detail::IdSet depends_{256};
};

// The stream of the primitive that makes a, or the default device's default
// stream for an array without one: where a transform puts work about a.
Stream stream_of(const array& a);

// A fresh identity for x while a transform traces a function of it: a view
// of x (values computed during the trace are x's) on the stream that made
// x, marked as a tracer, so the traced graph starts there.
array stand_in(const array& x);

// The outputs of a's node in order (a itself for a one-output node); an
// output the caller dropped comes back as zeros of its shape and dtype.
std::vector<array> node_outputs(const array& a);
// The same into out (cleared first).
void node_outputs(const array& a, std::vector<array>& out);

}  // namespace tandem
