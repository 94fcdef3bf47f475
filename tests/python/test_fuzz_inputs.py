"""Input fuzzer: every public callable of tandem.core (functions, tandem.core.random,
array methods and operators, indexing, .at updates, constructors) called with
random argument types and values.

Asserted only: no crash, no hang, and either a result (evaluated, and read back
when small) or an exception of a documented type (ALLOWED below). SystemError,
any other exception type, or a RuntimeError carrying a C++ exception's text is
a failure.

The calls run in a child interpreter (this file run as a script) so a segfault
or abort is caught; the child logs each call's source before making it, so the
parent reports the call that crashed or hung, and replays it alone in a fresh
interpreter to say whether it crashes by itself. A memory limit of 1 GiB
(mx.set_memory_limit) makes huge shapes raise MemoryError instead of swapping.

TANDEM_FUZZ_CALLS (default 10000) calls per run; TANDEM_FUZZ_SEED (default
fixed; "random" draws one) seeds them.
"""
import faulthandler
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time

N_CALLS = int(os.environ.get("TANDEM_FUZZ_CALLS", "10000"))
_seed_env = os.environ.get("TANDEM_FUZZ_SEED", "18")
SEED = random.randrange(1 << 30) if _seed_env == "random" else int(_seed_env)
CALL_TIMEOUT_S = 20  # one call running longer than this is a hang
MEMORY_LIMIT = 1 << 30

# BufferError: what the DLPack protocol (__dlpack__) raises for an export it
# cannot make.
ALLOWED = (ValueError, TypeError, IndexError, OverflowError, MemoryError, RuntimeError,
           KeyError, NotImplementedError, BufferError)
# Text that only appears when a C++ exception leaks through untranslated.
LEAK = re.compile(r"std::|basic_string|vector::|bad_alloc|bad_variant|unknown exception|"
                  r"_M_|terminate called|nanobind::|what\(\)")

# Known bugs owned by other work on issue 18, excluded narrowly: each entry
# names the bug and matches the calls it covers by their source. A matching
# call is still made (building the graph must not crash) but its result is not
# evaluated or read back.
KNOWN = [
    # issue 18: "as_strided views reaching past their buffer are not checked":
    # evaluating one reads out of bounds (SIGSEGV), e.g.
    # mx.as_strided(mx.ones((2, 0)), [2, 5, 1, 4], (-2, 2147483648, 1, 7), offset=-1)
    ("as_strided bounds", re.compile(r"^mx\.as_strided\(.+,")),
    # issue 18: "A negative dimension is accepted": mx.broadcast_to(x, (-3,))
    # gives shape (-3,); reading it back raises SystemError.
    ("broadcast_to negative dimension", re.compile(r"^mx\.broadcast_to\(.*-\d")),
]


# ---------------------------------------------------------------------------
# Random values, each with the source that rebuilds it.
class V:
    """A value and the Python source that rebuilds it in the child."""

    def __init__(self, obj, src):
        self.obj = obj
        self.src = src


def _mx():
    import tandem.core as mx
    return mx


INTS = [0, 1, -1, 2, 3, 5, -3, 7, 100, 2**31 - 1, 2**31, -2**31 - 1, 2**32, 2**40, 2**62,
        2**63 - 1, 2**63, -2**63, -2**63 - 1, 2**64, 10**30]
SMALL_INTS = [0, 1, 2, 3, -1, -2, 4, 5]
FLOATS = ["0.0", "-0.0", "0.5", "-1.5", "2.0", "1e30", "-1e308", "1e-320", "float('nan')",
          "float('inf')", "float('-inf')", "3.7"]
STRINGS = ["''", "'abc'", "'float32'", "'ij->j'", "'i,i->'", "'ii'", "'...'", "'constant'",
           "'edge'", "'xy'", "'ij'", "'\\x00'", "'é'"]
DTYPE_NAMES = ["bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
               "int64", "float16", "float32", "float64", "bfloat16", "complex64"]
CATEGORIES = ["floating", "integer", "inexact", "number", "generic", "signedinteger",
              "unsignedinteger", "complexfloating"]


