"""tandem.utils: pytree helpers with mlx.utils's behaviour.

Two kinds of tests: explicit expected values (no MLX needed), and comparisons
with mlx.utils on randomly generated trees (skipped when mlx is missing).
"""

import importlib.util
import pathlib
import random
from collections import OrderedDict, namedtuple

import pytest

try:
    from tandem import utils as tu
except ImportError:
    # An installed tandem that predates tandem.utils: test the source file.
    _src = pathlib.Path(__file__).resolve().parents[2] / "python" / "tandem" / "utils.py"
    _spec = importlib.util.spec_from_file_location("tandem_utils_src", _src)
    tu = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(tu)

try:
    import mlx.utils as mu
except ImportError:
    mu = None

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:
    st = None

needs_mlx = pytest.mark.skipif(
    mu is None, reason="mlx is not importable: comparisons with mlx.utils skipped"
)
needs_hypothesis = pytest.mark.skipif(st is None, reason="hypothesis is not installed")

Pair = namedtuple("Pair", "first second")
SEEDS = range(40)


# ---------------------------------------------------------------- helpers


def same(a, b):
    """Equal, with the same container types at every level (dict order ignored)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def outcome(f):
    """f()'s value, or the type and message of what it raised."""
    try:
        return ("ok", f())
    except Exception as e:  # noqa: BLE001 - the exception itself is compared
        return ("raised", type(e), str(e))


def same_outcome(x, y, message=True):
    """Same value, or the same exception type (and message, unless message=False)."""
    if x[0] != y[0]:
        return False
    if x[0] == "ok":
        return same(x[1], y[1])
    return x[1:] == y[1:] if message else x[1] is y[1]


def random_leaf(rng):
    kind = rng.randrange(5)
    if kind == 0:
        return rng.randint(-1000, 1000)
    if kind == 1:
        return round(rng.uniform(-10, 10), 3)
    if kind == 2:
        return "".join(rng.choice("xyz") for _ in range(rng.randint(0, 3)))
    if kind == 3:
        return None
    return frozenset(rng.sample(range(9), rng.randint(0, 3)))  # a leaf, though iterable


KEYS = ["a", "b", "weight", "bias", "0", "1", "12", "", "x_y", 0, 3, -2]


def random_keys(rng, n):
    """n dict keys with distinct str() forms (so flattened paths do not collide)."""
    out, seen = [], set()
    while len(out) < n:
        k = rng.choice(KEYS)
        if str(k) not in seen:
            seen.add(str(k))
            out.append(k)
    return out


def random_tree(rng, depth=4):
    if depth == 0 or rng.random() < 0.25:
        return random_leaf(rng)
    n = rng.randint(0, 4)
    kind = rng.randrange(5)
    children = [random_tree(rng, depth - 1) for _ in range(n)]
    if kind == 0:
        return children
    if kind == 1:
        return tuple(children)
    if kind == 2:
        return Pair(random_tree(rng, depth - 1), random_tree(rng, depth - 1))
    keys = random_keys(rng, n)
    d = dict(zip(keys, children))
    return OrderedDict(d) if kind == 3 else d


def perturb(rng, tree):
    """A tree like ``tree`` with leaves changed and, sometimes, its structure too."""
    r = rng.random()
    if r < 0.03:
        return random_leaf(rng)  # a leaf where a container may have been
    if isinstance(tree, (list, tuple)):
        items = [perturb(rng, c) for c in tree]
        if items and rng.random() < 0.05:
            items.pop(rng.randrange(len(items)))
        if rng.random() < 0.05:
            items.append(random_leaf(rng))
        if isinstance(tree, Pair) and len(items) == 2 and rng.random() < 0.8:
            return Pair(*items)
        return tuple(items) if rng.random() < 0.5 else items
    if isinstance(tree, dict):
        d = {k: perturb(rng, v) for k, v in tree.items()}
        if d and rng.random() < 0.05:
            d.pop(rng.choice(list(d)))
        if rng.random() < 0.05:
            d["extra"] = 1
        if rng.random() < 0.03:
            return list(d.values())
        return d
    return random_leaf(rng)


