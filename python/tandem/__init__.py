"""Tandem: lazy arrays with MLX's programming model for CPUs and NVIDIA GPUs.

``import tandem.core as mx`` gives the API of ``mlx.core``.
"""
