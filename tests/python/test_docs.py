"""The documentation cannot drift from the code: every ```python block of
docs/*.md runs here, each page's blocks in order in one namespace (a block
preceded by the line `<!-- no-run -->` is skipped), every public name is in
the generated reference, and the site builds with warnings as errors when
Sphinx and myst-parser are installed."""

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys

import pytest
import tandem.core as mx

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = os.path.join(ROOT, "docs")
PAGES = sorted(f for f in os.listdir(DOCS) if f.endswith(".md"))

# A fence opening with ```python (or more backticks); the block ends at the
# same fence. The line before may be <!-- no-run -->.
_FENCE = re.compile(r"^(`{3,})(\S*)[^\n]*$", re.M)


def python_blocks(text):
    """[(line number, source, skipped)] of the page's python blocks, in order."""
    out = []
    pos = 0
    while True:
        m = _FENCE.search(text, pos)
        if not m:
            return out
        fence, lang = m.group(1), m.group(2)
        end = text.find("\n" + fence + "\n", m.end())
        if end < 0:
            end = len(text)
        body = text[m.end() + 1 : end + 1]
        pos = end + len(fence) + 1
        if lang == "python":
            before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            line = text.count("\n", 0, m.start()) + 2
            out.append((line, body, before.strip() == "<!-- no-run -->"))


def test_block_extraction():
    text = "a\n```python\nx = 1\n```\n<!-- no-run -->\n```python\ny\n```\n````md\n```python\nz\n```\n````\n"
    got = python_blocks(text)
    assert [(b, s) for _, b, s in got] == [("x = 1\n", False), ("y\n", True)]


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(open(os.path.join(DOCS, p)).read())])
def test_page_samples_run(page, tmp_path, monkeypatch):
    text = open(os.path.join(DOCS, page)).read()
    monkeypatch.chdir(tmp_path)  # samples that save files write here
    # A page sets the default device or stream as a reader would; put back
    # what the test run chose afterwards.
    dev = mx.default_device()
    ns = {"__name__": "__docs__"}
    try:
        for line, src, skipped in python_blocks(text):
            if skipped:
                continue
            code = compile("\n" * (line - 1) + src, os.path.join("docs", page), "exec")
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, ns)
    finally:
        mx.set_default_device(dev)


def test_reference_lists_every_public_name(tmp_path):
    sys.path.insert(0, DOCS)
    try:
        import gen_reference
    finally:
        sys.path.remove(DOCS)
    gen_reference.main(str(tmp_path))
    import tandem.core.fast  # noqa: F401
    import tandem.nn as nn
    import tandem.optimizers as optim

    expect = {
        "tandem.core": mx,
        "tandem.core.random": mx.random,
        "tandem.core.fast": mx.fast,
        "tandem.core.linalg": mx.linalg,
        "tandem.core.fft": mx.fft,
        "tandem.nn": nn,
        "tandem.optimizers": optim,
    }
    listed = gen_reference.documented_names()
    text = "".join(open(os.path.join(tmp_path, f)).read() for f in os.listdir(tmp_path))
    for modname, mod in expect.items():
        public = [n for n in dir(mod) if not n.startswith("_")]
        public = [n for n in public if not type(getattr(mod, n)).__name__ == "module"]
        missing = [n for n in public if n not in listed[modname]]
        assert not missing, f"{modname}: not in the reference: {missing}"
        for n in public:
            assert f"## `{modname}.{n}`" in text


def _have_sphinx():
    try:
        import myst_parser  # noqa: F401
        import sphinx  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _have_sphinx(), reason="sphinx and myst-parser are not installed")
def test_docs_build_without_warnings(tmp_path):
    # The generated reference goes to docs/reference (ignored by git) as in
    # scripts/build_docs.sh; the HTML goes to a temporary directory.
    r = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), DOCS, str(tmp_path / "html")],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]


def _cmake_block(page, needle):
    """The page's first ```cmake block that contains needle."""
    text = open(os.path.join(DOCS, page)).read()
    for m in re.finditer(r"^```cmake\n(.*?)^```$", text, re.S | re.M):
        if needle in m.group(1):
            return m.group(1)
    raise AssertionError(f"{page}: no cmake block with {needle!r}")


@pytest.mark.skipif(
    not (shutil.which("cmake") and shutil.which("ninja")), reason="cmake or ninja missing"
)
def test_cpp_consumer_configures(tmp_path):
    # The C++ guide's CMakeLists.txt, pointed at this tree, with the guide's
    # program as main.cpp: configuring checks the target names and options it
    # uses (building would recompile the library, which takes minutes).
    cmake = _cmake_block("cpp_guide.md", "add_subdirectory").replace("path/to/tandem", ROOT.replace("\\", "/"))
    (tmp_path / "CMakeLists.txt").write_text(cmake)
    shutil.copy(os.path.join(ROOT, "examples", "cpp_guide.cpp"), tmp_path / "main.cpp")
    r = subprocess.run(
        ["cmake", "-S", str(tmp_path), "-B", str(tmp_path / "build"), "-G", "Ninja",
         "-DTANDEM_CUDA=OFF"],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    r = subprocess.run(["ninja", "-C", str(tmp_path / "build"), "-t", "targets", "all"],
                       capture_output=True, text=True, timeout=60)
    assert "my_app:" in r.stdout


def _built_cpp_guide():
    build = os.environ.get("TANDEM_BUILD_DIR", os.path.join(ROOT, "build"))
    path = os.path.join(build, "examples", "cpp_guide")
    return path if os.access(path, os.X_OK) else None


@pytest.mark.skipif(_built_cpp_guide() is None, reason="no build/examples/cpp_guide (bash scripts/build.sh)")
def test_cpp_guide_program_runs():
    # The program the C++ guide shows, as built by scripts/build.sh; its
    # printed values are the ones the guide quotes.
    r = subprocess.run([_built_cpp_guide()], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "grad at a: 2 4 6 8" in r.stdout
    assert "[16, 23]]" in r.stdout
    assert "mean of y: 0.567" in r.stdout
