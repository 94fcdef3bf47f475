"""One adapter per framework the suite runs: how to put a NumPy array on its
device, read a result back, and make sure a result is computed (evaluated and
the device synchronised) before the clock is read.

`kind` groups frameworks whose code the workloads share: "mx" is Tandem and
MLX (Tandem follows MLX's API), "xp" is NumPy and jax.numpy (NumPy's API).
"""
import os

import numpy as np

PEER_NAMES = ("numpy", "tandem", "torch", "mlx", "jax")


class Peer:
    kind = ""
    has_streams = False

    def __init__(self, name, device):
        self.name, self.device = name, device  # device: "cpu" or "gpu"

    def put(self, a):
        return a

    def get(self, x):
        return np.asarray(x)

    def force(self, out):
        """Waits until out (an array or a nest of them) is computed."""

    def version(self):
        return ""

    def release(self):
        """Gives cached device memory back between tasks (the other
        frameworks' processes are alive and may need it)."""


class NumpyPeer(Peer):
    kind = "xp"

    def __init__(self, device):
        super().__init__("numpy", device)
        self.xp = np

    def version(self):
        return np.__version__


class MxPeer(Peer):
    """Tandem (`tandem.core`) or MLX (`mlx.core`): lazy arrays, mx.eval."""

    kind = "mx"
    has_streams = True

    def __init__(self, name, device):
        super().__init__(name, device)
        if name == "tandem":
            import tandem.core as m
        else:
            import mlx.core as m
        self.m = m
        dev = m.gpu if device == "gpu" else m.cpu
        m.set_default_device(dev)
        self.dev = dev

    def put(self, a):
        x = self.m.array(a)
        self.m.eval(x)
        return x

    def get(self, x):
        if x.dtype == self.m.bfloat16:
            x = x.astype(self.m.float32)
        return np.array(x)

    def force(self, out):
        self.m.eval(out)
        if self.device == "gpu":
            self.m.synchronize()

    def release(self):
        clear = getattr(self.m, "clear_cache", None)
        if clear:
            clear()

    def version(self):
        if self.name == "tandem":
            import tandem

            return getattr(tandem, "__version__", "") or "worktree"
        return self.m.__version__


class TorchPeer(Peer):
    kind = "torch"

    def __init__(self, device):
        super().__init__("torch", device)
        import torch

        self.torch = torch
        self.dev = "cuda" if device == "gpu" else "cpu"
        torch.set_grad_enabled(False)

    def put(self, a):
        return self.torch.from_numpy(np.ascontiguousarray(a)).to(self.dev)

    def get(self, x):
        if x.dtype == self.torch.bfloat16:
            x = x.float()
        return x.detach().cpu().numpy()

    def force(self, out):
        if self.dev == "cuda":
            self.torch.cuda.synchronize()

    def release(self):
        if self.dev == "cuda":
            self.torch.cuda.empty_cache()

    def version(self):
        return self.torch.__version__


class JaxPeer(Peer):
    kind = "xp"

    def __init__(self, device):
        super().__init__("jax", device)
        import jax
        import jax.numpy as jnp

        self.jax, self.xp = jax, jnp
        self.dev = jax.devices("gpu" if device == "gpu" else "cpu")[0]
        jax.config.update("jax_default_device", self.dev)

    def put(self, a):
        return self.jax.device_put(a, self.dev).block_until_ready()

    def get(self, x):
        if x.dtype == self.xp.bfloat16:
            x = x.astype(self.xp.float32)
        return np.asarray(x)

    def force(self, out):
        self.jax.block_until_ready(out)

    def version(self):
        return self.jax.__version__


def make_peer(name, device):
    """The adapter, or raises ImportError/RuntimeError when unavailable."""
    if name == "numpy":
        if device != "cpu":
            raise RuntimeError("NumPy runs on the CPU only")
        return NumpyPeer(device)
    if name in ("tandem", "mlx"):
        p = MxPeer(name, device)
        if device == "gpu" and not p.m.is_available(p.m.gpu):
            raise RuntimeError(f"{name}: no GPU")
        return p
    if name == "torch":
        p = TorchPeer(device)
        if device == "gpu" and not p.torch.cuda.is_available():
            raise RuntimeError("torch: CUDA not available")
        return p
    if name == "jax":
        if device == "cpu":
            os.environ.setdefault("JAX_PLATFORMS", "cpu")
        return JaxPeer(device)
    raise ValueError(name)
