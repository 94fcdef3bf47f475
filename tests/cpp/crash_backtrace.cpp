// Prints a backtrace when a test process dies of SIGSEGV, SIGBUS or SIGABRT
// (a heap check failing in free, say), also after main has returned: ctest
// keeps each test's output, so a crash seen once on a lent GPU machine
// leaves the stack that scripts/gpu.sh turns into function names with
// addr2line. SIGQUIT (timeout -s QUIT) prints every thread's stack and
// exits: the way to see where a hung test waits on a machine without gdb.
// Not installed under ASan or TSan, whose own handlers report more.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <dirent.h>
#include <execinfo.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace {

void on_crash(int sig) {
  // Only async-signal-safe calls: write and backtrace_symbols_fd (backtrace
  // itself is warmed up below, so it does not load libgcc here).
  char head[64] = "[crash] signal ";
  size_t len = std::strlen(head);
  head[len++] = static_cast<char>('0' + sig / 10);
  head[len++] = static_cast<char>('0' + sig % 10);
  head[len++] = '\n';
  (void)!write(STDERR_FILENO, head, len);
  void* frames[64];
  int n = backtrace(frames, 64);
  backtrace_symbols_fd(frames, n, STDERR_FILENO);
  (void)!write(STDERR_FILENO, "[crash] end\n", 12);
  raise(sig);  // SA_RESETHAND restored the default action
}

// SIGQUIT: one thread at a time prints its stack (each on SIGUSR2).
std::atomic<int> dumped{0};

void write_number(long v) {
  char buf[24];
  int i = 23;
  buf[i] = '\n';
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0 && i > 0);
  (void)!write(STDERR_FILENO, buf + i, 24 - i);
}

void on_dump(int) {
  (void)!write(STDERR_FILENO, "[crash] thread ", 15);
  write_number(static_cast<long>(syscall(SYS_gettid)));
  void* frames[64];
  int n = backtrace(frames, 64);
  backtrace_symbols_fd(frames, n, STDERR_FILENO);
  dumped.fetch_add(1);
}

void on_quit(int) {
  (void)!write(STDERR_FILENO, "[crash] signal 03\n", 18);
  on_dump(0);
  // Not async-signal-safe (opendir), acceptable for a hung process that
  // is about to exit anyway.
  pid_t pid = getpid();
  long self = syscall(SYS_gettid);
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      long tid = std::atol(e->d_name);
      if (tid <= 0 || tid == self) continue;
      int before = dumped.load();
      if (syscall(SYS_tgkill, pid, tid, SIGUSR2) != 0) continue;
      for (int spin = 0; spin < 200 && dumped.load() == before; ++spin) usleep(5000);
    }
    closedir(d);
  }
  (void)!write(STDERR_FILENO, "[crash] end\n", 12);
  _exit(128 + SIGQUIT);
}

const bool installed = [] {
  void* warm[1];
  backtrace(warm, 1);
  struct sigaction sa {};
  sa.sa_handler = on_crash;
  sa.sa_flags = SA_RESETHAND | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT}) sigaction(sig, &sa, nullptr);
  struct sigaction dump {};
  dump.sa_handler = on_dump;
  dump.sa_flags = SA_RESTART;
  sigemptyset(&dump.sa_mask);
  sigaction(SIGUSR2, &dump, nullptr);
  struct sigaction quit {};
  quit.sa_handler = on_quit;
  sigemptyset(&quit.sa_mask);
  sigaction(SIGQUIT, &quit, nullptr);
  return true;
}();

}  // namespace
#endif