class Gen:
    def __init__(self, rng):
        self.r = rng
        self.mx = _mx()

    def choice(self, xs):
        return xs[self.r.randrange(len(xs))]

    def val(self, src):
        return V(eval(src, {"mx": self.mx, "np": __import__("numpy"), "math": math}), src)  # noqa: S307

    # -- kinds -------------------------------------------------------------
    def int_(self):
        return self.val(repr(self.choice(INTS if self.r.random() < 0.4 else SMALL_INTS)))

    def float_(self):
        return self.val(self.choice(FLOATS))

    def bool_(self):
        return self.val(self.choice(["True", "False"]))

    def str_(self):
        return self.val(self.choice(STRINGS))

    def shape_src(self):
        r = self.r.random()
        if r < 0.6:
            dims = [self.choice([0, 1, 2, 3, 4]) for _ in range(self.r.randrange(0, 4))]
        elif r < 0.9:
            dims = [self.choice(SMALL_INTS + INTS) for _ in range(self.r.randrange(0, 5))]
        else:
            return self.choice(["3", "-1", "2**40", "[2, [3]]", "(2.5,)", "('a',)", "None", "[]"])
        return repr(tuple(dims)) if self.r.random() < 0.7 else repr(list(dims))

    def shape(self):
        return self.val(self.shape_src())

    def axis(self):
        r = self.r.random()
        if r < 0.5:
            return self.val(repr(self.r.randrange(-4, 4)))
        if r < 0.8:
            return self.val(repr(tuple(self.r.randrange(-4, 4) for _ in range(self.r.randrange(0, 4)))))
        if r < 0.9:
            return self.val("None")
        return self.int_()

    def dtype(self):
        r = self.r.random()
        if r < 0.75:
            return self.val("mx." + self.choice(DTYPE_NAMES))
        if r < 0.85:
            return self.val("mx." + self.choice(CATEGORIES))
        return self.val(self.choice(["None", "'float32'", "np.float32", "int", "3"]))

    def stream(self):
        return self.val(self.choice([
            "None", "mx.cpu", "mx.gpu", "mx.Device(mx.cpu)", "mx.Device(mx.gpu)",
            "mx.default_stream(mx.cpu)", "S1", "mx.Device(mx.cpu, 0)", "mx.default_device()",
            "mx.cpu", "None", "None"]))

    def array_src(self):
        """Source of a random array: dtype, shape (0-d, empty, small), layout."""
        dt = self.choice(DTYPE_NAMES)
        shp = tuple(self.choice([0, 1, 2, 3, 4]) for _ in range(self.choice([0, 0, 1, 1, 2, 2, 3, 4])))
        seed = self.r.randrange(1000)
        if dt == "bool_":
            vals = f"np.random.default_rng({seed}).random({shp}) < 0.5"
        elif "int" in dt:
            vals = f"np.random.default_rng({seed}).integers(-3, 9, size={shp})"
        elif dt == "complex64":
            vals = f"np.random.default_rng({seed}).normal(size={shp}) * (1 + 1j)"
        else:
            vals = f"np.random.default_rng({seed}).normal(size={shp}) * 3"
        src = f"mx.array({vals}, dtype=mx.{dt})"
        r = self.r.random()
        if r < 0.15 and len(shp) >= 2:
            src += ".T"
        elif r < 0.25 and len(shp) >= 1:
            src += "[::-1]"
        elif r < 0.3:
            src = f"mx.broadcast_to(mx.array(1, dtype=mx.{dt}), {shp})"
        return src

    def array(self):
        return self.val(self.array_src())

    def arraylike(self):
        r = self.r.random()
        if r < 0.6:
            return self.array()
        if r < 0.7:
            return self.val(self.choice(["[1, 2, 3]", "[[1, 2], [3, 4]]", "[[1, 2], [3]]", "[]",
                                         "[[]]", "[1.5, float('nan')]", "[True, 2]", "[[[0]]]",
                                         "[1, 'a']", "[None]", "[2**70]", "[1j, 2]"]))
        if r < 0.8:
            return self.val(self.choice(["np.arange(6).reshape(2, 3)", "np.zeros((0, 3))",
                                         "np.float64(2.5)", "np.array(3)", "np.ones((2,), np.uint64)",
                                         "np.array(['a'])", "np.ones((2, 2), np.float16)",
                                         "np.array([1 + 2j])", "np.ones(3)[::2]",
                                         "np.array([object()])"]))
        return self.any(depth=1)

    def arrays(self):
        n = self.r.randrange(0, 4)
        items = [self.array() for _ in range(n)]
        return V([v.obj for v in items], "[" + ", ".join(v.src for v in items) + "]")

    def index(self):
        """A key for __getitem__/__setitem__/at."""
        def one():
            r = self.r.random()
            if r < 0.3:
                return self.val(repr(self.r.randrange(-5, 5)))
            if r < 0.55:
                parts = [self.choice(["", "0", "1", "-1", "2", "5", "-7", "2**63", "None"]) for _ in range(2)]
                step = self.choice(["", "", "1", "2", "-1", "-2", "0", "2**62"])
                return self.val("np.s_[" + ":".join(parts) + (":" + step if step else "") + "]")
            if r < 0.65:
                return self.val(self.choice(["None", "...", "True", "False"]))
            if r < 0.8:
                return self.val(f"mx.array(np.random.default_rng({self.r.randrange(100)}).integers(-4, 4, size={(self.r.randrange(0, 4),) * self.r.randrange(0, 3)}), dtype=mx.{self.choice(['int32', 'uint32', 'int64', 'int8', 'uint64'])})")
            if r < 0.9:
                return self.val(f"mx.array(np.random.default_rng({self.r.randrange(100)}).random(({self.r.randrange(0, 4)},)) < 0.5)")
            return self.any(depth=2)
        if self.r.random() < 0.5:
            return one()
        items = [one() for _ in range(self.r.randrange(0, 5))]
        return V(tuple(v.obj for v in items), "(" + "".join(v.src + ", " for v in items) + ")")

    def any(self, depth=0):
        kinds = [self.int_, self.float_, self.bool_, self.str_, self.shape, self.axis, self.dtype,
                 self.stream, self.array, self.arrays]
        if depth == 0:
            kinds.append(self.arraylike)
        k = self.r.random()
        if k < 0.08:
            return self.val(self.choice(["None", "object()", "b'xy'", "1 + 2j", "{}", "{1: 2}",
                                         "set()", "lambda: 0", "mx", "mx.array", "Ellipsis",
                                         "float", "(1, (2, 3))", "[[1, 2], 3]"]))
        return self.choice(kinds)()


