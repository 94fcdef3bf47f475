"""mx.random: keys, determinism, ranges and rough distributions."""
import numpy as np
import pytest
import tandem.core as mx


def test_key_and_split():
    k = mx.random.key(0)
    assert k.shape == (2,) and k.dtype == mx.uint32
    assert mx.random.key(1 << 40).tolist() == [1 << 8, 0]
    ks = mx.random.split(k)
    assert ks.shape == (2, 2)
    k1, k2 = ks
    assert k1.tolist() != k2.tolist()
    assert mx.random.split(k, num=5).shape == (5, 2)
    assert mx.array_equal(mx.random.split(k), mx.random.split(k)).item()


def test_seed_determinism():
    mx.random.seed(42)
    a = mx.random.uniform(shape=(10,))
    mx.random.seed(42)
    b = mx.random.uniform(shape=(10,))
    assert a.tolist() == b.tolist()
    c = mx.random.uniform(shape=(10,))
    assert a.tolist() != c.tolist()
    k = mx.random.key(7)
    assert mx.random.normal((5,), key=k).tolist() == mx.random.normal((5,), key=k).tolist()
    state = mx.random.state
    assert isinstance(state, list) and state[0].shape == (2,)


def test_uniform_normal_ranges():
    k = mx.random.key(3)
    u = np.asarray(mx.random.uniform(-2, 3, (20000,), key=k))
    assert u.dtype == np.float32 and u.min() >= -2 and u.max() < 3
    assert abs(u.mean() - 0.5) < 0.05
    n = np.asarray(mx.random.normal((20000,), key=k))
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    n2 = np.asarray(mx.random.normal((20000,), loc=3.0, scale=2.0, key=k))
    assert abs(n2.mean() - 3) < 0.1 and abs(n2.std() - 2) < 0.1
    assert mx.random.normal((3,), dtype=mx.float16).dtype == mx.float16
    assert mx.random.uniform(shape=(3,), dtype=mx.float64).dtype == mx.float64
    assert mx.random.uniform(mx.zeros((3, 1)), 1, (3, 4)).shape == (3, 4)


def test_integer_and_discrete_samplers():
    k = mx.random.key(11)
    r = np.asarray(mx.random.randint(-5, 5, (5000,), key=k))
    assert r.dtype == np.int32 and r.min() >= -5 and r.max() < 5 and len(set(r.tolist())) == 10
    b = np.asarray(mx.random.bernoulli(0.3, (20000,), key=k))
    assert b.dtype == np.bool_ and abs(b.mean() - 0.3) < 0.02
    assert mx.random.bernoulli(mx.array([0.0, 1.0])).tolist() == [False, True]
    t = np.asarray(mx.random.truncated_normal(-1, 1, (5000,), key=k))
    assert t.min() >= -1 and t.max() <= 1
    g = mx.random.gumbel((100,), key=k)
    assert g.shape == (100,)
    logits = mx.log(mx.array([[0.1, 0.9], [0.9, 0.1]]))
    c = np.asarray(mx.random.categorical(logits, num_samples=4000, key=k))
    assert c.shape == (2, 4000)
    assert abs(c[0].mean() - 0.9) < 0.03 and abs(c[1].mean() - 0.1) < 0.03
    assert mx.random.categorical(logits, shape=(5, 2), key=k).shape == (5, 2)
    lap = np.asarray(mx.random.laplace((20000,), key=k))
    assert abs(np.median(lap)) < 0.05
    p = mx.random.permutation(10, key=k)
    assert sorted(p.tolist()) == list(range(10))
    q = mx.random.permutation(mx.arange(6).reshape(3, 2), key=k)
    assert sorted(map(tuple, q.tolist())) == [(0, 1), (2, 3), (4, 5)]
    bits = mx.random.bits((4,), width=2, key=k)
    assert bits.dtype == mx.uint16


def test_random_streams():
    k = mx.random.key(5)
    a = mx.random.uniform(shape=(8,), key=k, stream=mx.cpu)
    s = mx.new_stream(mx.cpu)
    b = mx.random.uniform(shape=(8,), key=k, stream=s)
    assert a.tolist() == b.tolist()


def test_random_errors():
    with pytest.raises((ValueError, TypeError)):
        mx.random.uniform(shape=(2,), dtype=mx.int32)
    with pytest.raises(ValueError):
        mx.random.categorical(mx.zeros((2, 3)), shape=(2,), num_samples=3)


# ------------------------------------------------------ multivariate_normal


def test_multivariate_normal_moments_and_shapes():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 3))
    cov = a @ a.T + 0.5 * np.eye(3)
    mean = np.array([1.0, -2.0, 0.5])
    r = mx.random.multivariate_normal(
        mx.array(mean, dtype=mx.float32), mx.array(cov, dtype=mx.float32), shape=(100000,),
        key=mx.random.key(2),
    )
    assert r.shape == (100000, 3) and r.dtype == mx.float32
    x = np.array(r, dtype=np.float64)
    # Sample mean and covariance within ~6 standard errors.
    se = np.sqrt(np.diag(cov) / x.shape[0])
    assert np.all(np.abs(x.mean(0) - mean) < 6 * se), (x.mean(0), mean)
    assert np.abs(np.cov(x.T) - cov).max() < 0.05 * np.abs(cov).max()
    # Batch shapes broadcast; the same key gives the same samples.
    b = mx.random.multivariate_normal(mx.zeros((2, 3)), mx.array(cov, dtype=mx.float32),
                                      key=mx.random.key(3))
    c = mx.random.multivariate_normal(mx.zeros((2, 3)), mx.array(cov, dtype=mx.float32),
                                      key=mx.random.key(3))
    assert b.shape == (2, 3)
    np.testing.assert_array_equal(np.array(b), np.array(c))


def test_multivariate_normal_semidefinite_cov():
    # Rank one: every sample lies on the line mean + t * v.
    v = np.array([1.0, 2.0, -1.0])
    cov = np.outer(v, v)
    r = np.array(mx.random.multivariate_normal(mx.zeros((3,)), mx.array(cov, dtype=mx.float32),
                                               shape=(50,), key=mx.random.key(4)))
    resid = r - np.outer(r @ v / (v @ v), v)
    # float32 eigenvalues of the null space are ~eps * |cov|, not 0: their
    # square roots put sqrt(eps * |cov|) per unit of z off the line.
    bound = 8 * np.sqrt(1.2e-7 * np.abs(cov).max()) * 5
    assert np.abs(resid).max() < bound, (np.abs(resid).max(), bound)


def test_multivariate_normal_errors():
    cov = mx.eye(3)
    with pytest.raises(ValueError, match="float32"):
        mx.random.multivariate_normal(mx.zeros((3,)), cov, dtype=mx.float64)
    with pytest.raises(ValueError, match="cov must be"):
        mx.random.multivariate_normal(mx.zeros((2,)), cov)
    with pytest.raises(ValueError, match="multivariate_normal"):
        mx.random.multivariate_normal(mx.zeros((2, 3)), cov, shape=(4,))
