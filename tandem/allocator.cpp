#include "tandem/allocator.h"

#include <malloc.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>

#include <algorithm>
#include <cstdlib>
#include <list>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include "tandem/task_scope.h"

namespace tandem {

namespace {
thread_local int t_task_depth = 0;
}  // namespace

TaskScope::TaskScope() {
  ++t_task_depth;
}
TaskScope::~TaskScope() {
  --t_task_depth;
}
bool in_task() {
  return t_task_depth > 0;
}

namespace {
std::atomic<bool> g_interrupt{false};
thread_local bool t_watching = false;
}  // namespace
void watch_interrupts(bool on) {
  t_watching = on;
  if (!on) g_interrupt.store(false, std::memory_order_relaxed);
}
void raise_interrupt() {
  g_interrupt.store(true, std::memory_order_relaxed);
}
bool interrupt_pending() {
  return t_watching && g_interrupt.load(std::memory_order_relaxed);
}

namespace {

// Large blocks are mapped directly: malloc keeps freed large blocks in its
// heap once its dynamic mmap threshold has grown, so clear_cache did not give
// them back to the system (RSS stayed at the peak). Smaller ones come from
// malloc, trimmed by clear_cache.
constexpr size_t kMapMin = size_t(256) << 10;

struct SystemAllocator : allocator::RawAllocator {
  void* alloc(size_t bytes) override {
    if (bytes >= kMapMin) {
      void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      return p == MAP_FAILED ? nullptr : p;
    }
    return std::aligned_alloc(64, bytes);
  }
  void free(void* p, size_t bytes) override {
    if (bytes >= kMapMin) {
      munmap(p, bytes);
    } else {
      std::free(p);
    }
  }
};

size_t default_memory_limit() {
  struct sysinfo info;
  if (sysinfo(&info) == 0) {
    return static_cast<size_t>(info.totalram) * info.mem_unit / 10 * 9;
  }
  return size_t(1) << 40;
}

// The cache of freed host blocks keeps at most this much by default (or the
// memory limit, if lower). MLX's CPU build keeps 32 MiB; a larger cache
// serves repeated large temporaries, and on a shared machine 1 GiB held idle
// is tolerable where 90% of RAM (the previous default) was not.
constexpr size_t kDefaultCacheLimit = size_t(1) << 30;

// Block sizes: small requests round to 64 bytes, medium to the next power of
// two's quarter, large ones to whole 2 MiB pages, so a cached block serves
// requests of similar size.
size_t bucket_size(size_t bytes) {
  if (bytes == 0) return 64;
  if (bytes <= 4096) return (bytes + 63) & ~size_t(63);
  if (bytes >= (size_t(8) << 20)) return (bytes + (size_t(2) << 20) - 1) & ~((size_t(2) << 20) - 1);
  size_t p = 4096;
  while (p < bytes) p <<= 1;
  size_t quarter = p / 4;
  return (bytes + quarter - 1) / quarter * quarter;
}

class CachingAllocator {
  template <typename F>
  auto locked(F f) {
    std::lock_guard lk(mu_);
    return f();
  }

 public:
  // Counts bytes as active, under the limit; returns with mu_ held.
  void reserve(std::unique_lock<std::mutex>& lk, size_t bytes) {
    // Inside a task, waiting for in-flight work would wait for this task.
    if (active_ + bytes > limit_ && pressure_ && !in_task()) {
      lk.unlock();
      pressure_();
      lk.lock();
    }
    if (active_ + bytes > limit_) {
      std::ostringstream msg;
      msg << "[malloc] out of memory: allocating " << bytes << " bytes with " << active_
          << " bytes in use would pass the memory limit of " << limit_ << " bytes";
      throw OutOfMemory(msg.str());
    }
    active_ += bytes;
    peak_ = std::max(peak_, active_);
  }

  void reserve_device(size_t bytes) {
    std::unique_lock lk(mu_);
    reserve(lk, bytes);
  }
  void release_device(size_t bytes) {
    std::lock_guard lk(mu_);
    active_ -= bytes;
  }

  std::shared_ptr<Buffer> malloc(size_t bytes) {
    size_t cap = bucket_size(bytes);
    void* p = nullptr;
    {
      std::unique_lock lk(mu_);
      reserve(lk, bytes);
      p = take_cached(cap);
    }
    if (!p) {
      p = raw_->alloc(cap);
      if (!p) {
        // Give the cache back to the system and try once more.
        clear_cache();
        p = raw_->alloc(cap);
      }
      if (!p) {
        std::lock_guard lk(mu_);
        active_ -= bytes;
        std::ostringstream msg;
        msg << "[malloc] out of memory: the system could not provide " << cap << " bytes";
        throw OutOfMemory(msg.str());
      }
    }
    auto buf = std::make_shared<Buffer>();
    buf->host = p;
    buf->size = bytes;
    buf->capacity = cap;
    return buf;
  }

