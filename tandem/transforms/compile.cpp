// compile: trace, simplify, replay (see tandem/compile.h).
#include "tandem/compile.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <unordered_map>

#include "tandem/fusion.h"
#include "tandem/io/detail.h"
#include "tandem/io/export_detail.h"
#include "tandem/ops/random.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/utils.h"
#include "tandem/pool.h"
#include "tandem/primitive.h"
#include "tandem/primitives/binary.h"
#include "tandem/primitives/creation.h"
#include "tandem/primitives/fused.h"
#include "tandem/primitives/matmul.h"
#include "tandem/primitives/reduce.h"
#include "tandem/primitives/shape.h"
#include "tandem/primitives/unary.h"
#include "tandem/transforms/graph.h"
#include "tandem/transforms/id_table.h"

namespace tandem {

namespace detail {
namespace {
thread_local int t_compile_tracing = 0;
}  // namespace
int compile_tracing_depth() {
  return t_compile_tracing;
}
}  // namespace detail

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::invalid_argument("[compile] " + what);
}

std::atomic<bool>& enabled_flag() {
  static std::atomic<bool> on = [] {
    const char* v = std::getenv("TANDEM_DISABLE_COMPILE");
    return !(v && *v && std::string_view(v) != "0");
  }();
  return on;
}

// ---- primitive equivalence (common subexpressions) ----

// Whether two nodes of primitives p and q compute the same values from the
// same inputs. Only primitives whose whole state is known here: the others
// are never merged.
bool equivalent(const Primitive& p, const Primitive& q) {
  if (typeid(p) != typeid(q) || p.stream() != q.stream()) return false;
  const auto& t = typeid(p);
  if (t == typeid(Unary)) {
    return static_cast<const Unary&>(p).op() == static_cast<const Unary&>(q).op();
  }
  if (t == typeid(Binary)) {
    return static_cast<const Binary&>(p).op() == static_cast<const Binary&>(q).op();
  }
  if (t == typeid(AsType)) {
    return static_cast<const AsType&>(p).row_contiguous() ==
           static_cast<const AsType&>(q).row_contiguous();
  }
  if (t == typeid(Reduce)) {
    auto& a = static_cast<const Reduce&>(p);
    auto& b = static_cast<const Reduce&>(q);
    return a.op() == b.op() && a.axes() == b.axes();
  }
  if (t == typeid(Transpose)) {
    return static_cast<const Transpose&>(p).axes() == static_cast<const Transpose&>(q).axes();
  }
  // The output shape (compared by the caller) is all of their state.
  return t == typeid(Select) || t == typeid(Broadcast) || t == typeid(Reshape) ||
         t == typeid(Matmul) || t == typeid(StopGradient);
}

// How a shapeless replay finds a step's output shapes from its inputs'.
enum class ShapeRule : uint8_t {
  none,       // no rule: the graph replays at its traced shapes only
  same,       // the first input's shape
  broadcast,  // the inputs' shapes broadcast together (elementwise)
  reduce,     // the first input's, with the reduced axes set to 1
  transpose,  // the first input's, permuted
  reshape,    // a reshape that only adds or drops size-1 axes
  matmul,     // (..., m, k) @ (..., k, n) -> (..., m, n)
  deferred,   // a Broadcast feeding elementwise steps only: they broadcast
};

ShapeRule rule_of(const Primitive& p) {
  const auto& t = typeid(p);
  if (t == typeid(Unary) || t == typeid(AsType) || t == typeid(StopGradient) ||
      t == typeid(Identity)) {
    return ShapeRule::same;
  }
  if (t == typeid(Binary) || t == typeid(Select)) return ShapeRule::broadcast;
  if (t == typeid(Reduce) || t == typeid(ArgReduce)) return ShapeRule::reduce;
  if (t == typeid(Transpose)) return ShapeRule::transpose;
  if (t == typeid(Reshape)) return ShapeRule::reshape;
  if (t == typeid(Matmul)) return ShapeRule::matmul;
  if (t == typeid(Broadcast)) return ShapeRule::deferred;
  return ShapeRule::none;
}

