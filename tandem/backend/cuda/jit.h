#pragma once
// Kernels compiled at run time (NVRTC) from the device sources in device/,
// so that each op-by-dtype combination is compiled only when first used and
// CI's compile stays short. Compiled code is cached in memory and on disk
// ($TANDEM_JIT_CACHE, else $XDG_CACHE_HOME/tandem/jit or ~/.cache/tandem/jit).
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tandem/dtype.h"

namespace tandem::gpu {

// The embedded device sources, by file name (generated at build time).
const std::unordered_map<std::string, std::string>& device_sources();

// Compiles a program that includes `header` (a file of device/) and
// instantiates the kernels named by `names` (C++ name expressions such as
// "tandem::unary_contig<float, float, tandem::Exp>") for the given GPU
// architecture ("sm_90"); returns the cubin. Throws std::runtime_error with
// NVRTC's log when the program does not compile. Needs no GPU.
std::string jit_compile(const std::string& header, const std::vector<std::string>& names,
                        const std::string& arch);

// The kernels of such a program for this GPU, as cudaKernel_t handles that
// cudaLaunchKernel takes, in the order of names.
std::vector<const void*> jit_kernels(const std::string& header,
                                     const std::vector<std::string>& names);

// Compiles a generated program text (which may #include the files of
// device/) with the options of jit_compile, for names as there. Errors throw
// std::runtime_error starting "[who] " with NVRTC's log. Needs no GPU.
std::string jit_compile_source(const std::string& source, const std::vector<std::string>& names,
                               const std::string& arch, const std::string& who);

// The kernels of such a program for this GPU (cached on disk like
// jit_kernels; the file also holds the full source and is used only when
// that matches, so a hash collision recompiles instead of loading the wrong
// kernel).
std::vector<const void*> jit_source_kernels(const std::string& source,
                                            const std::vector<std::string>& names,
                                            const std::string& who);

// The device-side C++ type of a dtype ("float", "__half", "tandem::complex64", ...).
const char* device_type(Dtype t);
// The device-side unsigned type of an element size ("uint8_t", "uint16_t",
// "uint32_t", else "uint64_t"): kernels that only move elements, sort keys.
const char* uint_type(size_t itemsize);

// A process-wide map from a caller's key to its kernels, compiled once.
class KernelCache {
 public:
  using Program = std::pair<std::string, std::vector<std::string>>;  // header, names
  // The kernels under key, compiled from make() (a Program) the first time.
  // A template so that the per-launch lookup builds no std::function.
  template <typename Make>
  const std::vector<const void*>& get(uint64_t key, Make&& make) {
    {
      std::lock_guard lk(s_.mu);
      auto it = s_.kernels.find(key);
      if (it != s_.kernels.end()) return it->second;
    }
    return insert(key, make());
  }

 private:
  const std::vector<const void*>& insert(uint64_t key, const Program& prog);
  struct State {
    std::mutex mu;
    std::unordered_map<uint64_t, std::vector<const void*>> kernels;
  };
  // Never freed (caches are function-local statics): a stream thread may
  // still launch while exit destroys static objects.
  State& s_ = *new State();
};

// Kernels compiled from generated sources (jit_source_kernels), by a string
// that names the source completely (compared whole: no hash collisions).
class SourceKernelCache {
 public:
  struct Program {
    std::string source;
    std::vector<std::string> names;
    std::string who;  // error prefix
  };
  // The kernels under key, compiled from make() (a Program) the first time.
  template <typename Make>
  const std::vector<const void*>& get(const std::string& key, Make&& make) {
    {
      std::lock_guard lk(s_.mu);
      auto it = s_.kernels.find(key);
      if (it != s_.kernels.end()) return it->second;
    }
    return insert(key, make());
  }

  // The kernels under key if they can be had without compiling on this
  // thread: compiled before (in memory), on disk from an earlier run (loaded
  // now), or compiled since by the background thread. Otherwise queues
  // make()'s program for the background thread (once per key) and returns
  // null, so that the caller can run without them meanwhile. A background
  // compile's error is thrown here, by the call that would have used it.
  template <typename Make>
  const std::vector<const void*>* find(const std::string& key, Make&& make) {
    Pending done;
    {
      std::lock_guard lk(s_.mu);
      auto it = s_.kernels.find(key);
      if (it != s_.kernels.end()) return &it->second;
      auto p = s_.pending.find(key);
      if (p != s_.pending.end()) {
        if (!p->second.ready) return nullptr;
        done = std::move(p->second);
        s_.pending.erase(p);
      }
    }
    if (done.ready) return take_compiled(key, std::move(done));
    return load_or_queue(key, make());
  }

  // Blocks until the background thread has compiled everything queued.
  static void wait_background();

 private:
  // A program queued for (or compiled by) the background thread.
  struct Pending {
    bool ready = false;
    std::string blob;  // jit_compile_source's output
    std::exception_ptr error;
    size_t count = 0;
    std::filesystem::path path;
  };
  const std::vector<const void*>& insert(const std::string& key, const Program& prog);
  // Adds kernels under key (no longer pending).
  const std::vector<const void*>& store(const std::string& key, std::vector<const void*> kernels);
  const std::vector<const void*>* load_or_queue(const std::string& key, Program prog);
  const std::vector<const void*>* take_compiled(const std::string& key, Pending done);
  struct State {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<const void*>> kernels;
    std::unordered_map<std::string, Pending> pending;
  };
  // Never freed (caches are function-local statics): a stream thread may
  // still launch while exit destroys static objects.
  State& s_ = *new State();
};

}  // namespace tandem::gpu
