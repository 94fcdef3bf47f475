"""mx.depends: values pass through unchanged (single array or list), the
dependencies run when the outputs are evaluated, derivatives reach the inputs
only, and vmap/jvp pass through."""
import numpy as np
import tandem.core as mx


def test_values_and_forms():
    rng = np.random.default_rng(0)
    a = mx.array(rng.standard_normal((3, 4)), dtype=mx.float32)
    b = mx.array(rng.standard_normal(5), dtype=mx.float32)
    out = mx.depends(a, b)
    assert isinstance(out, mx.array)
    np.testing.assert_array_equal(np.array(out), np.array(a))
    outs = mx.depends([a, a.T], [b, b * 2])
    assert isinstance(outs, list) and len(outs) == 2
    np.testing.assert_array_equal(np.array(outs[1]), np.array(a).T)


def test_transforms_pass_through():
    x = mx.array([1.0, 2.0, 3.0])
    g = mx.grad(lambda v: (mx.depends(v * 2, v * 3) ** 2).sum())(x)
    np.testing.assert_allclose(np.array(g), 8 * np.array(x))
    out = mx.vmap(lambda u, w: mx.depends(u * 2, w))(x, x + 1)
    np.testing.assert_allclose(np.array(out), 2 * np.array(x))
    _, t = mx.jvp(lambda v: mx.depends(v * 2, v * 3), [x], [mx.ones((3,))])
    np.testing.assert_allclose(np.array(t[0]), 2 * np.ones(3))
