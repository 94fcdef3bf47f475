#include "tandem/ops/matmul.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/indexing.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/ops/utils.h"
#include "tandem/primitives/matmul.h"

namespace tandem {

namespace {

// The dtype a product of a and b computes in; rejects non-float inputs.
Dtype product_dtype(const char* op, const array& a, const array& b) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  if (!is_inexact(t)) {
    invalid(op, "only floating point and complex64 inputs are supported; got dtypes ", a.dtype(),
            " and ", b.dtype(), " (shapes ", a.shape(), " and ", b.shape(), ")");
  }
  return t;
}

Shape batch_of(const array& a) {
  return Shape(a.shape().begin(), a.shape().end() - 2);
}

Shape concat(const Shape& a, std::initializer_list<ShapeElem> b) {
  Shape r = a;
  for (auto v : b) r.push_back(v);
  return r;
}

// a and b as (batch..., M, K) and (batch..., K, N) of dtype t, with 1-d
// operands promoted; reports which dims were added.
struct Prepared {
  array a, b;
  Shape out_shape;  // with the added dims
  bool drop_m = false, drop_n = false;
};

Prepared prepare(const char* op, const array& a_in, const array& b_in, Dtype t, StreamOrDevice s) {
  if (a_in.ndim() == 0 || b_in.ndim() == 0) {
    invalid(op, "inputs must have at least one dimension; got shapes ", a_in.shape(), " and ",
            b_in.shape());
  }
  Prepared p{a_in, b_in, {}};
  if (p.a.ndim() == 1) {
    p.a = expand_dims(p.a, 0, s);
    p.drop_m = true;
  }
  if (p.b.ndim() == 1) {
    p.b = expand_dims(p.b, 1, s);
    p.drop_n = true;
  }
  if (p.a.shape(-1) != p.b.shape(-2)) {
    invalid(op, "the last dim of a must equal the ", b_in.ndim() == 1 ? "only" : "second-to-last",
            " dim of b; got shapes ", a_in.shape(), " and ", b_in.shape());
  }
  Shape batch = broadcast_shapes(batch_of(p.a), batch_of(p.b), op);
  int M = p.a.shape(-2), K = p.a.shape(-1), N = p.b.shape(-1);
  p.a = broadcast_to(astype(p.a, t, s), concat(batch, {M, K}), s);
  p.b = broadcast_to(astype(p.b, t, s), concat(batch, {K, N}), s);
  p.out_shape = concat(batch, {M, N});
  return p;
}

// Wraps prepare's batch broadcast so the error names the op and both shapes.
Prepared prepare_checked(const char* op, const array& a, const array& b, Dtype t,
                         StreamOrDevice s) {
  if (a.ndim() >= 2 && b.ndim() >= 2) {
    Shape ba = batch_of(a), bb = batch_of(b);
    size_t n = std::max(ba.size(), bb.size());
    for (size_t i = 0; i < n; ++i) {
      ShapeElem x = i < ba.size() ? ba[ba.size() - 1 - i] : 1;
      ShapeElem y = i < bb.size() ? bb[bb.size() - 1 - i] : 1;
      if (x != y && x != 1 && y != 1) {
        invalid(op, "batch dims do not broadcast; got shapes ", a.shape(), " and ", b.shape());
      }
    }
  }
  return prepare(op, a, b, t, s);
}

array finish(const Prepared& p, array out, StreamOrDevice s) {
  if (p.drop_m && p.drop_n) return squeeze(out, std::vector<int>{-2, -1}, s);
  if (p.drop_m) return squeeze(out, -2, s);
  if (p.drop_n) return squeeze(out, -1, s);
  return out;
}

// For an N-d a (N > 2) times a 2-d b that match: the rows of a as one
// matrix (their count, when it fits a dim), else 0.
int64_t fold_rows(const array& a, const array& b) {
  if (a.ndim() <= 2 || b.ndim() != 2 || a.shape(-1) != b.shape(0)) return 0;
  int64_t rows = 1;
  for (int i = 0; i + 1 < a.ndim(); ++i) rows *= a.shape(i);
  return rows <= std::numeric_limits<ShapeElem>::max() ? rows : 0;
}

}  // namespace

