"""Packing (PacGAN, Lin et al. 2018): the critic judges m samples at once.

A packed critic sees m samples of a batch concatenated along their first feature axis — m points
of dimension d become one vector of m·d, m images of C channels one image of m·C channels — so
that a generator which puts every sample on the same few modes is easy to tell from data: m
samples from a collapsed generator look alike, m data samples rarely do.
"""

from __future__ import annotations

import torch
from torch import nn


def packed_shape(shape: tuple[int, ...], pack: int) -> tuple[int, ...]:
    """The shape the inner critic sees: (d,) -> (m·d,), (C, H, W) -> (m·C, H, W)."""
    return (pack * int(shape[0]), *(int(s) for s in shape[1:]))


class Packed(nn.Module):
    """Wrap a critic built for :func:`packed_shape`: (B·m, *shape) -> its output for (B, *packed).

    Consecutive samples form a pack (rows b·m ... b·m + m − 1); ``pack`` is read by the gradient
    penalty, which interpolates and normalises per pack."""

    def __init__(self, critic: nn.Module, pack: int):
        super().__init__()
        if int(pack) < 1:
            raise ValueError(f"pack must be a positive integer, got {pack}")
        self.critic, self.pack = critic, int(pack)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        if n % self.pack:
            raise ValueError(f"a packed critic (m = {self.pack}) needs a batch divisible by {self.pack}, got {n}")
        return self.critic(x.reshape(n // self.pack, self.pack * x.shape[1], *x.shape[2:]))  # (B, m*C, ...)
