// CPU kernels of Matmul and AddMM through OpenBLAS.
//
// Operands go to BLAS in place whenever their last two strides describe a
// row-major or column-major matrix (a transpose is CblasTrans, a sliced
// matrix a larger leading dimension); other layouts (negative or broadcast
// inner strides, gaps BLAS cannot express) and the 16-bit floats are copied
// first, broadcast batch dims once. Small batched products run one GEMM per
// thread through parallel_for; large single GEMMs use OpenBLAS's own threads.
#include "tandem/primitives/matmul.h"

#include <cblas.h>

#include <climits>
#include <complex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tandem/backend/cpu/copy.h"
#include "tandem/backend/cpu/encoder.h"
#include "tandem/backend/cpu/narrow_gemm.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/parallel.h"
#include "tandem/layout.h"

namespace tandem {
namespace cpu {
namespace {

// Products of at most this many multiply-adds stay on one OpenBLAS thread
// (OpenBLAS's own threshold), so batches of them are spread over threads here.
constexpr double kSmallGemm = 262144.0;

// One operand of the batched product, as BLAS will read it.
struct Operand {
  const char* ptr = nullptr;  // matrix of batch 0
  Strides batch_strides;      // in elements, per output batch dim
  bool trans = false;
  int64_t ld = 0;
  std::shared_ptr<Buffer> scratch;  // owns a copy, when one was needed
};

// Prepares x (batch..., R, C) for BLAS in compute dtype ct: in place when its
// layout allows, else as a row-major copy of its distinct matrices.
Operand prepare_operand(const Ref& x, int64_t R, int64_t C, Dtype ct) {
  int nb = x.ndim() - 2;
  Operand op;
  MatLayout l = blas_layout(R, C, x.strides[nb], x.strides[nb + 1], INT_MAX);  // cblas ints
  if (l.ok && x.dtype == ct) {
    op.ptr = x.ptr;
    op.batch_strides = Strides(x.strides.begin(), x.strides.begin() + nb);
    op.trans = l.trans;
    op.ld = l.ld;
    return op;
  }
  // Copy only the distinct matrices: broadcast batch dims become size 1.
  Ref src = x;
  size_t n = static_cast<size_t>(R * C);
  for (int d = 0; d < nb; ++d) {
    if (x.strides[d] == 0) src.shape[d] = 1;
    n *= static_cast<size_t>(src.shape[d]);
  }
  src.size = n;
  if (C > INT_MAX) throw std::runtime_error("[matmul] matrix dim too large for BLAS");
  op.scratch = allocator::malloc(n * ct.size());
  Strides rm = row_major_strides(src.shape);
  copy_strided(src, static_cast<char*>(op.scratch->host), rm, ct);
  op.ptr = static_cast<const char*>(op.scratch->host);
  for (int d = 0; d < nb; ++d) op.batch_strides.push_back(src.shape[d] == 1 ? 0 : rm[d]);
  op.trans = false;
  op.ld = std::max<int64_t>(1, C);
  return op;
}

// Runs a product with few columns through narrow_gemm; false when it is not
// one (A transposed, or alpha == 0, where BLAS does not read A and B).
template <typename T>
bool narrow(bool ta, bool tb, int M, int N, int K, T alpha, const T* A, int lda, const T* B,
            int ldb, T beta, T* C, int ldc) {
  if (ta || N > kNarrowMaxN || K == 0 || alpha == T(0)) return false;
  const T* BT = B;
  std::vector<T> bt;
  if (!(tb && ldb == K)) {
    bt.resize(static_cast<size_t>(N) * K);
    for (int j = 0; j < N; ++j) {
      for (int k = 0; k < K; ++k) {
        bt[static_cast<size_t>(j) * K + k] =
            tb ? B[static_cast<int64_t>(j) * ldb + k] : B[static_cast<int64_t>(k) * ldb + j];
      }
    }
    BT = bt.data();
  }
  narrow_gemm(M, N, K, alpha, A, lda, BT, beta, C, ldc);
  return true;
}

void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (narrow(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)) return;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
              K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void gemm(bool ta, bool tb, int M, int N, int K, double alpha, const double* A, int lda,
          const double* B, int ldb, double beta, double* C, int ldc) {
  if (narrow(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)) return;
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
              K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void gemm(bool ta, bool tb, int M, int N, int K, complex64_t alpha, const complex64_t* A, int lda,
          const complex64_t* B, int ldb, complex64_t beta, complex64_t* C, int ldc) {
  cblas_cgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
              K, &alpha, A, lda, B, ldb, &beta, C, ldc);
}

int64_t batch_offset(int64_t i, const Shape& batch, const Strides& strides) {
  int64_t off = 0;
  for (int d = static_cast<int>(batch.size()) - 1; d >= 0; --d) {
    int64_t idx = i % batch[d];
    i /= batch[d];
    off += idx * strides[d];
  }
  return off;
}

// C[b] = alpha * A[b] @ B[b] + beta * C[b] for every batch b; C row-major.
template <typename T>
void run_gemms(const Operand& A, const Operand& B, T* C, const Shape& batch, int64_t M, int64_t N,
               int64_t K, T alpha, T beta) {
  int64_t nbatch = 1;
  for (auto d : batch) nbatch *= d;
  if (M > INT_MAX || N > INT_MAX || K > INT_MAX) {
    throw std::runtime_error("[matmul] matrix dims (" + std::to_string(M) + ", " +
                             std::to_string(N) + ", " + std::to_string(K) +
                             ") are too large for BLAS");
  }
  const T* a0 = reinterpret_cast<const T*>(A.ptr);
  const T* b0 = reinterpret_cast<const T*>(B.ptr);
  // One big GEMM when B is shared by every batch and A's batches stack rows.
  if (nbatch > 1 && !A.trans && nbatch * M <= INT_MAX) {
    bool b_shared = true, a_stacks = true;
    int64_t expected = M * A.ld;
    for (int d = static_cast<int>(batch.size()) - 1; d >= 0; --d) {
      if (batch[d] == 1) continue;
      if (B.batch_strides[d] != 0) b_shared = false;
      if (A.batch_strides[d] != expected) a_stacks = false;
      expected *= batch[d];
    }
    if (b_shared && a_stacks) {
      gemm(false, B.trans, static_cast<int>(nbatch * M), static_cast<int>(N), static_cast<int>(K),
           alpha, a0, static_cast<int>(A.ld), b0, static_cast<int>(B.ld), beta, C,
           static_cast<int>(N));
      return;
    }
  }
  auto one = [&](int64_t i) {
    gemm(A.trans, B.trans, static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), alpha,
         a0 + batch_offset(i, batch, A.batch_strides), static_cast<int>(A.ld),
         b0 + batch_offset(i, batch, B.batch_strides), static_cast<int>(B.ld), beta, C + i * M * N,
         static_cast<int>(N));
  };
  double work = double(M) * double(N) * double(K);
  if (nbatch > 1 && work <= kSmallGemm) {
    size_t grain = std::max<size_t>(1, static_cast<size_t>(kSmallGemm / std::max(work, 1.0)));
    parallel_for(static_cast<size_t>(nbatch), grain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) one(static_cast<int64_t>(i));
    });
  } else {
    for (int64_t i = 0; i < nbatch; ++i) one(i);
  }
}