array matmul(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = product_dtype("matmul", a, b);
  if (int64_t rows = fold_rows(a, b); rows > 0) {
    // A 2-d b shared by every batch (a Linear layer's weight): one
    // (rows, K) @ (K, N) product over all of a's rows. Its vjp is then one
    // product per operand too, where the batched form would compute a
    // (batch, K, N) cotangent of the broadcast b and sum it over the batch.
    Shape out_shape = a.shape();
    out_shape.back() = b.shape(1);
    array flat = reshape(a, {static_cast<ShapeElem>(rows), a.shape(-1)}, s);
    return reshape(matmul(flat, b, s), out_shape, s);
  }
  Prepared p = prepare_checked("matmul", a, b, t, s);
  array out(p.out_shape, t, make_pooled<Matmul>(to_stream(s)), {p.a, p.b});
  return finish(p, out, s);
}

array addmm(const array& c, const array& a, const array& b, const float& alpha, const float& beta,
            StreamOrDevice s) {
  Dtype t = product_dtype("addmm", a, b);
  if (!is_inexact(promote_types(t, c.dtype()))) {
    invalid("addmm", "c must be numeric; got dtype ", c.dtype());
  }
  if (int64_t rows = fold_rows(a, b); rows > 0 && c.ndim() <= 1) {
    // As matmul: one product over a's rows (a Linear layer's bias is 1-d).
    Shape out_shape = a.shape();
    out_shape.back() = b.shape(1);
    if (c.ndim() == 1 && c.shape(0) != 1 && c.shape(0) != b.shape(1)) {
      invalid("addmm", "c of shape ", c.shape(), " cannot be broadcast to the product's shape ",
              out_shape, " (a: ", a.shape(), ", b: ", b.shape(), ")");
    }
    array flat = reshape(a, {static_cast<ShapeElem>(rows), a.shape(-1)}, s);
    return reshape(addmm(c, flat, b, alpha, beta, s), out_shape, s);
  }
  t = promote_types(t, c.dtype());
  Prepared p = prepare_checked("addmm", a, b, t, s);
  // The shape the caller sees, without the dims added for 1-d operands.
  Shape final_shape;
  int nd = static_cast<int>(p.out_shape.size());
  for (int i = 0; i < nd; ++i) {
    if ((p.drop_m && i == nd - 2) || (p.drop_n && i == nd - 1)) continue;
    final_shape.push_back(p.out_shape[i]);
  }
  {
    Shape cs = c.shape();
    bool ok = cs.size() <= final_shape.size();
    for (size_t i = 0; ok && i < cs.size(); ++i) {
      ShapeElem x = cs[cs.size() - 1 - i], y = final_shape[final_shape.size() - 1 - i];
      ok = x == y || x == 1;
    }
    if (!ok) {
      invalid("addmm", "c of shape ", c.shape(), " cannot be broadcast to the product's shape ",
              final_shape, " (a: ", a.shape(), ", b: ", b.shape(), ")");
    }
  }
  array cc = broadcast_to(astype(c, t, s), final_shape, s);
  if (p.drop_m && p.drop_n) {
    cc = expand_dims(cc, std::vector<int>{nd - 2, nd - 1}, s);
  } else if (p.drop_m) {
    cc = expand_dims(cc, nd - 2, s);
  } else if (p.drop_n) {
    cc = expand_dims(cc, nd - 1, s);
  }
  array out(p.out_shape, t, make_pooled<AddMM>(to_stream(s), alpha, beta), {p.a, p.b, cc});
  return finish(p, out, s);
}

array tensordot(const array& a, const array& b, const int axes, StreamOrDevice s) {
  if (axes < 0 || axes > a.ndim() || axes > b.ndim()) {
    invalid("tensordot", "axes must be in [0, min(a.ndim, b.ndim)]; got ", axes, " for shapes ",
            a.shape(), " and ", b.shape());
  }
  std::vector<int> aa, bb;
  for (int i = 0; i < axes; ++i) {
    aa.push_back(a.ndim() - axes + i);
    bb.push_back(i);
  }
  return tensordot(a, b, aa, bb, s);
}