def random_is_leaf(rng):
    """None, or a predicate that stops at some containers."""
    choice = rng.randrange(4)
    if choice == 0:
        return None
    if choice == 1:
        return lambda x: isinstance(x, tuple)
    if choice == 2:
        return lambda x: isinstance(x, (list, dict)) and len(x) == 1
    return lambda x: x is None


def both(name, *args, **kwargs):
    """Outcomes of tandem.utils.name and mlx.utils.name on the same arguments."""
    return (
        outcome(lambda: getattr(tu, name)(*args, **kwargs)),
        outcome(lambda: getattr(mu, name)(*args, **kwargs)),
    )


# ---------------------------------------------------------- expected values

MODEL = {
    "layers": [{"weight": 1, "bias": (2, 3)}, {"weight": 4}],
    "norm": None,
    "empty": [],
    "nothing": {},
}


def test_flatten_paths():
    assert tu.tree_flatten(MODEL) == [
        ("layers.0.weight", 1),
        ("layers.0.bias.0", 2),
        ("layers.0.bias.1", 3),
        ("layers.1.weight", 4),
        ("norm", None),
    ]
    assert tu.tree_flatten(7) == [("", 7)]
    assert tu.tree_flatten(None) == [("", None)]
    assert tu.tree_flatten([]) == []
    assert tu.tree_flatten({0: "a", (1, 2): "b"}) == [("0", "a"), ("(1, 2)", "b")]
    assert tu.tree_flatten({"s": "abc"}) == [("s", "abc")]  # strings are leaves


def test_flatten_prefix_drops_first_character():
    assert tu.tree_flatten([5], prefix=".model") == [("model.0", 5)]
    assert tu.tree_flatten([5], prefix="model") == [("odel.0", 5)]
    assert tu.tree_flatten(5, prefix="model") == [("odel", 5)]


def test_flatten_is_leaf_and_destination():
    tree = [[1, 2], [3]]
    single = lambda x: isinstance(x, list) and len(x) == 1
    assert tu.tree_flatten(tree, is_leaf=single) == [("0.0", 1), ("0.1", 2), ("1", [3])]
    assert tu.tree_flatten(tree, is_leaf=lambda x: True) == [("", tree)]
    dest = {"keep": 0}
    assert tu.tree_flatten({"a": [1, 2]}, destination=dest) is dest
    assert dest == {"keep": 0, "a.0": 1, "a.1": 2}
    dest = [("z", 0)]
    assert tu.tree_flatten({"a": 1}, destination=dest) == [("z", 0), ("a", 1)]
    with pytest.raises(ValueError, match="Destination should be either"):
        tu.tree_flatten([], destination=())


def test_map_keeps_types():
    out = tu.tree_map(lambda x: None if x is None else 10 * x, MODEL)
    assert same(
        out,
        {
            "layers": [{"weight": 10, "bias": (20, 30)}, {"weight": 40}],
            "norm": None,
            "empty": [],
            "nothing": {},
        },
    )
    assert tu.tree_map(lambda x: x + 1, Pair(1, [2])) == Pair(2, [3])
    assert type(tu.tree_map(lambda x: x, OrderedDict(a=1))) is dict
    empty = []
    assert tu.tree_map(lambda x: x, empty) == [] and tu.tree_map(lambda x: x, empty) is not empty
    assert tu.tree_map(lambda x: -x, 3) == -3
    assert tu.tree_map(lambda x: "leaf", {1, 2}) == "leaf"  # sets are leaves