// The whole product: out = alpha * a @ b (+ beta * c). c_src (when set) holds
// c's values; it may be out itself (donated), already in place.
void run_matmul(const Ref& a, const Ref& b, const std::optional<Ref>& c_src, bool c_in_out,
                const Ref& out, float alpha, float beta) {
  int nd = out.ndim();
  int64_t M = out.shape[nd - 2], N = out.shape[nd - 1], K = a.shape[nd - 1];
  Shape batch(out.shape.begin(), out.shape.end() - 2);
  Dtype t = out.dtype;
  Dtype ct = (t == float16 || t == bfloat16) ? float32 : t;
  bool use_c = c_src.has_value() && beta != 0.f;
  auto body = [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::shared_ptr<Buffer> tmp;
    T* C;
    if (t == ct) {
      C = out.data<T>();
    } else {
      tmp = allocator::malloc(out.size * sizeof(T));
      C = static_cast<T*>(tmp->host);
    }
    Strides rm = row_major_strides(out.shape);
    if (use_c && !(c_in_out && t == ct)) copy_strided(*c_src, reinterpret_cast<char*>(C), rm, ct);
    T beta_t = use_c ? T(beta) : T(0);
    if (K == 0) {
      size_t n = out.size;
      parallel_for(n, kParallelGrain, [&](size_t s, size_t e) {
        for (size_t i = s; i < e; ++i) C[i] = use_c ? T(C[i] * beta_t) : T(0);
      });
    } else {
      Operand A = prepare_operand(a, M, K, ct);
      Operand B = prepare_operand(b, K, N, ct);
      run_gemms<T>(A, B, C, batch, M, N, K, T(alpha), beta_t);
    }
    if (t != ct) {
      Ref src;
      src.ptr = reinterpret_cast<char*>(C);
      src.shape = out.shape;
      src.strides = rm;
      src.dtype = ct;
      src.size = out.size;
      src.data_size = out.size;
      copy_strided(src, out.ptr, out.strides, t);
    }
  };
  if (ct == float32) {
    body(TypeTag<float>{});
  } else if (ct == float64) {
    body(TypeTag<double>{});
  } else if (ct == complex64) {
    body(TypeTag<complex64_t>{});
  } else {
    throw std::runtime_error(std::string("[matmul] unsupported dtype ") + dtype_name(t));
  }
}

void eval_product(const std::vector<array>& inputs, array& out, float alpha, float beta) {
  bool has_c = inputs.size() > 2 && beta != 0.f;
  bool c_in_out = false;
  if (has_c) {
    const array& c = inputs[2];
    if (c.dtype() == out.dtype() && c.shape() == out.shape() && c.flags().row_contiguous &&
        c.data_size() == c.size() && is_donatable(c, out)) {
      out.copy_shared_buffer(c);
      c_in_out = true;
    }
  }
  if (!c_in_out) allocate_row_contiguous(out);
  if (out.size() == 0) return;
  std::optional<Ref> c_src;
  if (has_c) c_src = c_in_out ? Ref(out) : Ref(inputs[2]);
  dispatch([a = Ref(inputs[0]), b = Ref(inputs[1]), c_src = std::move(c_src), c_in_out,
            out = Ref(out), alpha, beta] { run_matmul(a, b, c_src, c_in_out, out, alpha, beta); });
}

}  // namespace
}  // namespace cpu

void Matmul::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  cpu::eval_product(inputs, outputs[0], 1.f, 0.f);
}

void AddMM::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  cpu::eval_product(inputs, outputs[0], alpha_, beta_);
}

}  // namespace tandem
