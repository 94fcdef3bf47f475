"""Pytree utilities with the behaviour of ``mlx.utils``.

A tree is a nested structure of lists, tuples and dicts; everything else
(arrays, numbers, strings, None, ...) is a leaf. Paths name a leaf by the keys
and indices that lead to it, joined by dots: ``"layers.0.weight"``.

Written from MLX's documented and observed behaviour, corner cases included
(see tests/python/test_utils.py), with two deliberate differences:

* ``tree_unflatten`` raises ValueError on a path given twice, where MLX
  recurses until RecursionError;
* ``tree_merge`` orders a merged dict's keys as ``tree_a``'s keys followed by
  the keys only ``tree_b`` has, where MLX's order follows a set (so it changes
  with the string hash seed).

Pure Python: it does not import tandem.core.
"""

from itertools import zip_longest
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

__all__ = [
    "tree_map",
    "tree_map_with_path",
    "tree_flatten",
    "tree_unflatten",
    "tree_reduce",
    "tree_merge",
]

_SEQUENCE = (list, tuple)
_CONTAINER = (list, tuple, dict)


def _rebuild(like, items):
    """A sequence of ``like``'s type holding ``items``.

    Named tuples take their fields as separate arguments; every other list or
    tuple type is built from one iterable, as MLX does (subclasses are kept).
    """
    if hasattr(like, "_fields"):
        return type(like)(*items)
    return type(like)(items)


def tree_map(fn: Callable, tree: Any, *rest: Any, is_leaf: Optional[Callable] = None) -> Any:
    """Apply ``fn`` to the leaves of ``tree``; returns a tree of the same structure.

    With ``rest``, ``fn`` gets the matching subtree of each tree in ``rest`` as
    extra arguments: those trees are indexed by ``tree``'s keys and indices, so
    they must hold at least what ``tree`` holds (extra entries are ignored, and
    a leaf of ``tree`` receives whatever subtree sits there). A missing entry
    raises the error indexing raises: IndexError, KeyError or TypeError.

    ``is_leaf(node)``, when given, is asked about every node of ``tree`` (not of
    ``rest``) before it is descended into; True makes the node a leaf.
    Lists and tuples (named tuples too) keep their type; dicts come back as dict.
    """
    if is_leaf is not None and is_leaf(tree):
        return fn(tree, *rest)
    if isinstance(tree, _SEQUENCE):
        return _rebuild(
            tree,
            [
                tree_map(fn, child, *[r[i] for r in rest], is_leaf=is_leaf)
                for i, child in enumerate(tree)
            ],
        )
    if isinstance(tree, dict):
        return {
            k: tree_map(fn, child, *[r[k] for r in rest], is_leaf=is_leaf)
            for k, child in tree.items()
        }
    return fn(tree, *rest)


def tree_map_with_path(
    fn: Callable,
    tree: Any,
    *rest: Any,
    is_leaf: Optional[Callable] = None,
    path: Optional[Any] = None,
) -> Any:
    """Like :func:`tree_map`, calling ``fn(path, leaf, *rest_leaves)``.

    ``path`` is the dotted path of the leaf below the given ``path`` (``None``
    for a tree that is itself a leaf and no ``path`` given): ``"a.0.b"``.
    """
    if is_leaf is not None and is_leaf(tree):
        return fn(path, tree, *rest)

    def sub(key):
        # A falsy path (None, "", 0) adds no leading component.
        return f"{path}.{key}" if path else f"{key}"

    if isinstance(tree, _SEQUENCE):
        return _rebuild(
            tree,
            [
                tree_map_with_path(fn, child, *[r[i] for r in rest], is_leaf=is_leaf, path=sub(i))
                for i, child in enumerate(tree)
            ],
        )
    if isinstance(tree, dict):
        return {
            k: tree_map_with_path(fn, child, *[r[k] for r in rest], is_leaf=is_leaf, path=sub(k))
            for k, child in tree.items()
        }
    return fn(path, tree, *rest)


def tree_flatten(
    tree: Any,
    prefix: str = "",
    is_leaf: Optional[Callable] = None,
    destination: Union[List[Tuple[str, Any]], Dict[str, Any], None] = None,
) -> Union[List[Tuple[str, Any]], Dict[str, Any]]:
    """The leaves of ``tree`` as ``(path, leaf)`` pairs, depth first, in order.

    ``tree_flatten({"layers": [{"weight": w}]})`` is ``[("layers.0.weight", w)]``;
    a tree that is a leaf gives ``[("", tree)]``. Empty containers contribute
    nothing. As in MLX, the first character of ``prefix`` is dropped (it stands
    for the separator): ``prefix=".model"`` names leaves ``"model.layers..."``.
    ``destination``, a list or dict, receives the pairs (appended, or set as
    items) and is returned.
    """
    if destination is None:
        destination = []
    if isinstance(destination, list):
        add = destination.append
    elif isinstance(destination, dict):
        add = lambda pair: destination.__setitem__(*pair)
    else:
        raise ValueError("Destination should be either a list or a dictionary or None")
    _flatten_into(tree, prefix, is_leaf, add)
    return destination


