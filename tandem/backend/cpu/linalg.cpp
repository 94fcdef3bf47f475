// CPU kernels of the linalg primitives through LAPACK (OpenBLAS ships it;
// the Fortran entry points are declared below). Each matrix of the batch is
// gathered from any input layout into a column-major scratch (what LAPACK
// reads), factorized there, and written to the row-major outputs. Batches of
// small matrices are spread over threads; a large one uses OpenBLAS's own.
#include "tandem/primitives/linalg.h"

#include <algorithm>
#include <atomic>
#include <complex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "tandem/backend/cpu/encoder.h"
#include "tandem/backend/cpu/outputs.h"
#include "tandem/backend/cpu/parallel.h"

using cfloat = std::complex<float>;

extern "C" {
// LU, inverse from LU, triangular inverse, Cholesky.
void sgetrf_(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info);
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void sgetri_(const int* n, float* a, const int* lda, const int* ipiv, float* work, const int* lwork,
             int* info);
void dgetri_(const int* n, double* a, const int* lda, const int* ipiv, double* work,
             const int* lwork, int* info);
void strtri_(const char* uplo, const char* diag, const int* n, float* a, const int* lda, int* info);
void dtrtri_(const char* uplo, const char* diag, const int* n, double* a, const int* lda,
             int* info);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
// QR.
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work,
             const int* lwork, int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
             float* work, const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
             double* work, const int* lwork, int* info);
// SVD (divide and conquer).
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s,
             float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork,
             int* iwork, int* info);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork,
             int* iwork, int* info);
void cgesdd_(const char* jobz, const int* m, const int* n, cfloat* a, const int* lda, float* s,
             cfloat* u, const int* ldu, cfloat* vt, const int* ldvt, cfloat* work, const int* lwork,
             float* rwork, int* iwork, int* info);
// Symmetric / Hermitian eigensolvers (divide and conquer).
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w,
             float* work, const int* lwork, int* iwork, const int* liwork, int* info);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info);
void cheevd_(const char* jobz, const char* uplo, const int* n, cfloat* a, const int* lda, float* w,
             cfloat* work, const int* lwork, float* rwork, const int* lrwork, int* iwork,
             const int* liwork, int* info);
// General eigensolvers.
void sgeev_(const char* jobvl, const char* jobvr, const int* n, float* a, const int* lda, float* wr,
            float* wi, float* vl, const int* ldvl, float* vr, const int* ldvr, float* work,
            const int* lwork, int* info);
void dgeev_(const char* jobvl, const char* jobvr, const int* n, double* a, const int* lda,
            double* wr, double* wi, double* vl, const int* ldvl, double* vr, const int* ldvr,
            double* work, const int* lwork, int* info);
void cgeev_(const char* jobvl, const char* jobvr, const int* n, cfloat* a, const int* lda,
            cfloat* w, cfloat* vl, const int* ldvl, cfloat* vr, const int* ldvr, cfloat* work,
            const int* lwork, float* rwork, int* info);
}

