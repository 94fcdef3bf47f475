// GPU kernels of Matmul and AddMM through cuBLASLt (device/matmul.cuh holds
// the fallback kernel; operand copies are gpu::copy_into's).
//
// Row-major out = a @ b is computed as the column-major product
// out^T = b^T a^T, so each operand goes to cuBLASLt in place whenever its
// last two strides describe a row- or column-major matrix (the latter is a
// transpose flag), and batches go as strided batches once the batch dims of
// a, b and out collapse into one (broadcast dims have stride 0); what does
// not collapse becomes a short host loop, or, when that loop would be long,
// contiguous copies. Layouts cuBLASLt cannot read (negative or zero strides
// inside a matrix, negative batch strides) are gathered into row-major
// scratch copies first. AddMM copies c into out (or takes c's buffer) and
// runs with beta in place. Plans (descriptors and the heuristic's algorithm)
// are cached by shape, layout, dtype and alignment. Products cuBLASLt
// declines, and K = 0, run a plain tiled kernel that reads any layout.
//
// Precision: float32 computes in exact fp32 (CUBLAS_COMPUTE_32F) unless
// TANDEM_ALLOW_TF32=1; float16/bfloat16 compute in fp32 (no split-K
// reductions in the half type); float64 in fp64; complex64 in fp32.
#include "tandem/primitives/matmul.h"

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "tandem/backend/cuda/cuda_check.h"
#include "tandem/backend/cuda/device.h"
#include "tandem/backend/cuda/elementwise.h"
#include "tandem/backend/cuda/encoder.h"
#include "tandem/backend/cuda/indexing.h"
#include "tandem/backend/cuda/jit.h"
#include "tandem/backend/cuda/memory.h"
#include "tandem/kernels/kernel_args.h"
#include "tandem/layout.h"

