"""Test setup: DEVICE=cpu|gpu picks the default device (default: cpu)."""
import os

import numpy as np
import pytest
import tandem.core as mx

DEVICE = os.environ.get("DEVICE", "cpu").lower()


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs a usable GPU")


def pytest_collection_modifyitems(config, items):
    if DEVICE == "gpu" and not mx.is_available(mx.gpu):
        skip = pytest.mark.skip(
            reason="DEVICE=gpu but no usable GPU (no CUDA GPU, or tandem was built without CUDA)"
        )
        for item in items:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def default_device():
    if DEVICE not in ("cpu", "gpu"):
        raise pytest.UsageError(f"DEVICE must be cpu or gpu, not {DEVICE!r}")
    if DEVICE == "gpu" and not mx.is_available(mx.gpu):
        pytest.skip("no usable GPU")
    dev = mx.cpu if DEVICE == "cpu" else mx.gpu
    mx.set_default_device(dev)
    yield dev


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
