#pragma once
// Builds without CUDA: a GPU entry point explains that there is no GPU backend.
#include <stdexcept>
#include <string>

#define TANDEM_NO_GPU(NAME)                                                                   \
  void NAME::eval_gpu(const std::vector<array>&, std::vector<array>&) {                       \
    throw std::runtime_error(std::string("[") + name() +                                      \
                             "] the GPU is not available: Tandem was built without CUDA");   \
  }