def test_map_rest():
    add = lambda *xs: sum(xs)
    assert tu.tree_map(add, [1, (2, 3)], [10, (20, 30)], [100, [200, 300]]) == [111, (222, 333)]
    # Extra entries in rest are ignored; a leaf of tree takes rest's whole subtree.
    assert tu.tree_map(add, {"a": 1}, {"a": 2, "b": 3}) == {"a": 3}
    assert tu.tree_map(lambda x, y: (x, y), [5], [[1, 2]]) == [(5, [1, 2])]
    # The first tree's types win.
    assert tu.tree_map(add, (1, 2), [3, 4]) == (4, 6)
    with pytest.raises(IndexError):
        tu.tree_map(add, [1, 2, 3], [1, 2])
    with pytest.raises(KeyError):
        tu.tree_map(add, {"a": 1, "b": 2}, {"a": 1})
    with pytest.raises(TypeError):
        tu.tree_map(add, [1, 2], 5)


def test_map_is_leaf_sees_every_node_of_the_first_tree():
    seen = []
    tree = {"a": [1, (2,)], "b": None}
    tu.tree_map(lambda x: x, tree, is_leaf=lambda x: seen.append(x) or False)
    assert seen == [tree, [1, (2,)], 1, (2,), 2, None]
    single = lambda x: isinstance(x, list) and len(x) == 1
    assert tu.tree_map(lambda x: "L", [[1, 2], [3]], is_leaf=single) == [["L", "L"], "L"]


def test_map_with_path():
    paths = tu.tree_map_with_path(lambda p, x: p, MODEL)
    assert paths["layers"] == [
        {"weight": "layers.0.weight", "bias": ("layers.0.bias.0", "layers.0.bias.1")},
        {"weight": "layers.1.weight"},
    ]
    assert paths["norm"] == "norm"
    assert tu.tree_map_with_path(lambda p, x: p, [1], path="root") == ["root.0"]
    assert tu.tree_map_with_path(lambda p, x: p, [1], path="") == ["0"]
    assert tu.tree_map_with_path(lambda p, x: p, 7) is None
    assert tu.tree_map_with_path(lambda p, x, y: (p, x + y), {"a": [1]}, {"a": [2]}) == {
        "a": [("a.0", 3)]
    }


def test_unflatten():
    flat = tu.tree_flatten(MODEL)
    assert tu.tree_unflatten(flat) == {
        "layers": [{"weight": 1, "bias": [2, 3]}, {"weight": 4}],  # tuples become lists
        "norm": None,  # empty containers are gone
    }
    assert tu.tree_unflatten(dict(flat)) == tu.tree_unflatten(flat)
    assert tu.tree_unflatten([("", 5)]) == 5
    assert tu.tree_unflatten([]) == [] and tu.tree_unflatten({}) == []
    assert tu.tree_unflatten([("1", "b"), ("0", "a")]) == ["a", "b"]
    assert tu.tree_unflatten([(str(i), i) for i in (10, 2, 0, 1)]) == [
        0,
        1,
        2,
        {},
        {},
        {},
        {},
        {},
        {},
        {},
        10,
    ]
    assert tu.tree_unflatten([("a.0", 1), ("a.3", 3)]) == {"a": [1, {}, {}, 3]}
    # A level is a list only when every key is an int, and distinct ones.
    assert tu.tree_unflatten([("0", 1), ("a", 2)]) == {"0": 1, "a": 2}
    assert tu.tree_unflatten([("0", 1), ("00", 2)]) == {"0": 1, "00": 2}
    assert tu.tree_unflatten([("-1", "a"), ("0", "b")]) == ["a", "b"]
    # A leaf and a subtree at one path: the leaf goes under "".
    assert tu.tree_unflatten([("a", 1), ("a.b", 2)]) == {"a": {"": 1, "b": 2}}
    assert tu.tree_unflatten([("a.", 1)]) == {"a": 1}
    with pytest.raises(ValueError, match="2 values for the path 'a'"):
        tu.tree_unflatten([("a", 1), ("a", 2)])


