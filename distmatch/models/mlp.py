"""Multi-layer perceptrons for 2-D points and flat vectors."""

from __future__ import annotations

import math

import torch
from torch import nn

OUTPUT_ACTIVATIONS = {"none": nn.Identity, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


NORMS = ("none", "batch")
# PacGAN's generator (Blocks' BatchNormalization): epsilon 1e-4, population statistics updated as
# 0.95 * old + 0.05 * batch
BATCHNORM = dict(eps=1e-4, momentum=0.05)


def mlp(in_dim: int, out_dim: int, width: int, depth: int, activation: type[nn.Module] = nn.ReLU,
        norm: str = "none") -> nn.Sequential:
    """``depth`` hidden layers of ``width`` units with ``activation`` between them; ``norm="batch"``
    puts batch norm before each activation (hidden layers then have no bias: the norm's shift is one)."""
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose one of {', '.join(NORMS)}")
    layers: list[nn.Module] = []
    dim = in_dim
    for _ in range(depth):
        if norm == "batch":
            layers += [nn.Linear(dim, width, bias=False), nn.BatchNorm1d(width, **BATCHNORM), activation()]
        else:
            layers += [nn.Linear(dim, width), activation()]
        dim = width
    layers.append(nn.Linear(dim, out_dim))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """z (B, noise_dim) -> x (B, *out_shape) through an MLP with an optional output activation."""

    def __init__(self, noise_dim: int, out_shape: tuple[int, ...], width: int = 128, depth: int = 3,
                 output: str = "none", norm: str = "none"):
        super().__init__()
        self.out_shape = tuple(out_shape)
        self.net = mlp(noise_dim, math.prod(out_shape), width, depth, norm=norm)
        self.out = OUTPUT_ACTIVATIONS[output]()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.net(z)).view(z.shape[0], *self.out_shape)


class MLPCritic(nn.Module):
    """x (B, *in_shape) -> logits (B,), or a (B, out_features) embedding when ``out_features`` > 1
    (mmd-gan's kernel features, gmmn-ae's encoder); LeakyReLU hidden layers."""

    def __init__(self, in_shape: tuple[int, ...], width: int = 128, depth: int = 3, out_features: int = 1):
        super().__init__()
        if int(out_features) < 1:
            raise ValueError(f"out_features must be a positive integer, got {out_features}")
        self.out_features = int(out_features)
        self.net = mlp(math.prod(in_shape), self.out_features, width, depth, activation=lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x.flatten(1))  # (B, out_features)
        return out.squeeze(1) if self.out_features == 1 else out