namespace tandem {
namespace gpu {
namespace {

// cuBLASLt workspace per stream (what PyTorch gives Hopper).
constexpr size_t kWorkspaceBytes = size_t(32) << 20;
// Host loop iterations over non-collapsing batch dims before the operands
// are made contiguous instead; and the multiply-adds one iteration must have
// for looping to pay at all. Attention's heads split from a (B, T, H * D)
// projection loop over B with H small products each: one cuBLASLt call
// apiece (64 x 6 of 256 x 256 x 64 in a char-GPT step) costs more than
// copying q and k once and making one strided-batched call.
constexpr int64_t kMaxLoop = 64;
constexpr int64_t kMinLoopWork = int64_t(1) << 30;
// Batches per cuBLASLt call (kept within what every kernel's grid takes).
constexpr int64_t kMaxBatch = 65535;
// Plans kept before the cache starts over.
constexpr size_t kMaxPlans = 4096;

[[noreturn]] void throw_lt(cublasStatus_t st, const char* what) {
  throw std::runtime_error(std::string("[matmul] ") + what + " failed: " +
                           cublasLtGetStatusName(st) + " (" + cublasLtGetStatusString(st) + ")");
}

void check_lt(cublasStatus_t st, const char* what) {
  if (st != CUBLAS_STATUS_SUCCESS) throw_lt(st, what);
}

// One handle for the process; cuBLASLt handles carry no stream and may be
// shared by threads. Never destroyed: the CUDA context may be gone at exit.
cublasLtHandle_t lt_handle() {
  static cublasLtHandle_t h = [] {
    cublasLtHandle_t x = nullptr;
    check_lt(cublasLtCreate(&x), "cublasLtCreate");
    return x;
  }();
  return h;
}

bool allow_tf32() {
  static const bool v = [] {
    const char* e = std::getenv("TANDEM_ALLOW_TF32");
    return e && std::strcmp(e, "1") == 0;
  }();
  return v;
}

struct Workspace {
  void* ptr = nullptr;
  size_t bytes = 0;
};

// A workspace per stream, allocated on first use in the stream's order and
// kept: work on one stream runs in order, so its calls can share it.
Workspace workspace(cudaStream_t stream) {
  static std::mutex mu;
  static auto* spaces =
      new std::unordered_map<cudaStream_t, std::pair<std::shared_ptr<Buffer>, Workspace>>();
  {
    std::lock_guard lk(mu);
    auto it = spaces->find(stream);
    if (it != spaces->end()) return it->second.second;
  }
  // Allocated without the lock: making room may drain other streams.
  std::shared_ptr<Buffer> buf;
  Workspace ws;
  try {
    buf = malloc_device(kWorkspaceBytes, stream);
    ws = {buf->device, kWorkspaceBytes};
  } catch (const std::exception&) {
    ws = {};  // out of memory: algorithms without a workspace still run
  }
  std::lock_guard lk(mu);
  auto [it, added] = spaces->emplace(stream, std::make_pair(buf, ws));
  return it->second.second;
}

// ---------------------------------------------------------------- layouts

// One operand (batch..., R, C) as cuBLASLt reads it.
struct Operand {
  const array* x = nullptr;
  int64_t R = 0, C = 0;
  bool copy = false;         // read from a row-major scratch copy
  bool materialize = false;  // the copy repeats broadcast batch dims too
  bool trans = false;
  int64_t ld = 0;
  Strides batch;              // elements, per output batch dim (0 where broadcast or size 1)
  const char* ptr = nullptr;  // device address of batch 0's element 0
};

// Plans x in place when cuBLASLt can read it, else as a copy.
Operand plan_operand(const array& x, int64_t R, int64_t C) {
  int nb = x.ndim() - 2;
  Operand op;
  op.x = &x;
  op.R = R;
  op.C = C;
  MatLayout l = blas_layout(R, C, x.strides()[nb], x.strides()[nb + 1]);
  bool ok = l.ok;
  for (int d = 0; d < nb && ok; ++d) ok = x.shape()[d] == 1 || x.strides()[d] >= 0;
  if (ok) {
    op.trans = l.trans;
    op.ld = l.ld;
    for (int d = 0; d < nb; ++d) op.batch.push_back(x.shape()[d] == 1 ? 0 : x.strides()[d]);
    return op;
  }
  op.copy = true;
  return op;
}

// The batch strides a row-major copy of x has (only distinct matrices unless
// materialize).
void plan_copy(Operand& op) {
  const array& x = *op.x;
  int nb = x.ndim() - 2;
  op.trans = false;
  op.ld = std::max<int64_t>(1, op.C);
  op.batch = Strides(static_cast<size_t>(nb), 0);
  int64_t st = op.R * op.C;
  for (int d = nb - 1; d >= 0; --d) {
    bool keep = x.shape()[d] > 1 && (op.materialize || x.strides()[d] != 0);
    if (keep) {
      op.batch[d] = st;
      st *= x.shape()[d];
    }
  }
}

// Element count of op's copy.
size_t copy_size(const Operand& op) {
  const array& x = *op.x;
  size_t n = static_cast<size_t>(op.R * op.C);
  for (int d = 0; d < x.ndim() - 2; ++d) {
    if (op.materialize || x.strides()[d] != 0) n *= static_cast<size_t>(x.shape()[d]);
  }
  return n;
}

// Batch dims of the product after merging those where a, b and out all
// step evenly; size-1 dims dropped.
struct BatchDim {
  int64_t n, sa, sb, so;
};

std::vector<BatchDim> collapse_batch(const Shape& batch, const Operand& a, const Operand& b,
                                     int64_t M, int64_t N) {
  int nb = static_cast<int>(batch.size());
  Strides so(static_cast<size_t>(nb));
  int64_t st = M * N;
  for (int d = nb - 1; d >= 0; --d) {
    so[d] = st;
    st *= batch[d];
  }
  std::vector<BatchDim> dims;
  for (int d = 0; d < nb; ++d) {
    if (batch[d] == 1) continue;
    int64_t n = batch[d];
    if (!dims.empty()) {
      auto& p = dims.back();
      if (p.sa == a.batch[d] * n && p.sb == b.batch[d] * n && p.so == so[d] * n) {
        p.n *= n;
        p.sa = a.batch[d];
        p.sb = b.batch[d];
        p.so = so[d];
        continue;
      }
    }
    dims.push_back({n, a.batch[d], b.batch[d], so[d]});
  }
  return dims;
}

// Whether op's batch strides over the non-trivial dims of batch collapse by
// themselves.
bool self_collapses(const Shape& batch, const Operand& op) {
  int64_t prev = -1, prev_n = 0;
  for (size_t d = 0; d < batch.size(); ++d) {
    if (batch[d] == 1) continue;
    if (prev_n && prev != op.batch[d] * batch[d]) return false;
    prev = op.batch[d];
    prev_n = batch[d];
  }
  return true;
}

// ---------------------------------------------------------------- plans

struct TypeInfo {
  cudaDataType_t data;
  cudaDataType_t scale;
  cublasComputeType_t compute;
  bool half;
};

TypeInfo type_info(Dtype t) {
  if (t == float32) {
    return {CUDA_R_32F, CUDA_R_32F,
            allow_tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F, false};
  }
  if (t == float16) return {CUDA_R_16F, CUDA_R_32F, CUBLAS_COMPUTE_32F, true};
  if (t == bfloat16) return {CUDA_R_16BF, CUDA_R_32F, CUBLAS_COMPUTE_32F, true};
  if (t == float64) return {CUDA_R_64F, CUDA_R_64F, CUBLAS_COMPUTE_64F, false};
  if (t == complex64) return {CUDA_C_32F, CUDA_C_32F, CUBLAS_COMPUTE_32F, false};
  throw std::runtime_error(std::string("[matmul] unsupported dtype ") + dtype_name(t) + " on gpu");
}

// One cuBLASLt product shape: column-major D (m x n) = op(A) (m x k) op(B) (k x n).
struct GemmShape {
  int64_t dtype;
  int64_t trans_a, trans_b;
  int64_t m, n, k;
  int64_t lda, ldb, ldd;
  int64_t batch, stride_a, stride_b, stride_d;
  int64_t align_a, align_b, align_d;
  int64_t compute;
  int64_t workspace;  // bytes the algorithm may use
};
using PlanKey = std::array<int64_t, sizeof(GemmShape) / sizeof(int64_t)>;

struct PlanKeyHash {
  size_t operator()(const PlanKey& k) const {
    uint64_t h = 1469598103934665603ull;
    for (int64_t v : k) h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

struct Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool ok = false;  // cuBLASLt has an algorithm for it
  ~Plan() {
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

cublasLtMatrixLayout_t make_layout(cudaDataType_t t, int64_t rows, int64_t cols, int64_t ld,
                                   int64_t batch, int64_t stride) {
  cublasLtMatrixLayout_t l = nullptr;
  check_lt(cublasLtMatrixLayoutCreate(&l, t, static_cast<uint64_t>(rows),
                                      static_cast<uint64_t>(cols), ld),
           "cublasLtMatrixLayoutCreate");
  if (batch > 1) {
    int32_t count = static_cast<int32_t>(batch);
    check_lt(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                                              sizeof(count)),
             "cublasLtMatrixLayoutSetAttribute");
    check_lt(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                                              &stride, sizeof(stride)),
             "cublasLtMatrixLayoutSetAttribute");
  }
  return l;
}

std::shared_ptr<Plan> make_plan(const GemmShape& g, const TypeInfo& ti, size_t ws_bytes) {
  auto p = std::make_shared<Plan>();
  check_lt(cublasLtMatmulDescCreate(&p->desc, ti.compute, ti.scale), "cublasLtMatmulDescCreate");
  int32_t ta = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, tb = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  check_lt(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)),
           "cublasLtMatmulDescSetAttribute");
  check_lt(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)),
           "cublasLtMatmulDescSetAttribute");
  // Stored shapes (before op): A is m x k or k x m, B k x n or n x k.
  p->a = make_layout(ti.data, g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda, g.batch,
                     g.stride_a);
  p->b = make_layout(ti.data, g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb, g.batch,
                     g.stride_b);
  p->d = make_layout(ti.data, g.m, g.n, g.ldd, g.batch, g.stride_d);

