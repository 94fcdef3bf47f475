// NVRTC compilation with an in-memory and an on-disk cache.
#include "tandem/backend/cuda/jit.h"

#include <cuda_runtime.h>
#include <nvrtc.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tandem/backend/cuda/cuda_check.h"
#include "tandem/backend/cuda/device.h"
#include "tandem/backend/cuda/memory.h"

namespace tandem::gpu {
namespace {

void nvrtc_check(nvrtcResult r, const char* what) {
  if (r != NVRTC_SUCCESS) {
    throw std::runtime_error(std::string("[jit] ") + what + ": " + nvrtcGetErrorString(r));
  }
}

std::string cuda_include_dir() {
  if (const char* e = std::getenv("TANDEM_CUDA_INCLUDE"); e && *e) return e;
#ifdef TANDEM_CUDA_INCLUDE_DIR
  return TANDEM_CUDA_INCLUDE_DIR;
#else
  return "/usr/local/cuda/include";
#endif
}

std::filesystem::path cache_dir() {
  if (const char* e = std::getenv("TANDEM_JIT_CACHE"); e && *e) return e;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    return std::filesystem::path(x) / "tandem" / "jit";
  }
  if (const char* h = std::getenv("HOME"); h && *h) {
    return std::filesystem::path(h) / ".cache" / "tandem" / "jit";
  }
  return std::filesystem::temp_directory_path() / "tandem-jit";
}

// FNV-1a, 64 bits: the cache key of a program's full text.
uint64_t fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string arch_of_device() {
  auto& info = device_info();
  return "sm_" + std::to_string(info.cc_major * 10 + info.cc_minor);
}

std::string program_text(const std::string& header, const std::vector<std::string>& names) {
  std::string text = "#include \"" + header + "\"\n";
  for (auto& n : names) text += "// " + n + "\n";
  return text;
}

struct Loaded {
  cudaLibrary_t lib = nullptr;
  std::vector<const void*> kernels;
};

}  // namespace

const char* device_type(Dtype t) {
  switch (t.val) {
    case Dtype::Val::bool_:
      return "bool";
    case Dtype::Val::uint8:
      return "uint8_t";
    case Dtype::Val::uint16:
      return "uint16_t";
    case Dtype::Val::uint32:
      return "uint32_t";
    case Dtype::Val::uint64:
      return "uint64_t";
    case Dtype::Val::int8:
      return "int8_t";
    case Dtype::Val::int16:
      return "int16_t";
    case Dtype::Val::int32:
      return "int32_t";
    case Dtype::Val::int64:
      return "int64_t";
    case Dtype::Val::float16:
      return "__half";
    case Dtype::Val::bfloat16:
      return "__nv_bfloat16";
    case Dtype::Val::float32:
      return "float";
    case Dtype::Val::float64:
      return "double";
    case Dtype::Val::complex64:
      return "tandem::complex64";
  }
  return "void";
}

const char* uint_type(size_t itemsize) {
  switch (itemsize) {
    case 1:
      return "uint8_t";
    case 2:
      return "uint16_t";
    case 4:
      return "uint32_t";
    default:
      return "uint64_t";
  }
}

