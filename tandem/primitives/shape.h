#pragma once
// Primitives that change how data is viewed: no copy unless the layout forces one.
#include "tandem/primitive.h"

namespace tandem {

// A primitive whose output is a view of its input on every device: one
// definition (eval_view, in tandem/layout.cpp) serves both backends, as no
// data moves.
#define TANDEM_VIEW_PRIMITIVE(NAME)                                                       \
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override { \
    eval_view(inputs[0], outputs[0]);                                                     \
  }                                                                                       \
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override { \
    eval_view(inputs[0], outputs[0]);                                                     \
  }                                                                                       \
  void eval_view(const array& in, array& out);                                            \
  TANDEM_TRANSFORM_RULES                                                                  \
  const char* name() const override {                                                     \
    return #NAME;                                                                         \
  }

// Same elements in row-major order, new shape: a view of row-contiguous input,
// else a copy.
class Reshape : public Primitive {
 public:
  explicit Reshape(Stream s) : Primitive(s) {}
  TANDEM_PRIMITIVE(Reshape)
};

class Transpose : public Primitive {
 public:
  Transpose(Stream s, std::vector<int> axes) : Primitive(s), axes_(std::move(axes)) {}
  TANDEM_VIEW_PRIMITIVE(Transpose)
  const std::vector<int>& axes() const { return axes_; }

 private:
  std::vector<int> axes_;
};

// Input viewed at the output's shape with zero strides on broadcast dims.
class Broadcast : public Primitive {
 public:
  explicit Broadcast(Stream s) : Primitive(s) {}
  TANDEM_VIEW_PRIMITIVE(Broadcast)
};

// Basic slicing with (possibly negative) steps; start indices are normalised
// and in bounds.
class Slice : public Primitive {
 public:
  Slice(Stream s, Shape start, Shape strides)
      : Primitive(s), start_(std::move(start)), strides_(std::move(strides)) {}
  TANDEM_VIEW_PRIMITIVE(Slice)
  const Shape& start() const { return start_; }
  const Shape& steps() const { return strides_; }

 private:
  Shape start_;
  Shape strides_;
};

// A view with explicit strides and offset (in elements) over a row-contiguous copy of the input.
class AsStrided : public Primitive {
 public:
  AsStrided(Stream s, Strides strides, int64_t offset)
      : Primitive(s), strides_(std::move(strides)), offset_(offset) {}
  TANDEM_VIEW_PRIMITIVE(AsStrided)
  const Strides& strides() const { return strides_; }
  int64_t offset() const { return offset_; }

 private:
  Strides strides_;
  int64_t offset_;
};

// The bytes of a row-contiguous input read as another dtype (view): the
// output's dtype says which; its last dim is rescaled by the size ratio.
class View : public Primitive {
 public:
  explicit View(Stream s) : Primitive(s) {}
  TANDEM_VIEW_PRIMITIVE(View)
};

// The input itself (a view): stop_gradient. Its vjp and jvp are zero.
class StopGradient : public Primitive {
 public:
  explicit StopGradient(Stream s) : Primitive(s) {}
  TANDEM_VIEW_PRIMITIVE(StopGradient)
};

// The input itself (a view): the fresh identity a transform gives each
// input it traces, so that the traced graph starts there. Derivatives pass
// through unchanged (a transform of a transform differentiates through it).
class Identity : public Primitive {
 public:
  explicit Identity(Stream s) : Primitive(s) {}
  TANDEM_VIEW_PRIMITIVE(Identity)
};

}  // namespace tandem