// For a Reshape traced from `from` to `to` that only adds or drops size-1
// axes: the output shape for input shape `in` (false if it does not apply).
bool unit_reshape(const Shape& from, const Shape& to, const Shape& in, Shape& out) {
  if (in.size() != from.size()) return false;
  std::vector<size_t> src;  // from's non-unit axes, in order
  for (size_t i = 0; i < from.size(); ++i) {
    if (from[i] != 1) src.push_back(i);
    // An axis of size 1 when traced was dropped or kept as 1: it must stay 1.
    else if (in[i] != 1)
      return false;
  }
  out = to;
  size_t k = 0;
  for (size_t j = 0; j < to.size(); ++j) {
    if (to[j] == 1) continue;
    if (k >= src.size() || from[src[k]] != to[j]) return false;
    out[j] = in[src[k++]];
  }
  return k == src.size();
}

}  // namespace

// The traced graph as a program over a table of values: the inputs, then
// the drawn subkeys, then the constants, then each step's outputs.
struct CompiledGraph::Impl {
  struct Step {
    std::shared_ptr<Primitive> prim;
    std::vector<int32_t> inputs;  // value numbers
    std::vector<Shape> shapes;
    std::vector<Dtype> dtypes;
    int32_t first = 0;  // value number of output 0
    ShapeRule rule = ShapeRule::none;
    Shape traced_in;  // the first input's traced shape (for reshape)
    // The value numbers of the outputs when not first, first + 1, ... (a
    // fused step's outputs are its members' values).
    std::vector<int32_t> outs;
  };
  std::vector<Shape> in_shapes;
  std::vector<Dtype> in_dtypes;
  size_t num_keys = 0;
  std::vector<array> constants;
  std::vector<Step> steps;
  // steps with runs of elementwise steps made Fused nodes, as eval would
  // fuse them (empty: nothing to fuse). Replays at the traced shapes outside
  // transforms use it, so eval has a few nodes to schedule instead of one
  // per op.
  std::vector<Step> fused;
  std::vector<int32_t> outputs;
  size_t num_values = 0;
  bool polymorphic = false;

  int32_t key_base() const { return static_cast<int32_t>(in_shapes.size()); }
  int32_t const_base() const { return key_base() + static_cast<int32_t>(num_keys); }

  // Step s's output shapes for inputs of shapes `ins` (deferred broadcasts
  // given as their sources' shapes); false where its rule does not apply.
  static bool infer(const Step& s, const std::vector<Shape>& ins, std::vector<Shape>& out);
  void check_polymorphic();
  void fuse();
  // Per value number, the traced shape and dtype of the inputs, keys and
  // constants (the steps' outputs are left for the caller).
  void source_types(std::vector<Shape>& shape, std::vector<Dtype>& dtype) const;
};

void CompiledGraph::Impl::source_types(std::vector<Shape>& shape, std::vector<Dtype>& dtype) const {
  shape.assign(num_values, Shape{});
  dtype.assign(num_values, float32);
  for (size_t i = 0; i < in_shapes.size(); ++i) {
    shape[i] = in_shapes[i];
    dtype[i] = in_dtypes[i];
  }
  for (size_t i = 0; i < num_keys; ++i) {
    shape[key_base() + i] = Shape{2};
    dtype[key_base() + i] = uint32;
  }
  for (size_t i = 0; i < constants.size(); ++i) {
    shape[const_base() + i] = constants[i].shape();
    dtype[const_base() + i] = constants[i].dtype();
  }
}

bool CompiledGraph::Impl::infer(const Step& s, const std::vector<Shape>& ins,
                                std::vector<Shape>& out) {
  out.clear();
  Shape o;
  switch (s.rule) {
    case ShapeRule::same:
      o = ins[0];
      break;
    case ShapeRule::broadcast:
      o = broadcast_shapes(ins, "compile");
      break;
    case ShapeRule::reduce:
      o = ins[0];
      if (o.size() != s.shapes[0].size()) return false;
      if (typeid(*s.prim) == typeid(Reduce)) {
        for (int a : static_cast<const Reduce&>(*s.prim).axes()) o[a] = 1;
      } else {
        o[static_cast<const ArgReduce&>(*s.prim).axis()] = 1;
      }
      break;
    case ShapeRule::transpose:
      for (int a : static_cast<const Transpose&>(*s.prim).axes()) o.push_back(ins[0][a]);
      break;
    case ShapeRule::reshape:
      if (!unit_reshape(s.traced_in, s.shapes[0], ins[0], o)) return false;
      break;
    case ShapeRule::matmul:
      if (ins[0].size() < 2 || ins[1].size() != ins[0].size()) return false;
      o = ins[0];
      o.back() = ins[1].back();
      break;
    default:
      return false;
  }
  out.push_back(std::move(o));
  return out.size() == s.shapes.size();
}