namespace {

// Whether NVRTC has compiled a program in this process (see
// BackgroundCompiler).
std::atomic<bool> g_nvrtc_used{false};

// Compiles `text` against the embedded device sources; errors throw
// "<failed> failed:" and NVRTC's log. Returns the cubin followed by the
// lowered (mangled) names, one a line, for the loader.
std::string compile_text(const std::string& text, const std::vector<std::string>& names,
                         const std::string& arch, const std::string& failed) {
  auto& sources = device_sources();
  std::vector<const char*> hdr_text, hdr_names;
  for (auto& [name, src] : sources) {
    hdr_names.push_back(name.c_str());
    hdr_text.push_back(src.c_str());
  }
  nvrtcProgram prog;
  nvrtc_check(
      nvrtcCreateProgram(&prog, text.c_str(), "tandem_jit.cu", static_cast<int>(hdr_text.size()),
                         hdr_text.data(), hdr_names.data()),
      "nvrtcCreateProgram");
  struct Destroy {
    nvrtcProgram& p;
    ~Destroy() { nvrtcDestroyProgram(&p); }
  } destroy{prog};
  for (auto& n : names)
    nvrtc_check(nvrtcAddNameExpression(prog, n.c_str()), "nvrtcAddNameExpression");
  std::string arch_opt = "--gpu-architecture=" + arch;
  std::string inc = "-I" + cuda_include_dir();
  std::string inc_cccl = inc + "/cccl";
  // No --use_fast_math: NVRTC's default is IEEE division and square roots.
  const char* opts[] = {arch_opt.c_str(), inc.c_str(),       inc_cccl.c_str(),
                        "--std=c++17",    "-default-device", "-DTANDEM_JIT=1"};
  nvrtcResult r = nvrtcCompileProgram(prog, static_cast<int>(std::size(opts)), opts);
  g_nvrtc_used.store(true, std::memory_order_release);
  if (r != NVRTC_SUCCESS) {
    size_t n = 0;
    nvrtcGetProgramLogSize(prog, &n);
    std::string log(n, '\0');
    nvrtcGetProgramLog(prog, log.data());
    throw std::runtime_error(failed + " failed:\n" + log);
  }
  size_t size = 0;
  nvrtc_check(nvrtcGetCUBINSize(prog, &size), "nvrtcGetCUBINSize");
  std::string cubin(size, '\0');
  nvrtc_check(nvrtcGetCUBIN(prog, cubin.data()), "nvrtcGetCUBIN");
  std::string lowered;
  for (auto& n : names) {
    const char* low = nullptr;
    nvrtc_check(nvrtcGetLoweredName(prog, n.c_str(), &low), "nvrtcGetLoweredName");
    lowered += low;
    lowered += '\n';
  }
  std::string out;
  uint64_t cubin_size = cubin.size();
  out.append(reinterpret_cast<const char*>(&cubin_size), sizeof(cubin_size));
  out += cubin;
  out += lowered;
  return out;
}

// The on-disk cache file of a program: named by a hash of key_text (the
// program, the GPU architecture and NVRTC's version) and of every embedded
// source (a changed header changes it).
std::filesystem::path cache_path(const std::string& key_text, const std::string& arch) {
  static const uint64_t sources_hash = [] {
    uint64_t h = 0;
    for (auto& [name, text] : device_sources()) h ^= fnv1a(name + text);
    return h;
  }();
  int nvrtc_major = 0, nvrtc_minor = 0;
  nvrtcVersion(&nvrtc_major, &nvrtc_minor);
  uint64_t key =
      fnv1a(key_text + arch + std::to_string(nvrtc_major) + "." + std::to_string(nvrtc_minor),
            sources_hash);
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(key));
  return cache_dir() / (std::string(hex) + ".bin");
}

std::string read_file(const std::filesystem::path& path) {
  std::string blob;
  std::ifstream f(path, std::ios::binary);
  if (f) blob.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return blob;
}

void write_file(const std::filesystem::path& path, const std::string& blob) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  auto tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    f.write(blob.data(), static_cast<std::streamsize>(blob.size()));
  }
  std::filesystem::rename(tmp, path, ec);  // atomic: readers see all or nothing
}

// Loads compile_text's output on this GPU.
std::vector<const void*> load_kernels(const std::string& blob, size_t count,
                                      const std::filesystem::path& path) {
  uint64_t cubin_size = 0;
  std::memcpy(&cubin_size, blob.data(), sizeof(cubin_size));
  if (blob.size() < sizeof(cubin_size) + cubin_size)
    throw std::runtime_error("[jit] corrupt cache file " + path.string());
  std::string cubin = blob.substr(sizeof(cubin_size), cubin_size);
  std::istringstream lowered(blob.substr(sizeof(cubin_size) + cubin_size));

  bind_thread();
  // Loading (and the first use of each kernel) may synchronize the context:
  // no spin kernel may be waiting then.
  SyncSection section;
  cudaLibrary_t lib;
  check(cudaLibraryLoadData(&lib, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0),
        "cudaLibraryLoadData");
  std::vector<const void*> kernels;
  std::string low;
  while (std::getline(lowered, low)) {
    cudaKernel_t k;
    check(cudaLibraryGetKernel(&k, lib, low.c_str()), "cudaLibraryGetKernel");
    // Loads the kernel into this context now, where no spin waits are in
    // flight, rather than lazily at its first launch, where some may be.
    cudaFuncAttributes attr;
    if (cudaFuncGetAttributes(&attr, reinterpret_cast<const void*>(k)) != cudaSuccess)
      cudaGetLastError();
    kernels.push_back(reinterpret_cast<const void*>(k));
  }
  if (kernels.size() != count)
    throw std::runtime_error("[jit] corrupt cache file " + path.string());
  return kernels;  // the library stays loaded for the life of the process
}