  cublasLtMatmulPreference_t pref = nullptr;
  check_lt(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
  struct DestroyPref {
    cublasLtMatmulPreference_t p;
    ~DestroyPref() { cublasLtMatmulPreferenceDestroy(p); }
  } destroy{pref};
  uint64_t ws = ws_bytes;
  check_lt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                                sizeof(ws)),
           "cublasLtMatmulPreferenceSetAttribute");
  uint32_t al[3] = {static_cast<uint32_t>(g.align_a), static_cast<uint32_t>(g.align_b),
                    static_cast<uint32_t>(g.align_d)};
  check_lt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                                                &al[0], sizeof(uint32_t)),
           "cublasLtMatmulPreferenceSetAttribute");
  check_lt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                                                &al[1], sizeof(uint32_t)),
           "cublasLtMatmulPreferenceSetAttribute");
  check_lt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                                                &al[2], sizeof(uint32_t)),
           "cublasLtMatmulPreferenceSetAttribute");
  check_lt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES,
                                                &al[2], sizeof(uint32_t)),
           "cublasLtMatmulPreferenceSetAttribute");
  if (ti.half) {
    // Split-K partial sums in float, never in the half type (the CPU rounds once).
    uint32_t mask =
        CUBLASLT_REDUCTION_SCHEME_MASK & ~uint32_t(CUBLASLT_REDUCTION_SCHEME_OUTPUT_TYPE);
    check_lt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK,
                                                  &mask, sizeof(mask)),
             "cublasLtMatmulPreferenceSetAttribute");
  }
  cublasLtMatmulHeuristicResult_t res{};
  int found = 0;
  cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(lt_handle(), p->desc, p->a, p->b, p->d, p->d,
                                                     pref, 1, &res, &found);
  if (st == CUBLAS_STATUS_SUCCESS && found > 0 && res.state == CUBLAS_STATUS_SUCCESS) {
    p->algo = res.algo;
    p->ok = true;
  }
  return p;
}

