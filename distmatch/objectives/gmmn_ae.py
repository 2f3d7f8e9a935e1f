"""GMMN+AE (Li, Swersky & Zemel 2015): a GMMN trained in the code space of an auto-encoder.

Stage 1 (:meth:`GMMNAE.prepare`, once, before step 0): an auto-encoder x -> c = E(x) -> D(c) is
trained on the data to minimise the squared reconstruction error E||D(E(x)) - x||^2, then frozen.
Stage 2 (the trainer's steps): the generator maps noise to codes and minimises
sqrt(MMD^2(G(z), E(x))) under a sum of Gaussian kernels, exactly the GMMN loss of the mmd
objective, but on codes. Samples are D(G(z)) (:meth:`GMMNAE.decode`), so every metric sees data.

The auto-encoder follows the run's model family (distmatch.models.autoencoder: MLPs for points,
the DCGAN critic/generator pair for images); the paper's MNIST auto-encoder is 784-1024-32 with
sigmoid codes and dropout, here codes are linear and there is no dropout. Code size: the data's
dimension for points (an auto-encoder is pointless on 2-D toys, but the two stages still run),
16 for images, or ``extra["code_dim"]``. Bandwidths: ``--bandwidths`` if given (in code units), else
the median heuristic on 1,000 codes of data after stage 1, median / 2^k, k = 0..6.

Checkpoints hold the auto-encoder's weights, the stage-1 flag, the code bandwidths and the
stage-1 losses (plain tensors, floats and lists), so a resumed run never retrains the auto-encoder.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, Sequence

from .._lazy import nn, torch

from .base import Objective, ObjectiveOption, TrainingDefaults

if TYPE_CHECKING:
    from ..data import Dataset
    from ..models.autoencoder import AutoEncoder

IMAGE_CODE_DIM = 16  # the paper uses 32 codes for 784 MNIST pixels; 8x8 digits have 64
AE_STEPS = {"image": 1000, "points": 500}  # stage-1 steps (toy AE: RMSE ~0.006 after 500 steps)
AE_LR = 1e-3  # Adam, cosine decay to 0 over stage 1
MLP_CODE_WIDTH = 256  # hidden units of the code generator when the run's width counts DCGAN channels
CODE_OCTAVES = 7
BANDWIDTH_POINTS = 1000


def gmmn_loss(fake: torch.Tensor, real: torch.Tensor, bandwidths: Sequence[float],
              estimator: str = "biased") -> torch.Tensor:
    """sqrt(MMD^2) between the rows of two batches (GMMN trains on the square root); finite gradient at 0."""
    from ..kernels import mmd2

    m2 = mmd2(fake.flatten(1), real.flatten(1), list(bandwidths), estimator=estimator)
    return torch.sqrt(m2.clamp_min(0) + 1e-12)


def cosine_factor(step: int, total: int) -> float:
    """Cosine decay from 1 to 0 over ``total`` steps."""
    return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))


class GMMNAE(Objective):
    name = "gmmn-ae"
    # points: + 500 auto-encoder steps: 8/8, 60 % HQ, 54 s wall; images: + 1000 auto-encoder steps: FD ~10, ~72 s CPU
    run_defaults = {"points": dict(steps=2000, batch_size=512), "image": dict(steps=2000, batch_size=256)}
    latent_bandwidths = "median heuristic on 1000 auto-encoder codes / 2^k, k=0..6, after stage 1"
    options = {"bandwidths": ObjectiveOption(None, "Gaussian σ's on the auto-encoder's codes "
                                                   "[median heuristic on the codes / 2^k]")}
    defaults = TrainingDefaults("adam", 1e-3, (0.5, 0.999), 0,
                                "GMMN+AE (Li et al. 2015); Adam with cosine decay in place of SGD", "cosine")
    uses_critic = False

    def __init__(self, model: str = "mlp", width: int = 128, depth: int = 3, bandwidths: Sequence[float] | None = None,
                 estimator: str = "biased", code_dim: int | None = None, ae_steps: int | None = None):
        if bandwidths is not None and (len(bandwidths) == 0 or min(bandwidths) <= 0):
            raise ValueError(f"--bandwidths must be positive numbers, got {list(bandwidths)}")
        for key, value in (("code_dim", code_dim), ("ae_steps", ae_steps)):
            if value is not None and int(value) < 1:
                raise ValueError(f"{key} must be a positive integer, got {value}")
        self.model, self.width, self.depth, self.estimator = model, int(width), int(depth), estimator
        self.user_bandwidths = None if bandwidths is None else [float(b) for b in bandwidths]
        self.code_dim = None if code_dim is None else int(code_dim)
        self.ae_steps = None if ae_steps is None else int(ae_steps)
        self.autoencoder: AutoEncoder | None = None
        self.pretrained = False
        self.bandwidths: list[float] | None = self.user_bandwidths
        self.ae_loss: list[float] = []  # [first, last] stage-1 reconstruction MSE

    @classmethod
    def from_config(cls, config) -> "GMMNAE":
        """Model family, width and depth, ``--bandwidths`` and the estimator from the run;
        ``extra["code_dim"]`` and ``extra["ae_steps"]`` override the defaults."""
        return cls(config.model or "mlp", config.width or 128, config.depth or 3, config.bandwidths,
                   config.mmd_estimator, config.extra.get("code_dim"), config.extra.get("ae_steps"))

    # ---------------------------------------------------------------- trainer hooks
    def setup(self, dataset: "Dataset", device: torch.device) -> None:
        """Fill the data-dependent defaults and build the auto-encoder on ``device``."""
        from ..models.autoencoder import build_autoencoder

        kind = "image" if dataset.kind == "image" else "points"
        if self.code_dim is None:
            self.code_dim = IMAGE_CODE_DIM if kind == "image" else int(dataset.dim)
        if self.ae_steps is None:
            self.ae_steps = AE_STEPS[kind]
        output = "tanh" if kind == "image" else "none"
        self.autoencoder = build_autoencoder(self.model, tuple(dataset.shape), self.code_dim, self.width,
                                             self.depth, output).to(device)

    def build_generator(self, config, dataset: "Dataset") -> nn.Module:
        """An MLP from noise to codes (the run's width for mlp runs, 256 units when it counts DCGAN channels)."""
        from ..models.autoencoder import CodeGenerator

        width = self.width if self.model == "mlp" else MLP_CODE_WIDTH
        return CodeGenerator(config.noise_dim, self.code_dim, width, self.depth)

    def prepare(self, real_batch: Callable[[], torch.Tensor]) -> bool:
        """Stage 1: train the auto-encoder, freeze it and fix the code bandwidths; False if already done."""
        if self.pretrained:
            return False
        self.ae_loss = train_autoencoder(self.autoencoder, real_batch, self.ae_steps)
        self._freeze()
        if self.user_bandwidths is None:
            self.bandwidths = self._code_bandwidths(real_batch)
        self.pretrained = True
        return True

    def decode(self, samples: torch.Tensor) -> torch.Tensor:
        """Codes (B, code_dim) -> data (B, *shape) through the frozen decoder."""
        with torch.no_grad():
            return self.autoencoder.decode(samples)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Data (B, *shape) -> codes (B, code_dim) through the frozen encoder (no gradient)."""
        with torch.no_grad():
            return self.autoencoder.encode(x)

    def generator_loss(self, critic: nn.Module | None, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """sqrt(MMD^2) between the generated codes and the codes of the data batch."""
        if not self.pretrained:
            raise RuntimeError("gmmn-ae: stage 1 (the auto-encoder) has not run; call prepare() first")
        return gmmn_loss(fake, self.encode(real), self.bandwidths, self.estimator)

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict:
        return {"autoencoder": self.autoencoder.state_dict(), "pretrained": self.pretrained,
                "bandwidths": None if self.bandwidths is None else list(self.bandwidths),
                "ae_loss": list(self.ae_loss)}

    def load_state_dict(self, state: dict) -> None:
        """Restore stage 1's outcome (KeyError when the checkpoint has none)."""
        self.autoencoder.load_state_dict(state["autoencoder"])
        self.pretrained = bool(state["pretrained"])
        self.bandwidths = None if state["bandwidths"] is None else [float(b) for b in state["bandwidths"]]
        self.ae_loss = [float(v) for v in state["ae_loss"]]
        if self.pretrained:
            self._freeze()

    def settings(self) -> dict:
        first, last = (self.ae_loss + [None, None])[:2]
        return {"bandwidths": self.bandwidths, "code_dim": self.code_dim, "ae_steps": self.ae_steps,
                "ae_model": self.model, "ae_mse_first_step": first, "ae_mse_last_steps": last,
                "estimator": self.estimator,
                "code_bandwidth_source": "user" if self.user_bandwidths else
                f"median heuristic on codes / 2^k, k=0..{CODE_OCTAVES - 1}"}

    # ---------------------------------------------------------------- helpers
    def _freeze(self) -> None:
        """Eval mode (batchnorm running statistics) and no gradients for the auto-encoder."""
        self.autoencoder.eval()
        for p in self.autoencoder.parameters():
            p.requires_grad_(False)

    def _code_bandwidths(self, real_batch: Callable[[], torch.Tensor]) -> list[float]:
        """Median-heuristic ladder on the codes of >= 1,000 data points."""
        from ..config import median_heuristic_ladder

        codes, n = [], 0
        while n < BANDWIDTH_POINTS:
            codes.append(self.encode(real_batch()))
            n += codes[-1].shape[0]
        sample = torch.cat(codes)[:BANDWIDTH_POINTS].cpu().double().numpy()
        return median_heuristic_ladder(sample, n=CODE_OCTAVES)


def train_autoencoder(autoencoder: nn.Module, real_batch: Callable[[], torch.Tensor], steps: int,
                      lr: float = AE_LR) -> list[float]:
    """Minimise the mean squared reconstruction error for ``steps`` Adam steps (cosine decay);
    return [MSE of the first step, mean MSE of the last min(10, steps) steps]."""
    autoencoder.train()
    opt = torch.optim.Adam(autoencoder.parameters(), lr=lr)
    losses: list[float] = []
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * cosine_factor(step, steps)
        x = real_batch()
        loss = (autoencoder(x) - x).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            raise FloatingPointError(f"gmmn-ae: the auto-encoder's loss became {losses[-1]} at stage-1 step {step}")
    tail = losses[-min(10, steps):]
    return [losses[0], sum(tail) / len(tail)]
