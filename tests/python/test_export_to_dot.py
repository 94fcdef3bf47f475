"""export_to_dot: the lazy graph as DOT (ops as boxes with their op names,
inputs/outputs ranked, keyword names used, multi-output nodes once), to a
path or a file object; evaluated arrays end the walk."""
import io

import tandem.core as mx


def dot_of(*args, **kwargs):
    f = io.StringIO()
    mx.export_to_dot(f, *args, **kwargs)
    return f.getvalue()


def test_chain_and_names(tmp_path):
    a = mx.array([1.0, 2.0])
    b = mx.exp(a) + a
    text = dot_of(b)
    assert text.startswith("digraph {") and text.rstrip().endswith("}")
    assert 'label ="Exp"' in text and 'label ="Add"' in text
    assert '{ rank=source; "A"; }' in text and '{ rank=sink; "C"; }' in text
    named = dot_of(x=b, y=a * 2)
    assert '{ rank=sink; "x"; }' in named and '{ rank=sink; "y"; }' in named
    assert named.count('label ="Exp"') == 1  # shared nodes once
    path = tmp_path / "g.dot"
    mx.export_to_dot(str(path), b)
    assert path.read_text() == text


def test_multi_output_and_evaluated():
    q, r = mx.linalg.qr(mx.ones((3, 3)), stream=mx.cpu)
    text = dot_of(q, r)
    assert text.count('label ="QRF"') == 1
    assert text.count("rank=sink") == 2
    c = mx.exp(mx.array([1.0]))
    mx.eval(c)
    assert "label" not in dot_of(c)  # evaluated: nothing to walk
