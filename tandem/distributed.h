#pragma once
// mlx.core.distributed for one process. Tandem has no communication backend
// (MPI, NCCL, ring): every group is the singleton group of this process,
// collectives return their input's values, and point-to-point calls raise,
// as MLX does for a singleton group. Code written for several processes runs
// unchanged as one.
#include <optional>
#include <string>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::distributed {

// A group of processes: here always this process alone.
class Group {
 public:
  int rank() const { return 0; }
  int size() const { return 1; }
  // Throws std::runtime_error: a singleton group cannot be split.
  Group split(int color, int key = -1) const;
};

// Whether a communication backend is built in: false.
bool is_available();

// The global group. strict: throw std::runtime_error when no backend is
// available (always, here) instead of returning the singleton group.
// backend: "any", "mpi", "nccl", "jaccl" or "ring" (else
// std::invalid_argument).
Group init(bool strict = false, const std::string& backend = "any");

// Collectives over the group: for one process, a copy of x.
array all_sum(const array& x, std::optional<Group> group = std::nullopt, StreamOrDevice s = {});
array all_max(const array& x, std::optional<Group> group = std::nullopt, StreamOrDevice s = {});
array all_min(const array& x, std::optional<Group> group = std::nullopt, StreamOrDevice s = {});
array all_gather(const array& x, std::optional<Group> group = std::nullopt, StreamOrDevice s = {});
array sum_scatter(const array& x, std::optional<Group> group = std::nullopt, StreamOrDevice s = {});

// Point to point: throw std::invalid_argument (no other process to reach).
array send(const array& x, int dst, std::optional<Group> group = std::nullopt,
           StreamOrDevice s = {});
array recv(const Shape& shape, Dtype dtype, int src, std::optional<Group> group = std::nullopt,
           StreamOrDevice s = {});
array recv_like(const array& x, int src, std::optional<Group> group = std::nullopt,
                StreamOrDevice s = {});

}  // namespace tandem::distributed
