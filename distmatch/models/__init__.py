"""Generator and critic factories: MLPs for points/vectors, DCGAN-style convs for images."""

from __future__ import annotations

from torch import nn

from .mlp import MLPCritic, MLPGenerator

MODEL_KINDS = ("mlp", "dcgan")


def default_model(data_kind: str) -> str:
    """The model family used when ``--model`` is not given."""
    return "dcgan" if data_kind == "image" else "mlp"


def build_generator(model: str, noise_dim: int, shape: tuple[int, ...], width: int, depth: int,
                    output: str = "none") -> nn.Module:
    """Generator mapping (B, noise_dim) noise to (B, *shape) samples."""
    if model == "mlp":
        return MLPGenerator(noise_dim, shape, width, depth, output)
    if model == "dcgan":
        from .dcgan import DCGANGenerator
        return DCGANGenerator(noise_dim, shape, base_channels=width)
    raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_KINDS)}")


def build_critic(model: str, shape: tuple[int, ...], width: int, depth: int, batchnorm: bool = True,
                 out_features: int = 1) -> nn.Module:
    """Critic / discriminator mapping (B, *shape) samples to (B,) logits, or to a (B, out_features)
    embedding when ``out_features`` > 1 (mmd-gan's kernel features)."""
    if model == "mlp":
        return MLPCritic(shape, width, depth, out_features)
    if model == "dcgan":
        from .dcgan import DCGANCritic
        return DCGANCritic(shape, base_channels=width, batchnorm=batchnorm, out_features=out_features)
    raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_KINDS)}")