def test_reduce():
    assert tu.tree_reduce(lambda a, b: a + b, {"a": [1, 2], "b": (3,)}) == 6
    assert tu.tree_reduce(lambda a, b: a + b, {"a": [1, 2], "b": (3,)}, 10) == 16
    assert tu.tree_reduce(lambda a, b: a + [b], {"b": [1, 2], "a": (3,)}, []) == [1, 2, 3]
    assert tu.tree_reduce(lambda a, b: (a, b), [1, 2, 3]) == ((1, 2), 3)
    assert tu.tree_reduce(lambda a, b: a + b, [[], {}]) is None
    assert tu.tree_reduce(lambda a, b: a + b, [], 0) == 0
    assert tu.tree_reduce(lambda a, b: a + b, 5, 1) == 6
    # A None accumulator is replaced by the next leaf.
    assert tu.tree_reduce(lambda a, b: (a, b), [None, 1, None]) == (1, None)
    assert tu.tree_reduce(lambda a, b: None if b == 2 else a + b, [1, 2, 3, 4]) == 7
    single = lambda x: x == [3]
    assert tu.tree_reduce(lambda a, b: a + [b], [[1, 2], [3]], [], is_leaf=single) == [1, 2, [3]]


def test_merge():
    assert tu.tree_merge({"a": {"x": 1}}, {"a": {"y": 2}, "b": 3}) == {
        "a": {"x": 1, "y": 2},
        "b": 3,
    }
    assert list(tu.tree_merge({"b": 1, "c": None}, {"a": 2, "c": 3})) == ["b", "c", "a"]
    assert tu.tree_merge([1, None], [None, 2]) == [1, 2]
    assert tu.tree_merge([None, 1], [2]) == [2, 1]
    assert same(tu.tree_merge((1, None), [None, 2]), (1, 2))
    assert tu.tree_merge(Pair(1, None), (None, 2)) == Pair(1, 2)
    assert tu.tree_merge({"a": 1}, {"a": 2}, lambda a, b: a + b) == {"a": 3}
    tree = {"a": [1]}
    assert tu.tree_merge(tree, None) is tree and tu.tree_merge(tree, {}) is tree
    # Empty containers are holes, like None.
    assert tu.tree_merge({"a": {}}, {"a": 1}) == {"a": 1}
    assert tu.tree_merge([], 5) == 5 and tu.tree_merge(0, ()) == 0
    assert tu.tree_merge([], []) == [] and tu.tree_merge({}, {}) == {}
    assert tu.tree_merge([], None, lambda a, b: ("f", a, b)) == ("f", None, None)
    with pytest.raises(ValueError, match="no merge function was provided"):
        tu.tree_merge({"a": 1}, {"a": 2})
    with pytest.raises(ValueError, match="no merge function was provided"):
        tu.tree_merge(None, None)
    with pytest.raises(ValueError, match="no merge function was provided"):
        tu.tree_merge({"a": 1}, [2])
    with pytest.raises(ValueError, match="Cannot merge list with dict"):
        tu.tree_merge([], {})
    assert tu.tree_merge({"a": 1}, [2], lambda a, b: "f") == "f"


def random_plain_tree(rng, depth=4):
    """Lists and dicts with word keys, none empty: what tree_unflatten gives back."""
    if depth == 0 or rng.random() < 0.3:
        return rng.choice([rng.randint(-99, 99), "s", None, 2.5])
    n = rng.randint(1, 4)
    if rng.random() < 0.5:
        return [random_plain_tree(rng, depth - 1) for _ in range(n)]
    keys = rng.sample(["a", "b", "weight", "bias", "x_y"], n)
    return {k: random_plain_tree(rng, depth - 1) for k in keys}


