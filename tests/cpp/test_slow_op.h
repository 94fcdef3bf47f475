#pragma once
// TestOp: a CPU primitive whose kernel sleeps, then copies its input, or
// throws. The scheduler and GPU stream tests build slow producers and failing
// tasks from it.
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "tandem/backend/cpu/encoder.h"
#include "tandem/primitive.h"
#include "tandem/tandem.h"

namespace tandem::test {

class TestOp : public Primitive {
 public:
  TestOp(Stream s, int sleep_ms, bool fail) : Primitive(s), sleep_ms_(sleep_ms), fail_(fail) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override {
    array& out = outputs[0];
    out.set_data(allocator::malloc(out.nbytes()));
    cpu::dispatch([in = cpu::Ref(inputs[0]), out = cpu::Ref(out), ms = sleep_ms_, f = fail_] {
      if (ms) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      if (f) throw std::runtime_error("[test_op] deliberate kernel failure");
      std::memcpy(out.ptr, in.ptr, in.size * in.dtype.size());
    });
  }
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override {
    throw std::runtime_error("[test_op] cpu only");
  }
  const char* name() const override { return "TestOp"; }

 private:
  int sleep_ms_;
  bool fail_;
};

// A row-contiguous copy of x made by TestOp on stream s.
inline array test_op(const array& x, Stream s, int sleep_ms = 0, bool fail = false) {
  array c = contiguous(x, false, s);
  return array(c.shape(), c.dtype(), std::make_shared<TestOp>(s, sleep_ms, fail), {c});
}

}  // namespace tandem::test
