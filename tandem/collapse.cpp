#include "tandem/collapse.h"

namespace tandem {

Shape collapse_dims(const Shape& shape, const std::vector<Strides>& strides,
                    std::vector<Strides>& out_strides) {
  size_t k = strides.size();
  out_strides.assign(k, Strides{});
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !out.empty();
    if (merge) {
      for (size_t j = 0; j < k; ++j) {
        if (out_strides[j].back() != strides[j][d] * shape[d]) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      out.back() *= shape[d];
      for (size_t j = 0; j < k; ++j) out_strides[j].back() = strides[j][d];
    } else {
      out.push_back(shape[d]);
      for (size_t j = 0; j < k; ++j) out_strides[j].push_back(strides[j][d]);
    }
  }
  return out;
}

}  // namespace tandem