@pytest.mark.parametrize("seed", SEEDS)
def test_properties_random(seed):
    rng = random.Random(seed)
    for _ in range(20):
        tree = random_plain_tree(rng)
        flat = tu.tree_flatten(tree)
        assert same(tu.tree_unflatten(flat), tree)
        assert same(tu.tree_unflatten(dict(flat)), tree)
        # reduce visits the leaves in flatten order.
        assert tu.tree_reduce(lambda acc, x: acc + [x], tree, []) == [v for _, v in flat]
        if isinstance(tree, (list, dict)):
            paths = tu.tree_map_with_path(lambda p, x: p, tree)
            assert [v for _, v in tu.tree_flatten(paths)] == [p for p, _ in flat]
        # Splitting the leaves between two trees and merging gives the tree back.
        a = tu.tree_map_with_path(lambda p, x: x if hash(p) % 2 else None, tree)
        b = tu.tree_map_with_path(lambda p, x: None if hash(p) % 2 else x, tree)
        merged = tu.tree_merge(a, b, lambda x, y: x if y is None else y)
        assert same(merged, tree)


# ------------------------------------------------------ comparisons with MLX


@needs_mlx
@pytest.mark.parametrize("seed", SEEDS)
def test_flatten_matches_mlx(seed):
    rng = random.Random(seed)
    for _ in range(25):
        tree = random_tree(rng)
        is_leaf = random_is_leaf(rng)
        prefix = rng.choice(["", ".m", "model", "."])
        assert same_outcome(*both("tree_flatten", tree, prefix=prefix, is_leaf=is_leaf))
        assert same_outcome(*both("tree_flatten", tree, destination={"k": 1}))
        assert same_outcome(*both("tree_flatten", tree, destination=[("k", 1)]))


@needs_mlx
@pytest.mark.parametrize("seed", SEEDS)
def test_map_matches_mlx(seed):
    rng = random.Random(seed)
    for _ in range(25):
        tree = random_tree(rng)
        is_leaf = random_is_leaf(rng)
        rest = [perturb(rng, tree) for _ in range(rng.randint(0, 2))]
        calls = {"t": [], "m": []}

        def fn(who):
            def record(*xs):
                calls[who].append(xs)
                return ("mapped", len(calls[who])) + xs

            return record

        mine = outcome(lambda: tu.tree_map(fn("t"), tree, *rest, is_leaf=is_leaf))
        ref = outcome(lambda: mu.tree_map(fn("m"), tree, *rest, is_leaf=is_leaf))
        assert same_outcome(mine, ref), (tree, rest)
        assert calls["t"] == calls["m"]


@needs_mlx
@pytest.mark.parametrize("seed", SEEDS)
def test_map_with_path_matches_mlx(seed):
    rng = random.Random(seed)
    for _ in range(25):
        tree = random_tree(rng)
        rest = [perturb(rng, tree) for _ in range(rng.randint(0, 2))]
        path = rng.choice([None, "", "root", 0, 5])
        fn = lambda p, *xs: (p,) + xs
        assert same_outcome(
            *both("tree_map_with_path", fn, tree, *rest, is_leaf=random_is_leaf(rng), path=path)
        ), (tree, rest, path)


@needs_mlx
@pytest.mark.parametrize("seed", SEEDS)
def test_unflatten_matches_mlx_on_flattened_trees(seed):
    rng = random.Random(seed)
    for _ in range(25):
        flat = tu.tree_flatten(random_tree(rng))
        assert same_outcome(*both("tree_unflatten", flat))
        assert same_outcome(*both("tree_unflatten", dict(flat)))


SEGMENTS = ["0", "1", "2", "3", "10", "-1", "01", " 2", "1_0", "a", "b", "", "x"]


@needs_mlx
@pytest.mark.parametrize("seed", SEEDS)
def test_unflatten_matches_mlx_on_random_paths(seed):
    rng = random.Random(seed)
    for _ in range(25):
        n = rng.randint(0, 6)
        paths = [".".join(rng.choice(SEGMENTS) for _ in range(rng.randint(1, 3))) for _ in range(n)]
        pairs = [(p, rng.randint(0, 99)) for p in paths]
        mine = outcome(lambda: tu.tree_unflatten(pairs))
        if mine[0] == "raised":
            # A path given twice: a ValueError here, unbounded recursion in MLX.
            assert mine[1] is ValueError, mine
            with pytest.raises(RecursionError):
                mu.tree_unflatten(pairs)
        else:
            assert same_outcome(mine, outcome(lambda: mu.tree_unflatten(pairs))), pairs


