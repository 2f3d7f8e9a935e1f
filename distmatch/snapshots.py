"""Training snapshots: what the generator (and its critic) look like at every evaluation, kept in
``<run>/snapshots/step_<k>.npz`` for the training animation (:mod:`distmatch.report.animation`).

One snapshot holds plain arrays only (``np.savez``; read back with ``allow_pickle=False``):

* 2-D point data (``kind = "points"``):

  - ``samples`` (n, 2): up to 1000 generated samples, drawn with the seed of the evaluation
    (:meth:`Trainer.eval_record <distmatch.trainer.Trainer.eval_record>`'s rule, so they are the
    first 1000 of that evaluation's samples);
  - ``real`` (1000, 2): a data sample, the same in every snapshot of a run;
  - ``grid_x``, ``grid_y`` (G,): the axes of a fixed G x G grid around the data (the same in
    every snapshot of a run) and ``field`` (G, G), ``field[i, j]`` at ``(grid_x[j], grid_y[i])``:

    - ``field_kind = "logit"`` or ``"value"``: the critic's output (objectives whose critic
      returns one scalar per sample, ``objective.critic_output``), evaluated in eval mode with
      its buffers put back; a packed critic (``--pack m``) judges m copies of each grid point;
    - ``field_kind = "witness"``: every other objective (mmd, sinkhorn, mmd-gan, gmmn-ae): the
      MMD witness function of the generated and the data sample,
      ``witness(t) = mean_i k(t, x_i) - mean_j k(t, y_j)`` (positive where there are too many
      generated samples), ``k`` the sum of Gaussian kernels ``exp(-|a-b|^2 / (2 sigma^2))``
      over the run's metric bandwidths (``trainer.metric_bandwidths``, also stored as
      ``bandwidths``).

* images (``kind = "image"``): ``samples`` (36, C, H, W) from the fixed noise of the image grids
  (:meth:`Trainer.grid_samples <distmatch.trainer.Trainer.grid_samples>`'s seed) and ``real``
  (36, C, H, W), the same held-out images in every snapshot.

Every snapshot also holds ``step`` and ``kind``. Point data of other than two dimensions has no
snapshots. Nothing here touches the training RNGs (noise comes from a sampler of its own, data
from a numpy generator of its own), so training is identical with and without snapshots.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np

from . import io
from .rundir import SNAPSHOTS  # the folder in a run directory (RunDir.snapshots)

N_SAMPLES = 1000  # generated samples per point snapshot
N_REAL = 1000  # data samples per point snapshot (the witness's y)
N_IMAGES = 36  # images per image snapshot (a 6 x 6 grid)
GRID = 64  # grid points per axis
MARGIN = 0.25  # the grid reaches this fraction of the data's extent beyond it on every side
REAL_SEED_OFFSET = 5_555_555  # the snapshot's data draw differs from every sampling and probe seed
FIELD_KINDS = ("logit", "value", "witness")
NAME = re.compile(r"step_(\d+)\.npz")


# ---------------------------------------------------------------------- writing
def save_snapshot(trainer, run_dir: str | Path) -> Path | None:
    """Write ``run_dir/snapshots/step_<trainer.step>.npz`` for ``trainer`` (atomically); its path,
    or None for point data that is not 2-D."""
    arrays = snapshot_arrays(trainer)
    if arrays is None:
        return None
    path = snapshot_path(run_dir, trainer.step)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    io.atomic_write(path, write)
    return path


def snapshot_path(run_dir: str | Path, step: int) -> Path:
    return Path(run_dir) / SNAPSHOTS / f"step_{int(step)}.npz"


def snapshot_arrays(trainer) -> dict[str, np.ndarray] | None:
    """The arrays of one snapshot at the trainer's current step (see the module docstring)."""
    cfg, dataset, step = trainer.cfg, trainer.dataset, trainer.step
    real_rng = np.random.default_rng(cfg.seed * 1_000_003 + REAL_SEED_OFFSET)
    if dataset.kind == "image":
        samples = trainer.sample(N_IMAGES, cfg.seed * 1_000_003 - 1)  # save_grid's fixed noise
        real = dataset.heldout(N_IMAGES, real_rng)[:N_IMAGES]
        return {"step": np.int64(step), "kind": np.str_("image"), "samples": _f32(samples), "real": _f32(real)}
    if tuple(dataset.shape) != (2,):
        return None
    samples = _f32(trainer.sample(N_SAMPLES, cfg.seed * 1_000_003 + step))  # eval_record's seed
    real = _f32(dataset.sample(N_REAL, real_rng))
    grid_x, grid_y = fixed_grid(real)
    kind = getattr(trainer.objective, "critic_output", "features")
    if trainer.critic is not None and kind in ("logit", "value"):
        field = critic_field(trainer.critic, grid_points(grid_x, grid_y), trainer.cfg.pack)
    else:
        kind = "witness"
        field = witness(grid_x, grid_y, samples, real, trainer.metric_bandwidths)
    return {"step": np.int64(step), "kind": np.str_("points"), "samples": samples, "real": real,
            "grid_x": grid_x, "grid_y": grid_y, "field": _f32(field.reshape(len(grid_y), len(grid_x))),
            "field_kind": np.str_(kind), "bandwidths": np.asarray(trainer.metric_bandwidths, dtype=np.float64)}