std::shared_ptr<Plan> get_plan(const GemmShape& g, const TypeInfo& ti, size_t ws_bytes) {
  static std::mutex mu;
  static auto* plans = new std::unordered_map<PlanKey, std::shared_ptr<Plan>, PlanKeyHash>();
  PlanKey key;
  static_assert(sizeof(GemmShape) == sizeof(PlanKey));
  std::memcpy(key.data(), &g, sizeof(g));
  {
    std::lock_guard lk(mu);
    auto it = plans->find(key);
    if (it != plans->end()) return it->second;
  }
  auto p = make_plan(g, ti, ws_bytes);
  std::lock_guard lk(mu);
  if (plans->size() >= kMaxPlans) plans->clear();  // callers hold their plans by shared_ptr
  plans->emplace(key, p);
  return p;
}

// ---------------------------------------------------------------- kernels

using k::MatmulStrides;

// The tiled fallback kernel of dtype t.
const void* fallback_kernel(Dtype t) {
  static KernelCache cache;
  return cache.get(static_cast<uint64_t>(t.index()), [&] {
    return KernelCache::Program{"matmul.cuh",
                                {"tandem::matmul_fallback<" + std::string(device_type(t)) + ">"}};
  })[0];
}

// dst (row-major over shape) = src read through strides.
void gather(Encoder& enc, Dtype t, const void* src, const Shape& shape, const Strides& strides,
            void* dst) {
  copy_into(enc, src, strides, dst, row_major_strides(shape), shape, t.size());
}

