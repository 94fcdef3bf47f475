"""Every public name of tandem.core (and its submodules), tandem.nn and
tandem.optimizers has a docstring that says something beyond a signature,
and so do the public methods and properties of the classes they export.

nanobind puts the signature(s) on the first lines of a bound function's
__doc__; those lines are dropped before the check, so a C++ binding without
its "doc" argument fails here even though its __doc__ is not empty.
"""

import enum
import inspect
import re
import types

import pytest
import tandem.core as mx
import tandem.core.fast  # noqa: F401
import tandem.nn as nn
import tandem.nn.init
import tandem.nn.losses
import tandem.optimizers as optim
import tandem.utils

MODULES = {
    "tandem.core": mx,
    "tandem.core.random": mx.random,
    "tandem.core.fast": mx.fast,
    "tandem.core.linalg": mx.linalg,
    "tandem.core.fft": mx.fft,
    "tandem.core.cuda": mx.cuda,
    "tandem.core.metal": mx.metal,
    "tandem.nn": nn,
    "tandem.nn.init": tandem.nn.init,
    "tandem.nn.losses": tandem.nn.losses,
    "tandem.optimizers": optim,
    "tandem.utils": tandem.utils,
}

# A docstring must hold at least this many words once signatures are removed.
MIN_WORDS = 3


def public_names(mod):
    """The module's public callables and classes (constants such as
    ``mx.pi`` or dtype objects carry no docstring of their own)."""
    names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
    out = []
    for n in sorted(set(names)):
        obj = getattr(mod, n)
        if isinstance(obj, types.ModuleType):
            continue
        if not (callable(obj) or inspect.isclass(obj)):
            continue
        if isinstance(obj, enum.Enum) or type(obj).__module__ == "tandem.core" and not (
            inspect.isclass(obj) or type(obj).__name__ == "nb_func"
        ):
            continue  # instances such as mx.float32 or mx.cpu
        owner = getattr(obj, "__module__", None) or ""
        if not str(owner).startswith("tandem"):
            continue  # re-exported from elsewhere (typing.Any, functools.partial)
        out.append(n)
    return out


def _signature_line(line, name):
    return bool(re.match(rf"\s*(def\s+)?{re.escape(name)}\s*\(", line)) or line.strip().startswith(
        "@overload"
    )


def text_of(name, doc):
    """The docstring without nanobind's signature lines."""
    if not doc:
        return ""
    lines = inspect.cleandoc(doc).splitlines()
    return "\n".join(ln for ln in lines if not _signature_line(ln, name)).strip()


def meaningful(name, doc):
    return len(text_of(name, doc).split()) >= MIN_WORDS


def doc_of(obj):
    if inspect.isclass(obj):
        # A class's own docstring: not inherited, not the base object's.
        doc = obj.__dict__.get("__doc__")
        return doc if isinstance(doc, str) else None
    return inspect.getdoc(obj) if not type(obj).__name__.startswith("nb_") else obj.__doc__


def class_members(cls):
    """(name, object) for the public methods and properties a class defines."""
    out = []
    for n, v in cls.__dict__.items():
        if n.startswith("_"):
            continue
        if isinstance(v, (staticmethod, classmethod)) or inspect.isfunction(v):
            v = getattr(cls, n)  # so getdoc finds a base class's docstring
        elif isinstance(v, property) or type(v).__name__ in ("nb_method", "nb_func"):
            pass
        elif type(v).__name__ == "property" or hasattr(v, "fget"):
            pass
        else:
            continue  # class attributes, enum members
        out.append((n, v))
    return out


def inherited_doc(cls, name, v):
    """An override without a docstring documents itself through its base."""
    doc = v.__doc__ if isinstance(v, property) else doc_of(v)
    if meaningful(name, doc):
        return doc
    for base in cls.__mro__[1:]:
        if name in base.__dict__:
            b = base.__dict__[name]
            bdoc = b.__doc__ if isinstance(b, property) else doc_of(getattr(base, name))
            if meaningful(name, bdoc):
                return bdoc
    return doc


@pytest.mark.parametrize("modname", sorted(MODULES))
def test_public_names_have_docstrings(modname):
    mod = MODULES[modname]
    names = public_names(mod)
    assert names, f"{modname} has no public callables?"
    missing = [n for n in names if not meaningful(n, doc_of(getattr(mod, n)))]
    assert not missing, f"{modname}: no docstring beyond a signature: {missing}"


