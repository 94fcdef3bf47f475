#include "tandem/fusion.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>

#include "tandem/layout.h"
#include "tandem/primitives/fused.h"

namespace tandem {
namespace {

std::atomic<uint64_t> g_groups{0};
std::atomic<uint64_t> g_fused_nodes{0};

// What a's node is to fusion: 0 not fusible, 1 a Unary node, 2 a Binary one.
int fusible_kind(const array& a) {
  if (a.size() == 0 || a.size() > max_fused_size(a.primitive().device())) return 0;
  const auto& t = typeid(*a.node()->primitive);
  return t == typeid(Unary) ? 1 : t == typeid(Binary) ? 2 : 0;
}

// Whether a's elements sit in row-major order, some dims perhaps broadcast
// (stride 0): the order an elementwise output gets from it.
bool row_major_or_broadcast(const array& a) {
  int64_t expected = 1;
  for (int d = a.ndim() - 1; d >= 0; --d) {
    if (a.shape(d) == 1 || a.strides()[d] == 0) continue;
    if (a.strides()[d] != expected) return false;
    expected *= a.shape(d);
  }
  return true;
}

// Whether `in` is the value of one of group g's members.
bool in_group(const array& in, uint64_t g) {
  const Node* n = in.node().get();
  return n && n->fuse_group == g;
}

}  // namespace

bool fusion_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("TANDEM_FUSION");
    return !(v && std::string_view(v) == "0");
  }();
  return on;
}

uint64_t fused_node_count() {
  return g_fused_nodes.load(std::memory_order_relaxed);
}

bool Fuser::joins(const array& a) const {
  const array& first = members_.front();
  if (a.primitive().stream() != first.primitive().stream() || a.shape() != first.shape() ||
      members_.size() >= max_ops_) {
    return false;
  }
  // Room for the arrays it would add to the group's inputs.
  size_t added = 0;
  for (auto& in : a.inputs()) added += !in_group(in, group_) && find_input(in) < 0;
  return inputs_.size() + added <= size_t(kMaxFusedInputs);
}

int32_t Fuser::find_input(const array& in) const {
  for (size_t k = 0; k < inputs_.size(); ++k) {
    if (inputs_[k].desc() == in.desc()) return static_cast<int32_t>(k);
  }
  return -1;
}

void Fuser::reserve(size_t n) {
  n = std::min(n, size_t(kMaxFusedOps));
  members_.reserve(n);
  uses_.reserve(n);
  instrs_.reserve(n);
}

void Fuser::add(array a) {
  int kind = fusible_kind(a);
  bool fus = kind != 0;
  if (group_) {
    if (fus && joins(a)) {
      append(std::move(a), kind == 2);
      return;
    }
    bool depends = false;
    for (auto& in : a.inputs()) depends = depends || in_group(in, group_);
    // A node that needs the group's values waits for it; a fusible one that
    // cannot join starts the next group.
    if (fus || depends) close();
  }
  if (fus) {
    group_ = g_groups.fetch_add(1, std::memory_order_relaxed) + 1;
    max_ops_ = a.primitive().device().type == Device::gpu ? kMaxFusedOpsGpu : kMaxFusedOps;
    if (opened_) opened_(a.primitive().stream(), ctx_);
    append(std::move(a), kind == 2);
    return;
  }
  schedule_(std::move(a), ctx_);
}

void Fuser::append(array a, bool binary) {
  Node& n = *a.node();
  n.fuse_group = group_;
  n.fuse_value = static_cast<int32_t>(members_.size());
  FusedInstr ins;
  ins.binary = binary;
  ins.op = binary ? static_cast<uint8_t>(static_cast<const Binary&>(*n.primitive).op())
                  : static_cast<uint8_t>(static_cast<const Unary&>(*n.primitive).op());
  ins.in = n.inputs[0].dtype();
  ins.out = a.dtype();
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const array& in = n.inputs[i];
    int32_t code;
    if (in_group(in, group_)) {
      code = in.node()->fuse_value;
      ++uses_[code];
    } else {
      code = find_input(in);
      if (code < 0) {
        code = static_cast<int32_t>(inputs_.size());
        inputs_.push_back(in);
      }
      code = -code - 1;  // inputs are coded below zero
    }
    (i == 0 ? ins.a : ins.b) = code;
  }
  instrs_.push_back(ins);
  uses_.push_back(0);
  members_.push_back(std::move(a));
}

void Fuser::finish() {
  if (group_) close();
}