array tensordot(const array& a, const array& b, const std::vector<int>& axes_a,
                const std::vector<int>& axes_b, StreamOrDevice s) {
  if (axes_a.size() != axes_b.size()) {
    invalid("tensordot", "axes_a and axes_b must have the same length; got ", axes_a.size(),
            " and ", axes_b.size(), " for shapes ", a.shape(), " and ", b.shape());
  }
  Dtype t = product_dtype("tensordot", a, b);
  std::vector<int> ca, cb;
  std::vector<bool> used_a(a.ndim(), false), used_b(b.ndim(), false);
  for (size_t i = 0; i < axes_a.size(); ++i) {
    int x = normalize_axis(axes_a[i], a.ndim(), "tensordot", a.shape());
    int y = normalize_axis(axes_b[i], b.ndim(), "tensordot", b.shape());
    if (used_a[x] || used_b[y]) {
      invalid("tensordot", "repeated axis in axes for shapes ", a.shape(), " and ", b.shape());
    }
    used_a[x] = used_b[y] = true;
    if (a.shape(x) != b.shape(y)) {
      invalid("tensordot", "contracted dims differ: axis ", x, " of a (shape ", a.shape(),
              ") has size ", a.shape(x), " but axis ", y, " of b (shape ", b.shape(), ") has size ",
              b.shape(y));
    }
    ca.push_back(x);
    cb.push_back(y);
  }
  std::vector<int> perm_a, perm_b;
  Shape out_shape;
  int64_t M = 1, N = 1, K = 1;
  for (int i = 0; i < a.ndim(); ++i) {
    if (!used_a[i]) {
      perm_a.push_back(i);
      out_shape.push_back(a.shape(i));
      M *= a.shape(i);
    }
  }
  for (int x : ca) {
    perm_a.push_back(x);
    K *= a.shape(x);
  }
  for (int y : cb) perm_b.push_back(y);
  for (int i = 0; i < b.ndim(); ++i) {
    if (!used_b[i]) {
      perm_b.push_back(i);
      out_shape.push_back(b.shape(i));
      N *= b.shape(i);
    }
  }
  array at = reshape(transpose(astype(a, t, s), perm_a, s),
                     {static_cast<ShapeElem>(M), static_cast<ShapeElem>(K)}, s);
  array bt = reshape(transpose(astype(b, t, s), perm_b, s),
                     {static_cast<ShapeElem>(K), static_cast<ShapeElem>(N)}, s);
  return reshape(matmul(at, bt, s), out_shape, s);
}

array inner(const array& a, const array& b, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) return multiply(a, b, s);
  product_dtype("inner", a, b);
  if (a.shape(-1) != b.shape(-1)) {
    invalid("inner", "the last dims must match; got shapes ", a.shape(), " and ", b.shape());
  }
  return tensordot(a, b, std::vector<int>{-1}, std::vector<int>{-1}, s);
}

array outer(const array& a, const array& b, StreamOrDevice s) {
  return multiply(reshape(a, {static_cast<ShapeElem>(a.size()), 1}, s),
                  reshape(b, {static_cast<ShapeElem>(b.size())}, s), s);
}

array vecdot(const array& a, const array& b, int axis, StreamOrDevice s) {
  Dtype t = product_dtype("vecdot", a, b);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), "vecdot");
  if (shape.empty()) {
    invalid("vecdot", "inputs must have at least one dimension; got shapes ", a.shape(), " and ",
            b.shape());
  }
  int ax = normalize_axis(axis, static_cast<int>(shape.size()), "vecdot", shape);
  array x = moveaxis(broadcast_to(astype(a, t, s), shape, s), ax, -1, s);
  array y = moveaxis(broadcast_to(astype(b, t, s), shape, s), ax, -1, s);
  if (is_complex(t)) x = conjugate(x, s);
  array r = matmul(expand_dims(x, -2, s), expand_dims(y, -1, s), s);
  return squeeze(r, std::vector<int>{-2, -1}, s);
}

array kron(const array& a, const array& b, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) return multiply(a, b, s);
  int nd = std::max(a.ndim(), b.ndim());
  array x = a, y = b;
  if (x.ndim() < nd) {
    std::vector<int> lead(nd - x.ndim());
    for (size_t i = 0; i < lead.size(); ++i) lead[i] = static_cast<int>(i);
    x = expand_dims(x, lead, s);
  }
  if (y.ndim() < nd) {
    std::vector<int> lead(nd - y.ndim());
    for (size_t i = 0; i < lead.size(); ++i) lead[i] = static_cast<int>(i);
    y = expand_dims(y, lead, s);
  }
  std::vector<int> odd, even;
  Shape out_shape;
  for (int i = 0; i < nd; ++i) {
    even.push_back(2 * i);
    odd.push_back(2 * i + 1);
    out_shape.push_back(x.shape(i) * y.shape(i));
  }
  // x: (a0, 1, a1, 1, ...), y: (1, b0, 1, b1, ...): the product is (a0, b0, a1, b1, ...).
  array prod = multiply(expand_dims(x, odd, s), expand_dims(y, even, s), s);
  return reshape(prod, out_shape, s);
}

