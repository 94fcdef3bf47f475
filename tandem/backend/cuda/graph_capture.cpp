#include "tandem/backend/cuda/graph_capture.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "tandem/backend/cuda/cuda_check.h"

namespace tandem::gpu {
namespace {

// Segment lengths: short first, so the GPU starts while the host is still
// encoding, then longer; capped so the work left when the host finishes is
// short too.
constexpr size_t kFirstSegment = 8;
constexpr size_t kMaxSegment = 64;
// Executable graphs kept per stream (each holds some device resources).
constexpr size_t kMaxExecs = 32;

}  // namespace

bool GraphCapture::enabled() {
  static const bool on = [] {
    const char* e = std::getenv("TANDEM_CUDA_GRAPHS");
    return !(e && e[0] == '0');
  }();
  return on;
}

GraphCapture::GraphCapture(cudaStream_t s, unsigned big_grid)
    : stream_(s), limit_(kFirstSegment), big_grid_(big_grid) {}

GraphCapture::~GraphCapture() {
  if (capturing_) {
    cudaGraph_t g = nullptr;
    cudaStreamEndCapture(stream_, &g);
    if (g) cudaGraphDestroy(g);
  }
  for (auto& [n, e] : execs_) cudaGraphExecDestroy(e.exec);
}

void GraphCapture::begin() {
  // Relaxed: other threads may allocate or synchronise unrelated work meanwhile.
  check(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed), "cudaStreamBeginCapture");
  capturing_ = true;
  nodes_ = 0;
  signature_ = 0;
}

void GraphCapture::prepare_node(unsigned kind) {
  if (capturing_ && nodes_ >= limit_) {
    flush();
    limit_ = std::min(limit_ * 2, kMaxSegment);
  }
  if (!capturing_) begin();
  ++nodes_;
  signature_ = signature_ * 0x100000001b3ull + kind + 1;
}

template <typename Issue>
void GraphCapture::queue(unsigned kind, const char* what, Issue&& issue) {
  if (!enabled()) return check(issue(), what);
  prepare_node(kind);
  if (cudaError_t err = issue()) {
    // Launch what was captured before; if the error invalidated the
    // capture, that work is lost and flush records the failure.
    cudaGetLastError();
    flush();
    throw_cuda_error(what, err);
  }
}

void GraphCapture::launch(const void* kernel, dim3 grid, dim3 block, void** args, size_t smem) {
  queue(0, "cudaLaunchKernel",
        [&] { return cudaLaunchKernel(kernel, grid, block, args, smem, stream_); });
  if (capturing_ && big_grid_ && uint64_t(grid.x) * grid.y * grid.z >= big_grid_) flush();
}

void GraphCapture::copy(void* dst, const void* src, size_t bytes) {
  queue(1, "cudaMemcpyAsync(device to device)",
        [&] { return cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_); });
}

void GraphCapture::flush(bool restart) {
  if (restart) limit_ = kFirstSegment;
  if (!capturing_) return;
  capturing_ = false;
  cudaGraph_t g = nullptr;
  if (cudaError_t err = cudaStreamEndCapture(stream_, &g)) {
    cudaGetLastError();
    return fail("cudaStreamEndCapture", err);
  }
  cudaGraphExec_t exec = exec_for(g, signature_ ^ (uint64_t(nodes_) << 48));
  cudaGraphDestroy(g);
  if (!exec) return;
  if (cudaError_t err = cudaGraphLaunch(exec, stream_)) {
    cudaGetLastError();
    fail("cudaGraphLaunch", err);
  }
}

cudaGraphExec_t GraphCapture::exec_for(cudaGraph_t g, uint64_t signature) {
  ++clock_;
  // A captured segment is a chain of plain kernel and copy nodes, so
  // executables with the same sequence of kinds differ only in their nodes'
  // parameters (kernels included), which cudaGraphExecUpdate changes in place.
  if (auto it = execs_.find(signature); it != execs_.end()) {
    cudaGraphExecUpdateResultInfo info;
    if (cudaGraphExecUpdate(it->second.exec, g, &info) == cudaSuccess) {
      it->second.last_use = clock_;
      return it->second.exec;
    }
    cudaGetLastError();
    cudaGraphExecDestroy(it->second.exec);
    execs_.erase(it);
  }
  if (execs_.size() >= kMaxExecs) {
    auto oldest = std::min_element(execs_.begin(), execs_.end(), [](auto& a, auto& b) {
      return a.second.last_use < b.second.last_use;
    });
    // Freed by CUDA once any launch of it in flight has finished.
    cudaGraphExecDestroy(oldest->second.exec);
    execs_.erase(oldest);
  }
  cudaGraphExec_t exec = nullptr;
  if (cudaError_t err = cudaGraphInstantiate(&exec, g, 0)) {
    cudaGetLastError();
    fail("cudaGraphInstantiate", err);
    return nullptr;
  }
  execs_.emplace(signature, Exec{exec, clock_});
  return exec;
}

void GraphCapture::fail(const char* what, cudaError_t err) {
  if (failure_) return;
  try {
    throw_cuda_error(what, err);
  } catch (...) {
    failure_ = std::current_exception();
  }
}

std::exception_ptr GraphCapture::take_failure() {
  return std::exchange(failure_, nullptr);
}

}  // namespace tandem::gpu
