#pragma once
// Completion of GPU work on the host: a thread that waits for CUDA events in
// the order they were pushed and then runs their callbacks (signalling
// Tandem events, releasing the buffers the work used).
#include <cuda_runtime.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace tandem::gpu {

class Completer {
 public:
  Completer();
  ~Completer();
  Completer(const Completer&) = delete;
  Completer& operator=(const Completer&) = delete;

  // Runs done(error) once ev completes (error: the CUDA status, cudaSuccess
  // normally); ev goes back to the event pool. Blocks while too much is in
  // flight, which bounds queued GPU work.
  void push(cudaEvent_t ev, std::function<void(cudaError_t)> done);
  // Blocks until every pushed callback has run.
  void drain();
  // drain for at most `slice`; true once drained.
  bool drain_for(std::chrono::microseconds slice);

 private:
  void run();
  // Polls (pause) until drained or `stop`; true once drained.
  bool poll_drained(std::chrono::steady_clock::time_point stop);
  struct Item {
    cudaEvent_t ev;
    std::function<void(cudaError_t)> done;
  };
  std::mutex mu_;
  std::condition_variable cv_;  // work arrived / space freed / drained
  std::deque<Item> items_;
  size_t running_ = 0;  // popped, callback not finished
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace tandem::gpu
