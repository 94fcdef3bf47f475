#pragma once
// Primitive: one kind of graph node. Declared once here; each backend defines
// eval_cpu / eval_gpu in the file named after the primitive's op family.
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

class Primitive {
 public:
  explicit Primitive(Stream s) : stream_(s) {}
  virtual ~Primitive() = default;
  Primitive(const Primitive&) = delete;
  Primitive& operator=(const Primitive&) = delete;

  Stream stream() const { return stream_; }
  Device device() const { return stream_.device; }

  // Called on the evaluating thread: allocates (or donates) the outputs and
  // hands the kernel to the stream. Never waits for data.
  virtual void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) = 0;
  virtual void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) = 0;

  // Transform rules (tandem/transforms/<family>.cpp); the defaults throw,
  // naming the primitive and the transform.
  // vjp: the cotangents of primals[argnums[i]], given the node's inputs
  // (primals), one cotangent per output, and the outputs.
  virtual std::vector<array> vjp(const std::vector<array>& primals,
                                 const std::vector<array>& cotangents,
                                 const std::vector<int>& argnums,
                                 const std::vector<array>& outputs);
  // jvp: one tangent per output, given the tangents of primals[argnums[i]]
  // (the other inputs have zero tangents).
  virtual std::vector<array> jvp(const std::vector<array>& primals,
                                 const std::vector<array>& tangents,
                                 const std::vector<int>& argnums,
                                 const std::vector<array>& outputs);
  // vmap: the outputs computed over a batch, and the batch axis of each;
  // axes[i] is the batch axis of inputs[i] (-1: not batched, the same for
  // every batch element); outputs are the unbatched node's outputs.
  virtual std::pair<std::vector<array>, std::vector<int>> vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes,
                                                               const std::vector<array>& outputs);

  virtual const char* name() const = 0;
  virtual void print(std::ostream& os) const { os << name(); }

 private:
  Stream stream_;
};

// Declares the transform rules every primitive defines (in
// tandem/transforms/<family>.cpp: a primitive without them does not link).
#define TANDEM_TRANSFORM_RULES                                                                    \
  std::vector<array> vjp(const std::vector<array>& primals, const std::vector<array>& cotangents, \
                         const std::vector<int>& argnums, const std::vector<array>& outputs)      \
      override;                                                                                   \
  std::vector<array> jvp(const std::vector<array>& primals, const std::vector<array>& tangents,   \
                         const std::vector<int>& argnums, const std::vector<array>& outputs)      \
      override;                                                                                   \
  std::pair<std::vector<array>, std::vector<int>> vmap(                                           \
      const std::vector<array>& inputs, const std::vector<int>& axes,                             \
      const std::vector<array>& outputs) override;

// Declares the two backend entry points, the transform rules and the name
// of a primitive class.
#define TANDEM_PRIMITIVE(NAME)                                                           \
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override; \
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override; \
  TANDEM_TRANSFORM_RULES                                                                 \
  const char* name() const override {                                                    \
    return #NAME;                                                                        \
  }

}  // namespace tandem
