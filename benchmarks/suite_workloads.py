"""The suite's workloads: for each, its sizes, seeded random inputs, a NumPy
reference (float64 where it matters) and the code each framework runs.

`build(peer, args)` returns a callable computing the result on the peer's
device from already-placed inputs (its time is what the suite measures), or
None when the framework has no such op. `amount(size)` is the bytes the op
must move (limit "bw") or the floating-point operations it must do (limit
"mm_*"), so that a time converts to a fraction of the machine's limit.
"""
import numpy as np

F32 = np.float32
CHAIN_OPS = 1000  # ops in a tiny-op chain
CANON_EXPS = 500  # exps in the canonical mixed workload
HOPS = 100  # device ping-pong hops
MLP_B, MLP_W = 256, 1024


def _k(n):
    for unit, div in (("G", 2**30), ("M", 2**20), ("K", 2**10)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


class Workload:
    name = family = ""
    limit = None  # "bw", "mm_f32", "mm_bf16" or None (dispatch-bound)
    devices = ("cpu", "gpu")
    rtol = 1e-4
    atol_scale = 1e-5
    note = ""

    def sizes(self, quick, max_elems):
        return []

    def label(self, size):
        return _k(size)

    def elements(self, size):
        """Elements of the largest array, for the memory cap."""
        return size

    def data(self, size, rng):
        raise NotImplementedError

    def ref(self, *a):
        raise NotImplementedError

    def amount(self, size):
        return 0.0

    def build(self, peer, a):
        raise NotImplementedError

    def result(self, peer, out):
        """The output as NumPy arrays, in the reference's form."""
        if isinstance(out, tuple):
            return tuple(self.result(peer, o) for o in out)
        return out if isinstance(out, np.ndarray) else peer.get(out)


def _pow2_sizes(lo, hi_quick, hi_full, step, quick, max_elems):
    hi = hi_quick if quick else hi_full
    return [1 << e for e in range(lo, hi + 1, step) if (1 << e) <= max_elems]


# Elementwise and reductions --------------------------------------------------


class Elementwise(Workload):
    family = "elementwise"
    limit = "bw"

    def sizes(self, quick, max_elems):
        return _pow2_sizes(10, 24, 28, 2, quick, max_elems)

    def data(self, size, rng):
        return tuple(rng.uniform(0.5, 1.5, size).astype(F32) for _ in range(self.n_in))


class Exp(Elementwise):
    name, n_in = "exp", 1

    def ref(self, x):
        return np.exp(x.astype(np.float64))

    def amount(self, n):
        return 8 * n

    def build(self, p, a):
        (x,) = a
        if p.kind == "xp":
            return lambda: p.xp.exp(x)
        if p.kind == "torch":
            return lambda: p.torch.exp(x)
        return lambda: p.m.exp(x)


class Add(Elementwise):
    name, n_in = "add", 2

    def ref(self, x, y):
        return x.astype(np.float64) + y

    def amount(self, n):
        return 12 * n

    def build(self, p, a):
        x, y = a
        return lambda: x + y


class Sum(Elementwise):
    name, family, n_in = "sum", "reduction", 1

    def ref(self, x):
        return np.sum(x, dtype=np.float64)

    def amount(self, n):
        return 4 * n

    def build(self, p, a):
        (x,) = a
        if p.kind == "xp":
            return lambda: p.xp.sum(x)
        if p.kind == "torch":
            return lambda: p.torch.sum(x)
        return lambda: p.m.sum(x)


class Max(Sum):
    name = "max (rows of 1024)"

    def data(self, size, rng):
        return (rng.standard_normal((size // 1024, 1024)).astype(F32),)

    def sizes(self, quick, max_elems):
        return [s for s in super().sizes(quick, max_elems) if s >= 1024]

    def ref(self, x):
        return np.max(x, axis=-1)

    def build(self, p, a):
        (x,) = a
        if p.kind == "xp":
            return lambda: p.xp.max(x, axis=-1)
        if p.kind == "torch":
            return lambda: p.torch.amax(x, dim=-1)
        return lambda: p.m.max(x, axis=-1)


# Row-wise normalisations over rows of 1024 -----------------------------------

D = 1024


class RowOp(Workload):
    family = "normalization"
    limit = "bw"

    def sizes(self, quick, max_elems):
        rows = [64, 1024, 8192] + ([] if quick else [32768])
        return [r * D for r in rows if r * D <= max_elems]

    def label(self, size):
        return f"{size // D}x{D}"

    def data(self, size, rng):
        return (rng.standard_normal((size // D, D)).astype(F32),)

    def amount(self, n):
        return 8 * n


class Softmax(RowOp):
    name = "softmax"

    def ref(self, x):
        e = np.exp(x - x.max(-1, keepdims=True).astype(np.float64))
        return e / e.sum(-1, keepdims=True)

    def build(self, p, a):
        (x,) = a
        if p.name == "numpy":
            def f():
                e = np.exp(x - x.max(-1, keepdims=True))
                return e / e.sum(-1, keepdims=True)
            return f
        if p.name == "jax":
            return lambda: p.jax.nn.softmax(x, axis=-1)
        if p.kind == "torch":
            return lambda: p.torch.softmax(x, -1)
        return lambda: p.m.softmax(x, axis=-1)


class LogSumExp(RowOp):
    name = "logsumexp"

    def amount(self, n):
        return 4 * n

    def ref(self, x):
        x = x.astype(np.float64)
        m = x.max(-1)
        return m + np.log(np.exp(x - m[:, None]).sum(-1))

    def build(self, p, a):
        (x,) = a
        if p.name == "numpy":
            def f():
                m = x.max(-1, keepdims=True)
                return (m + np.log(np.exp(x - m).sum(-1, keepdims=True)))[:, 0]
            return f
        if p.name == "jax":
            import jax.scipy.special as jss

            return lambda: jss.logsumexp(x, axis=-1)
        if p.kind == "torch":
            return lambda: p.torch.logsumexp(x, -1)
        return lambda: p.m.logsumexp(x, axis=-1)


class LayerNorm(RowOp):
    name = "layer_norm"
    rtol, atol_scale = 1e-3, 1e-4

    def data(self, size, rng):
        x = rng.standard_normal((size // D, D)).astype(F32)
        return x, rng.uniform(0.5, 1.5, D).astype(F32), rng.standard_normal(D).astype(F32)

    def ref(self, x, w, b):
        x = x.astype(np.float64)
        mu = x.mean(-1, keepdims=True)
        var = x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-5) * w + b

    def build(self, p, a):
        x, w, b = a
        if p.kind == "xp":
            xp = p.xp

            def f():
                mu = x.mean(-1, keepdims=True)
                var = xp.mean(xp.square(x - mu), -1, keepdims=True)
                return (x - mu) / xp.sqrt(var + 1e-5) * w + b
            return f
        if p.kind == "torch":
            F = p.torch.nn.functional
            return lambda: F.layer_norm(x, (D,), w, b, eps=1e-5)
        return lambda: p.m.fast.layer_norm(x, w, b, 1e-5)


# Matmul ----------------------------------------------------------------------


class Matmul(Workload):
    name, family, limit = "matmul f32", "matmul", "mm_f32"
    cpu_max = 2048  # 4096^3 takes minutes per call in MLX's CPU backend
    rtol, atol_scale = 1e-3, 1e-4

    def sizes(self, quick, max_elems):
        return [n for n in [256, 1024, 2048] + ([] if quick else [4096]) if n * n <= max_elems]

    def label(self, n):
        return f"{n}^3"

    def elements(self, n):
        return n * n

    def data(self, n, rng):
        return (rng.standard_normal((n, n)).astype(F32),
                rng.standard_normal((n, n)).astype(F32))

    def ref(self, a, b):
        return a.astype(np.float64) @ b

    def amount(self, n):
        return 2.0 * n**3

    def build(self, p, a):
        x, y = a
        return lambda: x @ y


class MatmulTF32(Matmul):
    """GPU only: float32 inputs, TF32 tensor cores allowed (10-bit mantissa)."""

    name, devices = "matmul tf32", ("gpu",)
    rtol, atol_scale = 2e-2, 2e-2
    note = "TF32: Tandem with TANDEM_ALLOW_TF32=1, PyTorch with allow_tf32"

    def build(self, p, a):
        x, y = a
        if p.kind == "torch":
            def f():
                p.torch.backends.cuda.matmul.allow_tf32 = True
                try:
                    return x @ y
                finally:
                    p.torch.backends.cuda.matmul.allow_tf32 = False
            return f
        if p.name == "tandem":
            return lambda: x @ y  # this worker runs with TANDEM_ALLOW_TF32=1 (run.py)
        return None


def _to_bf16(a):
    """a rounded to bfloat16 (nearest even) and back, in float32."""
    u = np.ascontiguousarray(a, F32).view(np.uint32)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(F32)


class MatmulBF16(Matmul):
    name, limit = "matmul bf16", "mm_bf16"
    cpu_max = 1024  # PyTorch's CPU bfloat16 matmul: seconds at 1024^3
    rtol, atol_scale = 3e-2, 1e-2

    def sizes(self, quick, max_elems):
        return [n for n in [256, 1024] + ([] if quick else [2048, 4096]) if n * n <= max_elems]

    def ref(self, a, b):
        return _to_bf16(a).astype(np.float64) @ _to_bf16(b)

    def build(self, p, a):
        x, y = a
        if p.name == "numpy":
            return None  # NumPy has no bfloat16
        if p.kind == "torch":
            x, y = x.bfloat16(), y.bfloat16()
        elif p.kind == "xp":
            x, y = x.astype(p.xp.bfloat16), y.astype(p.xp.bfloat16)
        else:
            x, y = x.astype(p.m.bfloat16), y.astype(p.m.bfloat16)
            p.m.eval(x, y)
        return lambda: x @ y


class BatchedMatmul(Matmul):
    name = "batched matmul f32"
    cpu_max = None

    def sizes(self, quick, max_elems):
        return [(64, 128), (16, 512)] + ([] if quick else [(8, 1024)])

    def label(self, s):
        return f"{s[0]}x{s[1]}^3"

    def elements(self, s):
        return s[0] * s[1] ** 2

    def data(self, s, rng):
        b, n = s
        return (rng.standard_normal((b, n, n)).astype(F32),
                rng.standard_normal((b, n, n)).astype(F32))

    def amount(self, s):
        return 2.0 * s[0] * s[1] ** 3


# Convolution -----------------------------------------------------------------


def _conv2d_shifted(x, w, dtype):
    """3x3, stride 1, padding 1 convolution of NHWC x with OHWI w, as nine
    matmuls over shifted views of the padded input (NumPy has no conv)."""
    n, h, wd, _ = x.shape
    kh, kw = w.shape[1], w.shape[2]
    xp = np.pad(x.astype(dtype, copy=False), ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.zeros((n, h, wd, w.shape[0]), dtype)
    for i in range(kh):
        for j in range(kw):
            out += xp[:, i:i + h, j:j + wd, :] @ w[:, i, j, :].T.astype(dtype, copy=False)
    return out


class Conv2d(Workload):
    """3x3 convolution, stride 1, padding 1, in MLX's layout: NHWC input,
    OHWI weight (PyTorch gets NCHW/OIHW copies made before timing)."""
    name, family, limit = "conv2d 3x3 f32", "conv2d", "mm_f32"
    rtol, atol_scale = 1e-4, 1e-4
    note = "NHWC; NumPy: nine shifted matmuls; PyTorch without TF32"

    def sizes(self, quick, max_elems):
        s = [(2, 16, 16, 16, 16), (8, 32, 32, 64, 64), (16, 56, 56, 64, 64)]
        return s + ([] if quick else [(32, 56, 56, 128, 128)])

    def label(self, s):
        n, h, w, c, o = s
        return f"{n}x{h}x{w}x{c}->{o}"

    def elements(self, s):
        n, h, w, c, o = s
        return n * (h + 2) * (w + 2) * max(c, o)

    def data(self, s, rng):
        n, h, w, c, o = s
        return (rng.standard_normal((n, h, w, c)).astype(F32),
                (rng.standard_normal((o, 3, 3, c)) / np.sqrt(9 * c)).astype(F32))

    def ref(self, x, w):
        return _conv2d_shifted(x, w.astype(np.float64), np.float64)

    def amount(self, s):
        n, h, w, c, o = s
        return 2.0 * n * h * w * o * 9 * c

    def result(self, peer, out):
        if peer.kind == "torch":
            out = out.permute(0, 2, 3, 1)  # NCHW back to NHWC
        return peer.get(out)

    def build(self, p, a):
        x, w = a
        if p.name == "numpy":
            return lambda: _conv2d_shifted(x, w, F32)
        if p.name == "jax":
            conv = p.jax.lax.conv_general_dilated
            return lambda: conv(x, w, (1, 1), [(1, 1), (1, 1)],
                                dimension_numbers=("NHWC", "OHWI", "NHWC"))
        if p.kind == "torch":
            t = p.torch
            t.backends.cudnn.allow_tf32 = False  # float32 exact, as labelled
            xt = x.permute(0, 3, 1, 2).contiguous()
            wt = w.permute(0, 3, 1, 2).contiguous()
            return lambda: t.nn.functional.conv2d(xt, wt, padding=1)
        if not hasattr(p.m, "conv2d"):
            return None
        return lambda: p.m.conv2d(x, w, stride=1, padding=1)


# Sort, topk, gather, scatter -------------------------------------------------


class Sort(Workload):
    name, family, limit = "sort", "sort", "bw"
    note = "bytes: one read and one write, a lower bound"

    def sizes(self, quick, max_elems):
        return _pow2_sizes(14, 22, 24, 4, quick, max_elems)

    def data(self, n, rng):
        return (rng.standard_normal(n).astype(F32),)

    def ref(self, x):
        return np.sort(x)

    def amount(self, n):
        return 8 * n

    def build(self, p, a):
        (x,) = a
        if p.kind == "xp":
            return lambda: p.xp.sort(x)
        if p.kind == "torch":
            return lambda: p.torch.sort(x).values
        return lambda: p.m.sort(x)


class TopK(Sort):
    name = "topk (k=32)"
    K = 32

    def ref(self, x):
        return np.sort(x)[-self.K:]

    def amount(self, n):
        return 4 * n

    def result(self, peer, out):
        return np.sort(peer.get(out))  # topk's order is unspecified

    def build(self, p, a):
        (x,) = a
        k = self.K
        if p.name == "numpy":
            return lambda: np.partition(x, -k)[-k:]
        if p.name == "jax":
            return lambda: p.jax.lax.top_k(x, k)[0]
        if p.kind == "torch":
            return lambda: p.torch.topk(x, k).values
        return lambda: p.m.topk(x, k)


class Gather(Workload):
    name, family, limit = "gather (take)", "gather/scatter", "bw"

    def sizes(self, quick, max_elems):
        return _pow2_sizes(14, 22, 24, 4, quick, max_elems)

    def data(self, n, rng):
        return (rng.standard_normal(n).astype(F32),
                rng.integers(0, n, n).astype(np.int32),
                rng.standard_normal(n).astype(F32))

    def ref(self, x, i, v):
        return x[i]

    def amount(self, n):
        return 12 * n

    def build(self, p, a):
        x, i, _ = a
        if p.kind == "xp":
            return lambda: p.xp.take(x, i)
        if p.kind == "torch":
            i = i.long()
            return lambda: p.torch.take(x, i)
        return lambda: p.m.take(x, i)


class Scatter(Gather):
    name = "scatter add (x.at[i].add)"
    rtol, atol_scale = 1e-4, 1e-5

    def ref(self, x, i, v):
        return x + np.bincount(i, weights=v, minlength=len(x))

    def amount(self, n):
        return 16 * n

    def build(self, p, a):
        x, i, v = a
        if p.name == "numpy":
            def f():
                y = x.copy()
                np.add.at(y, i, v)
                return y
            return f
        if p.name == "jax":
            return lambda: x.at[i].add(v)
        if p.kind == "torch":
            i = i.long()
            return lambda: x.index_add(0, i, v)
        return lambda: x.at[i].add(v)


# Autodiff --------------------------------------------------------------------


class MlpGrad(Workload):
    name, family, limit = "value_and_grad MLP", "autodiff", "mm_f32"
    rtol, atol_scale = 1e-3, 1e-4
    note = "3 layers, relu, MSE; NumPy runs the backward pass written by hand"

    def sizes(self, quick, max_elems):
        return [MLP_W]

    def label(self, w):
        return f"B{MLP_B} W{w}"

    def data(self, w, rng):
        ws = [(rng.standard_normal((w, w)) / np.sqrt(w)).astype(F32) for _ in range(3)]
        return (rng.standard_normal((MLP_B, w)).astype(F32),
                rng.standard_normal((MLP_B, w)).astype(F32), *ws)

    @staticmethod
    def _numpy(x, y, w0, w1, w2):
        h1 = np.maximum(x @ w0, 0)
        h2 = np.maximum(h1 @ w1, 0)
        d = h2 @ w2 - y
        loss = np.mean(d * d)
        go = 2 * d / d.size
        g2 = h2.T @ go
        gh = (go @ w2.T) * (h2 > 0)
        g1 = h1.T @ gh
        gh = (gh @ w1.T) * (h1 > 0)
        return loss, x.T @ gh, g1, g2

    def ref(self, *a):
        return self._numpy(*[t.astype(np.float64) for t in a])

    def amount(self, w):
        return 8 * 2.0 * MLP_B * w * w  # 3 forward + 5 backward matmuls

    def build(self, p, a):
        x, y, w0, w1, w2 = a
        if p.name == "numpy":
            return lambda: self._numpy(x, y, w0, w1, w2)
        if p.kind == "torch":
            torch = p.torch

            def f():
                with torch.enable_grad():
                    ws = [w.detach().requires_grad_() for w in (w0, w1, w2)]
                    h = torch.relu(x @ ws[0])
                    h = torch.relu(h @ ws[1])
                    loss = ((h @ ws[2] - y) ** 2).mean()
                    return (loss, *torch.autograd.grad(loss, ws))
            return f
        if p.name == "jax":
            jnp = p.xp

            def loss(w0, w1, w2):
                h = jnp.maximum(x @ w0, 0)
                h = jnp.maximum(h @ w1, 0)
                return jnp.mean((h @ w2 - y) ** 2)

            vg = p.jax.value_and_grad(loss, argnums=(0, 1, 2))
        else:
            m = p.m

            def loss(w0, w1, w2):
                h = m.maximum(x @ w0, 0.0)
                h = m.maximum(h @ w1, 0.0)
                d = h @ w2 - y
                return m.mean(d * d)

            vg = m.value_and_grad(loss, argnums=(0, 1, 2))

        def g():
            v, gs = vg(w0, w1, w2)
            return (v, *gs)
        return g


# Dispatch-bound workloads ----------------------------------------------------


class TinyChain(Workload):
    name, family = "tiny-op chain (y = y + one)", "overhead"
    note = f"{CHAIN_OPS} adds on float32[4], build + eval; reported per op"

    def sizes(self, quick, max_elems):
        return [CHAIN_OPS]

    def label(self, n):
        return f"{n} ops"

    def data(self, n, rng):
        return (rng.uniform(0.5, 1.5, 4).astype(F32), rng.uniform(0.5, 1.5, 4).astype(F32))

    def ref(self, x, one):
        return x.astype(np.float64) + CHAIN_OPS * one.astype(np.float64)

    def build(self, p, a):
        x, one = a

        def f():
            y = x
            for _ in range(CHAIN_OPS):
                y = y + one
            return y
        return f


class Canonical(Workload):
    """(4096x512) @ (512x4) and 500 exps on (512x4), independent of each other.

    Variants: on the CPU, one stream, or (Tandem and MLX) the matmul and the
    exps on two CPU streams; on the GPU, all on the GPU, or the matmul on the
    GPU and the exps on a CPU stream (split).
    """

    name, family = "canonical mixed", "canonical"
    note = "the exp chain reaches inf after 5 steps (as the workload is defined); the check compares those infs"

    def __init__(self, variant):
        self.variant = variant
        self.name = f"canonical ({variant})"

    @property
    def devices(self):
        return ("cpu",) if self.variant in ("1 CPU stream", "2 CPU streams") else ("gpu",)

    def sizes(self, quick, max_elems):
        return [CANON_EXPS]

    def label(self, n):
        return "4096x512@512x4 + 500 exp"

    def data(self, n, rng):
        return (rng.standard_normal((4096, 512)).astype(F32),
                rng.standard_normal((512, 4)).astype(F32),
                rng.uniform(0, 1, (512, 4)).astype(F32))

    def ref(self, a, b, c):
        y = c.astype(np.float64)
        with np.errstate(over="ignore"):
            for _ in range(CANON_EXPS):
                y = np.exp(y)
        return a.astype(np.float64) @ b, y

    def build(self, p, a):
        x, w, c = a
        split = self.variant in ("2 CPU streams", "split: GPU matmul, CPU exps")
        if p.kind == "mx":
            m = p.m
            s1 = m.new_stream(p.dev)
            s2 = m.new_stream(m.cpu) if split else s1

            def f():
                r = m.matmul(x, w, stream=s1)
                y = c
                for _ in range(CANON_EXPS):
                    y = m.exp(y, stream=s2)
                return r, y
            return f
        if self.variant == "2 CPU streams":
            return None  # no CPU streams to split across
        if p.kind == "torch":
            exp = p.torch.exp
            if split:
                c = c.cpu()
        elif p.name == "jax":
            exp = p.xp.exp
            if split:
                c = p.jax.device_put(c, p.jax.devices("cpu")[0])
        else:
            exp = np.exp

        def g():
            r = x @ w  # queued first: on a GPU it runs while the CPU does the exps
            y = c
            with np.errstate(over="ignore"):
                for _ in range(CANON_EXPS):
                    y = exp(y)
            return r, y
        return g


class RoundTrip(Workload):
    name, family, limit = "numpy round trip (exp)", "round trip", "bw"
    note = "NumPy array in, exp on the framework's device, NumPy array out"

    def sizes(self, quick, max_elems):
        return [n for n in (1 << 16, 1 << 22) if n <= max_elems]

    def data(self, n, rng):
        return (rng.uniform(-1, 1, n).astype(F32),)

    def ref(self, x):
        return np.exp(x.astype(np.float64))

    def amount(self, n):
        return 8 * n

    host_inputs = True  # build() gets the NumPy arrays, not device ones

    def build(self, p, a):
        (x,) = a
        if p.name == "numpy":
            return lambda: np.exp(x)
        if p.name == "jax":
            return lambda: np.asarray(p.xp.exp(p.jax.device_put(x, p.dev)))
        if p.kind == "torch":
            t = p.torch
            return lambda: t.exp(t.from_numpy(x).to(p.dev)).cpu().numpy()
        m = p.m
        return lambda: np.array(m.exp(m.array(x)))


class PingPong(Workload):
    name, family, devices = "device ping-pong (100 hops)", "canonical", ("gpu",)
    note = "y = y + 1 alternately on the GPU and the CPU, 100 times"

    def sizes(self, quick, max_elems):
        return [HOPS]

    def label(self, n):
        return "float32[4096]"

    def data(self, n, rng):
        return (rng.uniform(-1, 1, 4096).astype(F32),)

    def ref(self, x):
        return x.astype(np.float64) + HOPS

    def build(self, p, a):
        (x,) = a
        if p.kind == "mx":
            m = p.m
            g, c = m.new_stream(m.gpu), m.new_stream(m.cpu)

            def f():
                y = x
                for i in range(HOPS):
                    y = m.add(y, 1.0, stream=g if i % 2 == 0 else c)
                return y
            return f
        if p.kind == "torch":
            devs = ("cuda", "cpu")
            return lambda: _hops(x, lambda y, i: (y + 1).to(devs[i % 2]))
        if p.name == "jax":
            devs = (p.dev, p.jax.devices("cpu")[0])
            return lambda: _hops(x, lambda y, i: p.jax.device_put(y + 1, devs[i % 2]))
        return None


def _hops(x, step):
    y = x
    for i in range(HOPS):
        y = step(y, i)
    return y


def all_workloads():
    ws = [TinyChain(), Exp(), Add(), Sum(), Max(), Softmax(), LogSumExp(), LayerNorm(),
          Matmul(), MatmulTF32(), MatmulBF16(), BatchedMatmul(), Conv2d(), Sort(), TopK(), Gather(),
          Scatter(), MlpGrad(), Canonical("1 CPU stream"), Canonical("2 CPU streams"),
          Canonical("all GPU"), Canonical("split: GPU matmul, CPU exps"), RoundTrip(), PingPong()]
    return ws


def workloads_for(device):
    return [w for w in all_workloads() if device in w.devices]


def missing_workloads(tandem_module):
    """Workloads of issue 15 the suite cannot run yet, and why."""
    out = []
    if not hasattr(tandem_module, "conv2d"):
        out.append("conv2d: tandem.core has no conv2d yet")
    # Measured by their own scripts, beside their peers, not in this suite yet.
    out.append("canonical workload, compiled: `benchmarks/bench_gpu.py` (GPU) and "
               "`benchmarks/bench_compile.py` (compile's host cost) measure it")
    out.append("char-level GPT training step: `benchmarks/torch_twins.py gpt` (beside PyTorch and MLX)")
    return out
