// Devices and streams: Device, DeviceType (mx.cpu, mx.gpu), Stream, the
// per-thread default streams, `with mx.stream(s):`, synchronize, and the
// cuda / metal submodules.
#include <memory>
#include <sstream>

#include "python/src/common.h"

namespace {
// The Python types of Stream and Device (set at module init): every
// op parses `stream=`, and an exact type compare is much cheaper than
// nb::isinstance's lookup of the bound type by std::type_info.
PyTypeObject* g_stream_type = nullptr;
PyTypeObject* g_device_type = nullptr;
PyTypeObject* g_local_stream_type = nullptr;
}  // namespace

namespace nanobind::detail {

bool type_caster<tandem::StreamOrDevice>::from_python(handle src, uint8_t flags,
                                                      cleanup_list* cleanup) noexcept {
  using namespace tandem;
  if (src.is_none()) {
    value = std::monostate{};
    return true;
  }
  PyTypeObject* t = Py_TYPE(src.ptr());
  if (t == g_stream_type) {
    value = *nb::inst_ptr<Stream>(src);
    return true;
  }
  if (t == g_device_type) {
    value = *nb::inst_ptr<Device>(src);
    return true;
  }
  // A ThreadLocalStream means the calling thread's stream of it: ops run on
  // the thread that parses their arguments.
  if (t == g_local_stream_type || nb::isinstance<ThreadLocalStream>(src)) {
    try {
      value = nb::inst_ptr<ThreadLocalStream>(src)->stream();
    } catch (...) {
      return false;
    }
    return true;
  }
  // Subclasses and the DeviceType enum (mx.cpu) take the general checks.
  if (nb::isinstance<Stream>(src)) {
    value = *nb::inst_ptr<Stream>(src);
    return true;
  }
  if (nb::isinstance<Device>(src)) {
    value = *nb::inst_ptr<Device>(src);
    return true;
  }
  if (nb::isinstance<Device::DeviceType>(src)) {
    value = Device(nb::cast<Device::DeviceType>(src));
    return true;
  }
  return false;
}

handle type_caster<tandem::StreamOrDevice>::from_cpp(const tandem::StreamOrDevice& v, rv_policy p,
                                                     cleanup_list* c) noexcept {
  using namespace tandem;
  if (auto* s = std::get_if<Stream>(&v))
    return make_caster<Stream>::from_cpp(*s, rv_policy::copy, c);
  if (auto* d = std::get_if<Device>(&v))
    return make_caster<Device>::from_cpp(*d, rv_policy::copy, c);
  return none().release();
}

}  // namespace nanobind::detail

