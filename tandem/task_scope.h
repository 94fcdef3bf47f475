#pragma once
// Marks the calling thread as running (part of) a scheduled task: a stream
// worker, an evaluating thread running its tasks itself, or a thread running
// chunks of a task's parallel loop. An allocation there that would pass the
// memory limit fails at once instead of waiting for in-flight work to finish:
// that work includes the task itself, so the wait would never end.
#include <chrono>
#include <mutex>
#include <stdexcept>

namespace tandem {

class Event;

// Held while a graph is scheduled (eval's topological sort, fusion and
// encoding): scheduling rewrites the descriptors of the arrays it reaches
// (node, event, buffer), so two threads evaluating graphs that share arrays
// take turns; the second finds the shared part scheduled and waits for its
// events. Reads of a descriptor's node or event outside eval (status) take it
// too. Recursive: a primitive may evaluate while being encoded.
std::recursive_mutex& graph_mutex();

// Waits at most `timeout` for ev; returns whether it is done. For a caller
// that must poll something else meanwhile (Python's signal handlers): it
// polls, with sleeps growing to 1 ms.
bool wait_for(const Event& ev, std::chrono::nanoseconds timeout);

struct TaskScope {
  TaskScope();
  ~TaskScope();
  TaskScope(const TaskScope&) = delete;
  TaskScope& operator=(const TaskScope&) = delete;
};
// Whether the calling thread is inside a TaskScope.
bool in_task();

// Interrupts (Ctrl-C in Python) of a thread that waits for an eval. The
// waiting thread watches (watch_interrupts(true)); raise_interrupt, called
// from a signal handler (it is lock-free), marks one pending. An eval on the
// watching thread then stops waiting for room in a stream's queue (the bounds
// on queued tasks and bytes) and stops scheduling, throwing Interrupted: the
// nodes scheduled so far run, the others stay lazy, and the caller delivers
// the interrupt. watch_interrupts(false) lowers the mark.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("[eval] interrupted") {}
};
void watch_interrupts(bool on);
void raise_interrupt();
bool interrupt_pending();

}  // namespace tandem
