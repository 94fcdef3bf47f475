"""A small program over tandem.core that must pass `mypy --strict` against
the generated stubs (tests/python/test_typing.py runs it, and runs it too)."""

import tandem.core as mx


def loss(w: mx.array, x: mx.array, y: mx.array) -> mx.array:
    return mx.mean(mx.square(x @ w - y))


def main() -> float:
    key = mx.random.key(3)
    k1, k2 = mx.random.split(key)
    x = mx.random.normal((16, 3), key=k1)
    w_true = mx.array([[0.5], [-1.0], [2.0]])
    y = x @ w_true + 0.01 * mx.random.normal((16, 1), key=k2)
    w = mx.zeros((3, 1))

    step = mx.value_and_grad(loss)
    for _ in range(50):
        value, g = step(w, x, y)
        w = w - 0.1 * g
        mx.eval(w, value)

    # Streams and devices: a side computation on its own CPU stream.
    s = mx.new_stream(mx.cpu)
    with mx.stream(s):
        col_means = mx.mean(x, axis=0)
    norm = mx.linalg.norm(x - col_means, stream=s)
    # Devices convert to their default stream: stream=mx.cpu is a valid argument.
    gram_inv = mx.linalg.inv(x.T @ x + mx.eye(3), stream=mx.cpu)
    spectrum = mx.abs(mx.fft.rfft(x[:, 0]))
    mx.eval(norm, spectrum, gram_inv)

    flat: list[float] = w.reshape(-1).tolist()
    assert len(flat) == 3
    assert w.shape == (3, 1) and w.dtype == mx.float32
    assert (x > 0).dtype == mx.bool_
    sorted_cols = mx.sort(x, axis=0)
    top = mx.topk(x[:, 1], 2)
    mx.eval(sorted_cols, top)
    return float(mx.abs(w - w_true).max().item())


if __name__ == "__main__":
    print(f"max |w - w_true| = {main():.3f}")