# Argument kinds by parameter name (the rest get random values of any kind).
KIND_BY_NAME = {}
for _n in ("a", "b", "x", "y", "c", "condition", "indices", "values", "update", "array", "val",
           "vals", "fill_value", "a_min", "a_max", "low", "high", "lower", "upper", "p", "logits",
           "constant_values", "start_indices", "loc", "arg", "value", "ary", "self_other",
           "dlpack_value", "from_", "other"):
    KIND_BY_NAME[_n] = "arraylike"
for _n in ("n", "m", "k", "kth", "num", "M", "offset", "decimals", "ddof", "width", "num_samples",
           "index", "seed", "limit", "repeats", "axis1", "axis2", "source", "destination",
           "start_axis", "end_axis", "num_splits", "mod"):
    KIND_BY_NAME[_n] = "int_"
for _n in ("rtol", "atol", "alpha", "beta", "nan", "posinf", "neginf", "start", "stop", "step"):
    KIND_BY_NAME[_n] = "float_"
for _n in ("keepdims", "reverse", "inclusive", "equal_nan", "precise", "sparse", "allow_col_major"):
    KIND_BY_NAME[_n] = "bool_"
for _n in ("shape", "reps", "strides", "slice_size", "pad_width", "shift", "indices_or_sections"):
    KIND_BY_NAME[_n] = "shape"
for _n in ("axis", "axes"):
    KIND_BY_NAME[_n] = "axis"
for _n in ("dtype", "to", "arg1", "arg2", "kind", "type", "device_type"):
    KIND_BY_NAME[_n] = "dtype"
for _n in ("stream", "s", "device"):
    KIND_BY_NAME[_n] = "stream"
