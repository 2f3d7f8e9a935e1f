"""Why the MMD bandwidth decides coverage vs sharpness: witness functions on 8 Gaussians.

The generated set covers only some modes and sits a little off them. For a kernel k the
witness is w(t) = E_x k(t, x) - E_y k(t, y) (x real, y generated); gradient descent on MMD^2
moves each generated point y_j along +grad w(y_j) (d MMD^2 / d y_j = -(2/M) grad w(y_j)).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np
import torch

from ..data import get_dataset
from ..kernels import mmd2_naive

KERNELS: dict[str, tuple[float, ...]] = {"small": (0.02,), "medium": (0.3,), "large": (3.0,), "multi": (0.02, 0.3, 3.0)}


@dataclass
class BWSettings:
    """Real 8 Gaussians vs a generated set covering ``covered`` modes, shifted radially by ``shift``."""

    dataset: str = "8gaussians"
    n: int = 1000
    covered: tuple[int, ...] = (0, 1, 2, 3, 4)
    shift: float = 0.15
    fake_std: float = 0.03
    grid_lim: float = 2.2
    n_grid: int = 241
    kernels: dict[str, tuple[float, ...]] = field(default_factory=lambda: dict(KERNELS))
    shifts: tuple[float, ...] = tuple(np.geomspace(1e-3, 2.0, 40).round(6).tolist())


@dataclass
class BWResult:
    settings: BWSettings
    seed: int
    real: np.ndarray  # (N, 2)
    fake: np.ndarray  # (N, 2)
    centers: np.ndarray  # (K, 2)
    grid: np.ndarray  # (G,) axis of the square witness grid
    witness: dict[str, np.ndarray]  # kernel -> (G, G) w on the grid (rows = x2, cols = x1)
    fake_grad: dict[str, np.ndarray]  # kernel -> (N, 2) grad w at the generated points
    fake_attraction: dict[str, np.ndarray]  # kernel -> (N, 2) grad E_x k(., x) at them (the data's pull)
    ring_angle: np.ndarray  # (A,) angles of the circle through the centres
    ring_witness: dict[str, np.ndarray]  # kernel -> (A,) w on that circle
    mmd2: dict[str, float]
    landscape: dict[str, np.ndarray]  # kernel -> (len(shifts),) MMD^2 of all modes shifted by delta

    @property
    def uncovered(self) -> list[int]:
        return [k for k in range(len(self.centers)) if k not in self.settings.covered]


def kernel_mean(t: torch.Tensor, pts: torch.Tensor, bandwidths: Sequence[float]) -> torch.Tensor:
    """(T,) mean over pts of sum_s exp(-||t - p||^2 / (2 s^2)) for t: (T, D), pts: (P, D)."""
    d2 = torch.cdist(t, pts).pow(2)  # (T, P)
    return sum(torch.exp(-d2 / (2 * s * s)) for s in bandwidths).mean(1)


def witness(t: torch.Tensor, real: torch.Tensor, fake: torch.Tensor, bandwidths: Sequence[float]) -> torch.Tensor:
    """(T,) witness w(t) = E k(t, x) - E k(t, y)."""
    return kernel_mean(t, real, bandwidths) - kernel_mean(t, fake, bandwidths)


def witness_grad(t: np.ndarray, real: torch.Tensor, fake: torch.Tensor | None,
                 bandwidths: Sequence[float]) -> np.ndarray:
    """(T, 2) grad w at points t (float64); with ``fake=None`` only the data term grad E_x k(t, x)."""
    tt = torch.tensor(t, dtype=torch.float64, requires_grad=True)
    value = kernel_mean(tt, real, bandwidths) if fake is None else witness(tt, real, fake, bandwidths)
    (g,) = torch.autograd.grad(value.sum(), tt)
    return g.numpy()


def shifted_modes(dataset, rng: np.random.Generator, n: int, covered: Sequence[int], shift: float,
                  std: float) -> np.ndarray:
    """(n, 2) points around the ``covered`` centres, pushed radially outward by ``shift``."""
    c = dataset.centers.astype(np.float64)[np.asarray(covered)]
    idx = rng.integers(0, len(c), n)
    radial = c[idx] / np.linalg.norm(c[idx], axis=1, keepdims=True)
    return c[idx] + shift * radial + std * rng.standard_normal((n, 2))


def run_mmd_bandwidth(settings: BWSettings, seed: int = 0) -> BWResult:
    """Witness maps, gradients at the generated points, ring profile and shift landscape per kernel."""
    torch.set_num_threads(1)
    dataset = get_dataset(settings.dataset)
    rng = np.random.default_rng(seed)
    real = dataset.sample(settings.n, rng).astype(np.float64)
    fake = shifted_modes(dataset, rng, settings.n, settings.covered, settings.shift, settings.fake_std)
    rt, ft = torch.from_numpy(real), torch.from_numpy(fake)
    grid = np.linspace(-settings.grid_lim, settings.grid_lim, settings.n_grid)
    gx, gy = np.meshgrid(grid, grid)
    pts = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1))
    radius = float(np.linalg.norm(dataset.centers[0]))
    angle = np.linspace(-np.pi, np.pi, 721)
    ring = torch.from_numpy(radius * np.stack([np.cos(angle), np.sin(angle)], 1))
    out: dict[str, dict] = {k: {} for k in ("witness", "grad", "attr", "ring", "mmd2", "land")}
    for name, bws in settings.kernels.items():
        with torch.no_grad():
            out["witness"][name] = witness(pts, rt, ft, bws).numpy().reshape(gx.shape)
            out["ring"][name] = witness(ring, rt, ft, bws).numpy()
            out["mmd2"][name] = float(mmd2_naive(ft, rt, list(bws)))
        out["grad"][name] = witness_grad(fake, rt, ft, bws)
        out["attr"][name] = witness_grad(fake, rt, None, bws)
        out["land"][name] = shift_landscape(dataset, real, settings.shifts, bws, seed)
    return BWResult(settings, seed, real, fake, dataset.centers.astype(np.float64), grid, out["witness"],
                    out["grad"], out["attr"], angle, out["ring"], out["mmd2"], out["land"])


def shift_landscape(dataset, real: np.ndarray, shifts: Sequence[float], bandwidths: Sequence[float],
                    seed: int) -> np.ndarray:
    """MMD^2 between real data and a copy of it (fresh draw) with every mode pushed out by delta."""
    rng = np.random.default_rng(seed + 1)
    base = dataset.sample(len(real), rng).astype(np.float64)
    radial = base / np.linalg.norm(base, axis=1, keepdims=True)
    rt = torch.from_numpy(real)
    with torch.no_grad():
        return np.array([float(mmd2_naive(torch.from_numpy(base + d * radial), rt, list(bandwidths)))
                         for d in shifts])


# ----------------------------------------------------------------------------- numbers
def mean_cosine(vectors: np.ndarray, targets: np.ndarray) -> float:
    """Mean cosine between rows of two (N, 2) arrays (0 where a vector vanishes)."""
    norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(targets, axis=1)
    return float(np.mean(np.where(norms > 0, (vectors * targets).sum(1) / np.maximum(norms, 1e-300), 0.0)))


def numbers(result: BWResult) -> dict:
    """Per kernel: MMD^2, witness at uncovered/covered centres (relative to max |w|), the mean pull on
    the generated points (total, and the data's attraction alone) and its cosine with the way back
    to the nearest centre."""
    out = {}
    near = result.centers[np.argmin(((result.fake[:, None] - result.centers[None]) ** 2).sum(-1), 1)]
    for name in result.settings.kernels:
        scale = float(np.abs(result.witness[name]).max())
        g, a = result.fake_grad[name], result.fake_attraction[name]
        w_c = witness(torch.from_numpy(result.centers), torch.from_numpy(result.real),
                      torch.from_numpy(result.fake), result.settings.kernels[name]).numpy()
        out[name] = {"bandwidths": list(result.settings.kernels[name]), "mmd2": result.mmd2[name],
                     "witness_uncovered_rel": (w_c[result.uncovered] / scale).tolist(),
                     "witness_covered_rel": (w_c[list(result.settings.covered)] / scale).tolist(),
                     "witness_max_abs": scale,
                     "mean_pull_on_fake": float(np.linalg.norm(g, axis=1).mean()),
                     "mean_attraction_on_fake": float(np.linalg.norm(a, axis=1).mean()),
                     "median_attraction_on_fake": float(np.median(np.linalg.norm(a, axis=1))),
                     "cos_pull_to_nearest_centre": mean_cosine(g, near - result.fake),
                     "cos_attraction_to_nearest_centre": mean_cosine(a, near - result.fake)}
    return out


def landscape_rows(result: BWResult) -> list[dict]:
    """Rows: kernel, radial shift delta, MMD^2 (and normalised by its max)."""
    rows = []
    for name, vals in result.landscape.items():
        for d, v in zip(result.settings.shifts, vals):
            rows.append({"kernel": name, "shift": d, "mmd2": v, "mmd2_over_max": v / vals.max()})
    return rows


def summary(result: BWResult) -> dict:
    s = asdict(result.settings)
    s["shifts"] = list(s["shifts"])
    return {"settings": s, "seed": result.seed, "uncovered_modes": result.uncovered, "numbers": numbers(result)}
