"""The sharded layers of mlx.nn for a group of processes. Tandem runs one
process (``mx.distributed`` has only the singleton group), so a shard is the
whole layer: these compute what ``Linear`` computes, and ``fully_shard``
returns its module unchanged, as MLX does for a group of one."""

import math

import tandem.core as mx
from tandem.nn.layers.base import Module
from tandem.utils import tree_flatten, tree_map


def _group(group):
    return group if group is not None else mx.distributed.init()


def _shard(dims, n, what):
    if dims % n:
        raise ValueError(f"[{what}] cannot shard {dims} features across {n} processes")
    return dims // n


class _ShardedLinear(Module):
    def __init__(self, input_dims, output_dims, bias, group, shard_out):
        super().__init__()
        self.group = _group(group)
        n = self.group.size()
        name = type(self).__name__
        scale = math.sqrt(1.0 / input_dims)
        out = _shard(output_dims, n, name) if shard_out else output_dims
        inp = input_dims if shard_out else _shard(input_dims, n, name)
        self.weight = mx.random.uniform(low=-scale, high=scale, shape=(out, inp))
        if bias:
            self.bias = mx.random.uniform(low=-scale, high=scale, shape=(out if shard_out else output_dims,))
        self._dims = (input_dims, output_dims)

    def _extra_repr(self):
        return f"input_dims={self._dims[0]}, output_dims={self._dims[1]}, bias={'bias' in self}"

    @classmethod
    def from_linear(cls, linear_layer, *, segments=1, group=None):
        """This layer holding ``linear_layer``'s weights (its shard of them:
        all of them for a group of one process).

        Args:
            linear_layer: an ``nn.Linear``.
            segments: how many equal parts the output features form (fused
                projections such as qkv); with one process they need no
                reordering, but each must divide evenly.
            group: the group to shard across (default: the global group).

        Returns:
            The sharded layer.
        """
        out, inp = linear_layer.weight.shape
        parts = segments if isinstance(segments, int) else len(segments) + 1
        if isinstance(segments, int) and (parts < 1 or out % parts):
            raise ValueError(f"[{cls.__name__}.from_linear] {out} output features do not split into {parts} segments")
        layer = cls(inp, out, bias="bias" in linear_layer, group=group)
        layer.weight = linear_layer.weight
        if "bias" in linear_layer:
            layer.bias = linear_layer.bias
        return layer


class AllToShardedLinear(_ShardedLinear):
    """Each process of the group computes its part of ``x W^T + b``, the
    output sharded over the group; gradients of ``x`` are summed over it.

    Args:
        input_dims: the size of the input's last axis.
        output_dims: the size of the whole output's last axis.
        bias: whether to learn a bias (default True).
        group: the group to shard across (default: the global group).

    With one process (Tandem's only group) the shard is the whole output.
    """

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True, group=None):
        super().__init__(input_dims, output_dims, bias, group, shard_out=True)

    def __call__(self, x):
        if "bias" in self:
            return mx.addmm(self["bias"], x, self["weight"].T)
        return x @ self["weight"].T


class ShardedToAllLinear(_ShardedLinear):
    """Each process applies its part of the weights to its shard of the input
    features, and the parts are summed over the group: every process gets
    the whole ``x W^T + b``.

    Args:
        input_dims: the size of the whole input's last axis.
        output_dims: the size of the output's last axis.
        bias: whether to learn a bias (default True).
        group: the group to shard across (default: the global group).
    """

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True, group=None):
        super().__init__(input_dims, output_dims, bias, group, shard_out=False)

    def __call__(self, x):
        y = mx.distributed.all_sum(x @ self["weight"].T, group=self.group)
        return y + self["bias"] if "bias" in self else y


class FullyShardedModule(Module):
    """``module`` with each process of the group holding a shard of its
    parameters (along axis 0), gathered for the forward pass.

    Args:
        module: the module to wrap.
        group: the group to shard across (default: the global group).
        compute_dtype: if set, the parameters are cast to it for the forward
            pass.

    With one process every shard is the whole parameter.
    """

    def __init__(self, module: Module, group=None, compute_dtype=None):
        super().__init__()
        self.module = module
        self._group = _group(group)
        self._compute_dtype = compute_dtype

    def _extra_repr(self):
        return f"num_sharded_params={len(tree_flatten(self.module.parameters()))}"

    def __call__(self, *args, **kwargs):
        if self._compute_dtype is None:
            return self.module(*args, **kwargs)
        params = self.module.parameters()
        dt = self._compute_dtype
        cast = tree_map(lambda p: p.astype(dt) if mx.issubdtype(p.dtype, mx.floating) else p, params)
        self.module.update(cast)
        try:
            return self.module(*args, **kwargs)
        finally:
            self.module.update(params)


def fully_shard(module: Module, *, group=None, compute_dtype=None) -> Module:
    """Wraps ``module`` in a ``FullyShardedModule`` across ``group``, or
    returns it unchanged when the group is one process (always, here).

    Args:
        module: the module to wrap.
        group: the group to shard across (default: the global group).
        compute_dtype: the dtype of the gathered parameters in the forward
            pass.

    Returns:
        ``module`` itself for a group of one process, else the wrapper.
    """
    g = _group(group)
    if g.size() == 1:
        return module
    return FullyShardedModule(module, g, compute_dtype)


__all__ = ["AllToShardedLinear", "ShardedToAllLinear", "FullyShardedModule", "fully_shard"]