namespace tandem {
namespace cpu {
namespace {

// --- typed LAPACK entry points ---------------------------------------------

void getrf(int m, int n, float* a, int* ipiv, int* info) {
  sgetrf_(&m, &n, a, &m, ipiv, info);
}
void getrf(int m, int n, double* a, int* ipiv, int* info) {
  dgetrf_(&m, &n, a, &m, ipiv, info);
}
void getri(int n, float* a, const int* ipiv, float* w, int lw, int* info) {
  sgetri_(&n, a, &n, ipiv, w, &lw, info);
}
void getri(int n, double* a, const int* ipiv, double* w, int lw, int* info) {
  dgetri_(&n, a, &n, ipiv, w, &lw, info);
}
void trtri(char uplo, int n, float* a, int* info) {
  strtri_(&uplo, "N", &n, a, &n, info);
}
void trtri(char uplo, int n, double* a, int* info) {
  dtrtri_(&uplo, "N", &n, a, &n, info);
}
void potrf(char uplo, int n, float* a, int* info) {
  spotrf_(&uplo, &n, a, &n, info);
}
void potrf(char uplo, int n, double* a, int* info) {
  dpotrf_(&uplo, &n, a, &n, info);
}
void geqrf(int m, int n, float* a, float* tau, float* w, int lw, int* info) {
  sgeqrf_(&m, &n, a, &m, tau, w, &lw, info);
}
void geqrf(int m, int n, double* a, double* tau, double* w, int lw, int* info) {
  dgeqrf_(&m, &n, a, &m, tau, w, &lw, info);
}
void orgqr(int m, int n, int k, float* a, const float* tau, float* w, int lw, int* info) {
  sorgqr_(&m, &n, &k, a, &m, tau, w, &lw, info);
}
void orgqr(int m, int n, int k, double* a, const double* tau, double* w, int lw, int* info) {
  dorgqr_(&m, &n, &k, a, &m, tau, w, &lw, info);
}

// The real type of T (float for complex<float>): std::real's result.
template <typename T>
using real_t = decltype(std::real(T{}));
static_assert(std::is_same_v<real_t<float>, float> && std::is_same_v<real_t<cfloat>, float>);

// The workspace size a LAPACK query wrote into w.
template <typename T>
int lwork_of(T w) {
  return std::max(1, static_cast<int>(std::real(w)));
}

// Throws the error a failed routine reports, after the batch loop (never
// from inside TBB's workers).
struct Failure {
  std::atomic<int> info{0};
  void set(int i) {
    int zero = 0;
    info.compare_exchange_strong(zero, i);
  }
};

// --- moving matrices between the arrays and LAPACK's column-major scratch --

// Offset (in elements) of batch element b's matrix in r.
int64_t batch_offset(const Ref& r, int64_t b) {
  int64_t off = 0;
  for (int d = r.ndim() - 3; d >= 0; --d) {
    int64_t n = r.shape[d];
    off += (b % n) * r.strides[d];
    b /= n;
  }
  return off;
}

// dst (column-major, m x n) <- matrix b of in.
template <typename T>
void load_cm(const Ref& in, int64_t b, T* dst) {
  int nd = in.ndim();
  int64_t m = in.shape[nd - 2], n = in.shape[nd - 1];
  int64_t sr = in.strides[nd - 2], sc = in.strides[nd - 1];
  const T* src = in.data<T>() + batch_offset(in, b);
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = 0; i < m; ++i) dst[i + j * m] = src[i * sr + j * sc];
  }
}

// Row-major r x c output dst <- the column-major src (leading dim ld),
// converted to O.
template <typename O, typename T>
void store_rm(const T* src, int64_t ld, O* dst, int64_t r, int64_t c) {
  for (int64_t i = 0; i < r; ++i) {
    for (int64_t j = 0; j < c; ++j) dst[i * c + j] = static_cast<O>(src[i + j * ld]);
  }
}

// Zeroes the triangle of the row-major n x n dst that is not `upper`'s (the
// diagonal stays).
template <typename T>
void zero_other_triangle(T* dst, int64_t n, bool upper) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      if (upper ? j < i : j > i) dst[i * n + j] = T(0);
    }
  }
}

int64_t batch_count(const Ref& in) {
  int64_t b = 1;
  for (int d = 0; d < in.ndim() - 2; ++d) b *= in.shape[d];
  return b;
}

// Matrices per chunk of the batch loop: about kParallelGrain flops each.
size_t grain_for(int64_t m, int64_t n) {
  double work = double(std::max<int64_t>(m, 1)) * double(std::max<int64_t>(n, 1)) *
                double(std::max<int64_t>(std::min(m, n), 1));
  return static_cast<size_t>(std::max(1.0, double(kParallelGrain) / work));
}