@pytest.mark.parametrize("modname", sorted(MODULES))
def test_public_methods_have_docstrings(modname):
    mod = MODULES[modname]
    missing = []
    for n in public_names(mod):
        cls = getattr(mod, n)
        if not inspect.isclass(cls) or issubclass(cls, (enum.Enum, BaseException)):
            continue
        for m, v in class_members(cls):
            if not meaningful(m, inherited_doc(cls, m, v)):
                missing.append(f"{n}.{m}")
    assert not missing, f"{modname}: methods without a docstring: {missing}"


def test_checker_rejects_bare_signatures():
    # The check itself: a signature alone, an empty or a one-word docstring
    # do not count; a sentence does.
    def f(x):
        return x

    assert not meaningful("f", None)
    assert not meaningful("f", "")
    assert not meaningful("f", "f(x: int) -> int")
    assert not meaningful("f", "f(x: int) -> int\n\nTODO")
    assert meaningful("f", "f(x: int) -> int\n\nDoubles x and returns it.")
    assert not meaningful("f", doc_of(f))

    class Plain:
        pass

    assert doc_of(Plain) is None
    # A bound function without "doc" in C++ shows only its signature.
    sig_only = mx.array.__dict__["astype"].__doc__.splitlines()[0]
    assert not meaningful("astype", sig_only)


def test_new_nn_docstrings_name_their_arguments():
    # The activations and transformer blocks document every parameter of
    # their signature (an "Args:" entry per argument).
    for obj in (nn.leaky_relu, nn.elu, nn.celu, nn.softshrink, nn.hard_tanh, nn.step, nn.prelu,
                nn.log_softmax, nn.softmax, nn.softmin):
        doc = inspect.getdoc(obj)
        for p in inspect.signature(obj).parameters:
            assert f"{p}:" in doc, (obj.__name__, p)
        assert "Returns:" in doc
    for cls in (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer, nn.TransformerEncoder,
                nn.TransformerDecoder):
        doc = cls.__doc__
        for p in inspect.signature(cls).parameters:
            assert f"{p}:" in doc, (cls.__name__, p)


def has_signature(obj):
    """Whether help() and the reference can show how to call obj."""
    if type(obj).__name__ in ("nb_func", "nb_method"):
        return bool(getattr(obj, "__nb_signature__", None))
    if inspect.isclass(obj):
        init = obj.__dict__.get("__init__")
        if init is not None and type(init).__name__ in ("nb_func", "nb_method"):
            return bool(getattr(init, "__nb_signature__", None))
        if type(obj).__name__ == "nb_type" and type(init).__name__ in ("NoneType", "wrapper_descriptor"):
            return True  # a bound class made only by the library (PrintOptions): no constructor
    try:
        inspect.signature(obj)
    except (TypeError, ValueError):
        return False
    return True


@pytest.mark.parametrize("modname", sorted(MODULES))
def test_public_callables_have_signatures(modname):
    mod = MODULES[modname]
    missing = []
    for n in public_names(mod):
        obj = getattr(mod, n)
        if inspect.isclass(obj) and issubclass(obj, (enum.Enum, BaseException)):
            continue
        if not has_signature(obj):
            missing.append(n)
    assert not missing, f"{modname}: no signature: {missing}"


# The pure-Python modules document every parameter: an "Args:" entry
# ("name: ...") per parameter of the function or of the class's constructor.
PYTHON_MODULES = ["tandem.nn", "tandem.nn.init", "tandem.nn.losses", "tandem.optimizers"]


@pytest.mark.parametrize("modname", PYTHON_MODULES)
def test_python_docstrings_describe_every_parameter(modname):
    mod = MODULES[modname]
    missing = []
    for n in public_names(mod):
        obj = getattr(mod, n)
        doc = doc_of(obj) or ""
        if inspect.isclass(obj) and "__init__" not in vars(obj) and "Args:" not in doc:
            continue  # a layer without arguments (ReLU): its docstring says what it does
        params = [p for p in inspect.signature(obj).parameters if p != "self"]
        undocumented = [p for p in params if not re.search(rf"^\s*\**{p}:", doc, re.M)]
        if undocumented:
            missing.append(f"{n}{undocumented}")
    assert not missing, f"{modname}: parameters without an Args entry: {missing}"