for _n in ("mode", "indexing", "subscripts", "name"):
    KIND_BY_NAME[_n] = "str_"
KIND_BY_NAME["key"] = "array"
KIND_BY_NAME["arrays"] = "arrays"


def params_of(fn):
    """[(name, kw_only, varargs)] from nanobind's signature text (first overload)."""
    sig = getattr(fn, "__nb_signature__", None)
    text = sig[0][0] if sig else (getattr(fn, "__doc__", None) or "").split("\n")[0]
    m = re.search(r"\((.*)\)", text)
    if not m:
        return []
    inner = m.group(1)
    out = []
    kw = False
    depth = 0
    cur = ""
    for ch in inner + ",":
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            p = cur.strip()
            cur = ""
            if p == "*":
                kw = True
                continue
            name = re.match(r"(\*{0,2})(\w+)", p)
            if name and name.group(2) != "self" and name.group(1) != "**":
                out.append((name.group(2), kw, name.group(1) == "*"))
            continue
        cur += ch
    return out


def targets():
    """(name, callable, how) for every public callable; how is 'fn' or 'method'."""
    mx = _mx()
    out = []
    for name in sorted(dir(mx)):
        if name.startswith("_"):
            continue
        obj = getattr(mx, name)
        if callable(obj) and not isinstance(obj, type(mx)):
            out.append((f"mx.{name}", obj, "fn"))
    for name in sorted(dir(mx.random)):
        if name.startswith("_"):
            continue
        out.append((f"mx.random.{name}", getattr(mx.random, name), "fn"))
    skip = {"__init__", "__new__", "__init_subclass__", "__subclasshook__", "__getattribute__",
            "__setattr__", "__delattr__", "__dir__", "__format__", "__reduce__", "__reduce_ex__",
            "__sizeof__", "__class__", "__str__", "__repr__", "__hash__", "__doc__", "__module__"}
    for name in sorted(dir(mx.array)):
        if name in skip:
            continue
        obj = getattr(mx.array, name)
        if callable(obj):
            out.append((name, obj, "method"))
    out.append(("at", None, "at"))
    return out


# State-changing entry points: called, then the state is restored.
SETTERS = {"mx.set_memory_limit", "mx.set_cache_limit", "mx.set_wired_limit",
           "mx.set_default_device", "mx.set_default_stream"}
MAX_NEW_STREAMS = 6  # each stream owns a thread


def make_call(g, name, fn, how):
    """(src, thunk) for one random call."""
    r = g.r
    args, kwargs = [], {}
    if how == "at":
        base = g.array()
        key = g.index()
        op = g.choice(["add", "subtract", "multiply", "divide", "maximum", "minimum"])
        v = g.arraylike()
        src = f"({base.src}).at[{key.src}].{op}({v.src})"
        return src, (lambda: getattr(base.obj.at[key.obj], op)(v.obj))
    params = params_of(fn)
    if how == "method":
        selfv = g.array()
        args_src = []
        if name in ("__getitem__", "__setitem__"):
            key = g.index()
            args.append(key)
            if name == "__setitem__":
                args.append(g.arraylike())
        else:
            for pname, kwonly, varargs in params:
                if kwonly or r.random() < 0.1:
                    break
                if varargs:
                    for _ in range(r.randrange(0, 4)):
                        args.append(g.int_() if r.random() < 0.7 else g.any())
                    continue
                args.append(getattr(g, KIND_BY_NAME.get(pname, "any"))() if r.random() < 0.8 else g.any())
        for pname, kwonly, varargs in params:
            if kwonly and r.random() < 0.3:
                kwargs[pname] = getattr(g, KIND_BY_NAME.get(pname, "any"))() if r.random() < 0.7 else g.any()
        args_src = [a.src for a in args] + [f"{k}={v.src}" for k, v in kwargs.items()]
        src = f"({selfv.src}).{name}({', '.join(args_src)})"
        fobj = fn

        def thunk():
            return fobj(selfv.obj, *[a.obj for a in args], **{k: v.obj for k, v in kwargs.items()})
        return src, thunk
    for pname, kwonly, varargs in params:
        if varargs:
            for _ in range(r.randrange(0, 5)):
                kind = "arraylike" if pname in ("arrays", "arys", "operands", "args") else "any"
                if pname == "shapes":
                    kind = "shape"
                args.append(getattr(g, kind)())
            continue
        if kwonly:
            if r.random() < 0.3:
                kwargs[pname] = getattr(g, KIND_BY_NAME.get(pname, "any"))() if r.random() < 0.7 else g.any()
            continue
        if r.random() < 0.12:
            # stop here, or pass this one by keyword
            if r.random() < 0.5:
                break
            kwargs[pname] = getattr(g, KIND_BY_NAME.get(pname, "any"))()
            continue
        args.append(getattr(g, KIND_BY_NAME.get(pname, "any"))() if r.random() < 0.8 else g.any())
    if r.random() < 0.05:
        args.append(g.any())
    if r.random() < 0.05:
        kwargs[g.choice(["bogus", "axis", "stream", "dtype", "key"])] = g.any()
    args_src = [a.src for a in args] + [f"{k}={v.src}" for k, v in kwargs.items()]
    src = f"{name}({', '.join(args_src)})"

    def thunk():
        return fn(*[a.obj for a in args], **{k: v.obj for k, v in kwargs.items()})
    return src, thunk


