"""The type stubs of tandem.core (tandem/core/*.pyi, written by the build
with nanobind's stub generator and python/src/stubs.pat) are in step with
the module, and type-check programs with mypy: tests/python/typing/
sample_core.py under --strict, sample_nn.py (tandem.nn and
tandem.optimizers, whose own code is untyped) under --strict for the sample
itself, and sample_errors.py must fail exactly on its marked lines."""

import filecmp
import os
import shutil
import subprocess
import sys

import pytest
import tandem.core as mx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SAMPLES = os.path.join(HERE, "typing")
PATTERNS = os.path.join(ROOT, "python", "src", "stubs.pat")
PKG = os.path.dirname(os.path.abspath(mx.__file__))  # the imported tandem package


def _have(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


needs_stubgen = pytest.mark.skipif(not _have("nanobind.stubgen"), reason="nanobind not installed")
needs_mypy = pytest.mark.skipif(not _have("mypy"), reason="mypy not installed (pip install mypy)")


def generate_stubs(out_dir):
    """tandem.core's stubs as the build writes them: out_dir/core/*.pyi."""
    r = subprocess.run(
        [sys.executable, "-m", "nanobind.stubgen", "-q", "-r", "-P", "-m", "tandem.core",
         "-p", PATTERNS, "-i", os.path.dirname(PKG), "-O", str(out_dir)],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    out = os.path.join(out_dir, "core")
    assert os.path.exists(os.path.join(out, "__init__.pyi")), os.listdir(out_dir)
    return out


@pytest.fixture(scope="module")
def fresh_stubs(tmp_path_factory):
    """The directory of freshly generated stubs (generated once per run)."""
    if not _have("nanobind.stubgen"):
        pytest.skip("nanobind not installed")
    return generate_stubs(tmp_path_factory.mktemp("stubs"))


@pytest.fixture(scope="module")
def typed_tree(tmp_path_factory, fresh_stubs):
    """A copy of the tandem package's Python sources with freshly generated
    stubs in place of the extension: what mypy sees after `pip install`."""
    root = tmp_path_factory.mktemp("typed")
    dst = root / "tandem"
    shutil.copytree(PKG, dst, ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "core"))
    shutil.copytree(fresh_stubs, dst / "core")
    (dst / "py.typed").write_text("")
    return root


@needs_stubgen
def test_stubs_in_step_with_the_module(fresh_stubs):
    # The stubs shipped next to the extension (by the build, or copied with it
    # into python/tandem) are what the generator writes for this module and
    # these patterns; a difference means stale stubs (rebuild).
    shipped = os.path.join(PKG, "core")
    if not os.path.exists(os.path.join(shipped, "__init__.pyi")):
        pytest.skip(f"no stubs next to the extension in {PKG}")
    gen = fresh_stubs
    names = sorted(f for f in os.listdir(gen) if f.endswith(".pyi"))
    assert names == sorted(f for f in os.listdir(shipped) if f.endswith(".pyi"))
    _, mismatch, errors = filecmp.cmpfiles(gen, shipped, names, shallow=False)
    assert not mismatch and not errors, f"stale stubs in {shipped}: {mismatch + errors}"


@needs_stubgen
def test_stubs_name_every_public_function(fresh_stubs):
    text = open(os.path.join(fresh_stubs, "__init__.pyi")).read()
    public = [n for n in dir(mx) if not n.startswith("_") and type(getattr(mx, n)).__name__ == "nb_func"]
    # An alias of a submodule's function (matrix_norm is linalg.norm, as in
    # MLX) is stubbed as an import of it.
    missing = [n for n in public if f"def {n}(" not in text and f" as {n}\n" not in text]
    assert not missing, missing


def run_mypy(tree, *args):
    env = dict(os.environ, MYPYPATH=str(tree))
    r = subprocess.run(
        # One cache per tree: the runs after the first reuse the standard library's analysis.
        [sys.executable, "-m", "mypy", "--cache-dir", str(tree / ".mypy_cache"),
         "--python-version", f"{sys.version_info[0]}.{sys.version_info[1]}", *args],
        capture_output=True, text=True, timeout=600, env=env, cwd=str(tree),
    )
    return r.returncode, r.stdout + r.stderr


@needs_stubgen
@needs_mypy
def test_stubs_pass_mypy_strict(typed_tree):
    # The stubs themselves, checked as a program would see them.
    rc, out = run_mypy(typed_tree, "--strict", "-p", "tandem.core")
    assert rc == 0, out


@needs_stubgen
@needs_mypy
def test_core_sample_passes_mypy_strict(typed_tree):
    rc, out = run_mypy(typed_tree, "--strict", os.path.join(SAMPLES, "sample_core.py"))
    assert rc == 0, out


@needs_stubgen
@needs_mypy
def test_nn_sample_passes_mypy(typed_tree):
    # --strict for the sample; tandem.nn's and tandem.optimizers' own untyped
    # code is followed for its types but not reported.
    cfg = typed_tree / "mypy_nn.ini"
    cfg.write_text(
        "[mypy]\nstrict = True\nallow_untyped_calls = True\n"
        "[mypy-tandem.nn.*,tandem.optimizers.*,tandem.utils]\nignore_errors = True\n"
    )
    rc, out = run_mypy(typed_tree, "--config-file", str(cfg), os.path.join(SAMPLES, "sample_nn.py"))
    assert rc == 0, out


@needs_stubgen
@needs_mypy
def test_mypy_rejects_bad_calls(typed_tree):
    path = os.path.join(SAMPLES, "sample_errors.py")
    lines = open(path).read().splitlines()
    want = {i + 1 for i, ln in enumerate(lines) if ln.rstrip().endswith("# error")}
    rc, out = run_mypy(typed_tree, "--strict", path)
    assert rc != 0
    got = set()
    for ln in out.splitlines():
        parts = ln.split(":")
        if len(parts) > 2 and parts[0].endswith("sample_errors.py") and " error: " in ln:
            got.add(int(parts[1]))
    assert got == want, out


@pytest.mark.parametrize("name", ["sample_core.py", "sample_nn.py"])
def test_samples_run(name):
    # The typed samples are real programs.
    r = subprocess.run([sys.executable, os.path.join(SAMPLES, name)], capture_output=True,
                       text=True, timeout=300, env=dict(os.environ, PYTHONPATH=os.path.dirname(PKG)))
    assert r.returncode == 0, r.stdout + r.stderr
