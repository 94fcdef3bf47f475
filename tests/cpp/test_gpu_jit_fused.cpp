// The Fused primitive's CUDA kernel (backend/cuda/fused.cpp). Without a GPU:
// the generated programs (long chains, mixed DAGs over every kind of dtype,
// scalar inputs, several outputs) compile with NVRTC, in reasonable time,
// and invalid programs are refused. With a GPU: a Fused node built by hand
// gives exactly the bits of the same ops run one node at a time.
#ifdef TANDEM_WITH_CUDA

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tandem/backend/cuda/fused.h"
#include "tandem/backend/cuda/jit.h"
#include "tandem/primitives/binary.h"
#include "tandem/primitives/fused.h"
#include "tandem/primitives/unary.h"
#include "test_utils.h"

using namespace tandem;

namespace {

// The dtype ops give a Unary node (ops/unary.cpp).
Dtype unary_out(UnaryOp op, Dtype in) {
  if (is_predicate(op)) return bool_;
  if (in == complex64 && (op == UnaryOp::Abs || op == UnaryOp::Real || op == UnaryOp::Imag)) {
    return float32;
  }
  return in;
}

// A FusedProgram built one instruction at a time, with its inputs' dtypes.
struct Builder {
  FusedProgram p;
  std::vector<Dtype> dt;  // every value's dtype

