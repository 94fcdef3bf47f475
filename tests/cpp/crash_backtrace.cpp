// Prints a backtrace when a test process dies of SIGSEGV, SIGBUS or SIGABRT
// (a heap check failing in free, say), also after main has returned: ctest
// keeps each test's output, so a crash seen once on a lent GPU machine
// leaves the stack that scripts/gpu.sh turns into function names with
// addr2line. Not installed under ASan or TSan, whose own handlers report
// more.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

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

const bool installed = [] {
  void* warm[1];
  backtrace(warm, 1);
  struct sigaction sa {};
  sa.sa_handler = on_crash;
  sa.sa_flags = SA_RESETHAND | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT}) sigaction(sig, &sa, nullptr);
  return true;
}();

}  // namespace
#endif
