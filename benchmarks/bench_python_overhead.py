"""Python per-op overhead: build and evaluate a chain of tiny ops on a CPU stream.

Compares Tandem's per-op cost (graph building from Python plus evaluation)
with NumPy doing the same ops eagerly, in the same process. The bar: Tandem's
per-op cost must not exceed NumPy's.

    python benchmarks/bench_python_overhead.py [--ops 1000] [--repeat 30]
"""
import argparse

import numpy as np
import tandem.core as mx
from bench_common import best as best_of


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--ops", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--size", type=int, default=4)
    args = p.parse_args()
    n = args.ops

    s = mx.default_stream(mx.cpu)
    x = mx.ones((args.size,))
    one = mx.ones((args.size,))
    mx.eval(x, one)

    def tandem_operator():
        with mx.stream(s):
            y = x
            for _ in range(n):
                y = y + one
            mx.eval(y)

    def tandem_function():
        y = x
        add = mx.add
        for _ in range(n):
            y = add(y, one, stream=s)
        mx.eval(y)

    def tandem_mixed():
        # add, multiply by a Python scalar (weakly typed), exp: three kinds of op.
        with mx.stream(s):
            y = x * 1e-3
            for _ in range(n // 3):
                y = mx.exp(y * -0.5 + one)
            mx.eval(y)

    def tandem_build_only():
        # Graph building alone (the Python binding plus the C++ op), no eval.
        with mx.stream(s):
            y = x
            for _ in range(n):
                y = y + one
        return y

    def tandem_function_build_only():
        # The function form's graph building alone: adds nanobind's argument
        # parsing (and the stream= keyword) to the operator form's cost.
        y = x
        add = mx.add
        for _ in range(n):
            y = add(y, one, stream=s)
        return y

    xn = np.ones(args.size, np.float32)
    onen = np.ones(args.size, np.float32)

    def numpy_operator():
        y = xn
        for _ in range(n):
            y = y + onen
        return y

    def numpy_mixed():
        y = xn * 1e-3
        for _ in range(n // 3):
            y = np.exp(y * -0.5 + onen)
        return y

    # Check the results agree before timing.
    with mx.stream(s):
        y = x
        for _ in range(10):
            y = y + one
    assert np.allclose(np.asarray(y), xn + 10)

    rows = []
    t_np = best_of(numpy_operator, args.repeat) / n * 1e6
    t_op = best_of(tandem_operator, args.repeat) / n * 1e6
    t_fn = best_of(tandem_function, args.repeat) / n * 1e6
    rows.append(("y = y + one", t_op, t_np))
    rows.append(("y = mx.add(y, one, stream=s)", t_fn, t_np))
    t_np_mixed = best_of(numpy_mixed, args.repeat) / (3 * (n // 3)) * 1e6
    t_mixed = best_of(tandem_mixed, args.repeat) / (3 * (n // 3)) * 1e6
    rows.append(("y = exp(y * -0.5 + one)", t_mixed, t_np_mixed))

    t_build = best_of(tandem_build_only, args.repeat) / n * 1e6
    t_build_fn = best_of(tandem_function_build_only, args.repeat) / n * 1e6

    print(f"chain of {n} ops on float32[{args.size}], best of {args.repeat} (us per op)")
    print(f"{'form':32s} {'tandem':>8s} {'numpy':>8s} {'ratio':>7s}")
    for name, t, tn in rows:
        print(f"{name:32s} {t:8.3f} {tn:8.3f} {t / tn:7.2f}")
    print(f"of which building y = y + one (no eval): {t_build:.3f} us per op; "
          f"evaluating: {t_op - t_build:.3f} us per op")
    print(f"building y = mx.add(y, one, stream=s) (no eval): {t_build_fn:.3f} us per op")
    worst = max(t / tn for _, t, tn in rows)
    print(f"worst tandem/numpy ratio: {worst:.2f} ({'meets' if worst <= 1.0 else 'misses'} the bar of 1.0)")


if __name__ == "__main__":
    main()