// Runs body(b, scratch...) over the batch; body sets f on failure.
template <typename F>
void for_batch(int64_t count, int64_t m, int64_t n, F&& body) {
  parallel_for(static_cast<size_t>(count), grain_for(m, n), [&](size_t b0, size_t b1) {
    body(static_cast<int64_t>(b0), static_cast<int64_t>(b1));
  });
}

template <typename F>
void dispatch_real(Dtype t, F&& f) {
  if (t == float32) {
    f(float{});
  } else if (t == float64) {
    f(double{});
  } else {
    throw std::runtime_error(std::string("[linalg] unsupported dtype ") + dtype_name(t));
  }
}

template <typename F>
void dispatch_lapack(Dtype t, F&& f) {
  if (t == complex64) {
    f(cfloat{});
  } else {
    dispatch_real(t, f);
  }
}

[[noreturn]] void fail(const char* op, const std::string& what, int info) {
  throw std::runtime_error(std::string("[") + op + "] " + what +
                           " (LAPACK info = " + std::to_string(info) + ")");
}

// --- kernels ---------------------------------------------------------------

template <typename T>
void inverse(const Ref& in, const Ref& out, bool tri, bool upper) {
  int n = static_cast<int>(in.shape[in.ndim() - 1]);
  if (n == 0) return;
  Failure f;
  for_batch(batch_count(in), n, n, [&](int64_t b0, int64_t b1) {
    std::vector<T> a(size_t(n) * n);
    std::vector<int> ipiv(n);
    std::vector<T> work;
    for (int64_t b = b0; b < b1 && f.info == 0; ++b) {
      load_cm(in, b, a.data());
      int info = 0;
      if (tri) {
        trtri(upper ? 'U' : 'L', n, a.data(), &info);
      } else {
        getrf(n, n, a.data(), ipiv.data(), &info);
        if (info == 0) {
          if (work.empty()) {
            T q;
            getri(n, a.data(), ipiv.data(), &q, -1, &info);
            work.resize(lwork_of(q));
          }
          getri(n, a.data(), ipiv.data(), work.data(), static_cast<int>(work.size()), &info);
        }
      }
      if (info != 0) {
        f.set(info);
        return;
      }
      T* dst = out.data<T>() + b * n * n;
      store_rm(a.data(), n, dst, n, n);
      if (tri) zero_other_triangle(dst, n, upper);
    }
  });
  if (f.info > 0) {
    fail(tri ? "linalg::tri_inv" : "linalg::inv",
         "the matrix is singular: its factor has a zero at diagonal position " +
             std::to_string(f.info - 1),
         f.info);
  }
  if (f.info < 0) fail(tri ? "linalg::tri_inv" : "linalg::inv", "LAPACK failed", f.info);
}

// MLX returns what the factorization leaves even when the matrix is not
// positive definite, so potrf's positive info is not an error here either.
template <typename T>
void cholesky(const Ref& in, const Ref& out, bool upper) {
  int n = static_cast<int>(in.shape[in.ndim() - 1]);
  if (n == 0) return;
  for_batch(batch_count(in), n, n, [&](int64_t b0, int64_t b1) {
    std::vector<T> a(size_t(n) * n);
    for (int64_t b = b0; b < b1; ++b) {
      load_cm(in, b, a.data());
      int info = 0;
      potrf(upper ? 'U' : 'L', n, a.data(), &info);
      T* dst = out.data<T>() + b * n * n;
      store_rm(a.data(), n, dst, n, n);
      zero_other_triangle(dst, n, upper);
    }
  });
}

