"""set_printoptions / get_printoptions / printoptions: fixed decimals for
floats and complex numbers, integers untouched, -1 restores the default, the
context manager restores what was set before (outputs as MLX prints them)."""
import pytest
import tandem.core as mx


@pytest.fixture(autouse=True)
def restore():
    yield
    mx.set_printoptions(precision=-1)


def test_precision_fixes_decimals():
    mx.set_printoptions(precision=3)
    assert repr(mx.array([1.23456, 200000.5, 1e-9])) == (
        "array([1.235, 200000.500, 0.000], dtype=float32)"
    )
    assert repr(mx.array([1, 2])) == "array([1, 2], dtype=int32)"
    assert repr(mx.array(3.14159)) == "array(3.142, dtype=float32)"
    assert repr(mx.array([1 + 2.5j])) == "array([1.000+2.500j], dtype=complex64)"
    mx.set_printoptions(precision=0)
    assert repr(mx.array([1.6, 2.2])) == "array([2, 2], dtype=float32)"
    assert mx.get_printoptions().precision == 0


def test_default_and_context_manager():
    assert repr(mx.array([1.23456789, 1e-9])) == "array([1.23457, 1e-09], dtype=float32)"
    mx.set_printoptions(precision=2)
    with mx.printoptions(precision=7) as opts:
        assert opts.precision == 7
        assert repr(mx.array([1.23456789])) == "array([1.2345679], dtype=float32)"
    assert mx.get_printoptions().precision == 2
    mx.set_printoptions()
    assert mx.get_printoptions().precision == -1


def test_precision_out_of_range_raises():
    # A huge precision would print huge strings (the input fuzzer crashed on it).
    with pytest.raises(ValueError, match="precision"):
        mx.set_printoptions(precision=2147483647)
    with pytest.raises(ValueError, match="precision"):
        with mx.printoptions(precision=101):
            pass
    assert mx.get_printoptions().precision == -1
