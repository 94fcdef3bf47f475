// Module-level ops of the matmul family (tandem/ops/matmul.h).
#include "python/src/ops_common.h"
#include "tandem/ops/matmul.h"

namespace tandem::py {

void init_ops_matmul(nb::module_& m) {
  m.def(
      "matmul",
      [](ArrayLike a, ArrayLike b, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        return matmul(x, y, s);
      },
      "a"_a, "b"_a, nb::kw_only(), S, "Matrix product with NumPy semantics.");
  m.def(
      "addmm",
      [](ArrayLike c, ArrayLike a, ArrayLike b, float alpha, float beta, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        return addmm(to_array_weak(c.h, x.dtype()), x, y, alpha, beta, s);
      },
      "c"_a, "a"_a, "b"_a, "alpha"_a = 1.0f, "beta"_a = 1.0f, nb::kw_only(), S,
      "alpha * (a @ b) + beta * c.");
  m.def(
      "tensordot",
      [](ArrayLike a, ArrayLike b, nb::handle axes, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        if (PyLong_Check(axes.ptr())) return tensordot(x, y, nb::cast<int>(axes), s);
        auto pair = nb::borrow<nb::sequence>(axes);
        if (nb::len(pair) != 2) {
          throw std::invalid_argument("[tensordot] axes must be an int or two lists of axes");
        }
        auto as = PyLong_Check(pair[0].ptr()) ? std::vector<int>{nb::cast<int>(pair[0])}
                                              : nb::cast<std::vector<int>>(pair[0]);
        auto bs = PyLong_Check(pair[1].ptr()) ? std::vector<int>{nb::cast<int>(pair[1])}
                                              : nb::cast<std::vector<int>>(pair[1]);
        return tensordot(x, y, as, bs, s);
      },
      "a"_a, "b"_a, "axes"_a = 2, nb::kw_only(), S, "Sums products over the given axes.");
  m.def(
      "inner",
      [](ArrayLike a, ArrayLike b, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        return inner(x, y, s);
      },
      "a"_a, "b"_a, nb::kw_only(), S, "Sum of products over the last axes.");
  m.def(
      "outer",
      [](ArrayLike a, ArrayLike b, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        return outer(x, y, s);
      },
      "a"_a, "b"_a, nb::kw_only(), S, "Outer product of the flattened inputs.");
  m.def(
      "vecdot",
      [](ArrayLike a, ArrayLike b, int axis, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        return vecdot(x, y, axis, s);
      },
      "a"_a, "b"_a, "axis"_a = -1, nb::kw_only(), S, "sum(conj(a) * b) along axis.");
  m.def(
      "kron",
      [](ArrayLike a, ArrayLike b, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        return kron(x, y, s);
      },
      "a"_a, "b"_a, nb::kw_only(), S,
      "The Kronecker product: every element of a times the whole of b, laid out as\n"
      "blocks.\n\n"
      "Args:\n"
      "    a, b: input arrays (the one with fewer axes gets leading size-1 axes).\n\n"
      "Returns:\n"
      "    An array whose size along each axis is the product of a's and b's.");
  m.def(
      "einsum",
      [](const std::string& subscripts, nb::args operands, StreamOrDevice s) {
        return einsum(subscripts, to_array_list(operands), s);
      },
      "subscripts"_a, "operands"_a, S,
      "Einstein summation: multiplies the operands along the axes the subscripts\n"
      "label and sums the labels missing from the output (\"ij,jk->ik\" is a matmul).\n\n"
      "Args:\n"
      "    subscripts: one comma-separated label string per operand, optionally\n"
      "        followed by \"->\" and the output's labels.\n"
      "    *operands: the input arrays.\n\n"
      "Returns:\n"
      "    The contracted array.");
  m.def(
      "einsum_path",
      [](const std::string& subscripts, nb::args operands) {
        auto [path, report] = einsum_path(subscripts, to_array_list(operands));
        nb::list steps;
        for (auto& step : path) {
          nb::list pos;
          for (int i : step) pos.append(i);
          steps.append(nb::tuple(pos));
        }
        return nb::make_tuple(steps, report);
      },
      "subscripts"_a, "operands"_a,
      nb::sig("def einsum_path(subscripts: str, *operands: array) -> tuple[list[tuple[int, "
              "...]], str]"),
      "The contraction order NumPy's greedy optimizer picks for einsum(subscripts, "
      "*operands), as a list of operand-position tuples (each result is appended to the "
      "operands), and a report of the naive and optimized scaling and FLOP counts.");
  m.def(
      "block_masked_mm",
      [](ArrayLike a, ArrayLike b, int block_size, std::optional<ArrayLike> mask_out,
         std::optional<ArrayLike> mask_lhs, std::optional<ArrayLike> mask_rhs, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        std::optional<array> mo, ml, mr;
        if (mask_out) mo = to_array(*mask_out);
        if (mask_lhs) ml = to_array(*mask_lhs);
        if (mask_rhs) mr = to_array(*mask_rhs);
        return block_masked_mm(x, y, block_size, mo, ml, mr, s);
      },
      "a"_a, "b"_a, "block_size"_a = 64, "mask_out"_a = nb::none(), "mask_lhs"_a = nb::none(),
      "mask_rhs"_a = nb::none(), nb::kw_only(), S,
      "a @ b with block_size x block_size blocks masked: mask_lhs (..., ceil(M/bs), "
      "ceil(K/bs)) on a, mask_rhs (..., ceil(K/bs), ceil(N/bs)) on b, mask_out (..., "
      "ceil(M/bs), ceil(N/bs)) on the product. A bool mask keeps its true blocks; a numeric one "
      "scales them.");
  m.def(
      "segmented_mm",
      [](ArrayLike a, ArrayLike b, ArrayLike segments, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        return segmented_mm(x, y, to_array(segments), s);
      },
      "a"_a, "b"_a, "segments"_a, nb::kw_only(), S,
      "For a (M, K), b (K, N) and integer segments (..., 2) of [start, end) ranges of K: "
      "a[:, start:end] @ b[start:end] per segment, shape segments.shape[:-1] + (M, N).");
  m.def(
      "gather_mm",
      [](ArrayLike a, ArrayLike b, std::optional<ArrayLike> lhs, std::optional<ArrayLike> rhs,
         bool sorted_indices, StreamOrDevice s) {
        auto [x, y] = to_arrays(a.h, b.h);
        std::optional<array> li, ri;
        if (lhs) li = to_array(*lhs);
        if (rhs) ri = to_array(*rhs);
        return gather_mm(x, y, li, ri, sorted_indices, s);
      },
      "a"_a, "b"_a, "lhs_indices"_a = nb::none(), "rhs_indices"_a = nb::none(), nb::kw_only(),
      "sorted_indices"_a = false, S,
      "Matrix products of matrices gathered by flat batch indices (take, then matmul).");
  m.def(
      "hadamard_transform",
      [](ArrayLike a, std::optional<float> scale, StreamOrDevice s) {
        return hadamard_transform(to_array(a), scale, s);
      },
      "a"_a, "scale"_a = nb::none(), S,
      "Walsh-Hadamard transform along the last axis (power-of-two sizes), times scale "
      "(default 1/sqrt(n)).");
}

}  // namespace tandem::py