template <typename T>
void qr(const Ref& in, const Ref& q_out, const Ref& r_out) {
  int nd = in.ndim();
  int m = static_cast<int>(in.shape[nd - 2]), n = static_cast<int>(in.shape[nd - 1]);
  int k = std::min(m, n);
  if (k == 0) return;
  Failure f;
  for_batch(batch_count(in), m, n, [&](int64_t b0, int64_t b1) {
    std::vector<T> a(size_t(m) * n), tau(std::max(k, 1)), work;
    for (int64_t b = b0; b < b1 && f.info == 0; ++b) {
      load_cm(in, b, a.data());
      int info = 0;
      if (work.empty()) {
        T q1, q2;
        geqrf(m, n, a.data(), tau.data(), &q1, -1, &info);
        orgqr(m, k, k, a.data(), tau.data(), &q2, -1, &info);
        work.resize(std::max(lwork_of(q1), lwork_of(q2)));
      }
      int lw = static_cast<int>(work.size());
      geqrf(m, n, a.data(), tau.data(), work.data(), lw, &info);
      if (info != 0) {
        f.set(info);
        return;
      }
      T* r = r_out.data<T>() + b * int64_t(k) * n;
      store_rm(a.data(), m, r, k, n);
      for (int i = 0; i < k; ++i) {
        for (int j = 0; j < std::min(i, n); ++j) r[i * n + j] = T(0);
      }
      orgqr(m, k, k, a.data(), tau.data(), work.data(), lw, &info);
      if (info != 0) {
        f.set(info);
        return;
      }
      store_rm(a.data(), m, q_out.data<T>() + b * int64_t(m) * k, m, k);
    }
  });
  if (f.info != 0) fail("linalg::qr", "QR factorization failed", f.info);
}

// gesdd for each dtype: one signature (rwork unused by the real ones).
void gesdd(char jobz, int m, int n, float* a, float* s, float* u, int ldu, float* vt, int ldvt,
           float* w, int lw, float*, int* iw, int* info) {
  sgesdd_(&jobz, &m, &n, a, &m, s, u, &ldu, vt, &ldvt, w, &lw, iw, info);
}
void gesdd(char jobz, int m, int n, double* a, double* s, double* u, int ldu, double* vt, int ldvt,
           double* w, int lw, double*, int* iw, int* info) {
  dgesdd_(&jobz, &m, &n, a, &m, s, u, &ldu, vt, &ldvt, w, &lw, iw, info);
}
void gesdd(char jobz, int m, int n, cfloat* a, float* s, cfloat* u, int ldu, cfloat* vt, int ldvt,
           cfloat* w, int lw, float* rw, int* iw, int* info) {
  cgesdd_(&jobz, &m, &n, a, &m, s, u, &ldu, vt, &ldvt, w, &lw, rw, iw, info);
}

template <typename T>
void set_identity(T* dst, int64_t n) {
  for (int64_t i = 0; i < n * n; ++i) dst[i] = T(0);
  for (int64_t i = 0; i < n; ++i) dst[i * n + i] = T(1);
}