void CompiledGraph::Impl::check_polymorphic() {
  polymorphic = false;
  std::vector<std::vector<int32_t>> consumers(num_values);
  for (size_t i = 0; i < steps.size(); ++i) {
    for (int32_t v : steps[i].inputs) consumers[v].push_back(static_cast<int32_t>(i));
  }
  for (int32_t v : outputs) consumers[v].push_back(-1);
  // The rules must give back every traced shape from the traced inputs.
  std::vector<Shape> shape_of;
  std::vector<Dtype> dtype_of;
  source_types(shape_of, dtype_of);
  std::vector<Shape> ins, out;
  for (auto& s : steps) {
    if (s.rule == ShapeRule::none) return;
    if (s.rule == ShapeRule::deferred) {
      for (int32_t c : consumers[s.first]) {
        if (c < 0 || steps[c].rule != ShapeRule::broadcast) return;
      }
      shape_of[s.first] = shape_of[s.inputs[0]];
      continue;
    }
    ins.clear();
    for (int32_t v : s.inputs) ins.push_back(shape_of[v]);
    if (!infer(s, ins, out) || out != s.shapes) return;
    for (size_t k = 0; k < out.size(); ++k) shape_of[s.first + k] = out[k];
  }
  polymorphic = true;
}

// Groups elementwise steps as eval's Fuser does (fusion.h): consecutive
// Unary and Binary steps of one stream and one shape, small enough, a
// member's value written only where a step outside the group or the
// caller reads it. Steps that do not read the open group's values go
// before it.
void CompiledGraph::Impl::fuse() {
  if (!fusion_enabled()) return;
  std::vector<Shape> shape_of;
  std::vector<Dtype> dtype_of;
  source_types(shape_of, dtype_of);
  std::vector<int32_t> producer(num_values, -1);
  std::vector<std::vector<int32_t>> readers(num_values);
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    for (size_t k = 0; k < s.shapes.size(); ++k) {
      shape_of[s.first + k] = s.shapes[k];
      dtype_of[s.first + k] = s.dtypes[k];
      producer[s.first + k] = static_cast<int32_t>(i);
    }
    for (int32_t v : s.inputs) readers[v].push_back(static_cast<int32_t>(i));
  }
  std::vector<bool> returned(num_values, false);
  for (int32_t v : outputs) returned[v] = true;

  auto fusible = [&](const Step& s) {
    const auto& t = typeid(*s.prim);
    if (s.shapes.size() != 1 || (t != typeid(Unary) && t != typeid(Binary))) return false;
    size_t n = shape_size(s.shapes[0]);
    return n > 0 && n <= max_fused_size(s.prim->device());
  };
  std::vector<Step> out;
  std::vector<int32_t> members, ext;  // step indices; the group's inputs
  std::vector<int32_t> member_of(steps.size(), -1), position(steps.size(), 0);
  int32_t group = 0;
  size_t max_ops = 0;
  bool any = false;
  auto in_group = [&](int32_t v) {
    return producer[v] >= 0 && member_of[producer[v]] == group && !members.empty();
  };
  auto close = [&] {
    struct Reset {
      std::vector<int32_t>& m;
      std::vector<int32_t>& e;
      int32_t& g;
      ~Reset() {
        m.clear();
        e.clear();
        ++g;
      }
    } reset{members, ext, group};
    FusedProgram p;
    p.num_inputs = static_cast<int>(ext.size());
    for (int32_t v : ext) p.scalar_inputs.push_back(shape_size(shape_of[v]) == 1);
    std::vector<int32_t> values;
    for (size_t j = 0; j < members.size(); ++j) {
      const Step& s = steps[members[j]];
      bool needed = returned[s.first];
      for (int32_t r : readers[s.first]) needed = needed || member_of[r] != group;
      if (needed) {
        p.outputs.push_back(p.num_inputs + static_cast<int32_t>(j));
        values.push_back(s.first);
      }
    }
    if (members.size() < 2 || p.outputs.size() > size_t(kMaxFusedOutputs)) {
      for (int32_t m : members) out.push_back(steps[m]);
      return;
    }
    // Program values: the inputs, then the members' results in order.
    auto code = [&](int32_t v) {
      if (in_group(v)) return p.num_inputs + position[producer[v]];
      return static_cast<int32_t>(std::find(ext.begin(), ext.end(), v) - ext.begin());
    };
    for (int32_t m : members) {
      const Step& s = steps[m];
      FusedInstr ins;
      ins.binary = typeid(*s.prim) == typeid(Binary);
      ins.op = ins.binary ? static_cast<uint8_t>(static_cast<const Binary&>(*s.prim).op())
                          : static_cast<uint8_t>(static_cast<const Unary&>(*s.prim).op());
      ins.in = dtype_of[s.inputs[0]];
      ins.out = s.dtypes[0];
      ins.a = code(s.inputs[0]);
      if (ins.binary) ins.b = code(s.inputs[1]);
      p.instrs.push_back(ins);
    }
    const Step& first = steps[members.front()];
    Step f;
    f.prim = std::make_shared<Fused>(first.prim->stream(), std::move(p));
    f.inputs = ext;
    for (int32_t v : values) {
      f.shapes.push_back(first.shapes[0]);
      f.dtypes.push_back(dtype_of[v]);
    }
    f.first = values.front();
    f.outs = std::move(values);
    out.push_back(std::move(f));
    any = true;
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    bool fus = fusible(s);
    if (!members.empty()) {
      const Step& head = steps[members.front()];
      if (fus && s.prim->stream() == head.prim->stream() && s.shapes[0] == head.shapes[0] &&
          members.size() < max_ops) {
        size_t added = 0;
        for (size_t k = 0; k < s.inputs.size(); ++k) {
          int32_t v = s.inputs[k];
          bool seen = std::find(s.inputs.begin(), s.inputs.begin() + k, v) != s.inputs.begin() + k;
          added += !in_group(v) && !seen && std::find(ext.begin(), ext.end(), v) == ext.end();
        }
        if (ext.size() + added <= size_t(kMaxFusedInputs)) {
          for (int32_t v : s.inputs) {
            if (!in_group(v) && std::find(ext.begin(), ext.end(), v) == ext.end()) ext.push_back(v);
          }
          member_of[i] = group;
          position[i] = static_cast<int32_t>(members.size());
          members.push_back(static_cast<int32_t>(i));
          continue;
        }
      }
      bool depends = false;
      for (int32_t v : s.inputs) depends = depends || in_group(v);
      if (fus || depends) close();
    }
    if (fus) {
      max_ops = s.prim->device().type == Device::gpu ? kMaxFusedOpsGpu : kMaxFusedOps;
      for (int32_t v : s.inputs) {
        if (std::find(ext.begin(), ext.end(), v) == ext.end()) ext.push_back(v);
      }
      member_of[i] = group;
      position[i] = 0;
      members.push_back(static_cast<int32_t>(i));
      continue;
    }
    out.push_back(s);
  }
  if (!members.empty()) close();
  if (any) fused = std::move(out);
}