def _f32(x) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float32)


def fixed_grid(real: np.ndarray, n: int = GRID, margin: float = MARGIN) -> tuple[np.ndarray, np.ndarray]:
    """Axes (n,), (n,) of a square grid centred on the data's bounding box, its side the box's
    longer side plus ``margin`` of it on each end (a run's data sample is fixed, so is its grid)."""
    finite = real[np.all(np.isfinite(real), axis=1)]
    lo, hi = (finite.min(0), finite.max(0)) if len(finite) else (np.zeros(2), np.ones(2))
    center, half = (lo + hi) / 2, max(float((hi - lo).max()), 1e-6) * (0.5 + margin)
    return tuple(np.linspace(c - half, c + half, n, dtype=np.float32) for c in center)


def grid_points(grid_x: np.ndarray, grid_y: np.ndarray) -> np.ndarray:
    """(len(grid_y) * len(grid_x), 2) points, row i of the field = grid_y[i] (x varies fastest)."""
    xx, yy = np.meshgrid(grid_x, grid_y)
    return np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)


def critic_field(critic, points: np.ndarray, pack: int = 1) -> np.ndarray:
    """(G,) critic outputs on ``points``, under no_grad and in eval mode (each point judged on its
    own, not by its batch), with the critic's buffers and mode put back afterwards; a packed
    critic judges ``pack`` copies of each point."""
    import torch

    device = next(critic.parameters()).device
    buffers = {k: v.clone() for k, v in critic.named_buffers()}
    was_training = critic.training
    x = torch.from_numpy(points).to(device)
    if pack > 1:
        x = x.repeat_interleave(pack, dim=0)  # (G·m, 2): consecutive rows form one pack
    critic.eval()
    try:
        with torch.no_grad():
            out = torch.cat([critic(chunk).reshape(-1) for chunk in torch.split(x, 4096 * max(pack, 1))])
    finally:
        critic.train(was_training)
        critic.load_state_dict({**critic.state_dict(), **buffers})
    return out.float().cpu().numpy()