def known_bug(src):
    return any(pat.search(src) for _, pat in KNOWN)


def consume(result, mx):
    """Evaluates and (when small) reads back whatever a call returned."""
    import numpy as np
    todo = [result]
    seen = 0
    while todo and seen < 64:
        x = todo.pop()
        seen += 1
        if isinstance(x, (list, tuple)):
            todo.extend(list(x)[:16])
        elif isinstance(x, dict):
            todo.extend(list(x.values())[:16])
        elif isinstance(x, mx.array):
            if any(d < 0 for d in x.shape):
                raise AssertionError(f"result with a negative dimension: shape {x.shape}")
            mx.eval(x)
            if x.nbytes <= (1 << 20):
                x.tolist()
                repr(x)
                if x.dtype != mx.bfloat16:
                    np.asarray(x)


def restore(mx):
    mx.set_memory_limit(MEMORY_LIMIT)
    mx.set_cache_limit(MEMORY_LIMIT)
    mx.set_default_device(mx.cpu)
    mx.set_default_stream(mx.default_stream(mx.cpu))


def worker(seed, n_calls, log_path, only=None):
    """The child: makes n_calls random calls (or replays one source line)."""
    import warnings

    import numpy as np
    mx = _mx()
    faulthandler.enable()
    if not mx.is_available(mx.gpu):
        # Host allocations outside Tandem's allocator (NumPy building an
        # argument, say) fail with MemoryError instead of filling the machine.
        # Not with CUDA, which reserves large address ranges.
        import resource
        resource.setrlimit(resource.RLIMIT_DATA, (6 << 30, 6 << 30))
    warnings.simplefilter("ignore")
    restore(mx)
    ns = {"mx": mx, "np": np, "math": math, "S1": mx.new_stream(mx.cpu)}
    tgts = targets()
    rng = random.Random(seed)
    g = Gen(rng)
    g.val = lambda src: V(eval(src, ns), src)  # noqa: S307 - our own generated code
    bad = []
    new_streams = 0
    with open(log_path, "w", buffering=1) as log:
        for i in range(n_calls if only is None else 1):
            if only is not None:
                src = only
                thunk = (lambda: eval(src, ns))  # noqa: S307
                name = "replay"
            else:
                name, fn, how = tgts[rng.randrange(len(tgts))]
                if name == "mx.new_stream":
                    if new_streams >= MAX_NEW_STREAMS:
                        continue
                    new_streams += 1
                try:
                    src, thunk = make_call(g, name, fn, how)
                except Exception as e:  # noqa: BLE001 - building an argument failed
                    # (e.g. mx.array of a weird literal): that is a call too
                    log.write(f"{i}\tARG\t{type(e).__name__}\n")
                    if not isinstance(e, ALLOWED) or LEAK.search(str(e)):
                        bad.append(f"building an argument for {name}: {type(e).__name__}: {e}")
                    continue
            log.write(f"{i}\tCALL\t{src}\n")
            faulthandler.dump_traceback_later(CALL_TIMEOUT_S, exit=True)
            t0 = time.perf_counter()
            msg = ""
            try:
                res = thunk()
                if not known_bug(src):
                    consume(res, mx)
                outcome = "ok"
            except AssertionError as e:
                bad.append(f"{src}\n    -> {e}")
                outcome = "bad"
            except Exception as e:  # noqa: BLE001 - the type is what is checked
                outcome = type(e).__name__
                msg = str(e).replace("\n", " ").replace("\t", " ")[:300]
                if (not isinstance(e, ALLOWED) or isinstance(e, SystemError) or
                        type(e).__module__ not in ("builtins", "tandem.core") or
                        LEAK.search(str(e))):
                    if True:
                        bad.append(f"{src}\n    -> {type(e).__module__}.{type(e).__name__}: {e}")
            finally:
                faulthandler.cancel_dump_traceback_later()
            log.write(f"{i}\t{outcome}\t{time.perf_counter() - t0:.3f}\t{msg}\n")
            if name in SETTERS or "set_" in src.split("(")[0]:
                restore(mx)
        mx.synchronize()
        log.write("DONE\n")
    for b in bad:
        print("BAD CALL:", b)
    return 1 if bad else 0