namespace {

// The subkeys fun draws while traced: each a stand-in, an input of the graph.
struct KeyRecorder {
  std::vector<array> keys;
  static array hook(array subkey, void* ctx) {
    auto& self = *static_cast<KeyRecorder*>(ctx);
    self.keys.push_back(stand_in(subkey));
    return self.keys.back();
  }
};

struct CompileTracing {
  CompileTracing() { ++detail::t_compile_tracing; }
  ~CompileTracing() { --detail::t_compile_tracing; }
};

}  // namespace

CompiledGraph::CompiledGraph(const ArrayFn& fun, const std::vector<array>& inputs, bool shapeless)
    : impl_(std::make_unique<Impl>()) {
  Impl& g = *impl_;
  std::vector<array> stand_ins, outs;
  KeyRecorder keys;
  {
    detail::TracingScope tracing;
    CompileTracing compiling;
    for (auto& x : inputs) {
      g.in_shapes.push_back(x.shape());
      g.in_dtypes.push_back(x.dtype());
      stand_ins.push_back(stand_in(x));
    }
    // The first replay draws the subkeys again: the trace must not advance
    // the global key.
    auto words = random::detail::global_key_words();
    auto old = random::detail::set_key_hook(&KeyRecorder::hook, &keys);
    struct Restore {
      std::pair<random::detail::KeyHook, void*> hook;
      std::pair<uint32_t, uint32_t> words;
      ~Restore() {
        random::detail::set_key_hook(hook.first, hook.second);
        random::detail::set_global_key_words(words);
      }
    } restore{old, words};
    outs = fun(stand_ins);
  }
  g.num_keys = keys.keys.size();
  std::vector<array> sources = stand_ins;
  sources.insert(sources.end(), keys.keys.begin(), keys.keys.end());
  GraphWalk walk(sources, outs, /*through_stop_gradient=*/true);

  detail::IdMap<int32_t> number(2 * walk.tape().size() + sources.size() + 16);
  bool fresh;
  for (size_t i = 0; i < sources.size(); ++i) {
    number.get(sources[i].id(), fresh) = static_cast<int32_t>(i);
  }
  // Values that do not depend on the inputs: constants, numbered after the
  // keys once all are known (steps refer to them by -1 - index meanwhile).
  auto value_of = [&](const array& a) -> int32_t {
    int32_t& v = number.get(a.id(), fresh);
    if (fresh) {
      v = -1 - static_cast<int32_t>(g.constants.size());
      g.constants.push_back(a);
    }
    return v;
  };
  // Common subexpressions: steps by primitive type and inputs.
  std::unordered_multimap<std::string, size_t> seen;
  int32_t next_value = 0;  // step outputs, numbered from 0 until renumbered
  std::vector<array> node_outs;
  for (const array& a : walk.tape()) {
    Impl::Step s;
    s.prim = a.primitive_ptr();
    for (auto& in : a.inputs()) s.inputs.push_back(value_of(in));
    node_outputs(a, node_outs);
    for (auto& o : node_outs) {
      s.shapes.push_back(o.shape());
      s.dtypes.push_back(o.dtype());
    }
    std::string key = typeid(*s.prim).name();
    for (int32_t v : s.inputs) key += ',' + std::to_string(v);
    int32_t first = -1;
    auto [lo, hi] = seen.equal_range(key);
    for (auto it = lo; it != hi; ++it) {
      const auto& t = g.steps[it->second];
      if (t.shapes == s.shapes && t.dtypes == s.dtypes && equivalent(*t.prim, *s.prim)) {
        first = t.first;
        break;
      }
    }
    if (first < 0) {
      first = s.first = next_value;
      next_value += static_cast<int32_t>(node_outs.size());
      s.rule = rule_of(*s.prim);
      if (!a.inputs().empty()) s.traced_in = a.inputs()[0].shape();
      seen.emplace(key, g.steps.size());
      g.steps.push_back(std::move(s));
    }
    // Step outputs are coded from 1 << 30 until the constants are counted.
    for (size_t k = 0; k < node_outs.size(); ++k) {
      number.get(node_outs[k].id(), fresh) = (1 << 30) + first + static_cast<int32_t>(k);
    }
  }
  for (auto& o : outs) g.outputs.push_back(value_of(o));
  // Final numbering: inputs, keys, constants, step outputs.
  int32_t base = g.const_base();
  int32_t step_base = base + static_cast<int32_t>(g.constants.size());
  auto renumber = [&](int32_t v) {
    if (v >= (1 << 30)) return step_base + (v - (1 << 30));
    if (v < 0) return base + (-1 - v);
    return v;
  };
  for (auto& s : g.steps) {
    for (auto& v : s.inputs) v = renumber(v);
    s.first += step_base;
  }
  for (auto& v : g.outputs) v = renumber(v);
  g.num_values = static_cast<size_t>(step_base + next_value);
  // Constants are computed once, now (not the tracers of an enclosing
  // transform: they stay as they are).
  std::vector<array> todo;
  for (auto& c : g.constants) {
    if (!c.desc()->tracer && c.status() == array::Status::unscheduled) todo.push_back(c);
  }
  if (!todo.empty()) eval(std::move(todo));
  if (shapeless) g.check_polymorphic();
  g.fuse();
}

