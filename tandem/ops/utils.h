#pragma once
// Helpers shared by ops: axis normalisation, broadcasting, error messages.
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

// Throws std::invalid_argument with "[op] " + the streamed parts.
template <typename... Parts>
[[noreturn]] void invalid(const char* op, const Parts&... parts) {
  std::ostringstream os;
  os << "[" << op << "] ";
  (os << ... << parts);
  throw std::invalid_argument(os.str());
}

// Axis in [-ndim, ndim) to [0, ndim); throws naming the op and shape otherwise.
int normalize_axis(int axis, int ndim, const char* op, const Shape& shape);
// Normalises, checks for repeats, and sorts.
std::vector<int> normalize_axes(const std::vector<int>& axes, int ndim, const char* op,
                                const Shape& shape);
// All axes 0..ndim-1.
std::vector<int> all_axes(int ndim);

// The NumPy broadcast of two shapes; throws naming both when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast_shapes");
// "(1, 2, 3)": a list of ints for error messages.
std::string ints_str(const std::vector<int>& v);
Shape broadcast_shapes(const std::vector<Shape>& shapes, const char* op = "broadcast_shapes");

// Streams operands for messages: "(2, 3) and (4,)".
std::string shapes_str(const std::vector<array>& arrays);

}  // namespace tandem