  void free(Buffer& b) {
    if (b.device) raw_->free_device(b);
    if (!b.host) return;
    std::unique_lock lk(mu_);
    active_ -= b.size;
    if (b.capacity > cache_limit_) {
      lk.unlock();
      raw_->free(b.host, b.capacity);
      return;
    }
    lru_.push_front({b.capacity, b.host});
    by_size_.emplace(b.capacity, lru_.begin());
    cached_ += b.capacity;
    trim(lk);
  }

  size_t active() {
    return locked([&] { return active_; });
  }
  size_t peak() {
    return locked([&] { return peak_; });
  }
  void reset_peak() {
    locked([&] {
      peak_ = active_;
      return 0;
    });
  }
  size_t cached() {
    return locked([&] { return cached_; }) + raw_->device_cached();
  }
  size_t set_limit(size_t l) {
    return locked([&] { return std::exchange(limit_, l); });
  }
  size_t limit() {
    return locked([&] { return limit_; });
  }
  size_t set_cache_limit(size_t l) {
    std::unique_lock lk(mu_);
    size_t old = std::exchange(cache_limit_, l);
    trim(lk);
    lk.unlock();
    raw_->set_device_cache_limit(l);
    return old;
  }
  void clear_cache() {
    std::unique_lock lk(mu_);
    size_t keep = std::exchange(cache_limit_, 0);
    trim(lk);
    cache_limit_ = keep;
    lk.unlock();
    raw_->set_device_cache_limit(0);
    raw_->set_device_cache_limit(keep);
    // Small blocks went back to malloc; have it return its free pages.
    malloc_trim(0);
  }
  void set_raw(allocator::RawAllocator* r) {
    clear_cache();
    raw_ = r ? r : &system_;
  }
  void set_pressure(std::function<void()> fn) { pressure_ = std::move(fn); }

 private:
  struct Block {
    size_t size;
    void* ptr;
  };
  void* take_cached(size_t cap) {
    auto it = by_size_.find(cap);
    if (it == by_size_.end()) return nullptr;
    void* p = it->second->ptr;
    lru_.erase(it->second);
    by_size_.erase(it);
    cached_ -= cap;
    return p;
  }
  // Frees least recently cached blocks until the cache fits its limit.
  void trim(std::unique_lock<std::mutex>& lk) {
    std::list<Block> victims;
    while (cached_ > cache_limit_ && !lru_.empty()) {
      auto last = std::prev(lru_.end());
      auto range = by_size_.equal_range(last->size);
      for (auto it = range.first; it != range.second; ++it) {
        if (it->second == last) {
          by_size_.erase(it);
          break;
        }
      }
      cached_ -= last->size;
      victims.splice(victims.end(), lru_, last);
    }
    if (victims.empty()) return;
    lk.unlock();
    for (auto& v : victims) raw_->free(v.ptr, v.size);
    lk.lock();
  }

  std::mutex mu_;
  SystemAllocator system_;
  allocator::RawAllocator* raw_ = &system_;
  std::function<void()> pressure_;
  std::list<Block> lru_;  // most recently freed first
  std::multimap<size_t, std::list<Block>::iterator> by_size_;
  size_t active_ = 0;
  size_t peak_ = 0;
  size_t cached_ = 0;
  size_t limit_ = default_memory_limit();
  size_t cache_limit_ = std::min(kDefaultCacheLimit, default_memory_limit());
  size_t wired_limit_ = 0;

  friend size_t tandem::set_wired_limit(size_t);
};

CachingAllocator& instance() {
  // Leaked on purpose: buffers may be freed by worker threads during exit.
  static auto* a = new CachingAllocator();
  return *a;
}

}  // namespace

Buffer::~Buffer() {
  instance().free(*this);
}

namespace allocator {
std::shared_ptr<Buffer> malloc(size_t bytes) {
  return instance().malloc(bytes);
}
void set_raw_allocator(RawAllocator* a) {
  instance().set_raw(a);
}
void set_pressure_handler(std::function<void()> fn) {
  instance().set_pressure(std::move(fn));
}
void reserve_device(size_t bytes) {
  instance().reserve_device(bytes);
}
void release_device(size_t bytes) {
  instance().release_device(bytes);
}
void attach_host(Buffer& buf) {
  auto tmp = instance().malloc(buf.size);
  buf.host = std::exchange(tmp->host, nullptr);  // tmp's destructor now frees nothing
  buf.capacity = tmp->capacity;
}
}  // namespace allocator

size_t get_active_memory() {
  return instance().active();
}
size_t get_peak_memory() {
  return instance().peak();
}
void reset_peak_memory() {
  instance().reset_peak();
}
size_t get_cache_memory() {
  return instance().cached();
}
size_t set_memory_limit(size_t limit) {
  return instance().set_limit(limit);
}
size_t get_memory_limit() {
  return instance().limit();
}
size_t set_cache_limit(size_t limit) {
  return instance().set_cache_limit(limit);
}
size_t set_wired_limit(size_t limit) {
  auto& a = instance();
  std::lock_guard lk(a.mu_);
  return std::exchange(a.wired_limit_, limit);
}
void clear_cache() {
  instance().clear_cache();
}

}  // namespace tandem