// ---- block_masked_mm / segmented_mm ----

namespace {

// The element mask of block mask m (..., ceil(rows / bs), ceil(cols / bs))
// for an operand (..., rows, cols): each entry spread over its block, the
// last blocks cut to size. Its batch dims must broadcast into `batch`.
array expand_block_mask(const char* what, const array& m, int bs, ShapeElem rows, ShapeElem cols,
                        const Shape& batch, StreamOrDevice s) {
  ShapeElem br = (rows + bs - 1) / bs, bc = (cols + bs - 1) / bs;
  if (m.ndim() < 2 || m.shape(-2) != br || m.shape(-1) != bc) {
    invalid("block_masked_mm", what, " must have shape (..., ", br, ", ", bc, ") for a ", rows,
            " x ", cols, " operand in blocks of ", bs, "; got shape ", m.shape());
  }
  Shape mb(m.shape().begin(), m.shape().end() - 2);
  bool fits = mb.size() <= batch.size();
  for (size_t i = 0; fits && i < mb.size(); ++i) {
    ShapeElem x = mb[mb.size() - 1 - i], y = batch[batch.size() - 1 - i];
    fits = x == y || x == 1;
  }
  if (!fits) {
    invalid("block_masked_mm", what, " of shape ", m.shape(), " does not broadcast into the batch ",
            "shape ", batch, " of the product");
  }
  array e = repeat(repeat(m, bs, -2, s), bs, -1, s);
  Shape start(e.ndim(), 0), stop = e.shape();
  stop[e.ndim() - 2] = rows;
  stop[e.ndim() - 1] = cols;
  return slice(e, start, stop, s);
}

// A bool mask keeps (masked entries are zero whatever they hold, inf and NaN
// too); any other mask scales.
array apply_mask(const array& x, const array& m, StreamOrDevice s) {
  if (m.dtype() == bool_) return where(m, x, zeros({}, x.dtype(), s), s);
  return multiply(x, astype(m, x.dtype(), s), s);
}

}  // namespace

array block_masked_mm(const array& a, const array& b, int block_size,
                      const std::optional<array>& mask_out, const std::optional<array>& mask_lhs,
                      const std::optional<array>& mask_rhs, StreamOrDevice s) {
  if (block_size <= 0) invalid("block_masked_mm", "block_size must be positive; got ", block_size);
  if (a.ndim() == 0 || b.ndim() == 0) {
    invalid("block_masked_mm", "a and b must have at least one dimension; got shapes ", a.shape(),
            " and ", b.shape());
  }
  Dtype t = product_dtype("block_masked_mm", a, b);
  // 1-d operands are a row (a) or a column (b), removed from the result.
  array x = astype(a.ndim() == 1 ? expand_dims(a, 0, s) : a, t, s);
  array y = astype(b.ndim() == 1 ? expand_dims(b, -1, s) : b, t, s);
  ShapeElem M = x.shape(-2), K = x.shape(-1), N = y.shape(-1);
  if (y.shape(-2) != K) {
    invalid("block_masked_mm", "inner dimensions differ: a has shape ", a.shape(), " and b ",
            b.shape());
  }
  Shape batch = broadcast_shapes(Shape(x.shape().begin(), x.shape().end() - 2),
                                 Shape(y.shape().begin(), y.shape().end() - 2), "block_masked_mm");
  if (mask_lhs) {
    x = apply_mask(x, expand_block_mask("mask_lhs", *mask_lhs, block_size, M, K, batch, s), s);
  }
  if (mask_rhs) {
    y = apply_mask(y, expand_block_mask("mask_rhs", *mask_rhs, block_size, K, N, batch, s), s);
  }
  array out = matmul(x, y, s);
  if (mask_out) {
    out = apply_mask(out, expand_block_mask("mask_out", *mask_out, block_size, M, N, batch, s), s);
  }
  if (b.ndim() == 1) out = squeeze(out, -1, s);
  if (a.ndim() == 1) out = squeeze(out, b.ndim() == 1 ? -1 : -2, s);
  return out;
}