// Fills op's scratch copy and points op at it.
void make_copy(Encoder& enc, Operand& op) {
  const array& x = *op.x;
  int nb = x.ndim() - 2;
  Shape shape = x.shape();
  for (int d = 0; d < nb; ++d) {
    if (!op.materialize && x.strides()[d] == 0) shape[d] = 1;
  }
  void* dst = enc.scratch(std::max<size_t>(1, copy_size(op)) * x.itemsize());
  gather(enc, x.dtype(), enc.in(x), shape, x.strides(), dst);
  op.ptr = static_cast<const char*>(dst);
}

// The tiled fallback: out = alpha * a @ b (+ beta * c), any layouts. c (when
// use_c) is read at c_ptr with c_strides over out's shape.
void run_fallback(Encoder& enc, const array& a, const array& b, const void* c_ptr,
                  const Strides& c_strides, bool use_c, void* out, const Shape& out_shape,
                  int64_t K, Dtype t, float alpha, float beta) {
  int nd = static_cast<int>(out_shape.size());
  int nb = nd - 2;
  MatmulStrides s{};
  s.M = out_shape[nd - 2];
  s.N = out_shape[nd - 1];
  s.K = K;
  s.a_m = a.strides()[nb];
  s.a_k = a.strides()[nb + 1];
  s.b_k = b.strides()[nb];
  s.b_n = b.strides()[nb + 1];
  s.c_m = use_c ? c_strides[nb] : 0;
  s.c_n = use_c ? c_strides[nb + 1] : 0;
  Shape batch(out_shape.begin(), out_shape.begin() + nb);
  Strides sa(a.strides().begin(), a.strides().begin() + nb);
  Strides sb(b.strides().begin(), b.strides().begin() + nb);
  Strides sc = use_c ? Strides(c_strides.begin(), c_strides.begin() + nb)
                     : Strides(static_cast<size_t>(nb), 0);
  // Merging keeps the row-major order of batches the kernel writes out in.
  auto ls = collapse_layouts(batch, {sa, sb, sc});
  s.nbatch_dims = ls[0].ndim;
  int64_t nbatch = 1;
  for (int d = 0; d < ls[0].ndim; ++d) {
    s.batch_shape[d] = ls[0].shape[d];
    s.a_batch[d] = ls[0].strides[d];
    s.b_batch[d] = ls[1].strides[d];
    s.c_batch[d] = ls[2].strides[d];
    nbatch *= ls[0].shape[d];
  }
  int64_t tiles = nbatch * ((s.M + 15) / 16) * ((s.N + 15) / 16);
  if (tiles == 0) return;
  unsigned blocks =
      static_cast<unsigned>(std::min<int64_t>(tiles, int64_t(device_info().sm_count) * 32));
  const void* ap = enc.in(a);
  const void* bp = enc.in(b);
  int uc = use_c ? 1 : 0;
  // Nothing is summed when K = 0: alpha must not turn the zero into a NaN.
  float al = K == 0 ? 0.f : alpha;
  enc.launch(fallback_kernel(t), blocks, dim3(16, 16), 0, ap, bp, c_ptr, out, s, al, beta, uc);
}

