"""Maxout layers and the maxout critic of the PacGAN / ALI toy experiments (Goodfellow et al. 2013)."""

from __future__ import annotations

import math

import torch
from torch import nn


class Maxout(nn.Module):
    """x (B, in) -> (B, out): the maximum over ``pieces`` affine maps, max_k (W_k x + b_k).

    One Linear to ``out * pieces`` units, viewed as (B, out, pieces) and reduced over the pieces,
    as Blocks' ``LinearMaxout`` does (PacGAN's discriminator)."""

    def __init__(self, in_features: int, out_features: int, pieces: int):
        super().__init__()
        if int(pieces) < 1:
            raise ValueError(f"maxout pieces must be a positive integer, got {pieces}")
        self.out_features, self.pieces = int(out_features), int(pieces)
        self.linear = nn.Linear(in_features, self.out_features * self.pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.linear(x).view(x.shape[0], self.out_features, self.pieces)  # (B, out, pieces)
        return h.max(dim=2).values  # (B, out); max with indices: a cheaper backward than amax


class MaxoutCritic(nn.Module):
    """x (B, *in_shape) -> logits (B,), or a (B, out_features) embedding: ``depth`` maxout layers
    of ``width`` units with ``pieces`` pieces each, then a linear layer (PacGAN: 3 x 200, 5 pieces)."""

    def __init__(self, in_shape: tuple[int, ...], width: int = 200, depth: int = 3, pieces: int = 5,
                 out_features: int = 1):
        super().__init__()
        if int(out_features) < 1:
            raise ValueError(f"out_features must be a positive integer, got {out_features}")
        self.out_features = int(out_features)
        layers: list[nn.Module] = []
        dim = math.prod(in_shape)
        for _ in range(depth):
            layers.append(Maxout(dim, width, pieces))
            dim = width
        layers.append(nn.Linear(dim, self.out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x.flatten(1))  # (B, out_features)
        return out.squeeze(1) if self.out_features == 1 else out
