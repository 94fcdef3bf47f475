// Reading and writing array payloads for the file formats.
#include "tandem/io/detail.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace tandem::io::detail {

namespace {
void swap_bytes(char* p, size_t n, size_t unit) {
  if (unit <= 1) return;
  for (size_t i = 0; i + unit <= n; i += unit) std::reverse(p + i, p + i + unit);
}
}  // namespace

ShapeElem checked_dim(const Reader& r, const char* op, uint64_t d) {
  if (d > static_cast<uint64_t>(std::numeric_limits<ShapeElem>::max())) {
    r.fail(op, "dimension " + std::to_string(d) + " is too large (at most " +
                   std::to_string(std::numeric_limits<ShapeElem>::max()) + ")");
  }
  return static_cast<ShapeElem>(d);
}

array read_array(Reader& r, const Shape& shape, Dtype t, bool swap, bool fortran, const char* op) {
  size_t n = 0;
  try {
    n = checked_shape_size(shape, t, op);
  } catch (const std::invalid_argument& e) {
    r.fail(op, e.what());
  }
  uint64_t bytes = n * t.size();
  uint64_t left = r.size() - r.tell();
  if (bytes > left) {
    r.fail(op, "the data is truncated: shape " + shape_str(shape) + " and dtype " + dtype_name(t) +
                   " need " + std::to_string(bytes) + " bytes but " + std::to_string(left) +
                   " remain");
  }
  auto buf = allocator::malloc(bytes);
  r.read(buf->host, bytes);
  // complex64 swaps each float of the pair.
  if (swap) swap_bytes(static_cast<char*>(buf->host), bytes, t == complex64 ? 4 : t.size());
  if (t == bool_) {
    // Any nonzero byte is true; kernels expect 0 or 1.
    auto* p = static_cast<uint8_t*>(buf->host);
    for (uint64_t i = 0; i < bytes; ++i) p[i] = p[i] != 0;
  }
  if (!fortran || shape.size() < 2) return array(std::move(buf), shape, t);
  Strides strides(shape.size(), 1);
  for (size_t i = 1; i < shape.size(); ++i) {
    strides[i] = strides[i - 1] * std::max<int64_t>(shape[i - 1], 1);
  }
  return array(std::move(buf), shape, t, std::move(strides));
}

const void* row_major_bytes(array& a, std::vector<char>* tmp) {
  a.sync_host();
  if (a.size() == 0) return nullptr;
  if (a.flags().row_contiguous) return a.data<void>();
  tmp->resize(a.nbytes());
  copy_to_row_major(a, tmp->data(), a.dtype());
  return tmp->data();
}

}  // namespace tandem::io::detail
