// Compiles (NVRTC, sm_90, no GPU needed) the device programs of the
// elementwise families: Binary (every op x dtype), Select, the CastFn copies
// of AsType and Reshape (every dtype pair), Arange, and Unary (every op x
// dtype with the output dtype the ops give), so device-code errors show up
// in CI.
#ifdef TANDEM_WITH_CUDA

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tandem/backend/cuda/jit.h"
#include "tandem/dtype.h"
#include "tandem/primitives/binary.h"
#include "tandem/primitives/unary.h"
#include "test_utils.h"

using namespace tandem;

namespace {

const char* kIdx[] = {"uint32_t", "int64_t"};

std::string dt(Dtype t) {
  return gpu::device_type(t);
}

// The kernels of one functor as the host names them: every kernel shape
// with both index types when `all`, else the dense one with 32-bit indices
// (which instantiates the whole functor; keeps the compile short).
void add_map(std::vector<std::string>& names, const char* arity, const std::string& fn,
             const std::string& in, const std::string& out, bool all) {
  for (const char* kind : {"_contig", "_strided"}) {
    for (const char* idx : kIdx) {
      names.push_back(std::string("tandem::") + arity + kind + "<" + fn + ", " + in + ", " + out +
                      ", " + idx + ">");
      if (!all) return;
    }
  }
}

class JitElementwiseBinary : public ::testing::TestWithParam<int> {};

// One program per op holding every dtype (binary.cpp compiles one per op
// and dtype; the full set of kernel shapes for float32 and int64).
TEST_P(JitElementwiseBinary, EveryDtype) {
  auto op = static_cast<BinaryOp>(GetParam());
  std::vector<std::string> names;
  for (Dtype t : all_dtypes) {
    std::string fn = "tandem::BinaryFn<" + std::to_string(GetParam()) + ", " + dt(t) + ">";
    std::string out = is_comparison(op) ? "bool" : dt(t);
    add_map(names, "map2", fn, dt(t), out, t == float32 || t == int64);
  }
  test::expect_jit_compiles("binary.cuh", names);
}

INSTANTIATE_TEST_SUITE_P(Ops, JitElementwiseBinary,
                         ::testing::Range(0, static_cast<int>(BinaryOp::NaNEqual) + 1),
                         [](const auto& info) {
                           return std::string(binary_op_name(static_cast<BinaryOp>(info.param)));
                         });

TEST(JitElementwise, SelectEveryDtype) {
  std::vector<std::string> names;
  // Every shape and index type for float32 and complex64, the dense one
  // for the rest.
  for (Dtype t : all_dtypes) {
    bool all = t == float32 || t == complex64;
    for (const char* kind : {"select_contig", "select_strided"}) {
      for (const char* idx : kIdx) {
        names.push_back(std::string("tandem::") + kind + "<" + dt(t) + ", " + idx + ">");
        if (!all) break;
      }
      if (!all) break;
    }
  }
  test::expect_jit_compiles("binary.cuh", names);
}

TEST(JitElementwise, ArangeEveryDtype) {
  std::vector<std::string> names;
  for (Dtype t : all_dtypes) {
    for (const char* idx : kIdx) names.push_back("tandem::arange<" + dt(t) + ", " + idx + ">");
    if (is_integral(t)) {
      for (const char* idx : kIdx) {
        names.push_back("tandem::arange_int<" + dt(t) + ", " + idx + ">");
      }
    }
  }
  test::expect_jit_compiles("creation.cuh", names);
}

// AsType and the reshape copy: CastFn over every (in, out) pair; one
// program per input dtype.
TEST(JitElementwise, CastEveryDtypePair) {
  for (Dtype in : all_dtypes) {
    std::vector<std::string> names;
    for (Dtype out : all_dtypes) {
      std::string fn = "tandem::CastFn<" + dt(in) + ", " + dt(out) + ">";
      add_map(names, "map1", fn, dt(in), dt(out), out == float32);
    }
    SCOPED_TRACE(dtype_name(in));
    test::expect_jit_compiles("elementwise.cuh", names);
  }
}

class JitElementwiseUnary : public ::testing::TestWithParam<int> {};

// Unary ops (unary.cpp): out is in's dtype, bool for predicates, float32
// for Abs/Real/Imag of complex64.
TEST_P(JitElementwiseUnary, EveryDtype) {
  auto op = static_cast<UnaryOp>(GetParam());
  std::vector<std::string> names;
  for (Dtype t : all_dtypes) {
    Dtype out = t;
    if (is_predicate(op)) {
      out = bool_;
    } else if (t == complex64 &&
               (op == UnaryOp::Abs || op == UnaryOp::Real || op == UnaryOp::Imag)) {
      out = float32;
    }
    std::string fn =
        "tandem::UnaryFn<" + std::to_string(GetParam()) + ", " + dt(t) + ", " + dt(out) + ">";
    add_map(names, "map1", fn, dt(t), dt(out), t == float32);
  }
  test::expect_jit_compiles("unary.cuh", names);
}

INSTANTIATE_TEST_SUITE_P(Ops, JitElementwiseUnary,
                         ::testing::Range(0, static_cast<int>(UnaryOp::BitwiseInvert) + 1),
                         [](const auto& info) {
                           return std::string(unary_op_name(static_cast<UnaryOp>(info.param)));
                         });

}  // namespace

#endif  // TANDEM_WITH_CUDA