array segmented_mm(const array& a, const array& b, const array& segments, StreamOrDevice s) {
  if (a.ndim() != 2 || b.ndim() != 2) {
    invalid("segmented_mm", "a and b must be matrices (batched products are not supported); got ",
            "shapes ", a.shape(), " and ", b.shape());
  }
  if (a.shape(1) != b.shape(0)) {
    invalid("segmented_mm", "inner dimensions differ: a has shape ", a.shape(), " and b ",
            b.shape());
  }
  if (!is_integral(segments.dtype())) {
    invalid("segmented_mm", "segments must be integers; got ", segments.dtype());
  }
  if (segments.ndim() == 0 || segments.shape(-1) != 2) {
    invalid("segmented_mm", "segments must have shape (..., 2); got ", segments.shape());
  }
  Dtype t = product_dtype("segmented_mm", a, b);
  if (!is_floating_point(t)) {
    invalid("segmented_mm", "needs real floating-point inputs; got ", a.dtype(), " and ",
            b.dtype());
  }
  array seg = astype(segments, int64, s);
  array start = expand_dims(take(seg, 0, -1, s), -1, s);
  array end = expand_dims(take(seg, 1, -1, s), -1, s);
  array k = arange(int64_t{0}, static_cast<int64_t>(a.shape(1)), int64_t{1}, int64, s);
  // (..., 1, K): which columns of a (rows of b) each segment sums over.
  array keep = expand_dims(logical_and(greater_equal(k, start, s), less(k, end, s), s), -2, s);
  array am = where(keep, astype(a, t, s), zeros({}, t, s), s);
  return matmul(am, astype(b, t, s), s);
}

// ---- einsum ----

namespace {

constexpr int kEllipsisLabel = 1000;  // label of ellipsis dim j: kEllipsisLabel + j

struct Term {
  std::vector<int> labels;
  bool has_ellipsis = false;
};

Term parse_term(const std::string& t, const std::string& subscripts) {
  Term term;
  for (size_t i = 0; i < t.size(); ++i) {
    char ch = t[i];
    if (ch == '.') {
      if (term.has_ellipsis || t.compare(i, 3, "...") != 0) {
        invalid("einsum", "bad ellipsis in subscripts \"", subscripts, "\"");
      }
      term.has_ellipsis = true;
      term.labels.push_back(-1);  // placeholder, expanded later
      i += 2;
    } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
      term.labels.push_back(ch);
    } else {
      invalid("einsum", "invalid character '", ch, "' in subscripts \"", subscripts, "\"");
    }
  }
  return term;
}

std::string label_str(int l) {
  if (l >= kEllipsisLabel) return "...";
  return std::string(1, static_cast<char>(l));
}

// Sums x over the dims whose labels are in `drop`, through a product with ones.
array sum_labels(const array& x, std::vector<int>& labels, const std::set<int>& drop,
                 StreamOrDevice s) {
  std::vector<int> keep_axes, drop_axes, keep_labels;
  Shape keep_shape;
  int64_t P = 1;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (drop.count(labels[i])) {
      drop_axes.push_back(static_cast<int>(i));
      P *= x.shape(static_cast<int>(i));
    } else {
      keep_axes.push_back(static_cast<int>(i));
      keep_labels.push_back(labels[i]);
      keep_shape.push_back(x.shape(static_cast<int>(i)));
    }
  }
  if (drop_axes.empty()) return x;
  std::vector<int> perm = keep_axes;
  perm.insert(perm.end(), drop_axes.begin(), drop_axes.end());
  Shape rs = keep_shape;
  rs.push_back(static_cast<ShapeElem>(P));
  array xt = reshape(transpose(x, perm, s), rs, s);
  labels = keep_labels;
  return matmul(xt, ones({static_cast<ShapeElem>(P)}, x.dtype(), s), s);
}

}  // namespace

