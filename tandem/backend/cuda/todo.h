#pragma once
// Placeholder for primitives whose GPU kernels have not landed yet: using
// them on a GPU stream raises a clear error (never a wrong answer).
#include <stdexcept>
#include <string>

#define TANDEM_GPU_TODO(NAME)                                                      \
  void NAME::eval_gpu(const std::vector<array>&, std::vector<array>&) {            \
    throw std::invalid_argument(std::string("[") + name() +                        \
                                "] has no GPU kernel yet; run it on a CPU stream " \
                                "(stream=mx.cpu)");                                \
  }