def _flatten_into(tree, prefix, is_leaf, add):
    if not (is_leaf is not None and is_leaf(tree)):
        if isinstance(tree, _SEQUENCE):
            for i, child in enumerate(tree):
                _flatten_into(child, f"{prefix}.{i}", is_leaf, add)
            return
        if isinstance(tree, dict):
            for k, child in tree.items():
                _flatten_into(child, f"{prefix}.{k}", is_leaf, add)
            return
    add((prefix[1:], tree))


def tree_unflatten(tree: Union[List[Tuple[str, Any]], Dict[str, Any]]) -> Any:
    """Rebuild a tree from ``(path, leaf)`` pairs (or a dict path -> leaf).

    Inverse of :func:`tree_flatten` up to what flattening loses: tuples come
    back as lists and empty containers are gone. A level whose keys all parse
    with ``int()`` (and to distinct values) becomes a list ordered by them,
    with ``{}`` filling skipped indices; any other level becomes a dict in
    first-seen key order. A single pair with path ``""`` is a bare leaf.
    """
    items = list(tree.items()) if isinstance(tree, dict) else list(tree)
    return _unflatten(items, "")


def _unflatten(items, where):
    if len(items) == 1 and items[0][0] == "":
        return items[0][1]
    if len(items) > 1 and all(key == "" for key, _ in items):
        # Every path ends here: the same leaf was given more than once
        # (MLX recurses forever on this).
        raise ValueError(f"tree_unflatten: {len(items)} values for the path {where[1:]!r}")
    groups: Dict[str, list] = {}
    for key, value in items:
        head, _, tail = key.partition(".")
        groups.setdefault(head, []).append((tail, value))
    children = {
        head: _unflatten(group, f"{where}.{head}" if head else where)
        for head, group in groups.items()
    }
    indices = _as_indices(children)
    if indices is None:
        return children
    out: list = []
    for index, head in sorted(zip(indices, children)):
        # Skipped indices hold empty dicts; a negative index just appends.
        out.extend({} for _ in range(index - len(out)))
        out.append(children[head])
    return out


def _as_indices(keys):
    """``keys`` as distinct ints, or None where one does not parse or two collide."""
    try:
        indices = [int(k) for k in keys]
    except ValueError:
        return None
    return indices if len(set(indices)) == len(indices) else None


def tree_reduce(
    fn: Callable, tree: Any, initializer: Any = None, is_leaf: Optional[Callable] = None
) -> Any:
    """Fold ``fn(accumulator, leaf)`` over the leaves of ``tree``, in flatten order.

    The accumulator starts as ``initializer``; while it is None (no
    initializer, or ``fn`` returned None) the next leaf replaces it instead of
    calling ``fn``. A tree without leaves gives ``initializer``.
    """
    if not (is_leaf is not None and is_leaf(tree)):
        if isinstance(tree, _CONTAINER):
            acc = initializer
            for child in tree.values() if isinstance(tree, dict) else tree:
                acc = tree_reduce(fn, child, acc, is_leaf)
            return acc
    return tree if initializer is None else fn(initializer, tree)


_MERGE_CONFLICT = "Trees contain elements at the same locations but no merge function was provided"


def tree_merge(tree_a: Any, tree_b: Any, merge_fn: Optional[Callable] = None) -> Any:
    """Merge two trees whose leaves sit at different places.

    None and empty containers are holes: where one tree has a hole, the
    other's subtree is taken as is. Lists/tuples merge position by position
    (the shorter one padded with holes, the type of ``tree_a`` kept), dicts key
    by key. Anything else present in both trees (two leaves, or a leaf and a
    container, or a dict and a list) is passed to ``merge_fn(a, b)``, or raises
    ValueError without one. Two empty containers of different types raise
    ValueError.
    """
    a_empty = isinstance(tree_a, _CONTAINER) and len(tree_a) == 0
    b_empty = isinstance(tree_b, _CONTAINER) and len(tree_b) == 0
    if a_empty and b_empty:
        if type(tree_a) is not type(tree_b):
            raise ValueError(f"Cannot merge {type(tree_a).__name__} with {type(tree_b).__name__}")
        return type(tree_a)()
    if a_empty:
        tree_a = None
    if b_empty:
        tree_b = None
    if tree_a is None and tree_b is not None:
        return tree_b
    if tree_b is None and tree_a is not None:
        return tree_a
    if isinstance(tree_a, _SEQUENCE) and isinstance(tree_b, _SEQUENCE):
        return _rebuild(
            tree_a, [tree_merge(a, b, merge_fn) for a, b in zip_longest(tree_a, tree_b)]
        )
    if isinstance(tree_a, dict) and isinstance(tree_b, dict):
        keys = list(tree_a) + [k for k in tree_b if k not in tree_a]
        return {k: tree_merge(tree_a.get(k), tree_b.get(k), merge_fn) for k in keys}
    if merge_fn is None:
        raise ValueError(_MERGE_CONFLICT)
    return merge_fn(tree_a, tree_b)