@needs_mlx
@pytest.mark.parametrize("seed", SEEDS)
def test_reduce_matches_mlx(seed):
    rng = random.Random(seed)
    for _ in range(25):
        tree = random_tree(rng)
        initializer = rng.choice([None, 0, (), "init"])
        # Returns None now and then: the next leaf then restarts the fold.
        fn = lambda a, b: None if b == 0 else (a, b)
        assert same_outcome(
            *both("tree_reduce", fn, tree, initializer, is_leaf=random_is_leaf(rng))
        )


def split(rng, tree):
    """Two trees holding parts of ``tree``'s leaves: None, or empty, where not held."""
    if isinstance(tree, (list, tuple, dict)) and rng.random() < 0.9:
        items = tree.items() if isinstance(tree, dict) else enumerate(tree)
        parts = [(k, split(rng, v)) for k, v in items]
        if isinstance(tree, dict):
            return ({k: a for k, (a, _) in parts}, {k: b for k, (_, b) in parts})
        a = [a for _, (a, _) in parts]
        b = [b for _, (_, b) in parts]
        cut = rng.randint(0, len(b))
        if all(x is None for x in b[cut:]):
            b = b[:cut]  # a shorter sequence
        return (
            type(tree)(a) if not isinstance(tree, Pair) else Pair(*a),
            tuple(b) if rng.random() < 0.3 else b,
        )
    hole = rng.choice([None, None, [], {}, ()])
    r = rng.random()
    if r < 0.45:
        return tree, hole
    if r < 0.9:
        return hole, tree
    if r < 0.95:
        return tree, tree  # a conflict
    return hole, hole


@needs_mlx
@pytest.mark.parametrize("seed", SEEDS)
def test_merge_matches_mlx(seed):
    # MLX visits a dict's keys in set order (it varies with the hash seed), so
    # of two conflicts in one tree either may be reported: messages are not
    # compared here (test_merge checks them).
    both_merge = lambda *args: same_outcome(*both("tree_merge", *args), message=False)
    rng = random.Random(seed)
    merge_fn = lambda a, b: ("merged", a, b)
    for _ in range(25):
        tree_a, tree_b = split(rng, random_tree(rng))
        assert both_merge(tree_a, tree_b), (tree_a, tree_b)
        assert both_merge(tree_a, tree_b, merge_fn), (tree_a, tree_b)
        # Unrelated trees: mostly conflicts and type mismatches.
        other = random_tree(rng, depth=2)
        assert both_merge(tree_a, other, merge_fn), (tree_a, other)


if st is not None:
    leaves = st.one_of(st.none(), st.integers(-50, 50), st.text("pq", max_size=2), st.booleans())
    # Keys with distinct str() forms, so that flattened paths stay distinct.
    dict_keys = st.sampled_from(["w", "b", "0", "7", "", 2, 5])

    trees = st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=4).map(tuple),
            st.dictionaries(dict_keys, children, max_size=4),
        ),
        max_leaves=20,
    )
    hyp_settings = settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
else:  # pragma: no cover - the tests below are skipped
    trees = None
    hyp_settings = lambda f: f

    def given(*_args, **_kwargs):
        return lambda f: f


@needs_mlx
@needs_hypothesis
@hyp_settings
@given(trees, trees)
def test_hypothesis_matches_mlx(tree, other):
    assert same_outcome(*both("tree_flatten", tree))
    assert same_outcome(*both("tree_map", lambda *xs: xs, tree, other))
    assert same_outcome(*both("tree_map_with_path", lambda *xs: xs, tree, other))
    flat = tu.tree_flatten(tree)
    assert same_outcome(*both("tree_unflatten", flat))
    assert same_outcome(*both("tree_reduce", lambda a, b: (a, b), tree))
    merged = both("tree_merge", tree, other, lambda a, b: ("m", a, b))
    assert same_outcome(*merged, message=False)  # see test_merge_matches_mlx
