"""The one noise sampler every generator reads from."""

from __future__ import annotations

import torch

NOISE_KINDS = ("uniform", "gaussian")


class NoiseSampler:
    """Draw latent codes z of shape (n, dim).

    ``uniform`` is U[-1, 1]^dim (the GMMN paper's choice); ``gaussian`` is N(0, I).
    All draws go through one seeded ``torch.Generator`` so runs repeat exactly.
    """

    def __init__(self, kind: str = "gaussian", dim: int = 2, seed: int = 0, device: str | torch.device = "cpu"):
        if kind not in NOISE_KINDS:
            raise ValueError(f"unknown noise kind {kind!r}; choose one of {', '.join(NOISE_KINDS)}")
        if dim < 1:
            raise ValueError(f"noise dimension must be >= 1, got {dim}")
        self.kind = kind
        self.dim = dim
        self.device = torch.device(device)
        self.generator = torch.Generator(device="cpu").manual_seed(seed)

    def sample(self, n: int) -> torch.Tensor:
        """Return an (n, dim) float32 tensor on the sampler's device."""
        if self.kind == "uniform":
            z = torch.rand(n, self.dim, generator=self.generator) * 2.0 - 1.0  # (n, dim)
        else:
            z = torch.randn(n, self.dim, generator=self.generator)  # (n, dim)
        return z.to(self.device)

    def state_dict(self) -> dict:
        """RNG state, for checkpoints."""
        return {"kind": self.kind, "dim": self.dim, "rng": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        """Restore the RNG state saved by :meth:`state_dict`."""
        self.generator.set_state(state["rng"])