def run_child(seed, n_calls, only=None, timeout=None):
    fd, log_path = tempfile.mkstemp(prefix="tandem_fuzz_", suffix=".log")
    os.close(fd)
    cmd = [sys.executable, os.path.abspath(__file__), "worker", str(seed), str(n_calls), log_path]
    if only is not None:
        cmd.append(only)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout or (CALL_TIMEOUT_S + 60 + n_calls * 0.05))
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", (e.stdout or b"").decode(errors="replace") if isinstance(
            e.stdout, bytes) else (e.stdout or ""), ""
    with open(log_path) as f:
        log = f.read().splitlines()
    os.unlink(log_path)
    return rc, out, err, log


def last_call(log):
    for line in reversed(log):
        parts = line.split("\t")
        if len(parts) == 3 and parts[1] == "CALL":
            return parts[2]
    return None


def test_fuzz_inputs(tmp_path, monkeypatch):
    # mx.save and friends write the random paths they are given: into tmp_path.
    monkeypatch.chdir(tmp_path)
    rc, out, err, log = run_child(SEED, N_CALLS)
    calls = sum(1 for line in log if "\tCALL\t" in line)
    outcomes = {}
    slow = []
    runtime = []  # allowed, but listed: a RuntimeError should be a kernel failure
    src = None
    for line in log:
        parts = line.split("\t")
        if len(parts) == 3 and parts[1] == "CALL":
            src = parts[2]
        elif len(parts) == 4:
            outcomes[parts[1]] = outcomes.get(parts[1], 0) + 1
            slow.append((float(parts[2]), src))
            if parts[1] == "RuntimeError":
                runtime.append(f"{src[:200]} -> {parts[3][:200]}")
    slow.sort(reverse=True)
    print(f"input fuzz: {calls} calls, seed {SEED}, outcomes {outcomes}; slowest calls: "
          + "; ".join(f"{t:.2f} s {c[:200]}" for t, c in slow[:3]))
    for r in runtime[:5]:
        print("  RuntimeError:", r)
    if rc == 0 and log and log[-1] == "DONE":
        return
    msg = [f"input fuzz (seed {SEED}) failed: exit status {rc}"]
    call = last_call(log)
    if rc != 1 or not log or log[-1] != "DONE":
        msg.append(f"last call started (the culprit of a crash or hang):\n    {call}")
        if call:
            rc2, out2, err2, _ = run_child(SEED, 1, only=call, timeout=CALL_TIMEOUT_S + 30)
            msg.append(f"replayed alone in a fresh interpreter: exit status {rc2}")
        msg.append("child stderr (tail):\n" + "\n".join(err.splitlines()[-30:]))
    msg.append(out[-6000:])
    raise AssertionError("\n".join(msg))


if __name__ == "__main__" and len(sys.argv) >= 5 and sys.argv[1] == "worker":
    sys.exit(worker(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
                    sys.argv[5] if len(sys.argv) > 5 else None))
