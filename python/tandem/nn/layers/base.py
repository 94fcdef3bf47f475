"""``Module``: the base class of every layer, with the behaviour of ``mlx.nn.Module``.

A Module is a dict: its parameters (arrays), submodules and containers of them
are the dict's items, reachable as attributes too. Everything else set as an
attribute (ints, floats, functions, None) lives in the instance ``__dict__`` and
so is neither a parameter nor a child.
"""

import textwrap
from typing import Any, Callable, List, Optional, Tuple, Union

import tandem.core as mx
from tandem.utils import tree_flatten, tree_unflatten

# Parameters live in dicts and lists. Tuples set as attributes are stored in
# the module's dict too, but (as in MLX) are never searched for parameters.
_CONTAINERS = (dict, list)


def _is_array(x) -> bool:
    return isinstance(x, mx.array)


class Module(dict):
    """Base class for layers and models.

    Subclasses call ``super().__init__()`` first and define ``__call__``.
    """

    def __init__(self):
        # Kept in __dict__ (not the dict itself): neither is a parameter.
        self._no_grad = set()
        self._training = True

    # -- attributes are dict items when they are arrays, modules or containers --

    def __getattr__(self, key: str):
        if key in self:
            return self[key]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    def __setattr__(self, key: str, value: Any):
        if isinstance(value, (mx.array, dict, list, tuple)):
            if key in self.__dict__:
                del self.__dict__[key]
            self[key] = value
        else:
            # Replacing a parameter by, say, None removes the parameter.
            if key in self:
                del self[key]
            super().__setattr__(key, value)

    def __delattr__(self, key: str):
        if key in self:
            del self[key]
        else:
            super().__delattr__(key)

    @property
    def training(self) -> bool:
        """True in training mode (the default), False after ``eval()``."""
        return self._training

    @property
    def state(self) -> "Module":
        """The module's state dict: the module itself."""
        return self

    def _extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = tree_flatten(self.children(), is_leaf=self.is_module)
        text = f"{type(self).__name__}({self._extra_repr()}"
        for key, child in children:
            text += "\n" + textwrap.indent(f"({key}): {child!r}", "  ")
        if children:
            text += "\n"
        return text + ")"

    # -- filters used to pick parameters and children --

    @staticmethod
    def is_module(value) -> bool:
        """True when ``value`` is a ``Module`` (the test ``children`` and ``leaf_modules`` use)."""
        return isinstance(value, Module)

    @staticmethod
    def valid_child_filter(module, key, value) -> bool:
        """Filter for ``filter_and_map``: keeps the attributes that can hold
        submodules (modules, lists, tuples and dicts)."""
        return isinstance(value, _CONTAINERS)

    @staticmethod
    def valid_parameter_filter(module, key, value) -> bool:
        """Filter for ``filter_and_map``: keeps arrays and containers of them
        stored under names that do not start with an underscore."""
        return isinstance(value, (mx.array,) + _CONTAINERS) and not key.startswith("_")

    @staticmethod
    def trainable_parameter_filter(module, key, value) -> bool:
        """Filter for ``filter_and_map``: ``valid_parameter_filter`` minus the
        frozen parameters."""
        return Module.valid_parameter_filter(module, key, value) and key not in module._no_grad

    def filter_and_map(
        self,
        filter_fn: Callable[["Module", str, Any], bool],
        map_fn: Optional[Callable] = None,
        is_leaf_fn: Optional[Callable[["Module", str, Any], bool]] = None,
    ) -> dict:
        """The items that pass ``filter_fn``, containers and submodules descended into.

        ``filter_fn(module, key, value)`` and ``is_leaf_fn`` see dotted keys
        relative to the module that holds the container (``"w.0"``);
        ``map_fn`` is applied to each kept leaf. Submodules become dicts.
        """
        map_fn = map_fn or (lambda x: x)
        is_leaf_fn = is_leaf_fn or (lambda m, k, v: not isinstance(v, _CONTAINERS))
        return {
            k: _unwrap(self, k, v, filter_fn, map_fn, is_leaf_fn)
            for k, v in self.items()
            if filter_fn(self, k, v)
        }

    def parameters(self) -> dict:
        """All arrays of the module and its submodules, as a nested dict/list tree."""
        return self.filter_and_map(self.valid_parameter_filter)

    def trainable_parameters(self) -> dict:
        """The parameters that are not frozen."""
        return self.filter_and_map(self.trainable_parameter_filter)

    def children(self) -> dict:
        """The direct submodules, in the containers that hold them."""
        return self.filter_and_map(
            self.valid_child_filter, is_leaf_fn=lambda m, k, v: isinstance(v, Module)
        )

    def leaf_modules(self) -> dict:
        """The submodules that have no submodules themselves."""

        def is_leaf_module(m, k, v):
            return isinstance(v, Module) and not tree_flatten(v.children())

        return self.filter_and_map(self.valid_child_filter, is_leaf_fn=is_leaf_module)

    def named_modules(self) -> List[Tuple[str, "Module"]]:
        """``(dotted name, module)`` for this module ("") and every submodule.

        Depth first, later children first (the order MLX gives).
        """
        stack = [("", self)]
        out = []
        while stack:
            prefix, module = stack.pop()
            out.append((prefix, module))
            # tree_flatten drops the first character of the joined name.
            children = tree_flatten(
                module.children(), prefix="." + prefix if prefix else "", is_leaf=self.is_module
            )
            stack.extend(children)
        return out

    def modules(self) -> List["Module"]:
        """Every module of the tree, this one included, in ``named_modules`` order.

        Returns:
            A list of ``Module`` objects.
        """
        return [m for _, m in self.named_modules()]

    def apply_to_modules(self, apply_fn: Callable[[str, "Module"], Any]) -> "Module":
        """Call ``apply_fn(name, module)`` on every module, in ``named_modules`` order."""
        for name, module in self.named_modules():
            apply_fn(name, module)
        return self

    # -- replacing parameters and modules --

    def update(self, parameters: dict, strict: bool = True) -> "Module":
        """Replace parameters with those in the tree ``parameters``.

        The tree may hold a subset of the parameters. With ``strict`` a key the
        module lacks, or a non-array given for an array, raises ValueError.
        """
        _update(self, parameters, strict, "", modules=False)
        return self

    def update_modules(self, modules: dict, strict: bool = True) -> "Module":
        """Replace submodules with those in the tree ``modules`` (a subset is fine)."""
        _update(self, modules, strict, "", modules=True)
        return self

    def apply(
        self,
        map_fn: Callable[[mx.array], mx.array],
        filter_fn: Optional[Callable[["Module", str, Any], bool]] = None,
    ) -> "Module":
        """Replace each parameter ``p`` (passing ``filter_fn``) by ``map_fn(p)``."""
        filter_fn = filter_fn or self.valid_parameter_filter
        return self.update(self.filter_and_map(filter_fn, map_fn))

    def set_dtype(
        self,
        dtype,
        predicate: Optional[Callable] = lambda t: mx.issubdtype(t, mx.floating),
    ) -> "Module":
        """Cast the parameters whose dtype passes ``predicate`` (floating ones by default)."""
        predicate = predicate or (lambda t: True)
        return self.apply(lambda x: x.astype(dtype) if predicate(x.dtype) else x)

    # -- freezing --

    def _local_parameter_keys(self) -> List[str]:
        local = self.filter_and_map(
            lambda m, k, v: not isinstance(v, Module) and m.valid_parameter_filter(m, k, v)
        )
        return [k for k, _ in tree_flatten(local)]

    def _set_frozen(self, frozen: bool, recurse: bool, keys, strict: bool):
        if isinstance(keys, str):
            keys = [keys]
        targets = self.modules() if recurse else [self]
        if strict and keys is not None:
            known = set()
            for m in targets:
                names = m._local_parameter_keys()
                known.update(names)
                known.update(n.split(".")[0] for n in names)
            for k in keys:
                if k not in known:
                    raise KeyError(f"Module doesn't contain member {k}.")
        for m in targets:
            local = m._local_parameter_keys() if keys is None else keys
            if frozen:
                m._no_grad.update(local)
            elif keys is None:
                m._no_grad.clear()
            else:
                m._no_grad.difference_update(local)
        return self

    def freeze(
        self,
        *,
        recurse: bool = True,
        keys: Optional[Union[str, List[str]]] = None,
        strict: bool = False,
    ) -> "Module":
        """Exclude parameters from ``trainable_parameters`` (all, or just ``keys``)."""
        return self._set_frozen(True, recurse, keys, strict)

    def unfreeze(
        self,
        *,
        recurse: bool = True,
        keys: Optional[Union[str, List[str]]] = None,
        strict: bool = False,
    ) -> "Module":
        """Undo ``freeze`` (for all parameters, or just ``keys``)."""
        return self._set_frozen(False, recurse, keys, strict)

    # -- training mode --

    def _set_training_mode(self, mode: bool):
        self._training = mode

    def train(self, mode: bool = True) -> "Module":
        """Set training mode on this module and every submodule."""
        return self.apply_to_modules(lambda _, m: m._set_training_mode(mode))

    def eval(self) -> "Module":
        """Set evaluation mode (``train(False)``) on this module and every
        submodule: dropout becomes the identity, batch norm uses its running
        statistics.

        Returns:
            This module.
        """
        return self.train(False)

    # -- weights files --

    def load_weights(
        self,
        file_or_weights: Union[str, List[Tuple[str, mx.array]]],
        strict: bool = True,
    ) -> "Module":
        """Load parameters from an ``.npz`` or ``.safetensors`` file, or a list of
        ``(dotted name, array)``.

        With ``strict``, missing or unexpected names and shape mismatches raise
        ValueError; without it, whatever matches is loaded.
        """
        weights = file_or_weights
        if isinstance(weights, str):
            weights = _read_weights(weights)
        weights = list(weights)
        if strict:
            given = dict(weights)
            current = dict(tree_flatten(self.parameters()))
            extra = [k for k in given if k not in current]
            if extra:
                raise ValueError(
                    f"Received {len(extra)} parameters not in model: \n" + ",\n".join(extra) + "."
                )
            missing = sorted(k for k in current if k not in given)
            if missing:
                raise ValueError(
                    f"Missing {len(missing)} parameters: \n" + ",\n".join(missing) + "."
                )
            for k, v in given.items():
                if not isinstance(v, mx.array):
                    raise ValueError(f"Expected mx.array but received {type(v)} for parameter {k}")
                if tuple(v.shape) != tuple(current[k].shape):
                    raise ValueError(
                        f"Expected shape {tuple(current[k].shape)} but received "
                        f"shape {tuple(v.shape)} for parameter {k}"
                    )
        if weights:
            self.update(tree_unflatten(weights), strict=False)
        return self

    def save_weights(self, file: str):
        """Save the parameters to an ``.npz`` or ``.safetensors`` file (dotted names)."""
        arrays = dict(tree_flatten(self.parameters()))
        if file.endswith(".npz"):
            mx.savez(file, **arrays)
        elif file.endswith(".safetensors"):
            mx.save_safetensors(file, arrays)
        else:
            raise ValueError(f"Unsupported file extension for {file}; use .npz or .safetensors")


