#pragma once
// Convolutions with MLX's layouts: inputs (N, spatial..., C_in), channels
// last; weights (C_out, kernel spatial..., C_in / groups). 1 to 3 spatial
// dims. Inputs are promoted to a common floating-point dtype (integer inputs
// are rejected, as in MLX).
//
// They are composites: the input is dilated and padded, its windows are read
// through as_strided (im2col) and multiplied with the weights by matmul, per
// group. So every backend runs them with its existing kernels, and grad,
// jvp and vmap follow from the rules of those ops.
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

// The general convolution. Per spatial dim (a single value applies to all):
// stride; padding_lo/padding_hi (negative values crop); kernel_dilation
// (gaps between kernel taps); input_dilation (gaps inserted between input
// elements, as a transposed convolution needs). flip reverses the kernel
// (a true convolution rather than a cross-correlation).
array conv_general(const array& input, const array& weight, std::vector<int> stride = {1},
                   std::vector<int> padding_lo = {0}, std::vector<int> padding_hi = {0},
                   std::vector<int> kernel_dilation = {1}, std::vector<int> input_dilation = {1},
                   int groups = 1, bool flip = false, StreamOrDevice s = {});

// Cross-correlations over 1, 2 or 3 spatial dims with symmetric padding.
array conv1d(const array& input, const array& weight, int stride = 1, int padding = 0,
             int dilation = 1, int groups = 1, StreamOrDevice s = {});
array conv2d(const array& input, const array& weight, const std::pair<int, int>& stride = {1, 1},
             const std::pair<int, int>& padding = {0, 0},
             const std::pair<int, int>& dilation = {1, 1}, int groups = 1, StreamOrDevice s = {});
array conv3d(const array& input, const array& weight,
             const std::tuple<int, int, int>& stride = {1, 1, 1},
             const std::tuple<int, int, int>& padding = {0, 0, 0},
             const std::tuple<int, int, int>& dilation = {1, 1, 1}, int groups = 1,
             StreamOrDevice s = {});

// Transposed convolutions (the gradient of conv with respect to its input,
// as a layer): output size (in - 1) * stride - 2 * padding + dilation *
// (kernel - 1) + output_padding + 1 per spatial dim. The weight has the
// forward layout (C_out, kernel..., C_in / groups).
array conv_transpose1d(const array& input, const array& weight, int stride = 1, int padding = 0,
                       int dilation = 1, int output_padding = 0, int groups = 1,
                       StreamOrDevice s = {});
array conv_transpose2d(const array& input, const array& weight,
                       const std::pair<int, int>& stride = {1, 1},
                       const std::pair<int, int>& padding = {0, 0},
                       const std::pair<int, int>& dilation = {1, 1},
                       const std::pair<int, int>& output_padding = {0, 0}, int groups = 1,
                       StreamOrDevice s = {});
array conv_transpose3d(const array& input, const array& weight,
                       const std::tuple<int, int, int>& stride = {1, 1, 1},
                       const std::tuple<int, int, int>& padding = {0, 0, 0},
                       const std::tuple<int, int, int>& dilation = {1, 1, 1},
                       const std::tuple<int, int, int>& output_padding = {0, 0, 0}, int groups = 1,
                       StreamOrDevice s = {});
// The transposed convolution over any number (1 to 3) of spatial dims, one
// value per dim (or one for all).
array conv_transpose(const array& input, const array& weight, std::vector<int> stride,
                     std::vector<int> padding, std::vector<int> dilation,
                     std::vector<int> output_padding, int groups = 1, StreamOrDevice s = {});

// NumPy's convolve of two 1-d arrays; mode "full", "same" or "valid".
array convolve(const array& a, const array& v, const std::string& mode = "full",
               StreamOrDevice s = {});

}  // namespace tandem