namespace tandem::py {
namespace {

std::string to_str(const auto& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// `with mx.stream(s):` makes s (or a device's default stream) the default.
class PyStreamContext {
 public:
  explicit PyStreamContext(StreamOrDevice s) : target_(std::move(s)) {
    if (std::holds_alternative<std::monostate>(target_)) {
      throw std::invalid_argument("[stream] expected a Stream or a Device, got None");
    }
  }
  void enter() {
    if (auto* s = std::get_if<Stream>(&target_)) {
      ctx_ = std::make_unique<StreamContext>(*s);
    } else {
      ctx_ = std::make_unique<StreamContext>(std::get<Device>(target_));
    }
  }
  void exit() { ctx_.reset(); }

 private:
  StreamOrDevice target_;
  std::unique_ptr<StreamContext> ctx_;
};

}  // namespace

void init_devices(nb::module_& m) {
  nb::enum_<Device::DeviceType>(m, "DeviceType", "The kind of a device: cpu or gpu.")
      .value("cpu", Device::DeviceType::cpu)
      .value("gpu", Device::DeviceType::gpu)
      .export_values();

  nb::class_<Device>(m, "Device", "A device: a DeviceType and an index.")
      .def(nb::init<Device::DeviceType, int>(), "type"_a, "index"_a = 0)
      .def_ro("type", &Device::type)
      .def_ro("index", &Device::index)
      .def("__repr__", [](const Device& d) { return to_str(d); })
      .def("__eq__",
           [](const Device& d, nb::handle o) {
             if (nb::isinstance<Device>(o)) return d == *nb::inst_ptr<Device>(o);
             if (nb::isinstance<Device::DeviceType>(o)) {
               return d.type == nb::cast<Device::DeviceType>(o) && d.index == 0;
             }
             return false;
           })
      .def("__hash__", [](const Device& d) { return static_cast<int>(d.type) * 1024 + d.index; })
      .def("__getstate__", [](const Device& d) { return nb::make_tuple(d.type, d.index); })
      .def("__setstate__", [](Device& d, const std::tuple<Device::DeviceType, int>& st) {
        new (&d) Device(std::get<0>(st), std::get<1>(st));
      });
  nb::implicitly_convertible<Device::DeviceType, Device>();

  nb::class_<Stream>(m, "Stream", "An ordered queue of work on one device.")
      .def(nb::init<int, Device>(), "index"_a, "device"_a,
           nb::sig("def __init__(self, index: int, device: tandem.core.Device | "
                   "tandem.core.DeviceType) -> None"))
      .def_ro("device", &Stream::device)
      .def_ro("index", &Stream::index)
      .def("__repr__", [](const Stream& s) { return to_str(s); })
      .def("__eq__",
           [](const Stream& s, nb::handle o) {
             return nb::isinstance<Stream>(o) && s == *nb::inst_ptr<Stream>(o);
           })
      .def("__hash__", [](const Stream& s) { return s.index; });

  nb::class_<PyStreamContext>(m, "StreamContext",
                              "Context manager that makes a stream (or a device's default "
                              "stream) the default within a `with` block.")
      .def(nb::init<StreamOrDevice>(), nb::arg("s").none())
      .def("__enter__", [](PyStreamContext& c) { c.enter(); })
      .def(
          "__exit__", [](PyStreamContext& c, nb::handle, nb::handle, nb::handle) { c.exit(); },
          "exc_type"_a.none(), "exc_value"_a.none(), "traceback"_a.none());

  nb::class_<ThreadLocalStream>(
      m, "ThreadLocalStream",
      "A stream that is a different stream in each thread that uses it (made on first use), so "
      "threads sharing it never wait on one another's work. Anything that takes a Stream takes "
      "it too.")
      .def_ro("device", &ThreadLocalStream::device)
      .def("__repr__", [](const ThreadLocalStream& s) { return to_str(s); })
      .def("__eq__",
           [](const ThreadLocalStream& s, nb::handle o) {
             return nb::isinstance<ThreadLocalStream>(o) &&
                    s == *nb::inst_ptr<ThreadLocalStream>(o);
           })
      .def("__hash__", [](const ThreadLocalStream& s) { return s.id; });

  g_stream_type = reinterpret_cast<PyTypeObject*>(nb::type<Stream>().ptr());
  g_local_stream_type = reinterpret_cast<PyTypeObject*>(nb::type<ThreadLocalStream>().ptr());
  g_device_type = reinterpret_cast<PyTypeObject*>(nb::type<Device>().ptr());

  m.def(
      "stream", [](StreamOrDevice s) { return PyStreamContext(std::move(s)); }, nb::arg("s").none(),
      "Context manager: within `with stream(s):`, s (a Stream or Device) is the default.");

  m.def("default_device", &default_device, "The device operations run on when none is given.");
  // The signatures name DeviceType too: mx.cpu converts implicitly to a Device.
  m.def("set_default_device", &set_default_device, "device"_a,
        nb::sig(
            "def set_default_device(device: tandem.core.Device | tandem.core.DeviceType) -> None"),
        "Sets the default device (process wide).");
  m.def("default_stream", &default_stream, "device"_a,
        nb::sig("def default_stream(device: tandem.core.Device | tandem.core.DeviceType) -> "
                "tandem.core.Stream"),
        "The calling thread's default stream on a device.");
  m.def("set_default_stream", &set_default_stream, "stream"_a,
        "Makes stream the calling thread's default for its device.");
  m.def(
      "set_default_stream", [](const ThreadLocalStream& s) { set_default_stream(s.stream()); },
      "stream"_a, "Makes this thread's stream of a ThreadLocalStream the default for its device.");
  m.def("new_stream", &new_stream, "device"_a,
        nb::sig("def new_stream(device: tandem.core.Device | tandem.core.DeviceType) -> "
                "tandem.core.Stream"),
        "A new stream on a device.");
  m.def("new_thread_local_stream", &new_thread_local_stream, "device"_a,
        "A ThreadLocalStream on a device: each thread that uses it gets its own stream.");
  m.def("new_thread_unsafe_stream", &new_thread_unsafe_stream, "device"_a,
        "A new stream that any thread may use. Every Tandem stream is one, so this is "
        "new_stream (MLX ties new_stream's streams to their thread); ordering work that "
        "several threads put on it is up to them.");
  m.def(
      "clear_streams", [] { clear_streams(); },
      "Waits for the calling thread's default streams and its streams of ThreadLocalStreams, "
      "then gives them up for reuse; its next operations get streams afresh. Streams from "
      "new_stream stay, as any thread may be using them.");
  m.def(
      "synchronize", [](StreamOrDevice s) { synchronize_interruptible(to_stream(s)); },
      "stream"_a = nb::none(),
      "Waits for all work on a stream (default: the default stream) to finish.");
  m.def("is_available", &tandem::is_available, "device"_a,
        nb::sig("def is_available(device: tandem.core.Device | tandem.core.DeviceType) -> bool"),
        "Whether operations can run on the device.");
  m.def(
      "device_count", [](Device::DeviceType t) { return tandem::device_count(t); }, "device_type"_a,
      "How many devices of a type exist.");
  m.def(
      "device_info",
      [](std::optional<Device> d) {
        Device dev = d.value_or(default_device());
        nb::dict info;
        info["device_name"] = dev.type == Device::cpu ? "cpu" : "cuda";
        info["architecture"] = dev.type == Device::cpu ? "cpu" : "cuda";
        info["memory_limit"] = get_memory_limit();
        return info;
      },
      "device"_a = nb::none(),
      nb::sig("def device_info(device: tandem.core.Device | tandem.core.DeviceType | None = None) "
              "-> dict[str, str | int]"),
      "A dict describing a device.");

  nb::module_ cuda = m.def_submodule("cuda", "CUDA backend queries.");
  cuda.def(
      "is_available", [] { return tandem::device_count(Device::gpu) > 0; },
      "Whether a CUDA GPU can be used.");
  nb::module_ metal = m.def_submodule("metal", "Metal backend queries (never available here).");
  metal.def(
      "is_available", [] { return false; }, "Always False: Tandem has no Metal backend.");
}

}  // namespace tandem::py