template <typename T>
void svd(const Ref& in, const std::vector<Ref>& outs, bool uv) {
  using R = real_t<T>;
  int nd = in.ndim();
  int m = static_cast<int>(in.shape[nd - 2]), n = static_cast<int>(in.shape[nd - 1]);
  int k = std::min(m, n), mx = std::max(m, n);
  const Ref& s_out = uv ? outs[1] : outs[0];
  Failure f;
  for_batch(batch_count(in), m, n, [&](int64_t b0, int64_t b1) {
    std::vector<T> a(size_t(m) * n), u(uv ? size_t(m) * m : 1), vt(uv ? size_t(n) * n : 1), work;
    std::vector<R> s(std::max(k, 1));
    std::vector<int> iwork(8 * std::max(k, 1));
    // cgesdd's real workspace (LAPACK's bound for either job).
    std::vector<R> rwork(std::is_same_v<T, cfloat>
                             ? size_t(std::max(5 * k * k + 5 * k, 2 * mx * k + 2 * k * k + k)) +
                                   7 * k + 1
                             : 1);
    char jobz = uv ? 'A' : 'N';
    for (int64_t b = b0; b < b1 && f.info == 0; ++b) {
      if (k == 0) {  // no values; U and Vt are identities
        if (uv) {
          set_identity(outs[0].data<T>() + b * int64_t(m) * m, m);
          set_identity(outs[2].data<T>() + b * int64_t(n) * n, n);
        }
        continue;
      }
      load_cm(in, b, a.data());
      int info = 0;
      if (work.empty()) {
        T q;
        gesdd(jobz, m, n, a.data(), s.data(), u.data(), std::max(m, 1), vt.data(), std::max(n, 1),
              &q, -1, rwork.data(), iwork.data(), &info);
        work.resize(lwork_of(q));
      }
      gesdd(jobz, m, n, a.data(), s.data(), u.data(), std::max(m, 1), vt.data(), std::max(n, 1),
            work.data(), static_cast<int>(work.size()), rwork.data(), iwork.data(), &info);
      if (info != 0) {
        f.set(info);
        return;
      }
      std::copy(s.begin(), s.begin() + k, s_out.data<R>() + b * k);
      if (uv) {
        store_rm(u.data(), m, outs[0].data<T>() + b * int64_t(m) * m, m, m);
        store_rm(vt.data(), n, outs[2].data<T>() + b * int64_t(n) * n, n, n);
      }
    }
  });
  if (f.info > 0) fail("linalg::svd", "SVD did not converge", f.info);
  if (f.info < 0) fail("linalg::svd", "SVD failed (is there a NaN or inf in the input?)", f.info);
}

void syevd(char jobz, char uplo, int n, float* a, float* w, float* wk, int lw, float*, int, int* iw,
           int liw, int* info) {
  ssyevd_(&jobz, &uplo, &n, a, &n, w, wk, &lw, iw, &liw, info);
}
void syevd(char jobz, char uplo, int n, double* a, double* w, double* wk, int lw, double*, int,
           int* iw, int liw, int* info) {
  dsyevd_(&jobz, &uplo, &n, a, &n, w, wk, &lw, iw, &liw, info);
}
void syevd(char jobz, char uplo, int n, cfloat* a, float* w, cfloat* wk, int lw, float* rw, int lrw,
           int* iw, int liw, int* info) {
  cheevd_(&jobz, &uplo, &n, a, &n, w, wk, &lw, rw, &lrw, iw, &liw, info);
}

template <typename T>
void eigh(const Ref& in, const std::vector<Ref>& outs, char uplo, bool vectors) {
  using R = real_t<T>;
  int n = static_cast<int>(in.shape[in.ndim() - 1]);
  if (n == 0) return;
  Failure f;
  for_batch(batch_count(in), n, n, [&](int64_t b0, int64_t b1) {
    std::vector<T> a(size_t(n) * n), work;
    std::vector<R> w(n), rwork;
    std::vector<int> iwork;
    char jobz = vectors ? 'V' : 'N';
    for (int64_t b = b0; b < b1 && f.info == 0; ++b) {
      load_cm(in, b, a.data());
      int info = 0;
      if (work.empty()) {
        T q;
        R rq = 1;
        int iq = 1;
        syevd(jobz, uplo, n, a.data(), w.data(), &q, -1, &rq, -1, &iq, -1, &info);
        work.resize(lwork_of(q));
        rwork.resize(std::max(1, static_cast<int>(rq)));
        iwork.resize(std::max(1, iq));
      }
      syevd(jobz, uplo, n, a.data(), w.data(), work.data(), static_cast<int>(work.size()),
            rwork.data(), static_cast<int>(rwork.size()), iwork.data(),
            static_cast<int>(iwork.size()), &info);
      if (info != 0) {
        f.set(info);
        return;
      }
      std::copy(w.begin(), w.end(), outs[0].data<R>() + b * n);
      if (vectors) store_rm(a.data(), n, outs[1].data<T>() + b * int64_t(n) * n, n, n);
    }
  });
  if (f.info != 0) fail("linalg::eigh", "the eigensolver did not converge", f.info);
}

