"""Generator and critic factories: MLPs for points/vectors, DCGAN-style convs for images, the
maxout critic and packing of PacGAN."""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import nn

from .mlp import MLPCritic, MLPGenerator

if TYPE_CHECKING:
    from ..config import RunConfig

MODEL_KINDS = ("mlp", "dcgan")
CRITIC_KINDS = ("mlp", "maxout")  # maxout: PacGAN's discriminator (MLP data only)


def default_model(data_kind: str) -> str:
    """The model family used when ``--model`` is not given."""
    return "dcgan" if data_kind == "image" else "mlp"


def build_generator(model: str, noise_dim: int, shape: tuple[int, ...], width: int, depth: int,
                    output: str = "none", norm: str = "none") -> nn.Module:
    """Generator mapping (B, noise_dim) noise to (B, *shape) samples (``norm``: MLPs only; DCGAN
    generators always use batch norm)."""
    if model == "mlp":
        return MLPGenerator(noise_dim, shape, width, depth, output, norm)
    if model == "dcgan":
        from .dcgan import DCGANGenerator
        return DCGANGenerator(noise_dim, shape, base_channels=width)
    raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_KINDS)}")


def build_critic(model: str, shape: tuple[int, ...], width: int, depth: int, batchnorm: bool = True,
                 out_features: int = 1, maxout_pieces: int | None = None) -> nn.Module:
    """Critic / discriminator mapping (B, *shape) samples to (B,) logits, or to a (B, out_features)
    embedding when ``out_features`` > 1 (mmd-gan's kernel features). ``maxout_pieces``: a maxout
    MLP instead of LeakyReLU (``model`` must be mlp)."""
    if model == "mlp" and maxout_pieces:
        from .maxout import MaxoutCritic
        return MaxoutCritic(shape, width, depth, maxout_pieces, out_features)
    if model == "mlp":
        return MLPCritic(shape, width, depth, out_features)
    if model == "dcgan" and not maxout_pieces:
        from .dcgan import DCGANCritic
        return DCGANCritic(shape, base_channels=width, batchnorm=batchnorm, out_features=out_features)
    if model == "dcgan":
        raise ValueError("a maxout critic is an MLP: use it with --model mlp")
    raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_KINDS)}")


def normal_init_(module: nn.Module, std: float) -> None:
    """Weights of every linear and conv layer ~ N(0, std²), their biases 0; norm layers scale 1, shift 0
    (PacGAN: std 0.02 everywhere)."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def generator_for(cfg: "RunConfig", shape: tuple[int, ...], output: str) -> nn.Module:
    """The shared generator of a resolved run config (the trainer and ``load_run`` build it here)."""
    generator = build_generator(cfg.model, cfg.noise_dim, shape, cfg.width, cfg.depth, output, cfg.generator_norm)
    if cfg.init_std is not None:
        normal_init_(generator, cfg.init_std)
    return generator


def critic_for(cfg: "RunConfig", shape: tuple[int, ...], batchnorm: bool, out_features: int) -> nn.Module:
    """The critic of a resolved run config: its own width/depth when given, maxout or not, packed
    when ``cfg.pack`` > 1 (it then judges ``pack`` samples at once)."""
    from .packing import Packed, packed_shape

    pieces = cfg.maxout_pieces if cfg.critic == "maxout" else None
    width = cfg.width if cfg.critic_width is None else cfg.critic_width
    depth = cfg.depth if cfg.critic_depth is None else cfg.critic_depth
    critic = build_critic(cfg.model, packed_shape(shape, cfg.pack), width, depth, batchnorm, out_features, pieces)
    if cfg.init_std is not None:
        normal_init_(critic, cfg.init_std)
    return Packed(critic, cfg.pack) if cfg.pack > 1 else critic