void eval_product(const Stream& stream, const std::vector<array>& inputs, array& out, float alpha,
                  float beta) {
  auto& enc = encoder(stream);
  const array& a = inputs[0];
  const array& b = inputs[1];
  bool use_c = inputs.size() > 2 && beta != 0.f;
  bool c_in_out = false;
  char* dptr = nullptr;
  if (use_c) {
    const array& c = inputs[2];
    if (c.dtype() == out.dtype() && c.shape() == out.shape() && c.flags().row_contiguous &&
        c.data_size() == c.size() && can_donate(c, out)) {
      dptr = static_cast<char*>(enc.donate(c, out));
      c_in_out = true;
    }
  }
  if (!c_in_out) dptr = static_cast<char*>(enc.out(out));
  enc.mark_used();
  if (out.size() == 0) return;

  Dtype t = out.dtype();
  int nd = out.ndim();
  int nb = nd - 2;
  int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1], K = a.shape()[nd - 1];
  Shape batch(out.shape().begin(), out.shape().begin() + nb);
  Strides out_strides = row_major_strides(out.shape());
  const void* c_src = nullptr;
  Strides c_strides;
  if (use_c) {
    c_src = c_in_out ? dptr : enc.in(inputs[2]);
    c_strides = c_in_out ? out_strides : inputs[2].strides();
  }
  auto fallback = [&](bool c_copied) {
    bool in_out = c_in_out || c_copied;
    run_fallback(enc, a, b, in_out ? dptr : c_src, in_out ? out_strides : c_strides, use_c, dptr,
                 out.shape(), K, t, alpha, beta);
  };
  if (K == 0) {
    fallback(false);
    return;
  }

  TypeInfo ti = type_info(t);
  Workspace ws = workspace(enc.handle());
  Operand A = plan_operand(a, M, K), B = plan_operand(b, K, N);
  if (A.copy) plan_copy(A);
  if (B.copy) plan_copy(B);
  auto dims = collapse_batch(batch, A, B, M, N);
  int64_t loops = 1;
  for (size_t i = 0; i + 1 < dims.size(); ++i) loops *= dims[i].n;
  const int64_t loop_work = M * N * K * (dims.empty() ? 1 : dims.back().n);
  if (loops > kMaxLoop || (loops > 1 && loop_work < kMinLoopWork)) {
    for (Operand* op : {&A, &B}) {
      if (!self_collapses(batch, *op)) {
        op->copy = op->materialize = true;
        plan_copy(*op);
      }
    }
    dims = collapse_batch(batch, A, B, M, N);
  }
  // The innermost merged dim goes to cuBLASLt as a strided batch; the others loop.
  BatchDim inner = dims.empty() ? BatchDim{1, 0, 0, 0} : dims.back();
  std::vector<BatchDim> outer(dims.begin(), dims.end() - (dims.empty() ? 0 : 1));
  // One big product when b is shared by every batch and a's batches stack rows.
  int64_t Mg = M;
  if (outer.empty() && inner.n > 1 && inner.sb == 0 && !A.trans && inner.sa == M * A.ld) {
    Mg = M * inner.n;
    inner = {1, 0, 0, 0};
  }

  size_t es = t.size();
  const char* a0 = A.copy ? nullptr : static_cast<const char*>(enc.in(a));
  const char* b0 = B.copy ? nullptr : static_cast<const char*>(enc.in(b));
  // Alignments: scratch copies are 256-byte aligned; loops and batches step by strides.
  auto align = [&](const char* base, int64_t inner_stride, bool is_a, bool is_b) {
    std::vector<uint64_t> v{reinterpret_cast<uint64_t>(base),
                            static_cast<uint64_t>(inner_stride) * es};
    for (auto& o : outer) {
      v.push_back(static_cast<uint64_t>(is_a ? o.sa : is_b ? o.sb : o.so) * es);
    }
    uint64_t bits = 256;
    for (auto x : v) bits |= x;
    return static_cast<int64_t>(bits & (~bits + 1));
  };
  // cuBLASLt (column-major) computes out^T (N x Mg) = op(b^T) op(a^T).
  GemmShape g{};
  g.dtype = t.index();
  g.compute = static_cast<int64_t>(ti.compute);
  g.workspace = static_cast<int64_t>(ws.bytes);
  g.trans_a = B.trans;
  g.trans_b = A.trans;
  g.m = N;
  g.n = Mg;
  g.k = K;
  g.lda = B.ld;
  g.ldb = A.ld;
  g.ldd = N;
  g.stride_a = inner.sb;
  g.stride_b = inner.sa;
  g.stride_d = inner.so;
  g.align_a = align(b0, inner.sb, false, true);
  g.align_b = align(a0, inner.sa, true, false);
  g.align_d = align(dptr, inner.so, false, false);
  // Chunks of at most kMaxBatch batches: a full-size plan and a tail plan.
  int64_t chunk = std::min(inner.n, kMaxBatch);
  g.batch = chunk;
  auto plan = get_plan(g, ti, ws.bytes);
  std::shared_ptr<Plan> tail;
  if (int64_t rest = inner.n % chunk; rest != 0 && inner.n > chunk) {
    GemmShape gt = g;
    gt.batch = rest;
    tail = get_plan(gt, ti, ws.bytes);
  }
  if (!plan->ok || (tail && !tail->ok)) {
    fallback(false);
    return;
  }

  // Operand copies, then c into out (cuBLASLt accumulates into D in place).
  if (A.copy)
    make_copy(enc, A);
  else
    A.ptr = a0;
  if (B.copy)
    make_copy(enc, B);
  else
    B.ptr = b0;
  bool c_copied = false;
  if (use_c && !c_in_out) {
    const array& c = inputs[2];
    if (c.flags().row_contiguous && c.data_size() == c.size()) {
      enc.copy(dptr, c_src, out.nbytes());
    } else {
      gather(enc, t, c_src, out.shape(), c.strides(), dptr);
    }
    c_copied = true;
  }

  // Scalars in the scale type.
  float f_alpha = alpha, f_beta = use_c ? beta : 0.f;
  double d_alpha = alpha, d_beta = f_beta;
  float c_alpha[2] = {alpha, 0.f}, c_beta[2] = {f_beta, 0.f};
  const void* pa = ti.scale == CUDA_R_64F   ? static_cast<const void*>(&d_alpha)
                   : ti.scale == CUDA_C_32F ? static_cast<const void*>(c_alpha)
                                            : static_cast<const void*>(&f_alpha);
  const void* pb = ti.scale == CUDA_R_64F   ? static_cast<const void*>(&d_beta)
                   : ti.scale == CUDA_C_32F ? static_cast<const void*>(c_beta)
                                            : static_cast<const void*>(&f_beta);

  int64_t nloops = 1;
  for (auto& o : outer) nloops *= o.n;
  bool first = true;
  for (int64_t li = 0; li < nloops; ++li) {
    int64_t oa = 0, ob = 0, oo = 0, r = li;
    for (int d = static_cast<int>(outer.size()) - 1; d >= 0; --d) {
      int64_t idx = r % outer[d].n;
      r /= outer[d].n;
      oa += idx * outer[d].sa;
      ob += idx * outer[d].sb;
      oo += idx * outer[d].so;
    }
    for (int64_t start = 0; start < inner.n; start += chunk) {
      int64_t count = std::min(chunk, inner.n - start);
      Plan& p = count == chunk ? *plan : *tail;
      const char* ap = A.ptr + (oa + start * inner.sa) * static_cast<int64_t>(es);
      const char* bp = B.ptr + (ob + start * inner.sb) * static_cast<int64_t>(es);
      char* dp = dptr + (oo + start * inner.so) * static_cast<int64_t>(es);
      cublasStatus_t st = cublasLtMatmul(lt_handle(), p.desc, pa, bp, p.a, ap, p.b, pb, dp, p.d, dp,
                                         p.d, &p.algo, ws.ptr, ws.bytes, enc.stream());
      if (st != CUBLAS_STATUS_SUCCESS) {
        // Declined before anything ran: the fallback computes the whole product.
        if (first && (st == CUBLAS_STATUS_NOT_SUPPORTED || st == CUBLAS_STATUS_INVALID_VALUE)) {
          fallback(c_copied);
          return;
        }
        throw_lt(st, "cublasLtMatmul");
      }
      first = false;
    }
  }
}

}  // namespace
}  // namespace gpu

void Matmul::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  gpu::eval_product(stream(), inputs, outputs[0], 1.f, 0.f);
}

void AddMM::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  gpu::eval_product(stream(), inputs, outputs[0], alpha_, beta_);
}

}  // namespace tandem
