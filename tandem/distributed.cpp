// The singleton group of mlx.core.distributed (see distributed.h).
#include "tandem/distributed.h"

#include <stdexcept>

#include "tandem/ops/creation.h"

namespace tandem::distributed {
namespace {

array collective(const array& x, StreamOrDevice s) {
  return copy(x, s);
}

[[noreturn]] void no_peer(const char* op, const char* what, int peer) {
  throw std::invalid_argument(std::string("[distributed.") + op + "] cannot " + what + " process " +
                              std::to_string(peer) +
                              ": the group is this process alone (Tandem has no communication "
                              "backend; size() is 1)");
}

}  // namespace

Group Group::split(int, int) const {
  throw std::runtime_error(
      "[distributed.Group.split] cannot split the group further: it is this process alone");
}

bool is_available() {
  return false;
}

Group init(bool strict, const std::string& backend) {
  if (backend != "any" && backend != "mpi" && backend != "nccl" && backend != "jaccl" &&
      backend != "ring") {
    throw std::invalid_argument(
        "[distributed.init] backend must be 'any', 'mpi', 'nccl', 'jaccl' or 'ring'; got '" +
        backend + "'");
  }
  if (strict) {
    throw std::runtime_error(
        "[distributed.init] no communication backend is available (Tandem "
        "runs as one process; with strict=False init returns the singleton "
        "group)");
  }
  return Group();
}

array all_sum(const array& x, std::optional<Group>, StreamOrDevice s) {
  return collective(x, s);
}
array all_max(const array& x, std::optional<Group>, StreamOrDevice s) {
  return collective(x, s);
}
array all_min(const array& x, std::optional<Group>, StreamOrDevice s) {
  return collective(x, s);
}
array all_gather(const array& x, std::optional<Group>, StreamOrDevice s) {
  return collective(x, s);
}
array sum_scatter(const array& x, std::optional<Group>, StreamOrDevice s) {
  return collective(x, s);
}

array send(const array&, int dst, std::optional<Group>, StreamOrDevice) {
  no_peer("send", "send to", dst);
}
array recv(const Shape&, Dtype, int src, std::optional<Group>, StreamOrDevice) {
  no_peer("recv", "receive from", src);
}
array recv_like(const array&, int src, std::optional<Group>, StreamOrDevice) {
  no_peer("recv_like", "receive from", src);
}

}  // namespace tandem::distributed
