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


_LOG = os.environ.get("TANDEM_TEST_LOG")


def pytest_runtest_logreport(report):
    # TANDEM_TEST_LOG=path appends each test's outcome as it finishes (failures
    # with their report), so a run killed by a timeout still says what failed.
    if _LOG and (report.when == "call" or report.outcome == "failed"):
        with open(_LOG, "a") as f:
            f.write(f"{report.outcome.upper()} {report.nodeid} ({report.when})\n")
            if report.failed:
                f.write(str(report.longrepr)[-4000:] + "\n")


def run_threads(fn, n):
    """Runs fn(0) .. fn(n - 1) in n threads at once; returns their results,
    or raises the first exception one of them raised."""
    import threading

    errors, results = [], [None] * n

    def body(i):
        try:
            results[i] = fn(i)
        except BaseException as e:  # noqa: BLE001  (reported in the main thread)
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