array einsum(const std::string& subscripts_in, const std::vector<array>& operands,
             StreamOrDevice s) {
  std::string subscripts;
  for (char ch : subscripts_in) {
    if (ch != ' ') subscripts.push_back(ch);
  }
  if (operands.empty()) invalid("einsum", "at least one operand is needed");
  std::string lhs = subscripts, rhs;
  bool explicit_out = false;
  if (auto pos = subscripts.find("->"); pos != std::string::npos) {
    lhs = subscripts.substr(0, pos);
    rhs = subscripts.substr(pos + 2);
    explicit_out = true;
  }
  std::vector<Term> terms;
  {
    size_t start = 0;
    while (true) {
      size_t comma = lhs.find(',', start);
      terms.push_back(parse_term(lhs.substr(start, comma - start), subscripts));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (terms.size() != operands.size()) {
    invalid("einsum", "subscripts \"", subscripts, "\" name ", terms.size(), " operands but got ",
            operands.size(), " (shapes ", shapes_str(operands), ")");
  }
  Dtype t = operands[0].dtype();
  for (auto& op : operands) t = promote_types(t, op.dtype());
  if (!is_inexact(t)) {
    invalid("einsum", "only floating point and complex64 inputs are supported; got shapes ",
            shapes_str(operands), " with result dtype ", t);
  }

  // Expand ellipses into labels aligned from the right.
  int n_ell = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    int letters = static_cast<int>(terms[i].labels.size()) - (terms[i].has_ellipsis ? 1 : 0);
    int nd = operands[i].ndim();
    if (terms[i].has_ellipsis ? letters > nd : letters != nd) {
      invalid("einsum", "operand ", i, " has shape ", operands[i].shape(), " but term ", i,
              " of \"", subscripts, "\" names ", letters, " dims");
    }
    if (terms[i].has_ellipsis) n_ell = std::max(n_ell, nd - letters);
  }
  std::vector<array> xs;
  std::vector<std::vector<int>> labels(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) {
    int nd = operands[i].ndim();
    int letters = static_cast<int>(terms[i].labels.size()) - (terms[i].has_ellipsis ? 1 : 0);
    int e = nd - letters;
    for (int l : terms[i].labels) {
      if (l == -1) {
        for (int j = 0; j < e; ++j) labels[i].push_back(kEllipsisLabel + (n_ell - e) + j);
      } else {
        labels[i].push_back(l);
      }
    }
    xs.push_back(astype(operands[i], t, s));
  }

  // Output labels.
  std::vector<int> out_labels;
  std::map<int, int> counts;
  for (auto& ls : labels) {
    for (int l : ls) counts[l]++;
  }
  if (explicit_out) {
    Term ot = parse_term(rhs, subscripts);
    for (int l : ot.labels) {
      if (l == -1) {
        for (int j = 0; j < n_ell; ++j) out_labels.push_back(kEllipsisLabel + j);
      } else {
        if (!counts.count(l)) {
          invalid("einsum", "output index '", label_str(l), "' of \"", subscripts,
                  "\" appears in no input");
        }
        if (std::find(out_labels.begin(), out_labels.end(), l) != out_labels.end()) {
          invalid("einsum", "output index '", label_str(l), "' repeated in \"", subscripts, "\"");
        }
        out_labels.push_back(l);
      }
    }
  } else {
    for (int j = 0; j < n_ell; ++j) out_labels.push_back(kEllipsisLabel + j);
    for (auto& [l, c] : counts) {
      if (l < kEllipsisLabel && c == 1) out_labels.push_back(l);
    }
  }

  // Sizes: letters must agree exactly; ellipsis dims broadcast (size-1 dims
  // are squeezed away so the other operands supply the size).
  std::map<int, ShapeElem> sizes;
  for (size_t i = 0; i < xs.size(); ++i) {
    // Diagonals of labels repeated within one operand.
    auto& ls = labels[i];
    std::vector<int> uniq;
    for (int l : ls) {
      if (std::find(uniq.begin(), uniq.end(), l) == uniq.end()) uniq.push_back(l);
    }
    if (uniq.size() != ls.size()) {
      Strides rm = row_major_strides(xs[i].shape());
      Shape shape;
      Strides strides;
      for (int l : uniq) {
        ShapeElem n = -1;
        int64_t st = 0;
        for (size_t d = 0; d < ls.size(); ++d) {
          if (ls[d] != l) continue;
          if (n >= 0 && n != xs[i].shape(static_cast<int>(d))) {
            invalid("einsum", "index '", label_str(l), "' repeated in operand ", i,
                    " with different sizes (shape ", xs[i].shape(), ")");
          }
          n = xs[i].shape(static_cast<int>(d));
          st += rm[d];
        }
        shape.push_back(n);
        strides.push_back(st);
      }
      xs[i] = as_strided(xs[i], shape, strides, 0, s);
      ls = uniq;
    }
    for (size_t d = 0; d < ls.size(); ++d) {
      ShapeElem n = xs[i].shape(static_cast<int>(d));
      auto it = sizes.find(ls[d]);
      if (it == sizes.end()) {
        sizes[ls[d]] = n;
      } else if (it->second != n) {
        if (ls[d] < kEllipsisLabel || (it->second != 1 && n != 1)) {
          invalid("einsum", "index '", label_str(ls[d]), "' has sizes ", it->second, " and ", n,
                  " in \"", subscripts, "\" (shapes ", shapes_str(operands), ")");
        }
        it->second = std::max(it->second, n);
      }
    }
  }
  for (size_t i = 0; i < xs.size(); ++i) {
    std::vector<int> sq, keep;
    for (size_t d = 0; d < labels[i].size(); ++d) {
      int l = labels[i][d];
      if (l >= kEllipsisLabel && xs[i].shape(static_cast<int>(d)) == 1 && sizes[l] != 1) {
        sq.push_back(static_cast<int>(d));
      } else {
        keep.push_back(l);
      }
    }
    if (!sq.empty()) {
      xs[i] = squeeze(xs[i], sq, s);
      labels[i] = keep;
    }
  }

  std::set<int> out_set(out_labels.begin(), out_labels.end());
  // Labels needed after operand i: the output's and those of operands > i.
  auto needed_after = [&](size_t i) {
    std::set<int> need = out_set;
    for (size_t j = i + 1; j < xs.size(); ++j) need.insert(labels[j].begin(), labels[j].end());
    return need;
  };
  auto drop_unneeded = [&](array x, std::vector<int>& ls, const std::set<int>& need,
                           const std::vector<int>& other) {
    std::set<int> drop;
    for (int l : ls) {
      if (!need.count(l) && std::find(other.begin(), other.end(), l) == other.end()) {
        drop.insert(l);
      }
    }
    return sum_labels(x, ls, drop, s);
  };

  array cur = xs[0];
  std::vector<int> cur_labels = labels[0];
  cur = drop_unneeded(cur, cur_labels, needed_after(0),
                      xs.size() > 1 ? labels[1] : std::vector<int>{});
  for (size_t i = 1; i < xs.size(); ++i) {
    std::set<int> need = needed_after(i);
    array b = drop_unneeded(xs[i], labels[i], need, cur_labels);
    std::vector<int>& bl = labels[i];
    std::vector<int> batch, contract, a_only, b_only;
    for (int l : cur_labels) {
      bool in_b = std::find(bl.begin(), bl.end(), l) != bl.end();
      if (in_b) {
        (need.count(l) ? batch : contract).push_back(l);
      } else {
        a_only.push_back(l);
      }
    }
    for (int l : bl) {
      if (std::find(cur_labels.begin(), cur_labels.end(), l) == cur_labels.end()) {
        b_only.push_back(l);
      }
    }
    auto axis_of = [](const std::vector<int>& ls, int l) {
      return static_cast<int>(std::find(ls.begin(), ls.end(), l) - ls.begin());
    };
    std::vector<int> pa, pb;
    Shape shape_a, shape_b, out_shape;
    int64_t M = 1, N = 1, K = 1;
    for (int l : batch) {
      pa.push_back(axis_of(cur_labels, l));
      pb.push_back(axis_of(bl, l));
      shape_a.push_back(sizes[l]);
      shape_b.push_back(sizes[l]);
      out_shape.push_back(sizes[l]);
    }
    for (int l : a_only) {
      pa.push_back(axis_of(cur_labels, l));
      M *= sizes[l];
      out_shape.push_back(sizes[l]);
    }
    for (int l : contract) {
      pa.push_back(axis_of(cur_labels, l));
      K *= sizes[l];
    }
    for (int l : contract) pb.push_back(axis_of(bl, l));
    for (int l : b_only) {
      pb.push_back(axis_of(bl, l));
      N *= sizes[l];
      out_shape.push_back(sizes[l]);
    }
    shape_a.push_back(static_cast<ShapeElem>(M));
    shape_a.push_back(static_cast<ShapeElem>(K));
    shape_b.push_back(static_cast<ShapeElem>(K));
    shape_b.push_back(static_cast<ShapeElem>(N));
    array am = reshape(transpose(cur, pa, s), shape_a, s);
    array bm = reshape(transpose(b, pb, s), shape_b, s);
    cur = reshape(matmul(am, bm, s), out_shape, s);
    cur_labels = batch;
    cur_labels.insert(cur_labels.end(), a_only.begin(), a_only.end());
    cur_labels.insert(cur_labels.end(), b_only.begin(), b_only.end());
  }
  // Anything left that the output does not name is summed; then reorder.
  std::set<int> drop;
  for (int l : cur_labels) {
    if (!out_set.count(l)) drop.insert(l);
  }
  cur = sum_labels(cur, cur_labels, drop, s);
  std::vector<int> perm;
  for (int l : out_labels) {
    auto it = std::find(cur_labels.begin(), cur_labels.end(), l);
    if (it == cur_labels.end()) {
      // An ellipsis dim every operand had as size 1 and squeezed: restore it.
      cur = expand_dims(cur, static_cast<int>(cur_labels.size()), s);
      cur_labels.push_back(l);
      it = cur_labels.end() - 1;
    }
    perm.push_back(static_cast<int>(it - cur_labels.begin()));
  }
  return transpose(cur, perm, s);
}

array gather_mm(const array& a, const array& b, const std::optional<array>& lhs_indices,
                const std::optional<array>& rhs_indices, bool, StreamOrDevice s) {
  if (a.ndim() < 2 || b.ndim() < 2) {
    throw std::invalid_argument("[gather_mm] takes operands of at least 2 dims; got shapes " +
                                shape_str(a.shape()) + " and " + shape_str(b.shape()));
  }
  for (auto* idx : {&lhs_indices, &rhs_indices}) {
    if (*idx && !issubdtype((*idx)->dtype(), DtypeCategory::integer)) {
      throw std::invalid_argument(std::string("[gather_mm] indices must be integers, got ") +
                                  dtype_name((*idx)->dtype()));
    }
  }
  // Each operand as (batch, rows, cols) and its indices (by default the
  // arange of its batch dims, in their shape).
  auto flat = [&](const array& x, const std::optional<array>& idx) {
    Shape batch(x.shape().begin(), x.shape().end() - 2);
    int n = 1;
    for (auto d : batch) n *= d;
    array f = reshape(x, {n, x.shape(-2), x.shape(-1)}, s);
    array i = idx ? *idx : reshape(arange(0, n, 1, uint32, s), batch, s);
    return std::pair{f, i};
  };
  auto [af, li] = flat(a, lhs_indices);
  auto [bf, ri] = flat(b, rhs_indices);
  Shape shape = broadcast_shapes(li.shape(), ri.shape(), "gather_mm");
  int count = 1;
  for (auto d : shape) count *= d;
  auto pick = [&](const array& f, const array& i) {
    return take(f, reshape(broadcast_to(i, shape, s), {count}, s), 0, s);
  };
  array out = matmul(pick(af, li), pick(bf, ri), s);
  Shape out_shape = shape;
  out_shape.push_back(out.shape(-2));
  out_shape.push_back(out.shape(-1));
  return reshape(out, out_shape, s);
}

array hadamard_transform(const array& a, std::optional<float> scale, StreamOrDevice s) {
  const int n = a.ndim() ? a.shape(-1) : 1;
  if (n <= 0 || (n & (n - 1)) != 0) {
    throw std::invalid_argument(
        "[hadamard_transform] supports last dims of a power-of-two size; "
        "got " +
        std::to_string(n) + " in shape " + shape_str(a.shape()));
  }
  Dtype dt = issubdtype(a.dtype(), DtypeCategory::floating) ? a.dtype() : float32;
  array x = astype(a.ndim() ? a : reshape(a, {1}, s), dt, s);
  Shape shape = x.shape();
  // Butterflies of growing span h: (u, v) -> (u + v, u - v) on pairs h apart,
  // which builds H_2h = [[H_h, H_h], [H_h, -H_h]] from H_h.
  for (int h = 1; h < n; h *= 2) {
    Shape split(shape.begin(), shape.end() - 1);
    split.push_back(n / (2 * h));
    split.push_back(2);
    split.push_back(h);
    array y = reshape(x, split, s);
    int ax = static_cast<int>(split.size()) - 2;
    array u = take(y, 0, ax, s), v = take(y, 1, ax, s);
    x = reshape(stack({add(u, v, s), subtract(u, v, s)}, ax, s), shape, s);
  }
  double k = scale ? double(*scale) : 1.0 / std::sqrt(static_cast<double>(n));
  x = multiply(x, array(k, dt), s);
  return a.ndim() ? x : reshape(x, {}, s);
}

}  // namespace tandem
