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
#include "tandem/timeline.h"

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

// A batch's timeline (timeline.h), while one is recorded: its host enqueue
// time and a timing event recorded on the stream before its first node.
struct BatchTrace {
  int64_t first_enqueue = 0;
  cudaEvent_t begin = nullptr;
  ~BatchTrace() {
    if (begin) cudaEventDestroy(begin);
  }
};

struct Batch {
  std::shared_ptr<BatchMark> mark;
  std::shared_ptr<BatchTrace> trace;
  std::vector<std::shared_ptr<Event>> events;
  std::vector<std::shared_ptr<Event>> waits;
  std::vector<std::shared_ptr<Buffer>> buffers;
};

class GpuExecutor : public StreamExecutor {
 public:
  explicit GpuExecutor(Stream s)
      : stream_index_(s.index), trace_row_(timeline::device_row(true, s.device.index)) {
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
    if (timeline::on()) begin_batch_trace();
  }

  bool has_pending() const override { return t_node.owner == this && t_node.used; }

  void submit(std::shared_ptr<Event> done, const std::shared_ptr<Event>* waits, size_t n) override {
    std::unique_lock lk(mu_);
    done->gpu_mark = batch_.mark;
    if (done->trace_name && !batch_.trace) {
      // Tracing began after this batch's first node: host times only.
      batch_.trace = std::make_shared<BatchTrace>();
      batch_.trace->first_enqueue = timeline::now();
    }
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

  // A copy to the device queued for the node being encoded.
  void trace_upload(size_t bytes) {
    static const uint32_t kName = timeline::intern("copy to device");
    timeline::instant(trace_row_, stream_index_, kName, timeline::now(), bytes);
  }

 private:
  // Starts the open batch's timeline at its first node: the GPU time of the
  // timing event recorded here (after the node's waits) is the batch's start.
  void begin_batch_trace() {
    std::lock_guard lk(mu_);
    if (batch_.trace) return;
    auto t = std::make_shared<BatchTrace>();
    t->first_enqueue = timeline::now();
    if (cudaEventCreate(&t->begin) != cudaSuccess ||
        cudaEventRecord(t->begin, encoder_->stream()) != cudaSuccess) {
      cudaGetLastError();  // host times only; not an error of the work
      if (t->begin) cudaEventDestroy(t->begin);
      t->begin = nullptr;
    }
    batch_.trace = std::move(t);
  }

  // Records a finished batch (on the completer thread) as one task named
  // after its nodes. Its end is when the completer saw it finish; its
  // length, from the timing events when both were recorded.
  void trace_batch(const Batch& b, cudaEvent_t end, int64_t host_end) {
    int64_t begin = b.trace->first_enqueue;
    const char* timing = "host";
    float ms = 0;
    if (b.trace->begin && end) {
      if (cudaEventElapsedTime(&ms, b.trace->begin, end) == cudaSuccess) {
        begin = std::max(begin, host_end - static_cast<int64_t>(double(ms) * 1e6));
        timing = "cuda events";
      } else {
        cudaGetLastError();
      }
    }
    if (end) cudaEventDestroy(end);
    // Each name once, in order, with its count: "Matmul", "Exp x3, Add".
    std::vector<std::pair<uint32_t, size_t>> names;
    for (auto& e : b.events) {
      if (!e->trace_name) continue;
      auto it = std::find_if(names.begin(), names.end(),
                             [&](auto& p) { return p.first == e->trace_name; });
      if (it == names.end()) {
        names.emplace_back(e->trace_name, 1);
      } else {
        ++it->second;
      }
    }
    std::string name;
    for (size_t i = 0; i < names.size() && i < 3; ++i) {
      if (i) name += ", ";
      name += timeline::name(names[i].first);
      if (names[i].second > 1) name += " x" + std::to_string(names[i].second);
    }
    if (names.size() > 3) name += ", ...";
    if (name.empty()) name = "batch";
    std::string args =
        "\"nodes\": " + std::to_string(b.events.size()) + ", \"timing\": \"" + timing + "\"";
    int64_t mid = begin + (host_end - begin) / 2;
    timeline::task(trace_row_, stream_index_, timeline::intern(name), begin, host_end, nullptr,
                   args, 0, b.trace->first_enqueue);
    for (auto& e : b.events) timeline::completes(*e, trace_row_, stream_index_, mid);
    for (auto& w : b.waits) {
      if (w->stream().index != stream_index_) timeline::waited(*w, trace_row_, stream_index_, mid);
    }
  }

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
    cudaEvent_t trace_end = nullptr;
    if (b.trace && b.trace->begin) {
      // Ahead of the completer's event, so it has finished when that has.
      if (cudaEventCreate(&trace_end) != cudaSuccess ||
          cudaEventRecord(trace_end, stream_) != cudaSuccess) {
        cudaGetLastError();
        if (trace_end) cudaEventDestroy(trace_end);
        trace_end = nullptr;
      }
    }
    check(cudaEventRecord(ev, stream_), "cudaEventRecord");
    lk.unlock();
    completer_.push(ev, [this, b = std::move(b), lost, trace_end](cudaError_t err) mutable {
      int64_t seen = b.trace ? timeline::now() : 0;
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
      if (b.trace) trace_batch(b, trace_end, seen);
    });
    lk.lock();
  }

  int stream_index_;
  int trace_row_;
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

// A kernel of a full wave of blocks ends its graph segment (graph_capture.h).
Encoder::Encoder(cudaStream_t s) : stream_(s), capture_(s, unsigned(device_info().sm_count)) {}

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
    if (timeline::on() && !buf->device_valid.load(std::memory_order_acquire) && t_node.owner) {
      t_node.owner->trace_upload(buf->size);
    }
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
