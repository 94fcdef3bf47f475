#pragma once
// Elementwise fusion inside eval: runs of small Unary and Binary nodes on one
// stream and one shape are rebuilt into one Fused node before they are
// scheduled, so each op of a chain of tiny ops costs a few instructions of a
// shared kernel instead of a task (CPU) or a launch (GPU) of its own.
//
// The values a chain computes that nothing outside it holds (no user array,
// no other node, not an eval target) are never written to memory; the others
// become outputs of the fused node, so every array stays valid. Results are
// bit-identical to the unfused kernels'. TANDEM_FUSION=0 turns it off.
#include <cstdint>
#include <limits>
#include <vector>

#include "tandem/array.h"
#include "tandem/kernels/kernel_args.h"
#include "tandem/primitives/fused.h"

namespace tandem {

// Arrays with more elements than this are not fused: their per-op cost is
// small beside their memory traffic, and their unfused kernels use threads
// and donate buffers.
inline constexpr size_t kMaxFusedSize = size_t(1) << 16;
// The GPU fuses any size: a chain over a large array then reads and writes
// memory once instead of once per op (x * sigmoid(1.702 * x) after a
// matmul: one pass instead of three), and its kernel has a 64-bit variant.
inline size_t max_fused_size(const Device& d) {
  return d.type == Device::gpu ? std::numeric_limits<size_t>::max() : kMaxFusedSize;
}
// A fused node reads at most this many distinct arrays and writes at most
// this many (the GPU kernel's fixed-size argument block, tandem/kernels/
// kernel_args.h).
inline constexpr int kMaxFusedInputs = k::kFusedMaxInputs;
inline constexpr int kMaxFusedOutputs = k::kFusedMaxOutputs;
// A fused program has at most this many ops (longer chains make several).
// On the GPU each new program is compiled (NVRTC, about 0.1 s per 250
// float32 ops, several times that for float64 transcendentals), so programs
// there are shorter: the first eval of a new chain waits less, and the
// segments of a long regular chain share one kernel.
inline constexpr int kMaxFusedOps = 1024;
inline constexpr int kMaxFusedOpsGpu = 256;

// Whether eval fuses (TANDEM_FUSION unset or not "0"; read once).
bool fusion_enabled();
// How many Fused nodes evals of this process have built (for tests).
uint64_t fused_node_count();

// Receives the nodes of an eval's topological order one at a time and passes
// each to `schedule`, except fusible ones, which it holds back in a group and
// passes as one Fused node when the group ends: when a node needs one of its
// values, when a node of another stream or shape comes, or at finish(). Nodes
// that do not depend on the open group are passed on at once (before it).
//
// `opened` (if set) is told when a group opens on stream s: the group's
// node will come only when the group ends, so work already passed on for
// other streams can be handed to them now rather than wait for it.
class Fuser {
 public:
  using Schedule = void (*)(array a, void* ctx);
  using Opened = void (*)(Stream s, void* ctx);
  Fuser(Schedule schedule, void* ctx, Opened opened = nullptr)
      : schedule_(schedule), opened_(opened), ctx_(ctx) {}
  Fuser(const Fuser&) = delete;
  Fuser& operator=(const Fuser&) = delete;

  // The next node of the order (an array of it).
  void add(array a);
  // Passes on the open group, if any.
  void finish();
  // Makes room for groups of up to n nodes.
  void reserve(size_t n);

 private:
  bool joins(const array& a) const;
  void append(array a, bool binary);
  // The index of `in` among the group's inputs, or -1.
  int32_t find_input(const array& in) const;
  void close();
  void pass_unfused();

  // The members' ops, their operands coded as >= 0 for another member's
  // value and < 0 for the input -code - 1 (numbered as values at close).
  std::vector<FusedInstr> instrs_;

  Schedule schedule_;
  Opened opened_;
  void* ctx_;
  uint64_t group_ = 0;          // id of the open group (0: none), marked on its nodes
  size_t max_ops_ = 0;          // the open group's op limit (by device)
  std::vector<array> members_;  // the open group's nodes, in order
  std::vector<array> inputs_;   // the distinct arrays they read from outside
  std::vector<long> uses_;      // per member: reads of its value by later members
};

}  // namespace tandem