CompiledGraph::CompiledGraph() : impl_(std::make_unique<Impl>()) {}
CompiledGraph::~CompiledGraph() = default;

const std::vector<Shape>& CompiledGraph::input_shapes() const {
  return impl_->in_shapes;
}
const std::vector<Dtype>& CompiledGraph::input_dtypes() const {
  return impl_->in_dtypes;
}

void CompiledGraph::save(io::detail::ByteWriter& w) const {
  const Impl& g = *impl_;
  w.u32(static_cast<uint32_t>(g.in_shapes.size()));
  for (size_t i = 0; i < g.in_shapes.size(); ++i) {
    w.dtype(g.in_dtypes[i]);
    w.shape(g.in_shapes[i]);
  }
  w.u32(static_cast<uint32_t>(g.num_keys));
  w.u32(static_cast<uint32_t>(g.constants.size()));
  std::vector<char> tmp;
  for (array c : g.constants) {
    if (c.desc()->tracer) {
      throw std::invalid_argument(
          "[export_function] the function reads a value traced by an enclosing transform");
    }
    w.dtype(c.dtype());
    w.shape(c.shape());
    const void* bytes = io::detail::row_major_bytes(c, &tmp);
    if (c.nbytes() > 0) w.raw(bytes, c.nbytes());
  }
  w.u32(static_cast<uint32_t>(g.steps.size()));
  for (const auto& s : g.steps) {
    io::detail::save_primitive(w, *s.prim);
    w.u32(static_cast<uint32_t>(s.inputs.size()));
    for (int32_t v : s.inputs) w.i32(v);
    w.u32(static_cast<uint32_t>(s.shapes.size()));
    for (size_t k = 0; k < s.shapes.size(); ++k) {
      w.dtype(s.dtypes[k]);
      w.shape(s.shapes[k]);
    }
  }
  w.u32(static_cast<uint32_t>(g.outputs.size()));
  for (int32_t v : g.outputs) w.i32(v);
  w.u8(g.polymorphic);
}

