"""The training examples run end to end (small settings) and learn."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))


def test_mlp_digits_learns(default_device):
    pytest.importorskip("sklearn", reason="scikit-learn is not installed (scripts/install_deps.sh installs it)")
    import mlp_digits
    import tandem.core as mx

    r = mlp_digits.train(epochs=6, device="gpu" if default_device == mx.gpu else "cpu", quiet=True)
    assert r["accuracy"] >= 0.9
    assert np.mean(r["losses"][-5:]) < np.mean(r["losses"][:5])


def test_char_gpt_learns(default_device):
    import char_gpt
    import tandem.core as mx

    dev = "gpu" if default_device == mx.gpu else "cpu"
    r = char_gpt.train(12, device=dev, quiet=True, layers=2, width=64, heads=2, context=32, batch=8, lr=3e-3)
    assert len(r["losses"]) == 12
    assert np.mean(r["losses"][-3:]) < np.mean(r["losses"][:3])
