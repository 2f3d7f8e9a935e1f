"""DCGAN-style conv generator and critic (Radford et al. 2016) for small square images.

Geometry: an image side H is written H = s0 * 2**n (n >= 1, s0 >= 2): halve while even and
above 4, and at least twice when possible (8 -> 2 * 4, 28 -> 7 * 4, 32 -> 4 * 8, 64 -> 4 * 16).
The generator projects noise (Linear + BatchNorm + ReLU) to an s0 x s0 map with
``base_channels * 2**(n-1)`` channels, then n stride-2 transposed convs (4x4 kernels) double the
side: the first n-1 halve the channels with BatchNorm + ReLU, the last one outputs C channels
through tanh. The critic mirrors it: n stride-2 convs doubling the channels from
``base_channels`` (LeakyReLU 0.2; BatchNorm on all but the first, when ``batchnorm``) and a
linear layer to one logit per sample.

Suggested base_channels (``DEFAULT_BASE_CHANNELS``): 32 for 8x8 digits (G 64@2x2 -> 32@4x4 ->
1@8x8; G 0.06M, D 0.03M parameters with 100-d noise; one non-saturating G+D Adam step at
batch 64 takes ~7-8 ms with torch.set_num_threads(1) on the shared 2-core CPU, where 2 threads
were slower under load) and 64 for 28x28 (G 128@7x7 -> 64@14x14 -> 1@28x28, the usual MNIST
DCGAN; ~0.2 s per step at batch 64 on one loaded core).
"""

from __future__ import annotations

import torch
from torch import nn

DEFAULT_BASE_CHANNELS = {8: 32, 28: 64}  # suggested base_channels per image side


def conv_geometry(image_shape: tuple[int, ...]) -> tuple[int, int]:
    """(s0, n) with H = s0 * 2**n, s0 >= 2, n >= 1, or ValueError for unsupported shapes."""
    if len(image_shape) != 3:
        raise ValueError(f"DCGAN models need an image shape (C, H, W), got {tuple(image_shape)}")
    c, h, w = (int(v) for v in image_shape)
    if c < 1 or h != w:
        raise ValueError(f"DCGAN models need square images with C >= 1, got shape {(c, h, w)}")
    side, n = h, 0
    while side % 2 == 0 and side // 2 >= 2 and (side > 4 or n < 2):
        side, n = side // 2, n + 1
    if n == 0:
        raise ValueError(f"unsupported image side {h}: DCGAN models need H = W = s0 * 2**n with "
                         f"s0 >= 2 and n >= 1 (e.g. 8, 16, 28, 32, 64)")
    return side, n


def dcgan_init_(module: nn.Module) -> None:
    """DCGAN initialisation in place: conv/linear weights N(0, 0.02), norm weights N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _check_positive(**values: int) -> None:
    """ValueError naming the first argument that is not a positive integer."""
    for key, value in values.items():
        if int(value) < 1:
            raise ValueError(f"{key} must be a positive integer, got {value}")


class DCGANGenerator(nn.Module):
    """z (B, noise_dim) -> images (B, C, H, W) in [-1, 1]."""

    def __init__(self, noise_dim: int, image_shape: tuple[int, int, int], base_channels: int = 64):
        super().__init__()
        _check_positive(noise_dim=noise_dim, base_channels=base_channels)
        self.image_shape = tuple(int(v) for v in image_shape)
        self.start, n = conv_geometry(self.image_shape)
        self.start_channels = base_channels * 2 ** (n - 1)
        self.project = nn.Sequential(
            nn.Linear(noise_dim, self.start_channels * self.start ** 2, bias=False),
            nn.BatchNorm1d(self.start_channels * self.start ** 2),
            nn.ReLU(inplace=True),
        )
        layers: list[nn.Module] = []
        ch = self.start_channels
        for _ in range(n - 1):  # side doubles, channels halve
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, stride=2, padding=1, bias=False),
                       nn.BatchNorm2d(ch // 2), nn.ReLU(inplace=True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, self.image_shape[0], 4, stride=2, padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z.flatten(1))  # (B, C0 * s0 * s0)
        h = h.view(z.shape[0], self.start_channels, self.start, self.start)  # (B, C0, s0, s0)
        return self.net(h)  # (B, C, H, W)


class DCGANCritic(nn.Module):
    """images (B, C, H, W) -> logits (B,), or a (B, out_features) embedding when ``out_features`` > 1
    (mmd-gan, gmmn-ae's encoder). Use ``batchnorm=False`` for wgan-gp (per-sample penalty)."""

    def __init__(self, image_shape: tuple[int, int, int], base_channels: int = 64, batchnorm: bool = True,
                 out_features: int = 1):
        super().__init__()
        _check_positive(base_channels=base_channels, out_features=out_features)
        self.out_features = int(out_features)
        self.image_shape = tuple(int(v) for v in image_shape)
        self.batchnorm = bool(batchnorm)
        side, n = conv_geometry(self.image_shape)
        layers: list[nn.Module] = [nn.Conv2d(self.image_shape[0], base_channels, 4, stride=2, padding=1),
                                   nn.LeakyReLU(0.2, inplace=True)]  # no norm on the input layer (DCGAN)
        ch = base_channels
        for _ in range(n - 1):  # side halves, channels double
            layers.append(nn.Conv2d(ch, ch * 2, 4, stride=2, padding=1, bias=not self.batchnorm))
            if self.batchnorm:
                layers.append(nn.BatchNorm2d(ch * 2))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            ch *= 2
        self.net = nn.Sequential(*layers)
        self.head = nn.Linear(ch * side * side, self.out_features)
        dcgan_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], *self.image_shape)  # accepts flat (B, C*H*W) too
        out = self.head(self.net(x).flatten(1))  # (B, out_features)
        return out.squeeze(1) if self.out_features == 1 else out  # (B,) logits or (B, k) features