std::shared_ptr<CompiledGraph> CompiledGraph::load(io::detail::ByteReader& r) {
  std::shared_ptr<CompiledGraph> out(new CompiledGraph());
  Impl& g = *out->impl_;
  std::vector<Shape> shape_of;
  auto checked = [&](const Shape& s, Dtype t) {
    try {
      checked_shape_size(s, t, "import_function");
    } catch (const std::invalid_argument& e) {
      r.fail(e.what());
    }
  };
  uint32_t n_in = r.count(5);
  for (uint32_t i = 0; i < n_in; ++i) {
    g.in_dtypes.push_back(r.dtype());
    g.in_shapes.push_back(r.shape());
    checked(g.in_shapes.back(), g.in_dtypes.back());
    shape_of.push_back(g.in_shapes.back());
  }
  g.num_keys = r.u32();
  if (g.num_keys > (1u << 20)) r.fail(std::to_string(g.num_keys) + " random keys");
  for (size_t i = 0; i < g.num_keys; ++i) shape_of.push_back(Shape{2});
  uint32_t n_const = r.count(5);
  for (uint32_t i = 0; i < n_const; ++i) {
    Dtype t = r.dtype();
    Shape s = r.shape();
    auto mem = io::memory_reader(r.here(), r.left(), r.label());
    try {
      g.constants.push_back(io::detail::read_array(*mem, s, t, false, false, "import_function"));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(e.what()) + " (a constant)");
    }
    r.skip(mem->tell());
    shape_of.push_back(s);
  }
  uint32_t n_steps = r.count(14);
  int32_t next = static_cast<int32_t>(shape_of.size());
  for (uint32_t i = 0; i < n_steps; ++i) {
    Impl::Step s;
    s.prim = io::detail::load_primitive(r);
    uint32_t n = r.count(4);
    for (uint32_t k = 0; k < n; ++k) {
      int32_t v = r.i32();
      if (v < 0 || v >= next) {
        r.fail("step " + std::to_string(i) + " reads value " + std::to_string(v) + " of " +
               std::to_string(next) + " defined");
      }
      s.inputs.push_back(v);
    }
    uint32_t n_out = r.count(5);
    if (n_out == 0 || n_out > 64) r.fail("step " + std::to_string(i) + " has no outputs");
    for (uint32_t k = 0; k < n_out; ++k) {
      s.dtypes.push_back(r.dtype());
      s.shapes.push_back(r.shape());
      checked(s.shapes.back(), s.dtypes.back());
      shape_of.push_back(s.shapes.back());
    }
    s.first = next;
    next += static_cast<int32_t>(n_out);
    s.rule = rule_of(*s.prim);
    if (!s.inputs.empty()) s.traced_in = shape_of[s.inputs[0]];
    // What the shape rules read must be there (a shapeless replay applies them).
    size_t need = s.rule == ShapeRule::none ? 0 : s.rule == ShapeRule::matmul ? 2 : 1;
    if (s.inputs.size() < need || (need && n_out != 1)) {
      r.fail("step " + std::to_string(i) + " (" + s.prim->name() + ") has " +
             std::to_string(s.inputs.size()) + " inputs and " + std::to_string(n_out) + " outputs");
    }
    int rank = s.inputs.empty() ? 0 : static_cast<int>(shape_of[s.inputs[0]].size());
    auto axes_ok = [&](const std::vector<int>& axes) {
      for (int a : axes) {
        if (a < 0 || a >= rank)
          r.fail("step " + std::to_string(i) + " has axis " + std::to_string(a) + " for rank " +
                 std::to_string(rank));
      }
    };
    if (s.rule == ShapeRule::reduce) {
      if (typeid(*s.prim) == typeid(Reduce)) {
        axes_ok(static_cast<const Reduce&>(*s.prim).axes());
      } else {
        axes_ok({static_cast<const ArgReduce&>(*s.prim).axis()});
      }
    } else if (s.rule == ShapeRule::transpose) {
      axes_ok(static_cast<const Transpose&>(*s.prim).axes());
    }
    g.steps.push_back(std::move(s));
  }
  g.num_values = static_cast<size_t>(next);
  uint32_t n_out = r.count(4);
  for (uint32_t k = 0; k < n_out; ++k) {
    int32_t v = r.i32();
    if (v < 0 || v >= next)
      r.fail("output " + std::to_string(k) + " is value " + std::to_string(v));
    g.outputs.push_back(v);
  }
  if (r.boolean()) {
    g.check_polymorphic();
    if (!g.polymorphic) r.fail("the shapeless graph has steps without shape rules");
  }
  g.fuse();
  return out;
}

