"""Writes the API reference pages (Markdown) from the importable package.

    python3 docs/gen_reference.py [OUTDIR]    (default: docs/reference)

Sphinx runs this on every build (docs/conf.py), so the reference lists what
the installed tandem really exports: every public name of each module below,
with its signature and docstring; a name without a docstring is still listed.
"""

import enum
import inspect
import os
import sys
import types

# (page file, title, module name, what the page says first)
PAGES = [
    ("core", "tandem.core", "tandem.core", "Arrays, dtypes, ops, devices and streams, transforms, memory."),
    ("random", "tandem.core.random", "tandem.core.random", "Random numbers from explicit or global keys."),
    ("fast", "tandem.core.fast", "tandem.core.fast", "Fused operations for neural networks."),
    ("linalg", "tandem.core.linalg", "tandem.core.linalg", "Linear algebra: factorizations, solvers, norms."),
    ("fft", "tandem.core.fft", "tandem.core.fft", "Discrete Fourier transforms."),
    ("nn", "tandem.nn", "tandem.nn", "Layers, activations and the module system."),
    ("nn_init", "tandem.nn.init", "tandem.nn.init", "Parameter initializers."),
    ("nn_losses", "tandem.nn.losses", "tandem.nn.losses", "Loss functions."),
    ("optimizers", "tandem.optimizers", "tandem.optimizers", "Optimizers and learning-rate schedules."),
    ("utils", "tandem.utils", "tandem.utils", "Tree helpers over nested lists, tuples and dicts."),
    ("timeline", "tandem.timeline", "tandem.timeline", "Reading and drawing stream timelines (mx.timeline)."),
]

FENCE = "````"


def public_names(mod):
    """The names a user reaches through `mod`: no underscores, no submodules that
    only hold the implementation, no names imported from other libraries."""
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in dir(mod) if not n.startswith("_")]
    out = []
    for n in sorted(set(names)):
        obj = getattr(mod, n)
        if isinstance(obj, types.ModuleType):
            continue  # submodules have pages of their own or are implementation files
        owner = getattr(obj, "__module__", None)
        if owner is not None and not str(owner).startswith("tandem") and callable(obj):
            if not isinstance(obj, enum.Enum):
                continue  # e.g. typing.Any imported by tandem.utils
        out.append(n)
    return out


def nanobind_text(obj):
    """A nanobind function's __doc__ already starts with its signature(s)."""
    return inspect.cleandoc(obj.__doc__ or "")


def signature_of(name, obj):
    try:
        return name + str(inspect.signature(obj))
    except (TypeError, ValueError):
        return None


def describe(name, obj):
    """The text shown for one object: its signature, a blank line, its docstring."""
    kind = type(obj).__name__
    if kind in ("nb_func", "nb_method"):
        text = nanobind_text(obj)
        return text if text else name + "(...)\n\n(no docstring)"
    if obj is None:
        return f"{name} = None"
    if isinstance(obj, (int, float, str)) or type(obj).__module__ == "tandem.core":
        if not callable(obj) or isinstance(obj, enum.Enum):
            return f"{name} = {obj!r}"
    if isinstance(obj, property):
        return f"{name} (property)\n\n" + (inspect.getdoc(obj) or "(no docstring)")
    if inspect.isclass(obj) and issubclass(obj, enum.Enum):
        head = f"enum {name}: " + ", ".join(m.name for m in obj)
        return head + "\n\n" + (inspect.getdoc(obj) or "(no docstring)")
    if inspect.isclass(obj):
        init = obj.__dict__.get("__init__")
        if init is not None and type(init).__name__ in ("nb_method", "nb_func"):
            head = nanobind_text(init).replace("__init__(self, ", f"{name}(").replace(
                "__init__(self)", f"{name}()")
        else:
            head = signature_of(name, obj) or f"class {name}"
        doc = obj.__doc__ if obj.__doc__ and obj.__doc__ != type.__doc__ else None
        return head + "\n\n" + (inspect.cleandoc(doc) if doc else "(no docstring)")
    sig = signature_of(name, obj) if callable(obj) else None
    doc = inspect.getdoc(obj) if callable(obj) else None
    return (sig or name) + "\n\n" + (doc or "(no docstring)")


def members(cls):
    """Public attributes a class defines itself (inherited ones are documented
    with the class that defines them)."""
    out = []
    for n, v in sorted(cls.__dict__.items()):
        if n.startswith("_"):
            continue
        if isinstance(v, (staticmethod, classmethod)) or inspect.isfunction(v):
            # Through the class, so inspect.getdoc finds an overridden
            # method's docstring on the base class.
            v = getattr(cls, n)
        out.append((n, v))
    return out


def block(text):
    return f"{FENCE}text\n{text.rstrip()}\n{FENCE}\n"


def page(title, modname, intro):
    __import__(modname)
    mod = sys.modules[modname]
    lines = [f"# {title}\n", f"{intro}\n"]
    names = public_names(mod)
    lines.append(f"{len(names)} public names.\n")
    for n in names:
        obj = getattr(mod, n)
        full = f"{modname}.{n}"
        lines.append(f"## `{full}`\n")
        lines.append(block(describe(n, obj)))
        if inspect.isclass(obj) and not issubclass(obj, (enum.Enum, BaseException)):
            for m, v in members(obj):
                lines.append(f"### `{full}.{m}`\n")
                lines.append(block(describe(m, v)))
    return "\n".join(lines)


def documented_names():
    """{module name: [public names]}, what the pages list (the test checks it)."""
    out = {}
    for _, _, modname, _ in PAGES:
        __import__(modname)
        out[modname] = public_names(sys.modules[modname])
    return out


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    for fname, title, modname, intro in PAGES:
        text = page(title, modname, intro)
        path = os.path.join(outdir, fname + ".md")
        # Rewrite only on change, so Sphinx does not rebuild unchanged pages.
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            with open(path, "w") as f:
                f.write(text)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "reference"))