  Builder(std::vector<Dtype> inputs, std::vector<bool> scalar) : dt(std::move(inputs)) {
    p.num_inputs = static_cast<int>(dt.size());
    p.scalar_inputs = std::move(scalar);
  }
  int unary(UnaryOp op, int a) { return unary(op, a, unary_out(op, dt[a])); }
  int unary(UnaryOp op, int a, Dtype out) {
    p.instrs.push_back({false, uint8_t(op), dt[a], out, a, -1});
    dt.push_back(out);
    return static_cast<int>(dt.size()) - 1;
  }
  int binary(BinaryOp op, int a, int b) {
    Dtype out = is_comparison(op) ? bool_ : dt[a];
    p.instrs.push_back({true, uint8_t(op), dt[a], out, a, b});
    dt.push_back(out);
    return static_cast<int>(dt.size()) - 1;
  }
  void output(int v) { p.outputs.push_back(v); }
  std::vector<Dtype> input_dtypes() const { return {dt.begin(), dt.begin() + p.num_inputs}; }
  std::vector<Dtype> output_dtypes() const {
    std::vector<Dtype> out;
    for (int v : p.outputs) out.push_back(dt[v]);
    return out;
  }
};

// y = y + one, n times (one a broadcast scalar).
Builder add_chain(Dtype t, int n) {
  Builder b({t, t}, {false, true});
  int y = 0;
  for (int i = 0; i < n; ++i) y = b.binary(BinaryOp::Add, y, 1);
  b.output(y);
  return b;
}

// A random DAG of `len` instructions over inputs of the given dtypes (some
// broadcast scalars), with up to four outputs: operands mostly recent
// values, binary operands of one dtype, every op of both kinds.
Builder random_program(const std::vector<Dtype>& inputs, int len, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<bool> scalar;
  for (size_t k = 0; k < inputs.size(); ++k) scalar.push_back(k > 0 && rng() % 3 == 0);
  Builder b(inputs, scalar);
  auto pick = [&] {
    int nv = static_cast<int>(b.dt.size());
    // Half the time one of the last four values, so that chains grow deep.
    return rng() % 2 ? nv - 1 - int(rng() % std::min(nv, 4)) : int(rng() % nv);
  };
  for (int i = 0; i < len; ++i) {
    int a = pick();
    if (rng() % 2) {
      auto op = static_cast<UnaryOp>(rng() % (int(UnaryOp::BitwiseInvert) + 1));
      b.unary(op, a);
    } else {
      std::vector<int> same;
      for (int v = 0; v < int(b.dt.size()); ++v) {
        if (b.dt[v] == b.dt[a]) same.push_back(v);
      }
      // Any value of a's dtype (a itself included).
      int other = same[rng() % same.size()];
      auto op = static_cast<BinaryOp>(rng() % (int(BinaryOp::NaNEqual) + 1));
      b.binary(op, a, other);
    }
  }
  int nv = static_cast<int>(b.dt.size());
  b.output(nv - 1);
  for (int k = 0; k < 3; ++k) {
    int v = b.p.num_inputs + int(rng() % (nv - b.p.num_inputs));
    bool seen = false;
    for (int o : b.p.outputs) seen |= o == v;
    if (!seen) b.output(v);
  }
  return b;
}

// Compiles b's kernel for sm_90 (no GPU needed), its inputs read through
// strides as strided_dims says; returns the seconds taken.
double expect_compiles(const Builder& b, bool wide = false,
                       const std::vector<int>& strided_dims = {}) {
  auto t0 = std::chrono::steady_clock::now();
  std::string src = gpu::fused_source(b.p, b.input_dtypes(), b.output_dtypes(), wide, strided_dims);
  std::string err;
  try {
    if (gpu::jit_compile_source(src, {gpu::kFusedKernel}, "sm_90", "Fused").empty()) {
      err = "empty cubin";
    }
  } catch (const std::exception& e) {
    err = e.what();
  }
  EXPECT_EQ(err, "") << "source:\n" << src;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(JitFused, AddChainOf1000CompilesQuickly) {
  for (Dtype t : {float32, int32, float16}) {
    double s = expect_compiles(add_chain(t, 1000));
    std::printf("  1000 adds of %s: NVRTC %.2f s\n", dtype_name(t), s);
    // A generous bound (loaded CI machines); about a second on an idle one.
    EXPECT_LT(s, 30.0) << dtype_name(t);
  }
}

TEST(JitFused, ExpChainOf500CompilesQuickly) {
  for (Dtype t : {float32, float64, bfloat16}) {
    Builder b({t}, {false});
    int y = 0;
    for (int i = 0; i < 500; ++i) y = b.unary(UnaryOp::Exp, y);
    b.output(y);
    double s = expect_compiles(b);
    std::printf("  500 exps of %s: NVRTC %.2f s\n", dtype_name(t), s);
    EXPECT_LT(s, 60.0) << dtype_name(t);
  }
}

// A hand-written DAG: every kind of dtype, dtype-changing ops (comparisons,
// predicates, Abs/Real/Imag of complex64), scalar inputs, several outputs,
// an input read by several instructions, 64-bit indices.
Builder mixed_dag() {
  Builder b({float32, float16, bfloat16, float64, int32, bool_, complex64, float32, int32},
            {false, false, true, false, false, false, false, true, true});
  int prod = b.binary(BinaryOp::Multiply, 0, 7);  // float32 * scalar
  int sum = b.binary(BinaryOp::Add, prod, 0);     // the FMA hazard
  int sq = b.unary(UnaryOp::Square, sum);         //
  int diff = b.binary(BinaryOp::Subtract, sq, prod);
  int h = b.unary(UnaryOp::Exp, 1);                  // float16
  int h2 = b.binary(BinaryOp::Multiply, h, 1);       //
  int hlt = b.binary(BinaryOp::Less, h2, 1);         // -> bool
  int bf = b.binary(BinaryOp::Add, 2, 2);            // scalar bfloat16 + itself
  int bft = b.unary(UnaryOp::Tanh, bf);              //
  int d = b.binary(BinaryOp::LogAddExp, 3, 3);       // float64
  int dn = b.unary(UnaryOp::IsNan, d);               // -> bool
  int i = b.binary(BinaryOp::FloorDivide, 4, 8);     // int32 // scalar
  int ishift = b.binary(BinaryOp::LeftShift, i, 8);  //
  int inot = b.unary(UnaryOp::BitwiseInvert, ishift);
  int ieq = b.binary(BinaryOp::Equal, inot, 4);  // -> bool
  int both = b.binary(BinaryOp::LogicalAnd, hlt, dn);
  int any = b.binary(BinaryOp::LogicalOr, both, 5);
  int anyx = b.binary(BinaryOp::BitwiseXor, any, ieq);
  int c2 = b.binary(BinaryOp::Multiply, 6, 6);  // complex64
  int c3 = b.binary(BinaryOp::Add, c2, 6);      //
  int cex = b.unary(UnaryOp::Exp, c3);          //
  int cab = b.unary(UnaryOp::Abs, cex);         // -> float32
  int cim = b.unary(UnaryOp::Imag, c3);         // -> float32
  int f = b.binary(BinaryOp::Maximum, cab, cim);
  int f2 = b.binary(BinaryOp::Add, f, diff);
  b.output(f2);
  b.output(anyx);
  b.output(bft);
  b.output(c3);
  b.output(sum);
  return b;
}

TEST(JitFused, MixedDagCompiles) {
  expect_compiles(mixed_dag());
  expect_compiles(mixed_dag(), /*wide=*/true);
}

// Random programs touching every op over every kind of dtype.
TEST(JitFused, RandomProgramsCompile) {
  const std::vector<std::vector<Dtype>> sets = {
      {float32, float32, float64, float64}, {float16, bfloat16, float16, bfloat16},
      {int32, int32, bool_, bool_},         {complex64, complex64, float32, bool_},
      {uint8, int64, uint16, int8},         {float32, int32, complex64, bfloat16, float64, bool_}};
  for (size_t k = 0; k < sets.size(); ++k) {
    SCOPED_TRACE("set " + std::to_string(k));
    expect_compiles(random_program(sets[k], 120, 100 + unsigned(k)));
  }
}

array random_input(const Shape& shape, Dtype t);

// Inputs read through strides (broadcast, transposed): every count of
// collapsed dims, narrow and wide indices.
TEST(JitFused, StridedInputsCompile) {
  Builder b = random_program({float32, bfloat16, float32, int32}, 30, 7);
  std::vector<int> sd{1, 2, 0, 4};
  std::string src = gpu::fused_source(b.p, b.input_dtypes(), b.output_dtypes(), false, sd);
  EXPECT_NE(src.find("strided_offset<4>"), std::string::npos) << src;
  for (bool wide : {false, true}) expect_compiles(b, wide, sd);
  // More dims, or counts for the wrong number of inputs, are refused.
  EXPECT_THROW(gpu::fused_source(b.p, b.input_dtypes(), b.output_dtypes(), false, {1, 5, 0, 0}),
               std::invalid_argument);
  EXPECT_THROW(gpu::fused_source(b.p, b.input_dtypes(), b.output_dtypes(), false, {1, 1}),
               std::invalid_argument);
}

TEST(JitFused, CollapseForRead) {
  int64_t sh[k::kFusedStridedDims], st[k::kFusedStridedDims];
  StreamOrDevice c = Device::cpu;
  // A bias broadcast over rows: one broadcast dim, one contiguous.
  array bias = broadcast_to(random_input({1, 1, 8}, float32), {3, 5, 8}, c);
  bias.eval();
  ASSERT_EQ(gpu::collapse_for_read(bias, sh, st), 2);
  EXPECT_EQ(sh[0], 8);
  EXPECT_EQ(st[0], 1);
  EXPECT_EQ(sh[1], 15);
  EXPECT_EQ(st[1], 0);
  // A row statistic broadcast along the last axis.
  array mean = broadcast_to(random_input({3, 5, 1}, float32), {3, 5, 8}, c);
  mean.eval();
  ASSERT_EQ(gpu::collapse_for_read(mean, sh, st), 2);
  EXPECT_EQ(sh[0], 8);
  EXPECT_EQ(st[0], 0);
  EXPECT_EQ(sh[1], 15);
  EXPECT_EQ(st[1], 1);
  // Alternating dims past kFusedStridedDims: not read through strides.
  array alt = broadcast_to(random_input({2, 1, 2, 1, 2, 1}, float32), {2, 3, 2, 3, 2, 3}, c);
  alt.eval();
  EXPECT_EQ(gpu::collapse_for_read(alt, sh, st), 0);
  array one = broadcast_to(random_input({1}, float32), {1, 1}, c);
  one.eval();
  EXPECT_EQ(gpu::collapse_for_read(one, sh, st), 1);
}

TEST(JitFused, InvalidProgramsAreRefused) {
  auto refused = [](const Builder& b, std::vector<Dtype> ins, std::vector<Dtype> outs) {
    try {
      gpu::fused_source(b.p, ins, outs, false);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what()).rfind("[Fused]", 0) == 0;
    }
    return false;
  };
  Builder ok = add_chain(float32, 3);
  EXPECT_FALSE(refused(ok, ok.input_dtypes(), ok.output_dtypes()));
  EXPECT_TRUE(refused(ok, {float32, float64}, {}));        // operand dtype
  EXPECT_TRUE(refused(ok, {float32}, {}));                 // input count
  EXPECT_TRUE(refused(ok, ok.input_dtypes(), {float64}));  // output dtype
  Builder fwd = ok;
  fwd.p.instrs[0].b = 3;  // reads a later value
  EXPECT_TRUE(refused(fwd, fwd.input_dtypes(), {}));
  Builder cmp = ok;
  cmp.p.instrs[2].op = uint8_t(BinaryOp::Less);  // a comparison giving float32
  EXPECT_TRUE(refused(cmp, cmp.input_dtypes(), {}));
  Builder many({float32}, {false});
  for (int k = 0; k <= kMaxFusedOutputs; ++k) many.output(many.unary(UnaryOp::Exp, 0));
  EXPECT_TRUE(refused(many, many.input_dtypes(), {}));  // one output too many
  int ni = kMaxFusedInputs + 1;
  Builder wide(std::vector<Dtype>(ni, float32), std::vector<bool>(ni, false));
  wide.output(wide.binary(BinaryOp::Add, 0, ni - 1));
  EXPECT_TRUE(refused(wide, wide.input_dtypes(), {}));  // one input too many
}

// --- On the GPU --------------------------------------------------------

// a's elements in row-major order, as bytes.
std::vector<uint8_t> bytes_of(array a) {
  a.eval();
  if (!a.flags().row_contiguous || a.data_size() != a.size()) {
    a = contiguous(a, false, Device::cpu);
    a.eval();
  }
  a.sync_host();
  auto* p = a.data<uint8_t>();
  return {p, p + a.nbytes()};
}

void expect_same_bits(const array& got, const array& want, const std::string& what) {
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  ASSERT_EQ(got.shape(), want.shape()) << what;
  auto g = bytes_of(got), w = bytes_of(want);
  size_t item = got.itemsize(), bad = 0;
  std::string first;
  for (size_t i = 0; i < g.size(); i += item) {
    if (std::memcmp(&g[i], &w[i], item) == 0) continue;
    if (bad++ < 3) {
      char buf[160];
      uint64_t gb = 0, wb = 0;
      std::memcpy(&gb, &g[i], item);
      std::memcpy(&wb, &w[i], item);
      std::snprintf(buf, sizeof(buf), "\n  at %zu: fused %016llx, unfused %016llx", i / item,
                    (unsigned long long)gb, (unsigned long long)wb);
      first += buf;
    }
  }
  EXPECT_EQ(bad, 0u) << what << " (" << dtype_name(got.dtype()) << "): " << bad << " of "
                     << got.size() << " elements differ" << first;
}

// Random values of dtype t, evaluated on the CPU (complex64 with both
// parts random).
array random_input(const Shape& shape, Dtype t) {
  if (t != complex64) return test::random_array(shape, t);
  StreamOrDevice c = Device::cpu;
  array re = astype(test::random_array(shape, float32), complex64, c);
  array im = astype(test::random_array(shape, float32), complex64, c);
  array z = add(re, multiply(im, array(complex64_t(0, 1)), c), c);
  z.eval();
  return z;
}

// Inputs for b's program: random arrays of `shape` (broadcast scalars where
// the program says), evaluated on the CPU.
std::vector<array> make_inputs(const Builder& b, const Shape& shape) {
  std::vector<array> in;
  for (int k = 0; k < b.p.num_inputs; ++k) {
    Dtype t = b.dt[k];
    if (k < int(b.p.scalar_inputs.size()) && b.p.scalar_inputs[k]) {
      array s = broadcast_to(random_input({}, t), shape, Device::cpu);
      s.eval();
      in.push_back(s);
    } else {
      in.push_back(random_input(shape, t));
    }
  }
  return in;
}

// Sets how Fused nodes get their kernels for its lifetime.
struct CompileMode {
  gpu::FusedCompile saved = gpu::fused_compile_mode();
  explicit CompileMode(gpu::FusedCompile m) { gpu::set_fused_compile_mode(m); }
  ~CompileMode() { gpu::set_fused_compile_mode(saved); }
};

// b's program as one Fused node on the GPU: by default with its own kernel
// (compiled first if need be); `never`: op by op, as while it compiles.
std::vector<array> run_fused(const Builder& b, const std::vector<array>& in,
                             gpu::FusedCompile mode = gpu::FusedCompile::on_eval_thread) {
  CompileMode m(mode);
  Stream gs = default_stream(Device::gpu);
  std::vector<Shape> shapes(b.p.outputs.size(), in[0].shape());
  auto outs = array::make_arrays(shapes, b.output_dtypes(), std::make_shared<Fused>(gs, b.p), in);
  eval(outs);
  return outs;
}

// b's program as one Unary or Binary node per instruction on the GPU, each
// evaluated before the next is built (what runs without fusion).
std::vector<array> run_unfused(const Builder& b, const std::vector<array>& in) {
  Stream gs = default_stream(Device::gpu);
  std::vector<array> v(in);
  Shape shape = in[0].shape();
  for (auto& ins : b.p.instrs) {
    if (ins.binary) {
      v.push_back(array(shape, ins.out, std::make_shared<Binary>(gs, ins.binary_op()),
                        {v[ins.a], v[ins.b]}));
    } else {
      v.push_back(array(shape, ins.out, std::make_shared<Unary>(gs, ins.unary_op()), {v[ins.a]}));
    }
    v.back().eval();
  }
  std::vector<array> outs;
  for (int o : b.p.outputs) outs.push_back(v[o]);
  return outs;
}

// The Fused node, with its kernel and op by op (what runs while the kernel
// compiles), against the ops evaluated one at a time.
void expect_fused_matches_unfused(const Builder& b, const Shape& shape, const std::string& what) {
  auto in = make_inputs(b, shape);
  auto fused = run_fused(b, in);
  uint64_t runs = gpu::fused_unfused_runs();
  auto op_by_op = run_fused(b, in, gpu::FusedCompile::never);
  EXPECT_EQ(gpu::fused_unfused_runs(), runs + 1) << what;
  auto unfused = run_unfused(b, in);
  ASSERT_EQ(fused.size(), unfused.size());
  for (size_t j = 0; j < fused.size(); ++j) {
    expect_same_bits(fused[j], unfused[j], what + ", output " + std::to_string(j));
    expect_same_bits(op_by_op[j], unfused[j], what + ", op by op, output " + std::to_string(j));
  }
}

TEST(GpuFused, MixedDagMatchesUnfusedBits) {
  TANDEM_REQUIRE_GPU();
  for (const Shape& shape : std::vector<Shape>{{1}, {7}, {33, 65}, {256, 256}}) {
    expect_fused_matches_unfused(mixed_dag(), shape, "mixed dag " + shape_str(shape));
  }
}

TEST(GpuFused, RandomProgramsMatchUnfusedBits) {
  TANDEM_REQUIRE_GPU();
  const std::vector<std::vector<Dtype>> sets = {
      {float32, float32, float32},     {float64, float64, float64},
      {float16, float16, bfloat16},    {bfloat16, bfloat16, float16},
      {complex64, complex64, float32}, {int32, int32, bool_},
      {uint8, int64, int16, uint32},   {float32, int32, complex64, bfloat16, float64, bool_}};
  // Kept small: the unfused reference compiles each op-by-dtype kernel it
  // meets (a cold JIT cache took over 80 s for 8 x 3 programs of 40).
  for (size_t k = 0; k < sets.size(); ++k) {
    for (unsigned seed = 0; seed < 2; ++seed) {
      auto b = random_program(sets[k], 24, 1000 * unsigned(k) + seed);
      expect_fused_matches_unfused(b, {40, 50},
                                   "set " + std::to_string(k) + " seed " + std::to_string(seed));
    }
  }
}

// Multiply then add (and square then add/subtract): one fma if the compiler
// contracted across instructions, so every float type must still match
// the separate kernels, here built with the ops themselves.
// Inputs in other layouts (a broadcast row, a broadcast column, a
// transpose, a reversed view, one with too many dims to read through
// strides): the same bits as the program over row-major copies of them.
TEST(GpuFused, StridedInputsMatchRowMajorCopies) {
  TANDEM_REQUIRE_GPU();
  StreamOrDevice c = Device::cpu;
  const Shape shape{2, 3, 4, 3, 5, 6};
  auto b = random_program({float32, float32, bfloat16, float32, float32, float32}, 24, 77);
  std::vector<array> in = make_inputs(b, shape);
  auto dt = [&](int k) { return b.dt[k]; };
  std::vector<array> odd = {
      broadcast_to(random_input({6}, dt(0)), shape, c),
      broadcast_to(random_input({2, 3, 4, 3, 5, 1}, dt(1)), shape, c),
      transpose(random_input({6, 5, 3, 4, 3, 2}, dt(2)), {5, 4, 3, 2, 1, 0}, c),
      slice(random_input({2, 3, 4, 3, 5, 12}, dt(3)), {0, 0, 0, 0, 0, 1}, {2, 3, 4, 3, 5, 12},
            {1, 1, 1, 1, 1, 2}, c),
      broadcast_to(random_input({2, 1, 4, 1, 5, 1}, dt(4)), shape, c),  // 6 dims: copied
      broadcast_to(random_input({2, 1, 4, 3, 5, 6}, dt(5)), shape, c)};
  for (size_t k = 0; k < odd.size() && k < in.size(); ++k) {
    if (k < b.p.scalar_inputs.size() && b.p.scalar_inputs[k]) continue;
    odd[k].eval();
    in[k] = odd[k];
  }
  std::vector<array> dense;
  for (auto& a : in) {
    dense.push_back(contiguous(a, false, c));
    dense.back().eval();
  }
  auto got = run_fused(b, in), want = run_fused(b, dense);
  for (size_t j = 0; j < got.size(); ++j) {
    expect_same_bits(got[j], want[j], "strided inputs, output " + std::to_string(j));
  }
}

TEST(GpuFused, MultiplyAddIsNotContracted) {
  TANDEM_REQUIRE_GPU();
  for (Dtype t : {float32, float64, complex64, float16, bfloat16}) {
    Shape shape{64, 129};
    array x = random_input(shape, t), y = random_input(shape, t), w = random_input(shape, t);
    Builder b({t, t, t}, {false, false, false});
    int p = b.binary(BinaryOp::Multiply, 0, 1);
    int s = b.binary(BinaryOp::Add, p, 2);
    int q = b.unary(UnaryOp::Square, s);
    int d = b.binary(BinaryOp::Subtract, q, 0);
    int p2 = b.binary(BinaryOp::Multiply, d, 1);
    int r = b.binary(BinaryOp::Subtract, 2, p2);
    b.output(r);
    b.output(s);
    auto fused = run_fused(b, {x, y, w});

    auto step = [](array a) {
      a.eval();
      return a;
    };
    StreamOrDevice g = Device::gpu;
    array ps = step(multiply(x, y, g));
    array ss = step(add(ps, w, g));
    array qs = step(square(ss, g));
    array ds = step(subtract(qs, x, g));
    array p2s = step(multiply(ds, y, g));
    array rs = step(subtract(w, p2s, g));
    expect_same_bits(fused[0], rs, std::string("x*y+w chain of ") + dtype_name(t));
    expect_same_bits(fused[1], ss, std::string("x*y+w of ") + dtype_name(t));
  }
}

TEST(GpuFused, AddChainOf1000MatchesAddOps) {
  TANDEM_REQUIRE_GPU();
  for (Dtype t : {float32, float16}) {
    array x = test::random_array({300}, t);
    array one = test::random_array({}, t, 0.0, 0.01);
    array one_b = broadcast_to(one, {300}, Device::cpu);
    one_b.eval();
    Builder chain = add_chain(t, 1000);
    run_fused(chain, {x, one_b});  // compiles
    auto t0 = std::chrono::steady_clock::now();
    auto fused = run_fused(chain, {x, one_b});
    fused[0].sync_host();
    auto t1 = std::chrono::steady_clock::now();
    array y = x;
    for (int i = 0; i < 1000; ++i) {
      y = add(y, one, Device::gpu);
      y.eval();
    }
    y.sync_host();
    auto t2 = std::chrono::steady_clock::now();
    std::printf("  1000 adds of %s: fused %.3f ms, 1000 evals of add %.1f ms\n", dtype_name(t),
                std::chrono::duration<double, std::milli>(t1 - t0).count(),
                std::chrono::duration<double, std::milli>(t2 - t1).count());
    expect_same_bits(fused[0], y, std::string("1000 adds of ") + dtype_name(t));
  }
}

TEST(GpuFused, ZeroSizeOutputs) {
  TANDEM_REQUIRE_GPU();
  Builder b = add_chain(float32, 3);
  b.p.scalar_inputs = {false, false};
  auto in =
      std::vector<array>{test::random_array({0, 4}, float32), test::random_array({0, 4}, float32)};
  auto out = run_fused(b, in);
  EXPECT_EQ(out[0].size(), 0u);
  EXPECT_EQ(out[0].shape(), (Shape{0, 4}));
}

// A program never compiled before (random, seeded from the clock, so not in
// the disk cache either) runs op by op on its first eval while its kernel
// compiles in the background, and with the kernel once that is done: the
// same bits both times.
TEST(GpuFused, NewProgramRunsOpByOpUntilCompiled) {
  TANDEM_REQUIRE_GPU();
  unsigned seed =
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count());
  auto b = random_program({float32, float32, int32}, 32, seed);
  auto in = make_inputs(b, {24, 40});
  auto want = run_unfused(b, in);
  uint64_t runs = gpu::fused_unfused_runs();
  auto first = run_fused(b, in, gpu::FusedCompile::in_background);
  EXPECT_EQ(gpu::fused_unfused_runs(), runs + 1) << "seed " << seed;
  gpu::wait_fused_compiles();
  auto second = run_fused(b, in, gpu::FusedCompile::in_background);
  EXPECT_EQ(gpu::fused_unfused_runs(), runs + 1) << "the compiled kernel was not used";
  for (size_t j = 0; j < want.size(); ++j) {
    expect_same_bits(first[j], want[j], "first eval, output " + std::to_string(j));
    expect_same_bits(second[j], want[j], "second eval, output " + std::to_string(j));
  }
}

// A process that exits while a fused kernel compiles in the background ends
// cleanly: the child process (a death test) exits with the compile of b2, a
// 200-op float64 program (seconds of NVRTC), in flight. b1 makes sure NVRTC
// has run once: the first compile of a process is not sent to the thread.
using GpuFusedExitDeathTest = test::ThreadsafeDeathTest;

TEST_F(GpuFusedExitDeathTest, ExitDuringBackgroundCompile) {
  TANDEM_REQUIRE_GPU();
  EXPECT_EXIT(
      {
        unsigned seed =
            static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count());
        auto b1 = random_program({float32, float32}, 16, seed);
        run_fused(b1, make_inputs(b1, {8, 8}), gpu::FusedCompile::in_background);
        gpu::wait_fused_compiles();
        auto b2 = random_program({float64, float64, float32}, 200, seed + 1);
        run_fused(b2, make_inputs(b2, {8, 8}), gpu::FusedCompile::in_background);
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace

#endif  // TANDEM_WITH_CUDA