def witness(grid_x: np.ndarray, grid_y: np.ndarray, x: np.ndarray, y: np.ndarray, bandwidths) -> np.ndarray:
    """(len(grid_y), len(grid_x)) MMD witness ``mean_i k(t, x_i) - mean_j k(t, y_j)`` of the 2-D
    samples ``x`` and ``y`` at the grid points ``t = (grid_x[j], grid_y[i])``, with
    ``k(a, b) = sum_s exp(-|a - b|^2 / (2 s^2))`` over ``bandwidths``.

    A Gaussian factorises over coordinates, exp(-|t - x|^2 / 2s^2) = e_s(t_1 - x_1) e_s(t_2 - x_2),
    so on a grid mean_i k(t, x_i) = (E_y @ E_x^T) / N with E_x[j, i] = e_s(grid_x[j] - x_i1)
    (G x N) and E_y likewise: 2·G·N exps and one G x N x G product per bandwidth instead of G²·N
    exps (64 x 64 grid, 2 x 1000 samples, 7 bandwidths: ~10 ms rather than ~1 s); float64.
    """
    gx, gy = (np.asarray(g, dtype=np.float64) for g in (grid_x, grid_y))
    out = np.zeros((len(gy), len(gx)))
    for sign, s in ((1.0, x), (-1.0, y)):
        s = np.asarray(s, dtype=np.float64)
        s = s[np.all(np.isfinite(s), axis=1)]
        if not len(s):
            continue
        for sigma in bandwidths:
            scale = -0.5 / float(sigma) ** 2  # exponents floored at -700: tiny but never subnormal (slow)
            ex = np.exp(np.maximum(scale * (gx[:, None] - s[None, :, 0]) ** 2, -700.0))  # (Gx, N)
            ey = np.exp(np.maximum(scale * (gy[:, None] - s[None, :, 1]) ** 2, -700.0))  # (Gy, N)
            out += (sign / len(s)) * (ey @ ex.T)  # (Gy, Gx)
    return out


# ---------------------------------------------------------------------- reading
def list_snapshots(run_dir: str | Path) -> list[tuple[int, Path]]:
    """(step, path) of every snapshot of a run, by step (temp files of unfinished writes aside)."""
    folder = Path(run_dir) / SNAPSHOTS
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := NAME.fullmatch(p.name)) and p.is_file()]
    return sorted(found)


def load_snapshot(path: str | Path) -> dict[str, np.ndarray]:
    """One snapshot's arrays, checked; :class:`~distmatch.io.FileFormatError` naming the file when
    it is not a snapshot (never unpickles)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":  # np.load would call anything else pickled data
                raise ValueError("not an .npz (zip) archive")
        archive = np.load(path, allow_pickle=False)
        with archive:
            data = {k: archive[k] for k in archive.files}
    except (ValueError, EOFError, OSError, zipfile.BadZipFile, KeyError) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        why = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise io.FileFormatError(f"{path}: not a readable snapshot ({why})") from None
    _check(path, data)
    return data


def _check(path: Path, d: dict) -> None:
    def bad(why: str):
        raise io.FileFormatError(f"{path}: not a distmatch snapshot ({why})")

    for key in ("step", "kind", "samples", "real"):
        if key not in d:
            bad(f"no {key!r} array")
    kind = str(d["kind"]) if d["kind"].ndim == 0 and d["kind"].dtype.kind == "U" else None
    if kind not in ("points", "image"):
        bad("'kind' is not 'points' or 'image'")
    if d["step"].ndim != 0 or d["step"].dtype.kind not in "iu":
        bad("'step' is not an integer")
    for key in ("samples", "real"):
        if d[key].dtype.kind != "f" or d[key].ndim != (2 if kind == "points" else 4) or len(d[key]) == 0:
            bad(f"{key!r} is not a non-empty {'(N, 2)' if kind == 'points' else '(N, C, H, W)'} float array")
        if kind == "points" and d[key].shape[1] != 2:
            bad(f"{key!r} has shape {d[key].shape}, expected (N, 2)")
    if kind == "image":
        return
    for key in ("grid_x", "grid_y", "field", "field_kind"):
        if key not in d:
            bad(f"no {key!r} array")
    gx, gy, field = d["grid_x"], d["grid_y"], d["field"]
    if gx.ndim != 1 or gy.ndim != 1 or min(len(gx), len(gy)) < 2 or gx.dtype.kind != "f" or gy.dtype.kind != "f":
        bad("'grid_x' and 'grid_y' are not float axes of 2 or more points")
    if field.dtype.kind != "f" or field.shape != (len(gy), len(gx)):
        bad(f"'field' has shape {field.shape}, expected {(len(gy), len(gx))}")
    if str(d["field_kind"]) not in FIELD_KINDS:
        bad(f"'field_kind' is not one of {', '.join(FIELD_KINDS)}")