// The text a generated program compiles from: its source, then the names.
std::string source_text(const std::string& source, const std::vector<std::string>& names) {
  std::string text = source;
  for (auto& n : names) text += "\n// " + n;
  return text + "\n";
}

}  // namespace

std::string jit_compile(const std::string& header, const std::vector<std::string>& names,
                        const std::string& arch) {
  std::ostringstream failed;
  failed << "[jit] compiling " << header << " for";
  for (auto& nm : names) failed << " " << nm;
  return compile_text(program_text(header, names), names, arch, failed.str());
}

std::vector<const void*> jit_kernels(const std::string& header,
                                     const std::vector<std::string>& names) {
  std::string arch = arch_of_device();
  auto path = cache_path(program_text(header, names), arch);
  std::string blob = read_file(path);
  if (blob.size() < sizeof(uint64_t)) {
    blob = jit_compile(header, names, arch);
    write_file(path, blob);
  }
  return load_kernels(blob, names.size(), path);
}

std::string jit_compile_source(const std::string& source, const std::vector<std::string>& names,
                               const std::string& arch, const std::string& who) {
  return compile_text(source_text(source, names), names, arch,
                      "[" + who + "] compiling a generated kernel");
}

namespace {

// The disk cache of a generated program: the text's size and the text, then
// jit_compile_source's output.
struct SourceFile {
  std::string text;
  std::filesystem::path path;
  SourceFile(const std::string& source, const std::vector<std::string>& names,
             const std::string& arch)
      : text(source_text(source, names)), path(cache_path(text, arch)) {
    path.replace_extension(".src.bin");
  }
  // The compiled blob when the file holds this text ("" otherwise).
  std::string read() const {
    std::string file = read_file(path);
    uint64_t text_size = 0;
    if (file.size() >= sizeof(text_size)) std::memcpy(&text_size, file.data(), sizeof(text_size));
    if (text_size == text.size() &&
        file.size() >= sizeof(text_size) + text_size + sizeof(uint64_t) &&
        file.compare(sizeof(text_size), text_size, text) == 0) {
      return file.substr(sizeof(text_size) + text_size);
    }
    return {};
  }
  void write(const std::string& blob) const {
    uint64_t text_size = text.size();
    std::string file(reinterpret_cast<const char*>(&text_size), sizeof(text_size));
    file += text;
    file += blob;
    write_file(path, file);
  }
};

// One thread compiling queued generated programs, started on first use and
// stopped at exit after the compile in flight (queued ones are dropped).
//
// Exit handlers run newest first, and NVRTC registers some of its own the
// first time it needs them, which may be during a compile on this thread:
// such a handler, run while the compile goes on, tears NVRTC down under it.
// So the first compile of a process never runs here (load_or_queue), and the
// stop is registered again after every compile, ahead of whatever that
// compile registered.
class BackgroundCompiler {
 public:
  using Job = std::function<void()>;
  static BackgroundCompiler& get() {
    static auto* c = new BackgroundCompiler;  // never destroyed: stop() ends it
    return *c;
  }
  void push(Job job) {
    bool first;
    {
      std::lock_guard lk(mu_);
      if (stopped_) return;
      first = !thread_.joinable();
      if (first) thread_ = std::thread([this] { run(); });
      jobs_.push_back(std::move(job));
      cv_.notify_all();
    }
    if (first) std::atexit(stop_at_exit);
  }
  void wait_idle() {
    std::unique_lock lk(mu_);
    idle_cv_.wait(lk, [&] { return jobs_.empty() && !busy_; });
  }

