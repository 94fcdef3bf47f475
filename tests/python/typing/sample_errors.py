"""Calls the stubs must reject: mypy reports an error on every line marked
`# error` and on no other (tests/python/test_typing.py checks both)."""

import tandem.core as mx

x = mx.ones((2, 3))
mx.zeros("three")  # error
mx.sum(x, axis="rows")  # error
mx.add(x, 1, stream="gpu")  # error
mx.new_stream(3)  # error
n: int = x  # error
mx.value_and_grad(5)  # error
s: str = x.shape  # error
mx.eval(mx.random.normal((2,), dtype="float32"))  # error
ok = mx.where(x > 0, x, 0.0) + mx.exp(x) * 2 - [1.0, 2.0, 3.0]
mx.eval(ok)
