#include "tandem/backend/cpu/blas_setup.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace tandem::cpu {
namespace {

// Looked up at run time: only DYNAMIC_ARCH builds of OpenBLAS have them
// (Debian's do), and any other BLAS must still link.
template <typename F>
F blas_fn(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

// 3: AVX-512 with bfloat16, 2: AVX-512, 1: AVX2 with FMA, 0: older.
int cpu_level() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  if (avx512 && __builtin_cpu_supports("avx512bf16")) return 3;
  if (avx512) return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

// Cores OpenBLAS picks when it recognizes an AVX2 or newer x86 CPU; any
// other name on such a CPU is a fallback.
bool modern_core(const char* name) {
  for (const char* m : {"Haswell", "SkylakeX", "Cooperlake", "SapphireRapids", "Zen"}) {
    if (strcasecmp(name, m) == 0) return true;
  }
  return false;
}

}  // namespace

std::string blas_core() {
  auto corename = blas_fn<char* (*)()>("openblas_get_corename");
  const char* n = corename ? corename() : nullptr;
  return n ? n : "";
}

void blas_setup() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto quit = blas_fn<void (*)()>("gotoblas_dynamic_quit");
    auto init = blas_fn<void (*)()>("gotoblas_dynamic_init");
    std::string before = blas_core();
    if (!quit || !init || before.empty() || std::getenv("OPENBLAS_CORETYPE")) return;
    int level = cpu_level();
    if (level == 0 || modern_core(before.c_str())) return;
    static const char* const kCore[] = {"", "Haswell", "SkylakeX", "Cooperlake"};
    // gotoblas_dynamic_init reads OPENBLAS_CORETYPE, as at load; no BLAS call
    // has run yet (this runs before the first CPU stream exists).
    setenv("OPENBLAS_CORETYPE", kCore[level], 0);
    quit();
    init();
    unsetenv("OPENBLAS_CORETYPE");
    if (std::getenv("TANDEM_DEBUG_BLAS")) {
      std::fprintf(stderr, "[tandem] OpenBLAS core %s re-selected as %s\n", before.c_str(),
                   blas_core().c_str());
    }
  });
}

}  // namespace tandem::cpu