def _read_weights(path: str):
    if not path.endswith((".npz", ".safetensors")):
        raise ValueError(f"Unsupported file extension for {path}; use .npz or .safetensors")
    return list(mx.load(path).items())


def _unwrap(module, key, value, filter_fn, map_fn, is_leaf_fn):
    if is_leaf_fn(module, key, value):
        return map_fn(value)
    if isinstance(value, Module):
        return value.filter_and_map(filter_fn, map_fn, is_leaf_fn)
    if isinstance(value, dict):
        # Inside containers a rejected item becomes {}, keeping the shape.
        out = {}
        for k, v in value.items():
            sub = f"{key}.{k}"
            keep = filter_fn(module, sub, v)
            out[k] = _unwrap(module, sub, v, filter_fn, map_fn, is_leaf_fn) if keep else {}
        return out
    if isinstance(value, list):
        out = []
        for i, v in enumerate(value):
            sub = f"{key}.{i}"
            keep = filter_fn(module, sub, v)
            out.append(_unwrap(module, sub, v, filter_fn, map_fn, is_leaf_fn) if keep else {})
        return out
    raise RuntimeError(f"Unexpected leaf {key!r} of type {type(value).__name__}")


def _update(dst, src, strict: bool, prefix: str, modules: bool):
    """Write ``src``'s leaves into the matching places of ``dst`` (a dict or list)."""
    if isinstance(src, (dict, list, tuple)) and not src:
        return  # an empty subtree: nothing to write, whatever ``dst`` is
    if isinstance(src, dict):
        if not isinstance(dst, dict):
            if strict:
                raise ValueError(f"Received a dict for {prefix[:-1]!r}, which is not a dict.")
            return
        items = src.items()
        has = lambda k: k in dst
    elif isinstance(src, (list, tuple)):
        if not isinstance(dst, (list, tuple)):
            if strict:
                raise ValueError(f"Received a list for {prefix[:-1]!r}, which is not a list.")
            return
        items = enumerate(src)
        has = lambda i: i < len(dst)
    else:
        raise ValueError(f"Expected a dict or list of updates, got {type(src).__name__}")
    for k, new in items:
        name = f"{prefix}{k}"
        if not has(k):
            if strict:
                what = "submodule" if modules else "parameter"
                raise ValueError(f'Module does not have {what} named "{name}".')
            continue
        cur = dst[k]
        if modules:
            if isinstance(new, Module) or not isinstance(new, _CONTAINERS):
                if isinstance(cur, Module) or not strict:
                    _assign(dst, k, new)
                elif strict:
                    raise ValueError(f"Received invalid type: {type(new).__name__} for {name}.")
            else:
                _update(cur, new, strict, name + ".", modules)
        elif isinstance(new, _CONTAINERS):
            _update(cur, new, strict, name + ".", modules)
        elif isinstance(cur, mx.array) or not strict:
            if strict and not isinstance(new, mx.array):
                raise ValueError(f"Received invalid type: {type(new).__name__} for {name}.")
            _assign(dst, k, new)
        else:
            raise ValueError(f"Received invalid type: {type(new).__name__} for {name}.")


def _assign(container, key, value):
    if isinstance(container, tuple):
        raise TypeError("Cannot update an item of a tuple; hold parameters in a list")
    container[key] = value
