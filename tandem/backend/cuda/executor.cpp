// The GPU stream executor (docs/design.md, "Evaluation and streams").
//
// Kernels are launched by the evaluating thread, in order, on a non-blocking
// CUDA stream. Nodes are grouped in batches: after a batch a CUDA event is
// recorded, which other GPU streams wait on, and a completer thread waits
// for it, then signals the batch's Tandem events (or fails them if a CPU
// task they waited on failed) and releases the buffers the batch used.
#include <algorithm>
#include <mutex>
#include <sstream>
#include <vector>

#include "tandem/backend.h"
#include "tandem/backend/cuda/completer.h"
#include "tandem/backend/cuda/cuda_check.h"
#include "tandem/backend/cuda/device.h"
#include "tandem/backend/cuda/encoder.h"
#include "tandem/backend/cuda/memory.h"
#include "tandem/kernels/kernel_args.h"

namespace tandem::gpu {
namespace {

// Nodes per batch before it is closed even within one eval, so completion
// (and the release of memory) keeps pace with long graphs.
constexpr size_t kBatchNodes = 256;

class GpuExecutor;

// What the node being encoded on this thread holds.
struct NodeState {
  GpuExecutor* owner = nullptr;
  bool used = false;  // queued work on the stream
  std::vector<std::shared_ptr<Buffer>> buffers;
};
thread_local NodeState t_node;

struct Batch {
  std::shared_ptr<BatchMark> mark;
  std::vector<std::shared_ptr<Event>> events;
  std::vector<std::shared_ptr<Event>> waits;
  std::vector<std::shared_ptr<Buffer>> buffers;
};

class GpuExecutor : public StreamExecutor {
 public:
  explicit GpuExecutor(Stream s) : stream_index_(s.index) {
    bind_thread();
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    encoder_ = std::make_unique<Encoder>(stream_);
    batch_.mark = std::make_shared<BatchMark>(stream_);
  }
  ~GpuExecutor() override {
    drain();
    cudaStreamDestroy(stream_);
  }

  Encoder& encoder() {
    begin_node();
    return *encoder_;
  }
  // Keeps the buffer list's capacity: a node then costs no allocation here.
  static void end_node() {
    t_node.owner = nullptr;
    t_node.used = false;
    t_node.buffers.clear();
  }
  void begin_node() {
    if (t_node.owner != this) {
      t_node.owner = this;
      t_node.used = false;
      t_node.buffers.clear();
    }
  }

  void prepare(const std::shared_ptr<Event>* waits, size_t n) override {
    bind_thread();
    begin_node();
    for (size_t i = 0; i < n; ++i) {
      // Waits are queued outside CUDA graphs: launch what was recorded first.
      if (stream_wait_needed(stream_, *waits[i])) stream_wait(encoder_->stream(), waits[i]);
    }
  }

  bool has_pending() const override { return t_node.owner == this && t_node.used; }

  void submit(std::shared_ptr<Event> done, const std::shared_ptr<Event>* waits, size_t n) override {
    std::unique_lock lk(mu_);
    done->gpu_mark = batch_.mark;
    batch_.events.push_back(std::move(done));
    for (size_t i = 0; i < n; ++i) {
      if (!waits[i]->done() || waits[i]->failed()) batch_.waits.push_back(waits[i]);
    }
    if (t_node.owner == this) {
      for (auto& b : t_node.buffers) batch_.buffers.push_back(std::move(b));
      end_node();
    }
    if (batch_.events.size() >= kBatchNodes) close_batch(lk);
  }

  void discard() override {
    if (t_node.owner == this) end_node();
  }

  void flush() override {
    std::unique_lock lk(mu_);
    if (!batch_.events.empty()) close_batch(lk);
    encoder_->flush(/*restart=*/true);
  }

