// GPU kernel of the Fused primitive: one kernel generated per program, whose
// thread i evaluates the program at element i with the functors of the
// unfused Unary and Binary kernels (device/unary.cuh, binary.cuh), so the
// results are theirs bit for bit (device/fused.cuh: keep()).
#include "tandem/backend/cuda/fused.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "tandem/backend/cuda/creation.h"
#include "tandem/backend/cuda/elementwise.h"
#include "tandem/backend/cuda/encoder.h"
#include "tandem/backend/cuda/jit.h"
#include "tandem/layout.h"
#include "tandem/primitives/binary.h"
#include "tandem/primitives/fused.h"
#include "tandem/primitives/unary.h"

namespace tandem {

namespace gpu {
namespace {

[[noreturn]] void invalid(const std::string& msg) {
  throw std::invalid_argument("[Fused] " + msg);
}

// Values whose bits the compiler could fuse into the next op's arithmetic
// (see keep() in device/fused.cuh).
bool needs_keep(Dtype t) {
  return t == float32 || t == float64 || t == complex64;
}

}  // namespace

int collapse_for_read(const array& in, int64_t* shape, int64_t* stride) {
  int nd = 0;
  for (int d = in.ndim() - 1; d >= 0; --d) {
    int64_t n = in.shape(d), st = in.strides()[d];
    if (n == 1) continue;
    if (nd > 0 && st == stride[nd - 1] * shape[nd - 1]) {
      shape[nd - 1] *= n;  // continues the dim inside it (both broadcast, or contiguous)
      continue;
    }
    if (nd == k::kFusedStridedDims) return 0;
    shape[nd] = n;
    stride[nd] = st;
    ++nd;
  }
  if (nd == 0) {  // one element
    shape[0] = 1;
    stride[0] = 0;
    nd = 1;
  }
  return nd;
}

bool fused_multi_element(const FusedProgram& p) {
  return p.instrs.size() <= 16;
}

std::string fused_source(const FusedProgram& p, const std::vector<Dtype>& input_dtypes,
                         const std::vector<Dtype>& output_dtypes, bool wide,
                         const std::vector<int>& strided_dims) {
  const int ni = p.num_inputs;
  if (!strided_dims.empty()) {
    int slots = 0;
    for (int d : strided_dims) {
      if (d < 0 || d > k::kFusedStridedDims) invalid("bad strided dim count");
      slots += d > 0;
    }
    if (strided_dims.size() != size_t(ni) || slots > k::kFusedMaxStrided) {
      invalid("strided_dims does not fit the program's inputs");
    }
  }
  if (ni < 0 || ni > kFusedMaxInputs || size_t(ni) != input_dtypes.size()) {
    invalid("a program of " + std::to_string(ni) + " inputs given " +
            std::to_string(input_dtypes.size()) + " (at most " + std::to_string(kFusedMaxInputs) +
            ")");
  }
  if (!p.scalar_inputs.empty() && p.scalar_inputs.size() != size_t(ni)) {
    invalid("scalar_inputs has " + std::to_string(p.scalar_inputs.size()) + " flags for " +
            std::to_string(ni) + " inputs");
  }
  if (p.outputs.empty() || p.outputs.size() > size_t(kFusedMaxOutputs)) {
    invalid(std::to_string(p.outputs.size()) + " outputs (1 to " +
            std::to_string(kFusedMaxOutputs) + ")");
  }
  const int nv = ni + static_cast<int>(p.instrs.size());
  std::vector<Dtype> dt(input_dtypes);
  // Reads of each value by instructions: only values read need keep(), only
  // inputs read are loaded.
  std::vector<int> reads(nv, 0);
  for (size_t k = 0; k < p.instrs.size(); ++k) {
    const auto& ins = p.instrs[k];
    const int self = ni + static_cast<int>(k);
    auto operand = [&](int32_t v, const char* which) {
      if (v < 0 || v >= self) {
        invalid("instruction " + std::to_string(k) + " reads value " + std::to_string(v) + " as " +
                which + " before it is defined");
      }
      if (dt[v] != ins.in) {
        invalid("instruction " + std::to_string(k) + " reads value " + std::to_string(v) + " (" +
                dtype_name(dt[v]) + ") as " + dtype_name(ins.in));
      }
      ++reads[v];
    };
    operand(ins.a, "a");
    if (ins.binary) {
      operand(ins.b, "b");
      if (ins.op > static_cast<int>(BinaryOp::NaNEqual)) invalid("bad binary op");
      Dtype want = is_comparison(ins.binary_op()) ? bool_ : ins.in;
      if (ins.out != want) {
        invalid(std::string(binary_op_name(ins.binary_op())) + " of " + dtype_name(ins.in) +
                " gives " + dtype_name(want) + ", not " + dtype_name(ins.out));
      }
    } else if (ins.op > static_cast<int>(UnaryOp::BitwiseInvert)) {
      invalid("bad unary op");
    }
    dt.push_back(ins.out);
  }
  if (!output_dtypes.empty() && output_dtypes.size() != p.outputs.size()) {
    invalid(std::to_string(output_dtypes.size()) + " output dtypes for " +
            std::to_string(p.outputs.size()) + " outputs");
  }
  std::vector<bool> is_output(nv, false);
  for (size_t j = 0; j < p.outputs.size(); ++j) {
    int32_t v = p.outputs[j];
    if (v < 0 || v >= nv || is_output[v]) invalid("bad or repeated output value");
    if (!output_dtypes.empty() && output_dtypes[j] != dt[v]) {
      invalid("output " + std::to_string(j) + " is " + dtype_name(output_dtypes[j]) +
              ", its value " + dtype_name(dt[v]));
    }
    is_output[v] = true;
  }
  auto scalar = [&](int k) { return !p.scalar_inputs.empty() && p.scalar_inputs[k]; };
  auto var = [](int v) { return std::string(1, 'v') += std::to_string(v); };
  auto sdims = [&](int k) { return strided_dims.empty() ? 0 : strided_dims[k]; };

  std::string s;
  s.reserve(512 + 96 * p.instrs.size());
  s += "#include \"fused.cuh\"\n"
       "namespace tandem_fused {\n"
       "using namespace tandem;\n"
       "__global__ void kernel(FusedArgs p) {\n";
  s += wide ? "  typedef uint64_t Idx;\n" : "  typedef uint32_t Idx;\n";
  s += "  const uint32_t z = p.zero;\n";
  for (int k = 0; k < ni; ++k) {
    if (!reads[k] && !is_output[k]) continue;
    std::string t = device_type(dt[k]),
                ptr = "static_cast<const " + t + "*>(p.in[" + std::to_string(k) + "])";
    if (scalar(k)) {
      s += "  const " + t + " " + var(k) + " = " + ptr + "[0];\n";
    } else {
      s += "  const " + t + "* __restrict__ in" + std::to_string(k) + " = " + ptr + ";\n";
    }
  }
  // A strided input's element i: its offset from i's coordinates over the
  // collapsed dims (innermost first; the outermost needs no modulo).
  auto read = [&](int k) {
    std::string ks = std::to_string(k);
    if (!sdims(k)) return "in" + ks + "[i]";
    int slot = 0;
    for (int j = 0; j < k; ++j) slot += sdims(j) > 0;
    std::string r = "in" + ks + "[strided_offset<" + std::to_string(sdims(k)) + ">(i, p.sshape[" +
                    std::to_string(slot) + "], p.sstride[" + std::to_string(slot) + "])]";
    return r;
  };
  for (size_t j = 0; j < p.outputs.size(); ++j) {
    std::string t = device_type(dt[p.outputs[j]]);
    s += "  " + t + "* __restrict__ out" + std::to_string(j) + " = static_cast<" + t + "*>(p.out[" +
         std::to_string(j) + "]);\n";
  }
  // Short programs run dense_loop (several elements a thread, loads first);
  // long ones are compute-bound and would only grow 4x in code and compile
  // time: one element a thread.
  const bool multi = fused_multi_element(p);
  std::string body;  // computes element i from the v<k> of the inputs
  for (size_t k = 0; k < p.instrs.size(); ++k) {
    const auto& ins = p.instrs[k];
    int self = ni + static_cast<int>(k);
    std::string fn = ins.binary
                         ? "BinaryFn<" + std::to_string(ins.op) + ", " + device_type(ins.in) +
                               ">()(" + var(ins.a) + ", " + var(ins.b) + ")"
                         : "UnaryFn<" + std::to_string(ins.op) + ", " + device_type(ins.in) + ", " +
                               device_type(ins.out) + ">()(" + var(ins.a) + ")";
    if (reads[self] && needs_keep(ins.out)) fn = "keep(" + fn + ", z)";
    body += "    const " + std::string(device_type(ins.out)) + " " + var(self) + " = " + fn + ";\n";
  }
  for (size_t j = 0; j < p.outputs.size(); ++j) {
    body += "    out" + std::to_string(j) + "[i] = " + var(p.outputs[j]) + ";\n";
  }
  auto loaded = [&](int k) { return (reads[k] || is_output[k]) && !scalar(k); };
  if (multi) {
    std::string loads, unpack;
    for (int k = 0; k < ni; ++k) {
      if (!loaded(k)) continue;
      std::string t = device_type(dt[k]), ks = std::to_string(k);
      s += "  " + t + " r" + ks + "[kDensePerThread];\n";
      loads += "    r" + ks + "[u] = " + read(k) + ";\n";
      unpack += "    const " + t + " " + var(k) + " = r" + ks + "[u];\n";
    }
    s += "  dense_loop(static_cast<Idx>(p.n), [&](int u, Idx i) {\n" + loads +
         "  }, [&](int u, Idx i) {\n" + unpack + body + "  });\n";
  } else {
    s += "  const Idx n = static_cast<Idx>(p.n), step = Idx(gridDim.x) * blockDim.x;\n"
         "  for (Idx i = Idx(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {\n";
    for (int k = 0; k < ni; ++k) {
      if (loaded(k)) {
        s +=
            "    const " + std::string(device_type(dt[k])) + " " + var(k) + " = " + read(k) + ";\n";
      }
    }
    s += body + "  }\n";
  }
  s += "}\n}  // namespace tandem_fused\n";
  return s;
}

namespace {

std::atomic<int> g_mode{-1};  // a FusedCompile; -1: not read from the environment yet
std::atomic<uint64_t> g_unfused_runs{0};

// The program's ops one at a time with the unfused kernels, on the Fused
// node's stream, while its own kernel compiles. An intermediate value is
// let go before its last reader runs, so that reader may take its buffer
// as the unfused chain would; inputs and outputs are held elsewhere and
// never donated. False (nothing launched) for a program this cannot run:
// an output that is one of the inputs.
bool run_unfused(Stream s, const FusedProgram& p, const std::vector<array>& inputs,
                 std::vector<array>& outputs) {
  const int ni = p.num_inputs;
  const size_t nv = static_cast<size_t>(ni) + p.instrs.size();
  std::vector<int> output_of(nv, -1);
  for (size_t j = 0; j < p.outputs.size(); ++j) {
    if (p.outputs[j] < ni) return false;
    output_of[p.outputs[j]] = static_cast<int>(j);
  }
  const std::vector<int32_t> last = p.last_reads();
  const Shape& shape = outputs[0].shape();
  std::vector<array> vals;
  vals.reserve(nv);
  for (auto& in : inputs) vals.push_back(in);
  std::vector<array> ins, outs;
  for (size_t k = 0; k < p.instrs.size(); ++k) {
    const FusedInstr& instr = p.instrs[k];
    size_t self = static_cast<size_t>(ni) + k;
    auto operand = [&](int32_t v) {
      bool intermediate = v >= ni && output_of[v] < 0 && last[v] == static_cast<int32_t>(k) &&
                          !(instr.binary && instr.a == instr.b);
      ins.push_back(intermediate ? std::move(vals[v]) : vals[v]);
    };
    ins.clear();
    operand(instr.a);
    if (instr.binary) operand(instr.b);
    outs.clear();
    outs.push_back(output_of[self] >= 0 ? outputs[output_of[self]]
                                        : array(make_desc(Shape(shape), instr.out)));
    if (instr.binary) {
      Binary(s, instr.binary_op()).eval_gpu(ins, outs);
    } else {
      Unary(s, static_cast<UnaryOp>(instr.op)).eval_gpu(ins, outs);
    }
    vals.push_back(std::move(outs[0]));
  }
  g_unfused_runs.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace

FusedCompile fused_compile_mode() {
  int v = g_mode.load(std::memory_order_relaxed);
  if (v < 0) {
    const char* e = std::getenv("TANDEM_JIT_ASYNC");
    v = static_cast<int>(e && std::string(e) == "0" ? FusedCompile::on_eval_thread
                                                    : FusedCompile::in_background);
    g_mode.store(v, std::memory_order_relaxed);
  }
  return static_cast<FusedCompile>(v);
}

void set_fused_compile_mode(FusedCompile mode) {
  g_mode.store(static_cast<int>(mode), std::memory_order_relaxed);
}

uint64_t fused_unfused_runs() {
  return g_unfused_runs.load(std::memory_order_relaxed);
}

void wait_fused_compiles() {
  SourceKernelCache::wait_background();
}

}  // namespace gpu

void Fused::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  static gpu::SourceKernelCache cache;
  auto& enc = gpu::encoder(stream());
  const FusedProgram& p = program_;
  // Checked before the fixed-size argument arrays are filled (fused_source
  // checks the rest when it first compiles the program).
  if (inputs.size() != size_t(p.num_inputs) || outputs.size() != p.outputs.size() ||
      inputs.size() > size_t(gpu::kFusedMaxInputs) || outputs.empty() ||
      outputs.size() > size_t(gpu::kFusedMaxOutputs)) {
    gpu::invalid("a program of " + std::to_string(p.num_inputs) + " inputs and " +
                 std::to_string(p.outputs.size()) + " outputs given " +
                 std::to_string(inputs.size()) + " and " + std::to_string(outputs.size()) +
                 " (at most " + std::to_string(gpu::kFusedMaxInputs) + " and " +
                 std::to_string(gpu::kFusedMaxOutputs) + ")");
  }
  size_t n = outputs[0].size();
  for (auto& out : outputs) {
    if (out.size() != n) gpu::invalid("outputs of different sizes");
  }
  if (n == 0) {
    for (auto& out : outputs) enc.out(out);
    enc.mark_used();
    return;
  }
  bool wide = n > (size_t(1) << 31);
  // The signature names the program; the key adds what the kernel also
  // depends on.
  std::string key = signature();
  key += wide ? "|wide|" : "|narrow|";
  std::vector<Dtype> in_dtypes, out_dtypes;
  std::vector<bool> relayout;
  for (auto& out : outputs) {
    out_dtypes.push_back(out.dtype());
    key += std::to_string(out.dtype().index());
    key += ',';
  }
  key += '|';
  // Inputs not read at [i] are read through their strides when they
  // collapse to few dims (a broadcast bias or row statistic: no copy), else
  // copied row-major first.
  std::vector<int> sdims(inputs.size(), 0);
  gpu::FusedArgs args{};
  int slots = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const array& in = inputs[k];
    // The kernel reads a scalar at [0] and any other input at [i].
    bool in_place = reads_in_place(k, in, outputs[0]);
    if (!in_place && slots < k::kFusedMaxStrided && in.shape() == outputs[0].shape()) {
      int nd = gpu::collapse_for_read(in, args.sshape[slots], args.sstride[slots]);
      if (nd > 0) {
        sdims[k] = nd;
        ++slots;
        in_place = true;
      }
    }
    relayout.push_back(!in_place);
    in_dtypes.push_back(in.dtype());
    key += std::to_string(in.dtype().index());
    if (sdims[k]) (key += 's') += std::to_string(sdims[k]);
    key += ',';
  }
  auto make = [&] {
    return gpu::SourceKernelCache::Program{
        gpu::fused_source(p, in_dtypes, out_dtypes, wide, sdims), {gpu::kFusedKernel}, "Fused"};
  };
  const std::vector<const void*>* found = nullptr;
  auto mode = gpu::fused_compile_mode();
  if (mode == gpu::FusedCompile::never) {
    gpu::fused_source(p, in_dtypes, out_dtypes, wide, sdims);  // checks the program
    if (gpu::run_unfused(stream(), p, inputs, outputs)) return;
  } else if (mode == gpu::FusedCompile::in_background) {
    // A program gets here unchecked only once fused_source has checked it
    // (the first find ran make).
    found = cache.find(key, make);
    if (!found && gpu::run_unfused(stream(), p, inputs, outputs)) return;
  }
  const auto& ks = found ? *found : cache.get(key, make);
  for (size_t j = 0; j < outputs.size(); ++j) args.out[j] = enc.out(outputs[j]);
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!relayout[k]) {
      args.in[k] = enc.in(inputs[k]);
      continue;
    }
    void* dst = enc.scratch(std::max<size_t>(1, inputs[k].size()) * inputs[k].itemsize());
    gpu::copy_row_major(enc, inputs[k], dst, inputs[k].dtype());
    args.in[k] = dst;
  }
  args.n = n;
  args.zero = 0;
  unsigned threads = 256;
  unsigned blocks =
      gpu::fused_multi_element(p) ? gpu::dense_blocks(n, threads) : gpu::blocks_for(n, threads);
  enc.launch(ks[0], blocks, threads, 0, args);
}

}  // namespace tandem
