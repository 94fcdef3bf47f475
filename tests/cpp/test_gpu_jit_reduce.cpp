// Compiles (NVRTC, sm_90, no GPU needed) the device programs of the reduce
// family, with the kernel names the host builds (tandem/backend/cuda/
// reduce.h): Reduce (every op x input dtype x output dtype the ops give),
// ArgReduce, Scan (every op x dtype the ops give) and the sorts (every
// dtype), so device-code errors show up in CI. One program per op holds all
// dtypes; the full kernel set is compiled for a few representative dtypes
// and the first kernel (which instantiates the op for the types) for the
// others, which keeps the compile short.
#ifdef TANDEM_WITH_CUDA

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tandem/backend/cuda/jit.h"
#include "tandem/backend/cuda/reduce.h"
#include "tandem/dtype.h"
#include "tandem/primitives/reduce.h"
#include "tandem/primitives/scan.h"
#include "test_utils.h"

using namespace tandem;
namespace gr = tandem::gpu::red;

namespace {

bool representative(Dtype t) {
  return t == float32 || t == float16 || t == complex64 || t == int8 || t == bool_ || t == float64;
}

// Adds a program's kernels: all of them, or only the first.
void add(std::vector<std::string>& names, const std::vector<std::string>& ks, bool all) {
  for (size_t i = 0; i < (all ? ks.size() : 1); ++i) {
    if (std::find(names.begin(), names.end(), ks[i]) == names.end()) names.push_back(ks[i]);
  }
}

// The output dtypes the ops give a Reduce of op over input t.
std::vector<Dtype> reduce_outputs(ReduceOp op, Dtype t) {
  switch (op) {
    case ReduceOp::And:
    case ReduceOp::Or:
      return {bool_};
    case ReduceOp::Max:
    case ReduceOp::Min:
      return {t};
    default: {
      Dtype acc = t;
      if (t == bool_)
        acc = int32;
      else if (is_unsigned(t))
        acc = t.size() <= 4 ? uint32 : uint64;
      else if (is_integral(t))
        acc = t.size() <= 4 ? int32 : int64;
      if (op == ReduceOp::Sum && gr::is_half(t)) return {t, float32};  // mean sums in float32
      return {acc};
    }
  }
}

class JitReduceOps : public ::testing::TestWithParam<int> {};

TEST_P(JitReduceOps, EveryDtype) {
  auto op = static_cast<ReduceOp>(GetParam());
  std::vector<std::string> names;
  for (Dtype t : all_dtypes) {
    for (Dtype o : reduce_outputs(op, t))
      add(names, gr::reduce_kernel_names(op, t, o), representative(t));
  }
  test::expect_jit_compiles("reduce.cuh", names);
}

INSTANTIATE_TEST_SUITE_P(Reduce, JitReduceOps, ::testing::Range(0, 6));

class JitReduceArg : public ::testing::TestWithParam<int> {};

TEST_P(JitReduceArg, EveryDtype) {
  auto op = static_cast<ArgReduceOp>(GetParam());
  std::vector<std::string> names;
  for (Dtype t : all_dtypes) add(names, gr::arg_reduce_kernel_names(op, t), representative(t));
  test::expect_jit_compiles("reduce.cuh", names);
}

INSTANTIATE_TEST_SUITE_P(Reduce, JitReduceArg, ::testing::Values(0, 1));

class JitReduceScan : public ::testing::TestWithParam<int> {};

// Sum and Prod never see bool (the ops scan it as int32); LogAddExp takes
// the real floating types.
TEST_P(JitReduceScan, EveryDtype) {
  auto op = static_cast<ScanOp>(GetParam());
  std::vector<std::string> names;
  for (Dtype t : all_dtypes) {
    if ((op == ScanOp::Sum || op == ScanOp::Prod) && t == bool_) continue;
    if (op == ScanOp::LogAddExp && !is_floating_point(t)) continue;
    add(names, gr::scan_kernel_names(op, t), representative(t));
  }
  test::expect_jit_compiles("scan.cuh", names);
}

INSTANTIATE_TEST_SUITE_P(Reduce, JitReduceScan, ::testing::Range(0, 5));

// Sort, ArgSort, Partition and ArgPartition share one program per dtype.
TEST(JitReduceSort, EveryDtype) {
  std::vector<std::string> names;
  for (Dtype t : all_dtypes) {
    auto ks = gr::sort_kernel_names(t);
    // The big tile instantiates cub::BlockRadixSort for the key type.
    if (representative(t))
      add(names, ks, true);
    else
      add(names, {ks[2]}, false);
  }
  test::expect_jit_compiles("sort.cuh", names);
}

}  // namespace

#endif  // TANDEM_WITH_CUDA