void Fuser::close() {
  struct Reset {
    Fuser& f;
    ~Reset() {
      f.group_ = 0;
      f.members_.clear();
      f.inputs_.clear();
      f.uses_.clear();
      f.instrs_.clear();
    }
  } reset{*this};
  if (members_.size() < 2) return pass_unfused();

  FusedProgram p;
  p.num_inputs = static_cast<int>(inputs_.size());
  for (auto& in : inputs_) {
    // Every input was scheduled before the group (or is a leaf), so its
    // layout is known: a broadcast scalar is read at element 0, dense
    // row-major inputs in place, row-major data broadcast along some dims
    // (a bias over a matrix's rows) through a row-major copy the Fused
    // kernel makes, which still moves fewer bytes than a kernel per op.
    // Other layouts (transposed, strided) stay unfused: the unfused kernels
    // keep such a layout in their outputs, and a consumer such as a matmul
    // rounds differently on another layout, so fusing them would make
    // results depend on where a chain was cut.
    if (!in.buffer()) return pass_unfused();
    bool scalar = is_broadcast_scalar(in);
    if (!scalar && !row_major_or_broadcast(in)) return pass_unfused();
    p.scalar_inputs.push_back(scalar);
  }
  // A member's value is an output unless only later members read it: any
  // other holder (a user's array, another node, eval's targets) needs it.
  std::vector<size_t> outs;
  for (size_t m = 0; m < members_.size(); ++m) {
    if (members_[m].desc().use_count() > 1 + uses_[m]) outs.push_back(m);
  }
  if (outs.size() > size_t(kMaxFusedOutputs)) return pass_unfused();

  auto value = [&](int32_t code) { return code < 0 ? -code - 1 : p.num_inputs + code; };
  p.instrs = std::move(instrs_);
  for (auto& ins : p.instrs) {
    ins.a = value(ins.a);
    if (ins.binary) ins.b = value(ins.b);
  }
  for (size_t m : outs) p.outputs.push_back(p.num_inputs + static_cast<int32_t>(m));

  Stream s = members_.front().primitive().stream();
  // The node takes the group's references to its inputs, so that an input
  // only it holds may be donated.
  auto node = std::allocate_shared<Node>(
      PoolAllocator<Node>(), std::make_shared<Fused>(s, std::move(p)), std::move(inputs_));
  for (size_t i = 0; i < outs.size(); ++i) {
    auto& d = members_[outs[i]].desc();
    if (outs.size() > 1) {
      node->outputs.push_back(d);
      node->output_specs.emplace_back(d->shape, d->dtype);
    }
    d->node = node;
    d->position = static_cast<int>(i);
  }
  g_fused_nodes.fetch_add(1, std::memory_order_relaxed);
  array first = members_[outs.front()];
  members_.clear();  // frees the members' old nodes and the values nothing else needs
  schedule_(std::move(first), ctx_);
}

void Fuser::pass_unfused() {
  inputs_.clear();  // our references would stop donation
  for (auto& m : members_) schedule_(std::move(m), ctx_);
}

bool Fused::reads_in_place(size_t k, const array& in, const array& out) const {
  const bool scalar = k < program_.scalar_inputs.size() && program_.scalar_inputs[k];
  if (in.size() != out.size() && !(scalar && in.size() == 1)) {
    throw std::invalid_argument("[Fused] input " + std::to_string(k) + " of shape " +
                                shape_str(in.shape()) + " does not match the output shape " +
                                shape_str(out.shape()));
  }
  return scalar ? is_broadcast_scalar(in) : is_dense(in) && in.flags().row_contiguous;
}

std::vector<int32_t> FusedProgram::last_reads() const {
  std::vector<int32_t> last(static_cast<size_t>(num_inputs) + instrs.size(), -1);
  for (size_t i = 0; i < instrs.size(); ++i) {
    last[instrs[i].a] = static_cast<int32_t>(i);
    if (instrs[i].binary) last[instrs[i].b] = static_cast<int32_t>(i);
  }
  return last;
}

std::string FusedProgram::signature() const {
  std::string s;
  s.reserve(16 + instrs.size() * 16);
  s += std::to_string(num_inputs);
  s += ':';
  for (bool sc : scalar_inputs) s += sc ? 's' : 'd';
  for (auto& ins : instrs) {
    s += ins.binary ? ";b" : ";u";
    s += std::to_string(ins.op);
    s += ',';
    s += std::to_string(ins.in.index());
    s += ',';
    s += std::to_string(ins.out.index());
    s += ',';
    s += std::to_string(ins.a);
    if (ins.binary) {
      s += ',';
      s += std::to_string(ins.b);
    }
  }
  s += "|";
  for (int32_t o : outputs) {
    s += std::to_string(o);
    s += ',';
  }
  return s;
}

void Fused::print(std::ostream& os) const {
  // Each op once, in order of first use, with its count.
  constexpr size_t kMaxShown = 4;
  std::vector<std::pair<const char*, size_t>> ops;
  for (auto& ins : program_.instrs) {
    const char* name = ins.binary ? binary_op_name(ins.binary_op()) : unary_op_name(ins.unary_op());
    auto it = std::find_if(ops.begin(), ops.end(), [&](auto& p) { return p.first == name; });
    if (it == ops.end()) {
      ops.emplace_back(name, 1);
    } else {
      ++it->second;
    }
  }
  os << "Fused(";
  for (size_t i = 0; i < ops.size() && i < kMaxShown; ++i) {
    os << (i ? ", " : "") << ops[i].first;
    if (ops[i].second > 1) os << " x" << ops[i].second;
  }
  if (ops.size() > kMaxShown) os << ", ...";
  os << ")";
}

}  // namespace tandem
