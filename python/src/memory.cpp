// The memory API: active / peak / cache bytes, limits, clear_cache.
#include "tandem/memory.h"

#include <vector>

#include "python/src/common.h"

namespace tandem::py {
namespace {

// The arrays among the leaves of lists, tuples and dicts under h.
void collect_arrays(nb::handle h, std::vector<array>& out) {
  if (is_array(h)) {
    out.push_back(as_array(h));
  } else if (nb::isinstance<nb::list>(h) || nb::isinstance<nb::tuple>(h)) {
    for (nb::handle x : h) collect_arrays(x, out);
  } else if (nb::isinstance<nb::dict>(h)) {
    for (auto [k, v] : nb::borrow<nb::dict>(h)) collect_arrays(v, out);
  }
}

}  // namespace

void init_memory(nb::module_& m) {
  m.def(
      "get_array_buffer_size",
      [](nb::args args) {
        std::vector<array> arrays;
        collect_arrays(args, arrays);
        return get_array_buffer_size(arrays);
      },
      nb::sig("def get_array_buffer_size(*args: object) -> int"),
      "Bytes of the distinct buffers behind the arrays in the arguments (arrays or trees of "
      "lists, tuples and dicts; other leaves are skipped), each counted once at the size of "
      "the block the allocator holds. The arrays must be evaluated.");
  m.def("get_active_memory", &get_active_memory, "Bytes held by live arrays' buffers.");
  m.def("get_peak_memory", &get_peak_memory,
        "Most bytes held at once since start or the last reset_peak_memory().");
  m.def("reset_peak_memory", &reset_peak_memory, "Resets the peak memory to zero.");
  m.def("get_cache_memory", &get_cache_memory, "Bytes held in the allocator's cache.");
  m.def("get_memory_limit", &get_memory_limit, "The limit on active memory, in bytes.");
  m.def("set_memory_limit", &set_memory_limit, "limit"_a,
        "Sets the limit on active memory; returns the previous limit.");
  m.def("set_cache_limit", &set_cache_limit, "limit"_a,
        "Sets the most bytes the cache keeps; returns the previous limit.");
  m.def("set_wired_limit", &set_wired_limit, "limit"_a,
        "Accepted for MLX compatibility; returns the previous value.");
  m.def("clear_cache", &clear_cache, "Frees every cached block.");
  // Older MLX spellings under mx.metal.
  nb::module_ metal = nb::borrow<nb::module_>(m.attr("metal"));
  for (const char* name :
       {"get_active_memory", "get_peak_memory", "reset_peak_memory", "get_cache_memory",
        "set_memory_limit", "set_cache_limit", "set_wired_limit", "clear_cache"}) {
    metal.attr(name) = m.attr(name);
  }
}

}  // namespace tandem::py