  void synchronize() override {
    drain();
    std::lock_guard lk(mu_);
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

  void drain() override {
    flush();
    completer_.drain();
  }
  bool drain_for(std::chrono::microseconds slice) override { return completer_.drain_for(slice); }

  cudaStream_t stream() const { return stream_; }

 private:
  // Records the batch's event and hands the batch to the completer. Called
  // with mu_ held; releases it while the completer has no room.
  void close_batch(std::unique_lock<std::mutex>& lk) {
    encoder_->flush();
    auto lost = encoder_->take_failure();
    Batch b = std::move(batch_);
    batch_ = Batch{};
    batch_.mark = std::make_shared<BatchMark>(stream_);
    cudaEvent_t ev = acquire_event();
    // Two records: the mark (waited on by other streams, kept while events
    // point to it) and the completer's own event.
    check(cudaEventRecord(b.mark->ev, stream_), "cudaEventRecord");
    b.mark->recorded.store(true, std::memory_order_release);
    check(cudaEventRecord(ev, stream_), "cudaEventRecord");
    lk.unlock();
    completer_.push(ev, [this, b = std::move(b), lost](cudaError_t err) mutable {
      std::exception_ptr failure = lost;
      if (!failure && err != cudaSuccess) {
        try {
          throw_cuda_error("gpu kernel", err);
        } catch (...) {
          failure = std::current_exception();
        }
      }
      for (auto& w : b.waits) {
        if (!failure && w->failed()) failure = w->error();
      }
      // Release the buffers before signalling (as CPU tasks do), so that
      // donation sees exact counts once the events read done.
      b.buffers.clear();
      for (auto& e : b.events) failure ? e->fail(failure) : e->signal();
      if (failure) {
        std::lock_guard l(mu_);
        if (!error_) error_ = failure;
      }
    });
    lk.lock();
  }

  int stream_index_;
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<Encoder> encoder_;
  std::mutex mu_;
  Batch batch_;
  std::exception_ptr error_;
  Completer completer_;  // last: its thread stops before the rest is destroyed
};

GpuExecutor& executor_of(const Stream& s) {
  return static_cast<GpuExecutor&>(scheduler::executor(s.index));
}

}  // namespace

std::unique_ptr<StreamExecutor> make_executor(Stream s) {
  if (!is_available()) {
    throw std::invalid_argument("[gpu] the GPU is not available (no usable CUDA device)");
  }
  return std::make_unique<GpuExecutor>(s);
}

Encoder& encoder(const Stream& s) {
  return executor_of(s).encoder();
}

// ---------------------------------------------------------------- Encoder

namespace {
// Adds the array and device to an out-of-memory message.
[[noreturn]] void rethrow_oom(const OutOfMemory& e, const array& a) {
  std::ostringstream msg;
  msg << e.what() << " for an array of shape " << a.shape() << " and dtype " << a.dtype()
      << " on gpu";
  throw OutOfMemory(msg.str());
}
}  // namespace

cudaStream_t Encoder::stream() {
  flush();
  return stream_;
}

void Encoder::copy(void* dst, const void* src, size_t bytes) {
  t_node.used = true;
  if (bytes == 0) return;
  std::lock_guard lk(mu_);
  capture_.copy(dst, src, bytes);
}

void Encoder::flush(bool restart) {
  std::lock_guard lk(mu_);
  capture_.flush(restart);
}

std::exception_ptr Encoder::take_failure() {
  std::lock_guard lk(mu_);
  return capture_.take_failure();
}

const void* Encoder::in(const array& a) {
  auto& buf = a.buffer();
  t_node.buffers.push_back(buf);
  void* base = buf->device;
  if (!device_ready_on(*buf, stream_)) {
    try {
      base = ensure_device(buf, stream());
    } catch (const OutOfMemory& e) {
      rethrow_oom(e, a);
    }
  }
  return static_cast<const char*>(base) + a.offset();
}

void* Encoder::out(array& out) {
  return this->out(out, out.size(), row_major_strides(out.shape()), Flags{});
}

void* Encoder::out(array& out, size_t data_size, Strides strides, Flags flags) {
  std::shared_ptr<Buffer> buf;
  try {
    buf = malloc_device(data_size * out.itemsize(), stream_);
  } catch (const OutOfMemory& e) {
    rethrow_oom(e, out);
  }
  void* p = buf->device;
  t_node.buffers.push_back(buf);
  out.set_data(std::move(buf), data_size, std::move(strides), flags, 0);
  return p;
}

void* Encoder::donate(const array& in, array& out) {
  out.copy_shared_buffer(in);
  return static_cast<char*>(out.buffer()->device) + out.offset();
}

void* Encoder::scratch(size_t bytes) {
  auto buf = malloc_device(bytes, stream_);
  void* p = buf->device;
  t_node.buffers.push_back(std::move(buf));
  return p;
}

void Encoder::hold(std::shared_ptr<Buffer> buf) {
  t_node.buffers.push_back(std::move(buf));
}

void Encoder::launch(const void* kernel, dim3 grid, dim3 block, void** args, size_t smem) {
  t_node.used = true;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0) return;
  std::lock_guard lk(mu_);
  capture_.launch(kernel, grid, block, args, smem);
}

void Encoder::mark_used() {
  t_node.used = true;
}

bool can_donate(const array& in, const array& out) {
  auto& b = in.buffer();
  return b && !b->host && b->device && is_donatable(in, out);
}

unsigned blocks_for(size_t n, unsigned threads) {
  size_t blocks = (n + threads - 1) / threads;
  size_t cap = size_t(device_info().sm_count) * 32;
  return static_cast<unsigned>(std::max<size_t>(1, std::min(blocks, cap)));
}

unsigned dense_blocks(size_t n, unsigned threads) {
  const size_t per_thread = k::kDensePerThread;
  size_t sms = device_info().sm_count;
  size_t per = n >= sms * threads * per_thread * 4 ? per_thread : 1;
  size_t blocks = (n + threads * per - 1) / (threads * per);
  // 32-bit indices: a tile loop step (blocks * threads * per) stays below 2^31.
  size_t cap = (size_t(1) << 31) / (threads * per_thread);
  return static_cast<unsigned>(std::max<size_t>(1, std::min(blocks, cap)));
}

}  // namespace tandem::gpu
