#pragma once
// The interface between the core and the backends: each backend defines these
// functions; the core never includes backend headers.
#include <chrono>
#include <memory>
#include <vector>

#include "tandem/allocator.h"
#include "tandem/event.h"
#include "tandem/stream.h"

namespace tandem {

// Runs the work of one stream. The evaluating thread calls a primitive's
// eval_cpu/eval_gpu (which hands kernels to the backend) and then submit().
class StreamExecutor {
 public:
  virtual ~StreamExecutor() = default;
  // Called before the primitive encodes its kernels with the events the node
  // waits for. Streams whose kernels are launched in order at encode time
  // (GPU) order them after these waits here; CPU streams wait in submit.
  virtual void prepare(const std::shared_ptr<Event>* waits, size_t num_waits) {}
  // Whether kernels were handed over since the last submit (or discard).
  virtual bool has_pending() const = 0;
  // Packages the kernels handed over since the last submit into one task that
  // first waits for `waits`, then runs (if none of them failed), then signals
  // `done`, or fails it with the first error. With no kernels it is a barrier.
  virtual void submit(std::shared_ptr<Event> done, const std::shared_ptr<Event>* waits,
                      size_t num_waits) = 0;
  // Drops kernels handed over but not submitted (the primitive threw).
  virtual void discard() = 0;
  // Hands tasks submitted from this thread (which may be held back to be
  // handed over in batches) to the stream. The scheduler calls it before
  // moving to another stream and at the end of every eval.
  virtual void flush() = 0;
  // Like flush, for a thread about to wait for these tasks (the end of a
  // synchronous eval): a stream with nothing else to run may run them on the
  // calling thread instead, which saves waking its worker and then the
  // caller.
  virtual void flush_and_run() { flush(); }
  // Blocks until every submitted task has run; rethrows the first task
  // failure since the last synchronize.
  virtual void synchronize() = 0;
  // Blocks until every submitted task has run, ignoring failures.
  virtual void drain() = 0;
  // Like drain (after a flush), for at most `slice`; true once drained. For
  // waits that must stay interruptible (memory pressure under Ctrl-C).
  virtual bool drain_for(std::chrono::microseconds slice) = 0;
};

namespace cpu {
std::unique_ptr<StreamExecutor> make_executor(Stream s);
// For the CPU node being encoded on this thread (its kernels dispatched, not
// yet submitted): if its task holds buf, counts the task as a pending writer
// of buf (Buffer::pending_cpu_writers) until it has run and signalled, and
// returns true.
bool count_writer(Buffer& buf);
}  // namespace cpu

namespace gpu {
bool is_available();
int device_count();
// Throws std::runtime_error in a build without CUDA.
std::unique_ptr<StreamExecutor> make_executor(Stream s);
// For a CPU consumer of a buffer valid only on the GPU: allocates its host
// copy now and queues the copy after `producer` (may be null); returns the
// event of the copy, or null when the host copy is already valid.
std::shared_ptr<Event> copy_to_host_async(const std::shared_ptr<Buffer>& buf,
                                          const std::shared_ptr<Event>& producer);
// Makes buf's host copy valid, blocking until it is.
void copy_to_host(const std::shared_ptr<Buffer>& buf);
// Frees the memory that threads which may not synchronize the device queued
// (their cudaFree could wait for themselves): now if no GPU stream spins on a
// host flag, or after those spins are released once the queue is large.
// Called at the start of every eval outside tasks.
void reclaim_deferred_frees();
}  // namespace gpu

namespace scheduler {
// The executor of stream index i (created by new_stream).
StreamExecutor& executor(int stream_index);
// Hands the calling thread's held-back tasks on every stream to the streams.
void flush_all();
// Waits for all streams' work to finish (used under memory pressure);
// throws Interrupted if an interrupt the calling thread watches arrives.
void drain_all();
}  // namespace scheduler

}  // namespace tandem
