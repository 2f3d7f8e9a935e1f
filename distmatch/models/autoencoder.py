"""Auto-encoders for gmmn-ae (Li, Swersky & Zemel 2015): data (B, *shape) <-> codes (B, code_dim).

Both families reuse the critic and generator builders: the encoder is a critic with ``code_dim``
outputs, the decoder a generator fed with codes instead of noise.

* ``mlp``: encoder MLP (LeakyReLU) ``dim -> width x depth -> code_dim``, decoder MLP (ReLU)
  ``code_dim -> width x depth -> dim``. The paper's MNIST auto-encoder is 784-1024-32 (one hidden
  layer, sigmoid codes, dropout); here the codes are linear (the MMD bandwidths follow their
  scale, see distmatch.objectives.gmmn_ae) and there is no dropout.
* ``dcgan``: encoder = the DCGAN critic (strided convs, batchnorm), decoder = the DCGAN generator
  (transposed convs, tanh output).
"""

from __future__ import annotations

import torch
from torch import nn

from .mlp import MLPCritic, MLPGenerator


class AutoEncoder(nn.Module):
    """An encoder (B, *shape) -> (B, code_dim) and a decoder (B, code_dim) -> (B, *shape)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, code_dim: int):
        super().__init__()
        self.encoder, self.decoder, self.code_dim = encoder, decoder, int(code_dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, *shape) -> (B, code_dim) codes (a 1-d code is kept as a column)."""
        return self.encoder(x).reshape(x.shape[0], self.code_dim)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """(B, code_dim) codes -> (B, *shape) reconstructions."""
        return self.decoder(codes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def build_autoencoder(model: str, shape: tuple[int, ...], code_dim: int, width: int, depth: int,
                      output: str = "none") -> AutoEncoder:
    """An auto-encoder of the ``model`` family for samples of ``shape``; ``output`` is the
    decoder's output activation (``tanh`` for images in [-1, 1])."""
    if int(code_dim) < 1:
        raise ValueError(f"code_dim must be a positive integer, got {code_dim}")
    if model == "mlp":
        return AutoEncoder(MLPCritic(shape, width, depth, out_features=code_dim),
                           MLPGenerator(code_dim, shape, width, depth, output), code_dim)
    if model == "dcgan":
        from .dcgan import DCGANCritic, DCGANGenerator
        return AutoEncoder(DCGANCritic(shape, base_channels=width, batchnorm=True, out_features=code_dim),
                           DCGANGenerator(code_dim, shape, base_channels=width), code_dim)
    raise ValueError(f"unknown model {model!r}; choose mlp or dcgan")


class CodeGenerator(nn.Module):
    """gmmn-ae's generator: noise (B, noise_dim) -> codes (B, code_dim) through an MLP.

    A module of its own (parameters under ``codes.``), so its checkpoint never loads into a
    data-space generator by accident: its samples are codes, to be decoded.
    """

    def __init__(self, noise_dim: int, code_dim: int, width: int, depth: int):
        super().__init__()
        self.codes = MLPGenerator(noise_dim, (int(code_dim),), width, depth)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.codes(z)  # (B, code_dim)
