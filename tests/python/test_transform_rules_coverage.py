"""Every primitive has its vjp, jvp and vmap rule.

The primitives are enumerated from their declarations (TANDEM_PRIMITIVE /
TANDEM_VIEW_PRIMITIVE in tandem/primitives/*.h); each must define
Name::vjp, Name::jvp and Name::vmap in tandem/transforms/*.cpp. (The build
enforces the same, since the macros declare the rules; this test names what
is missing.) The rules themselves are checked numerically in
test_transforms.py and test_vmap.py."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def primitives():
    names = set()
    for h in (ROOT / "tandem" / "primitives").glob("*.h"):
        names |= set(re.findall(r"^\s*TANDEM_(?:VIEW_)?PRIMITIVE\((\w+)\)", h.read_text(), re.M))
    return names


def rules():
    found = set()
    for f in (ROOT / "tandem" / "transforms").glob("*.cpp"):
        for name, rule in re.findall(r"\b(\w+)::(vjp|jvp|vmap)\(", f.read_text()):
            found.add((name, rule))
    return found


def test_every_primitive_has_every_rule():
    prims = primitives()
    assert len(prims) >= 30, sorted(prims)
    have = rules()
    missing = sorted(f"{p}::{r}" for p in prims for r in ("vjp", "jvp", "vmap") if (p, r) not in have)
    assert missing == [], f"primitives without a rule: {missing}"


def test_every_primitive_can_be_exported():
    # export_function writes a primitive through its line in
    # tandem/io/export_primitives.cpp; only these cannot be saved: Fused
    # (eval makes it; exports hold the unfused steps) and CustomTransforms
    # (it holds code).
    text = (ROOT / "tandem" / "io" / "export_primitives.cpp").read_text()
    exported = set(re.findall(r'\{"(\w+)",', text))
    missing = sorted(primitives() - exported - {"Fused", "CustomTransforms"})
    assert missing == [], f"primitives export_function can't save: {missing}"