bool CompiledGraph::shape_polymorphic() const {
  return impl_->polymorphic;
}
size_t CompiledGraph::num_nodes() const {
  return impl_->steps.size();
}
size_t CompiledGraph::num_fused_nodes() const {
  return impl_->fused.empty() ? impl_->steps.size() : impl_->fused.size();
}
size_t CompiledGraph::num_constants() const {
  return impl_->constants.size();
}

std::vector<array> CompiledGraph::replay(const std::vector<array>& inputs) const {
  const Impl& g = *impl_;
  if (inputs.size() != g.in_shapes.size()) {
    fail("the compiled function was traced with " + std::to_string(g.in_shapes.size()) +
         " input arrays; got " + std::to_string(inputs.size()));
  }
  bool same = true;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype() != g.in_dtypes[i]) {
      fail("input " + std::to_string(i) + " has dtype " + dtype_name(inputs[i].dtype()) +
           "; the graph was traced for " + dtype_name(g.in_dtypes[i]));
    }
    if (inputs[i].shape() == g.in_shapes[i]) continue;
    same = false;
    if (!g.polymorphic || inputs[i].ndim() != static_cast<int>(g.in_shapes[i].size())) {
      fail("input " + std::to_string(i) + " has shape " + shape_str(inputs[i].shape()) +
           "; the graph was traced for " + shape_str(g.in_shapes[i]));
    }
  }
  std::vector<array> vals(g.num_values, array(std::shared_ptr<ArrayDesc>()));
  for (size_t i = 0; i < inputs.size(); ++i) vals[i] = inputs[i];
  for (size_t i = 0; i < g.num_keys; ++i) vals[g.key_base() + i] = random::detail::next_subkey();
  for (size_t i = 0; i < g.constants.size(); ++i) vals[g.const_base() + i] = g.constants[i];
  // Shapeless replays: a deferred Broadcast's value is its source, and the
  // step that reads it broadcasts it to its own output shape.
  std::vector<const Impl::Step*> deferred_by(same ? 0 : g.num_values, nullptr);
  std::vector<Shape> ins_shapes, out_shapes;
  // Inside a transform the steps stay unfused: the transform's own rules
  // see the ops, and an enclosing compile fuses its whole graph.
  bool fused = same && !g.fused.empty() && detail::tracing_depth() == 0;
  for (const auto& s : fused ? g.fused : g.steps) {
    auto ins = take_input_vector();
    for (int32_t v : s.inputs) ins.push_back(vals[v]);
    if (same) {
      if (s.shapes.size() == 1) {
        vals[s.first] = array(s.shapes[0], s.dtypes[0], s.prim, std::move(ins));
      } else {
        auto outs = array::make_arrays(s.shapes, s.dtypes, s.prim, std::move(ins));
        for (size_t k = 0; k < outs.size(); ++k) {
          vals[s.outs.empty() ? s.first + static_cast<int32_t>(k) : s.outs[k]] = std::move(outs[k]);
        }
      }
      continue;
    }
    if (s.rule == ShapeRule::deferred) {
      vals[s.first] = ins[0];
      deferred_by[s.first] = &s;
      give_input_vector(std::move(ins));
      continue;
    }
    ins_shapes.clear();
    for (auto& x : ins) ins_shapes.push_back(x.shape());
    if (!Impl::infer(s, ins_shapes, out_shapes)) {
      fail(std::string("no shapeless replay of ") + s.prim->name() + " for input shape " +
           shape_str(ins_shapes[0]));
    }
    if (s.rule == ShapeRule::broadcast) {
      for (size_t k = 0; k < ins.size(); ++k) {
        if (ins[k].shape() == out_shapes[0]) continue;
        const auto* d = deferred_by[s.inputs[k]];
        if (!d && ins[k].size() == 1) continue;  // read as a scalar by the kernels
        ins[k] = broadcast_to(ins[k], out_shapes[0], d ? d->prim->stream() : s.prim->stream());
      }
    }
    if (out_shapes.size() == 1) {
      vals[s.first] = array(out_shapes[0], s.dtypes[0], s.prim, std::move(ins));
    } else {
      auto outs = array::make_arrays(out_shapes, s.dtypes, s.prim, std::move(ins));
      for (size_t k = 0; k < outs.size(); ++k) vals[s.first + k] = std::move(outs[k]);
    }
  }
  std::vector<array> out;
  out.reserve(g.outputs.size());
  for (int32_t v : g.outputs) out.push_back(vals[v]);
  return out;
}

