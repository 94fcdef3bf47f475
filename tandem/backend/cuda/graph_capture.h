#pragma once
// Kernel launches recorded as CUDA graphs (docs/design.md, "Launch overhead").
//
// A plain cudaLaunchKernel costs the host several microseconds. Instead, a
// stream's kernels are captured (cudaStreamBeginCapture) into segments; a
// segment is ended when it is long enough or when anything other than a
// kernel must be queued on the stream, and is then launched as one graph.
// Executable graphs are cached by the segment's sequence of node kinds
// (kernel or copy) and refreshed with cudaGraphExecUpdate, which is cheap,
// so a segment costs one graph launch plus a fraction of a microsecond per
// kernel. A kernel of a full wave of blocks or more ends its segment at once:
// it runs long enough to hide the launches after it, and the GPU should not
// wait for the rest of a segment to start it. Library calls (cuBLASLt) are not captured: they may
// launch with attributes (clusters, programmatic dependencies) that a cached graph's nodes would
// not match.
#include <cuda_runtime.h>

#include <cstdint>
#include <exception>
#include <unordered_map>

namespace tandem::gpu {

class GraphCapture {
 public:
  // big_grid: blocks from which a kernel ends its segment (0: never).
  GraphCapture(cudaStream_t s, unsigned big_grid);
  ~GraphCapture();
  GraphCapture(const GraphCapture&) = delete;
  GraphCapture& operator=(const GraphCapture&) = delete;

  // Whether kernels are captured at all (TANDEM_CUDA_GRAPHS=0 turns it off).
  static bool enabled();

  // Queues a kernel: captured when graphs are on, launched directly
  // otherwise. Throws on a launch error.
  void launch(const void* kernel, dim3 grid, dim3 block, void** args, size_t smem);

  // Queues a device-to-device copy: captured when graphs are on.
  void copy(void* dst, const void* src, size_t bytes);

  // Ends the segment being captured and launches it. With `restart`, the
  // next segments start short again (a new eval), so the GPU starts early.
  void flush(bool restart = false);

  // The error that lost captured work (a failed launch, instantiation or
  // graph launch), once; the executor fails the current batch with it.
  std::exception_ptr take_failure();

 private:
  void begin();
  // Queues one operation of the given node kind (0 kernel, 1 copy): issue()
  // queues it on the stream and returns its status; what names it in errors.
  template <typename Issue>
  void queue(unsigned kind, const char* what, Issue&& issue);
  // Ends a full segment, starts capturing if needed, counts one node of the
  // given kind in the segment's signature.
  void prepare_node(unsigned kind);
  void fail(const char* what, cudaError_t err);
  cudaGraphExec_t exec_for(cudaGraph_t g, uint64_t signature);

  struct Exec {
    cudaGraphExec_t exec;
    uint64_t last_use;
  };
  cudaStream_t stream_;
  bool capturing_ = false;
  size_t nodes_ = 0;        // operations in the segment being captured
  uint64_t signature_ = 0;  // their count and kinds
  size_t limit_;            // operations after which the segment is launched
  unsigned big_grid_;
  uint64_t clock_ = 0;
  std::unordered_map<uint64_t, Exec> execs_;  // by signature
  std::exception_ptr failure_;
};

}  // namespace tandem::gpu
