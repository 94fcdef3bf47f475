// eval / async_eval: iterative topological sort, elementwise fusion (see
// fusion.h), then one task per node on the node's stream, with waits only
// where a producer's event is pending.
#include "tandem/transforms.h"

#include <atomic>
#include <exception>
#include <stdexcept>

#include "tandem/backend.h"
#include "tandem/busy.h"
#include "tandem/compile.h"
#include "tandem/eval_no_wait.h"
#include "tandem/fusion.h"
#include "tandem/pool.h"
#include "tandem/primitive.h"
#include "tandem/task_scope.h"
#include "tandem/thread_local_or_null.h"
#include "tandem/timeline.h"

namespace tandem {
namespace {

std::atomic<uint64_t> g_visit{0};

// Builds the list of unscheduled nodes the outputs depend on, producers before
// consumers, without recursion. Each node appears once (through one output);
// nodes are marked with this sort's id instead of kept in a set.
void topological_order(const std::vector<array>& outputs, std::vector<array>& tape) {
  uint64_t id = g_visit.fetch_add(1, std::memory_order_relaxed) + 1;
  struct Frame {
    array a;
    size_t next;
  };
  static thread_local std::vector<Frame> stack;
  stack.clear();
  auto visit = [id](const array& a) {
    Node* n = a.node().get();
    if (!n || n->visit == id || n->scheduled) return false;
    n->visit = id;
    return true;
  };
  for (auto& out : outputs) {
    if (!visit(out)) continue;
    stack.push_back({out, 0});
    while (!stack.empty()) {
      auto& f = stack.back();
      auto& ins = f.a.node()->inputs;
      if (f.next < ins.size()) {
        const array& in = ins[f.next++];
        if (visit(in)) stack.push_back({in, 0});
        continue;
      }
      tape.push_back(std::move(f.a));
      stack.pop_back();
    }
  }
}

// Records which pending tasks wrote out's buffer: this node's task, plus the
// writers of the input whose buffer it took or views.
void record_writers(ArrayDesc& out, const std::shared_ptr<Event>& ev,
                    const std::vector<array>& inputs) {
  out.num_writers = 0;
  if (ev) out.writers[out.num_writers++] = ev;
  for (auto& in : inputs) {
    auto& d = *in.desc();
    if (!d.buffer || d.buffer != out.buffer) continue;
    for (int i = 0; i < d.num_writers && out.num_writers < ArrayDesc::kMaxWriters; ++i) {
      if (!d.writers[i]->done()) out.writers[out.num_writers++] = d.writers[i];
    }
    break;
  }
}

void schedule(array a, StreamExecutor*& last) {
  auto node = a.node();  // keeps the node alive while we work on it
  auto& prim = *node->primitive;
  Stream s = prim.stream();
  auto& ex = scheduler::executor(s.index);
  // Tasks may be held back to be handed over in batches; hand them over
  // before moving on to another stream so cross-stream waits can be met.
  if (last && last != &ex) last->flush();
  last = &ex;

  // Reused across nodes (cleared on every exit) so a node costs no allocation here.
  static thread_local std::vector<array> outs;
  outs.clear();
  struct Clear {
    ~Clear() { outs.clear(); }
  } clear_outs;
  if (node->outputs.empty()) {
    outs.push_back(std::move(a));
  } else {
    for (auto& w : node->outputs) {
      auto d = w.lock();
      if (d) {
        outs.emplace_back(std::move(d));
      } else {
        // The caller dropped this output; the kernel still writes it.
        auto& spec = node->output_specs[outs.size()];
        outs.push_back(array(make_desc(spec.first, spec.second)));
      }
    }
    a = array(std::shared_ptr<ArrayDesc>());  // drop our extra reference (donation counts them)
  }

  // Reused across nodes: this runs once per op and must not allocate.
  static thread_local std::vector<std::shared_ptr<Event>> waits;
  waits.clear();
  for (auto& in : node->inputs) {
    auto& ev = in.event();
    if (ev && (!ev->done() || ev->failed())) waits.push_back(ev);
  }

  try {
    if (s.device.type == Device::cpu) {
      // Inputs computed on the GPU get their host copy first.
      for (auto& in : node->inputs) {
        auto& buf = in.buffer();
        if (buf && !buf->host_valid.load(std::memory_order_acquire)) {
          if (auto copied = gpu::copy_to_host_async(buf, in.event()))
            waits.push_back(std::move(copied));
        }
      }
      prim.eval_cpu(node->inputs, outs);
    } else {
      ex.prepare(waits.data(), waits.size());
      prim.eval_gpu(node->inputs, outs);
    }
  } catch (...) {
    ex.discard();
    waits.clear();
    throw;
  }

  std::shared_ptr<Event> ev;
  bool dispatched = ex.has_pending();
  bool barrier = !dispatched && waits.size() <= 1;
  if (barrier) {
    // Nothing to run (a view): the outputs are ready when the input is.
    if (!waits.empty()) ev = waits[0];
  } else {
    ev = std::allocate_shared<Event>(PoolAllocator<Event>(), s);
    // Executors record a task only when its event is tagged.
    if (timeline::on()) timeline::tag(*ev, prim);
  }
  bool on_cpu = s.device.type == Device::cpu;
  for (auto& o : outs) {
    o.set_event(ev);
    // A CPU task writing a buffer it holds is counted on the buffer, while
    // the task is still open; other writers are listed by their events.
    auto* buf = o.buffer().get();
    bool counted = dispatched && on_cpu && buf && cpu::count_writer(*buf);
    record_writers(*o.desc(), dispatched && !counted ? ev : nullptr, node->inputs);
  }
  if (!barrier) ex.submit(ev, waits.data(), waits.size());
  waits.clear();
  // A transform walks its tracers' nodes after an eval inside it: keep them.
  bool keep = detail::t_tracing && !outs.empty() && outs[0].desc()->tracer;
  if (keep) {
    node->scheduled = true;
  } else {
    for (auto& o : outs) o.detach();
  }
}

// The tape of one eval, with its storage kept per thread across evals (a
// stack of them, in case a primitive evaluates while being encoded).
struct Tape {
  struct Spares {
    std::vector<std::vector<array>> v;
  };
  std::vector<array> v;
  Tape() {
    if (auto* spare = thread_local_or_null<Spares>(); spare && !spare->v.empty()) {
      v = std::move(spare->v.back());
      spare->v.pop_back();
    }
  }
  ~Tape() {
    v.clear();
    if (auto* spare = thread_local_or_null<Spares>(); spare && spare->v.size() < 4) {
      spare->v.push_back(std::move(v));
    }
  }
};

enum class Mode { sync, async, no_wait };

void eval_impl(std::vector<array> outputs, Mode mode) {
  bool async = mode == Mode::async;
  if (detail::compile_tracing_depth()) {
    for (auto& o : outputs) {
      if (o.desc()->tracer) {
        throw std::invalid_argument(
            "[compile] can't evaluate an array computed from the inputs of a function that "
            "compile is tracing (printing it, item(), tolist() or eval): the function runs "
            "once and its graph is replayed, so its values are not known yet");
      }
    }
  }
  if (!in_task()) gpu::reclaim_deferred_frees();
  Tape t;
  auto& tape = t.v;
  {
    // One thread schedules at a time (see graph_mutex); held through the last
    // hand-over too, so a task of another thread's eval that waits on ours is
    // never queued ahead of ours on the same stream (flush_and_run).
    std::lock_guard graph_lock(graph_mutex());
    StreamExecutor* last = nullptr;
    // A synchronous eval that ends normally may run the last stream's
    // staged tasks itself (flush_and_run): it would wait for them anyway.
    struct Flush {
      StreamExecutor*& ex;
      bool run_here;
      ~Flush() {
        if (!ex) return;
        if (run_here && std::uncaught_exceptions() == 0) {
          ex->flush_and_run();
        } else {
          ex->flush();
        }
      }
    } flush_at_exit{last, !async};
    // Busy while encoding; idle again before the last hand-over, so the
    // stream that takes it may use this thread's core (see busy.h).
    busy::Scope encoding;
    topological_order(outputs, tape);
    // Not inside a transform: fusion would replace the nodes it walks.
    if (fusion_enabled() && !detail::t_tracing) {
      Fuser fuser(
          [](array a, void* last) { schedule(std::move(a), *static_cast<StreamExecutor**>(last)); },
          &last,
          [](Stream s, void* ctx) {
            // A group opening on another stream: hand the last stream its
            // staged work now, so it runs while the group is being built.
            auto*& last = *static_cast<StreamExecutor**>(ctx);
            if (last && last != &scheduler::executor(s.index)) last->flush();
          });
      fuser.reserve(tape.size());
      for (auto& a : tape) {
        if (interrupt_pending()) throw Interrupted();
        fuser.add(std::move(a));
      }
      fuser.finish();
    } else {
      for (auto& a : tape) {
        if (interrupt_pending()) throw Interrupted();
        schedule(std::move(a), last);
      }
    }
  }
  tape.clear();
  if (mode != Mode::sync) return;
  // Events are set once, under the lock taken above: safe to read now.
  for (auto& o : outputs) o.wait();
}

}  // namespace

void eval(std::vector<array> outputs) {
  eval_impl(std::move(outputs), Mode::sync);
}

void async_eval(std::vector<array> outputs) {
  if (detail::t_tracing) {
    throw std::invalid_argument(
        "[async_eval] not allowed inside a function transformation (grad, vjp, jvp, vmap); "
        "use eval");
  }
  eval_impl(std::move(outputs), Mode::async);
}

void eval_without_wait(std::vector<array> outputs) {
  eval_impl(std::move(outputs), Mode::no_wait);
}

}  // namespace tandem
