// Process exit with GPU completion work still running. A completer thread
// signals the events a caller waits on and only then returns the batch's
// CUDA events and buffers to their pools, so a program that exits right
// after its last eval (every test process does) can exit while those
// returns run. The child process (a death test) must exit with status 0.
// Skipped without a GPU; test_exit.cpp exits with the whole runtime busy.
#ifdef TANDEM_WITH_CUDA

#include <atomic>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "tandem/allocator.h"
#include "tandem/backend/cuda/memory.h"
#include "test_utils.h"

using namespace tandem;

namespace {

// What a completer thread does after signalling: events back to the pool
// (a batch's own event, and its mark's when the last holder drops it) and a
// host buffer back to the allocator.
void completion_tail() {
  cudaEvent_t e = gpu::acquire_event();
  gpu::release_event(e);
  { auto mark = std::make_shared<gpu::BatchMark>(nullptr); }
  auto buf = allocator::malloc(4096);
  buf.reset();
}

std::atomic<bool> g_tail_after_statics{false};

// Runs after every static destructor of the process (destructor functions
// of an executable run after the atexit list, where C++ static destructors
// are), once a child below has asked for it.
__attribute__((destructor)) void tail_after_static_destructors() {
  if (g_tail_after_statics.load()) completion_tail();
}

using GpuExitDeathTest = test::ThreadsafeDeathTest;

// The completion tail during exit from several threads, and once more after
// every static destructor has run: the pools it uses must outlive them.
TEST_F(GpuExitDeathTest, CompletionTailDuringAndAfterStaticDestructors) {
  TANDEM_REQUIRE_GPU();
  EXPECT_EXIT(
      {
        eval(exp(test::random_array({1 << 16}, float32), Device::gpu));
        // Enough pooled events and cached buffers that the threads below
        // never create one (CUDA calls fail once exit unloads the runtime).
        std::vector<cudaEvent_t> events;
        std::vector<std::shared_ptr<Buffer>> buffers;
        for (int i = 0; i < 16; ++i) {
          events.push_back(gpu::acquire_event());
          buffers.push_back(allocator::malloc(4096));
        }
        for (auto e : events) gpu::release_event(e);
        buffers.clear();
        g_tail_after_statics = true;
        for (int t = 0; t < 4; ++t) {
          std::thread([] {
            for (;;) completion_tail();
          }).detach();
        }
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace

#endif  // TANDEM_WITH_CUDA
