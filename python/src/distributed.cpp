// tandem.core.distributed: mlx.core.distributed for one process
// (tandem/distributed.h): the singleton group, collectives that return
// their input's values, point-to-point calls that raise.
#include "tandem/distributed.h"

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include "python/src/common.h"

namespace tandem::py {

void init_distributed(nb::module_& parent) {
  namespace d = tandem::distributed;
  nb::module_ m = parent.def_submodule(
      "distributed",
      "Communication between processes (mlx.core.distributed). Tandem has no communication "
      "backend: every group is this process alone, collectives return their input's values and "
      "send/recv raise, as MLX does for a group of one process.");
  nb::class_<d::Group>(m, "Group",
                       "A group of processes that communicate: here always this process alone.")
      .def("rank", &d::Group::rank, "This process's rank in the group (0).")
      .def("size", &d::Group::size, "The number of processes in the group (1).")
      .def("split", &d::Group::split, "color"_a, "key"_a = -1,
           "Splits the group by color (raises RuntimeError: a group of one process cannot be "
           "split).");
  m.def("is_available", &d::is_available,
        "Whether a communication backend is available (False: Tandem runs as one process).");
  m.def(
      "init", [](bool strict, const std::string& backend) { return d::init(strict, backend); },
      "strict"_a = false, "backend"_a = "any",
      "The global group: the group of this process alone. With strict=True raises "
      "RuntimeError, as no backend is available; backend must be 'any', 'mpi', 'nccl', 'jaccl' "
      "or 'ring'.");
  const auto G = "group"_a = nb::none();
  const auto S = "stream"_a = nb::none();
  using Collective = array (*)(const array&, std::optional<d::Group>, StreamOrDevice);
  struct Named {
    const char* name;
    Collective fn;
    const char* doc;
  };
  const Named collectives[] = {
      {"all_sum", &d::all_sum, "Sum of x over the processes of the group (here: x's values)."},
      {"all_max", &d::all_max, "Maximum of x over the processes (here: x's values)."},
      {"all_min", &d::all_min, "Minimum of x over the processes (here: x's values)."},
      {"all_gather", &d::all_gather,
       "x of every process concatenated along axis 0 (here: x's values)."},
      {"sum_scatter", &d::sum_scatter,
       "Sum over the processes, split along axis 0 among them (here: x's values)."},
  };
  for (const Named& c : collectives) {
    Collective fn = c.fn;
    m.def(
        c.name,
        [fn](ArrayLike x, std::optional<d::Group> group, StreamOrDevice s) {
          return fn(to_array(x), group, s);
        },
        "x"_a, nb::kw_only(), G, S, c.doc);
  }
  m.def(
      "send",
      [](ArrayLike x, int dst, std::optional<d::Group> group, StreamOrDevice s) {
        return d::send(to_array(x), dst, group, s);
      },
      "x"_a, "dst"_a, nb::kw_only(), G, S,
      "Sends x to process dst (raises ValueError: there is no other process).");
  m.def(
      "recv",
      [](Shape shape, Dtype dtype, int src, std::optional<d::Group> group, StreamOrDevice s) {
        return d::recv(shape, dtype, src, group, s);
      },
      "shape"_a, "dtype"_a, "src"_a, nb::kw_only(), G, S,
      "Receives an array of shape and dtype from process src (raises ValueError: there is no "
      "other process).");
  m.def(
      "recv_like",
      [](ArrayLike x, int src, std::optional<d::Group> group, StreamOrDevice s) {
        return d::recv_like(to_array(x), src, group, s);
      },
      "x"_a, "src"_a, nb::kw_only(), G, S,
      "Receives an array like x from process src (raises ValueError: there is no other "
      "process).");
}

}  // namespace tandem::py