 private:
  static void stop_at_exit() { get().stop(); }
  void stop() {
    std::thread t;
    {
      std::lock_guard lk(mu_);
      if (stopped_) return;
      stopped_ = true;
      jobs_.clear();
      cv_.notify_all();
      t = std::move(thread_);
    }
    if (t.joinable()) t.join();
    idle_cv_.notify_all();
  }
  void run() {
    std::unique_lock lk(mu_);
    while (true) {
      cv_.wait(lk, [&] { return stopped_ || !jobs_.empty(); });
      if (stopped_) break;
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      busy_ = true;
      lk.unlock();
      job();  // catches its own errors
      if (!stopping()) std::atexit(stop_at_exit);
      lk.lock();
      busy_ = false;
      idle_cv_.notify_all();
    }
  }
  bool stopping() {
    std::lock_guard lk(mu_);
    return stopped_;
  }
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<Job> jobs_;
  bool busy_ = false, stopped_ = false;
  std::thread thread_;
};

}  // namespace

std::vector<const void*> jit_source_kernels(const std::string& source,
                                            const std::vector<std::string>& names,
                                            const std::string& who) {
  SourceFile file(source, names, arch_of_device());
  std::string blob = file.read();
  if (blob.empty()) {
    blob = jit_compile_source(source, names, arch_of_device(), who);
    file.write(blob);
  }
  return load_kernels(blob, names.size(), file.path);
}

const std::vector<const void*>& KernelCache::insert(uint64_t key, const Program& prog) {
  auto kernels = jit_kernels(prog.first, prog.second);
  std::lock_guard lk(s_.mu);
  return s_.kernels.emplace(key, std::move(kernels)).first->second;
}

const std::vector<const void*>& SourceKernelCache::insert(const std::string& key,
                                                          const Program& prog) {
  return store(key, jit_source_kernels(prog.source, prog.names, prog.who));
}

const std::vector<const void*>& SourceKernelCache::store(const std::string& key,
                                                         std::vector<const void*> kernels) {
  std::lock_guard lk(s_.mu);
  s_.pending.erase(key);
  return s_.kernels.emplace(key, std::move(kernels)).first->second;
}

const std::vector<const void*>* SourceKernelCache::load_or_queue(const std::string& key,
                                                                 Program prog) {
  auto file = std::make_shared<SourceFile>(prog.source, prog.names, arch_of_device());
  std::string blob = file->read();
  // The process's first NVRTC compile runs here (see BackgroundCompiler).
  if (blob.empty() && !g_nvrtc_used.load(std::memory_order_acquire)) {
    blob = jit_compile_source(prog.source, prog.names, arch_of_device(), prog.who);
    file->write(blob);
  }
  if (!blob.empty()) return &store(key, load_kernels(blob, prog.names.size(), file->path));
  {
    std::lock_guard lk(s_.mu);
    if (!s_.pending.emplace(key, Pending{}).second) return nullptr;
  }
  std::string arch = arch_of_device();
  BackgroundCompiler::get().push([this, key, file, arch, prog = std::move(prog)] {
    Pending done;
    try {
      done.blob = jit_compile_source(prog.source, prog.names, arch, prog.who);
      file->write(done.blob);
    } catch (...) {
      done.error = std::current_exception();
    }
    done.count = prog.names.size();
    done.path = file->path;
    done.ready = true;
    std::lock_guard lk(s_.mu);
    s_.pending[key] = std::move(done);
  });
  return nullptr;
}

const std::vector<const void*>* SourceKernelCache::take_compiled(const std::string& key,
                                                                 Pending done) {
  if (done.error) std::rethrow_exception(done.error);
  return &store(key, load_kernels(done.blob, done.count, done.path));
}

void SourceKernelCache::wait_background() {
  BackgroundCompiler::get().wait_idle();
}

}  // namespace tandem::gpu