// ---- compile ----

void disable_compile() {
  enabled_flag().store(false);
}
void enable_compile() {
  enabled_flag().store(true);
}
bool compile_enabled() {
  return enabled_flag().load();
}

ArrayFn compile(ArrayFn fun, bool shapeless) {
  struct Cache {
    std::mutex m;
    std::map<std::string, std::shared_ptr<CompiledGraph>> graphs;
  };
  auto cache = std::make_shared<Cache>();
  return [fun = std::move(fun), shapeless, cache](const std::vector<array>& xs) {
    if (!compile_enabled()) return fun(xs);
    // Signature: dtypes and shapes; with shapeless also dtypes and ranks.
    std::string exact, ranks = "r";
    for (auto& x : xs) {
      exact += std::to_string(x.dtype().index()) + ':' + shape_str(x.shape()) + ';';
      ranks += std::to_string(x.dtype().index()) + ':' + std::to_string(x.ndim()) + ';';
    }
    std::shared_ptr<CompiledGraph> graph;
    {
      std::lock_guard lock(cache->m);
      auto it = cache->graphs.find(exact);
      if (it == cache->graphs.end() && shapeless) it = cache->graphs.find(ranks);
      if (it != cache->graphs.end()) graph = it->second;
    }
    if (!graph) {
      graph = std::make_shared<CompiledGraph>(fun, xs, shapeless);
      std::lock_guard lock(cache->m);
      cache->graphs[exact] = graph;
      if (graph->shape_polymorphic()) cache->graphs[ranks] = graph;
    }
    return graph->replay(xs);
  };
}

}  // namespace tandem