// geev for the real types writes real and imaginary parts apart; the complex
// one writes complex values: both end as complex64 through `finish`.
template <typename T>
void eig(const Ref& in, const std::vector<Ref>& outs, bool vectors) {
  int n = static_cast<int>(in.shape[in.ndim() - 1]);
  if (n == 0) return;
  Failure f;
  char jobvr = vectors ? 'V' : 'N';
  int one = 1;
  for_batch(batch_count(in), n, n, [&](int64_t b0, int64_t b1) {
    std::vector<T> a(size_t(n) * n), vr(vectors ? size_t(n) * n : 1), work;
    std::vector<T> wr(n), wi(n);
    std::vector<float> rwork(2 * size_t(n));
    for (int64_t b = b0; b < b1 && f.info == 0; ++b) {
      load_cm(in, b, a.data());
      int info = 0;
      auto call = [&](T* wk, int lw) {
        if constexpr (std::is_same_v<T, cfloat>) {
          cgeev_("N", &jobvr, &n, a.data(), &n, wr.data(), nullptr, &one, vr.data(), &n, wk, &lw,
                 rwork.data(), &info);
        } else if constexpr (std::is_same_v<T, float>) {
          sgeev_("N", &jobvr, &n, a.data(), &n, wr.data(), wi.data(), nullptr, &one, vr.data(), &n,
                 wk, &lw, &info);
        } else {
          dgeev_("N", &jobvr, &n, a.data(), &n, wr.data(), wi.data(), nullptr, &one, vr.data(), &n,
                 wk, &lw, &info);
        }
      };
      if (work.empty()) {
        T q;
        call(&q, -1);
        work.resize(lwork_of(q));
      }
      call(work.data(), static_cast<int>(work.size()));
      if (info != 0) {
        f.set(info);
        return;
      }
      cfloat* w_out = outs[0].data<cfloat>() + b * n;
      cfloat* v_out = vectors ? outs[1].data<cfloat>() + b * int64_t(n) * n : nullptr;
      if constexpr (std::is_same_v<T, cfloat>) {
        std::copy(wr.begin(), wr.end(), w_out);
        if (vectors) store_rm(vr.data(), n, v_out, n, n);
      } else {
        for (int j = 0; j < n; ++j) {
          w_out[j] = cfloat(static_cast<float>(wr[j]), static_cast<float>(wi[j]));
        }
        if (vectors) {
          // A conjugate pair (wi[j] > 0) stores its vector as columns j (real
          // part) and j + 1 (imaginary part).
          for (int j = 0; j < n; ++j) {
            bool pair = wi[j] != T(0) && j + 1 < n;
            for (int i = 0; i < n; ++i) {
              if (pair) {
                float re = static_cast<float>(vr[i + size_t(j) * n]);
                float im = static_cast<float>(vr[i + size_t(j + 1) * n]);
                v_out[i * n + j] = cfloat(re, im);
                v_out[i * n + j + 1] = cfloat(re, -im);
              } else {
                v_out[i * n + j] = cfloat(static_cast<float>(vr[i + size_t(j) * n]), 0.f);
              }
            }
            if (pair) ++j;
          }
        }
      }
    }
  });
  if (f.info != 0) fail("linalg::eig", "the eigensolver did not converge", f.info);
}

// Singular matrices are not an error: U then has a zero on its diagonal.
template <typename T>
void luf(const Ref& in, const std::vector<Ref>& outs) {
  int nd = in.ndim();
  int m = static_cast<int>(in.shape[nd - 2]), n = static_cast<int>(in.shape[nd - 1]);
  int k = std::min(m, n);
  for_batch(batch_count(in), m, n, [&](int64_t b0, int64_t b1) {
    std::vector<T> a(size_t(m) * n);
    std::vector<int> ipiv(std::max(k, 1)), rows(m);
    for (int64_t b = b0; b < b1; ++b) {
      int info = 0;
      if (k > 0) {
        load_cm(in, b, a.data());
        getrf(m, n, a.data(), ipiv.data(), &info);
        store_rm(a.data(), m, outs[0].data<T>() + b * int64_t(m) * n, m, n);
      }
      uint32_t* piv = outs[1].data<uint32_t>() + b * k;
      std::iota(rows.begin(), rows.end(), 0);
      for (int i = 0; i < k; ++i) {
        piv[i] = static_cast<uint32_t>(ipiv[i] - 1);
        std::swap(rows[i], rows[ipiv[i] - 1]);
      }
      // Row j of L U is row rows[j] of A.
      uint32_t* perm = outs[2].data<uint32_t>() + b * m;
      for (int j = 0; j < m; ++j) perm[rows[j]] = static_cast<uint32_t>(j);
    }
  });
}

// Allocates every output and queues fn(in, refs) (skipped when the batch is empty).
template <typename F>
void run(const array& in, std::vector<array>& outputs, F&& fn) {
  for (auto& o : outputs) allocate_row_contiguous(o);
  int64_t count = 1;
  for (int d = 0; d < in.ndim() - 2; ++d) count *= in.shape()[d];
  if (count == 0) return;
  std::vector<Ref> refs;
  for (auto& o : outputs) refs.emplace_back(o);
  dispatch([in = Ref(in), refs = std::move(refs), fn = std::forward<F>(fn)] { fn(in, refs); });
}

}  // namespace
}  // namespace cpu

void Inverse::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  bool tri = tri_, upper = upper_;
  cpu::run(inputs[0], outputs, [tri, upper](const cpu::Ref& in, const std::vector<cpu::Ref>& o) {
    cpu::dispatch_real(in.dtype,
                       [&](auto tag) { cpu::inverse<decltype(tag)>(in, o[0], tri, upper); });
  });
}

void Cholesky::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  bool upper = upper_;
  cpu::run(inputs[0], outputs, [upper](const cpu::Ref& in, const std::vector<cpu::Ref>& o) {
    cpu::dispatch_real(in.dtype, [&](auto tag) { cpu::cholesky<decltype(tag)>(in, o[0], upper); });
  });
}

void QRF::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  cpu::run(inputs[0], outputs, [](const cpu::Ref& in, const std::vector<cpu::Ref>& o) {
    cpu::dispatch_real(in.dtype, [&](auto tag) { cpu::qr<decltype(tag)>(in, o[0], o[1]); });
  });
}

void SVD::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  bool uv = compute_uv_;
  cpu::run(inputs[0], outputs, [uv](const cpu::Ref& in, const std::vector<cpu::Ref>& o) {
    cpu::dispatch_lapack(in.dtype, [&](auto tag) { cpu::svd<decltype(tag)>(in, o, uv); });
  });
}

void Eigh::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  char uplo = uplo_;
  bool vectors = vectors_;
  cpu::run(inputs[0], outputs, [uplo, vectors](const cpu::Ref& in, const std::vector<cpu::Ref>& o) {
    cpu::dispatch_lapack(in.dtype,
                         [&](auto tag) { cpu::eigh<decltype(tag)>(in, o, uplo, vectors); });
  });
}

void Eig::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  bool vectors = vectors_;
  cpu::run(inputs[0], outputs, [vectors](const cpu::Ref& in, const std::vector<cpu::Ref>& o) {
    cpu::dispatch_lapack(in.dtype, [&](auto tag) { cpu::eig<decltype(tag)>(in, o, vectors); });
  });
}

void LUF::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  cpu::run(inputs[0], outputs, [](const cpu::Ref& in, const std::vector<cpu::Ref>& o) {
    cpu::dispatch_real(in.dtype, [&](auto tag) { cpu::luf<decltype(tag)>(in, o); });
  });
}

}  // namespace tandem
