"""The training animation: ``figures/training.gif`` of a run, drawn from its ``snapshots/``
(:mod:`distmatch.snapshots`), so it can be redrawn at any time without retraining
(``distmatch animate RUN_DIR``).

* 2-D points, one frame per evaluation, in the manner of the WGAN-GP paper's toy figures: the
  snapshot's field as filled contours behind (the critic's logit or value, or for objectives
  without a scalar critic the MMD witness of generated vs data), a data sample in light grey,
  the generated samples on top, the step in the title. The colour scale is set per frame and
  centred (logit and witness at 0, a Wasserstein critic, which is defined up to a constant, at its
  median), since the field's magnitude changes by orders over training: the colours show its
  shape and sign, not its size.
* images: the 36 samples of the fixed noise at each evaluation beside 36 fixed real images.

Only snapshots of steps that ``metrics.jsonl`` logs are shown (a resumed run's log is cut back to
its checkpoint; a snapshot written after it by the killed session is left out until the resumed
run writes it again). At most :data:`MAX_FRAMES` frames, evenly spread, first and last kept; the
last frame is held :data:`HOLD_LAST` times as long.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import io
from ..rundir import RunDir, RunDirError
from ..snapshots import list_snapshots, load_snapshot

FILENAME = "training.gif"
MAX_FRAMES = 60
HOLD_LAST = 3
DPI = 72
TOY_SIZE = (4.0, 4.0)  # inches
IMAGE_SIZE = (6.0, 3.5)
FIELD_LABELS = {"logit": "critic logit (red: judged real)", "value": "critic value f(x) (red: judged real)",
                "witness": "MMD witness (red: too many generated)"}
GENERATED = "#029e73"  # the shared palette's green, clear on the blue-red field
DATA = "0.55"  # light grey


def default_path(run_dir: str | Path) -> Path:
    """Where a run's animation goes: ``<run>/figures/training.gif``."""
    return RunDir(run_dir).figures / FILENAME


def draw_animation(run_dir: str | Path, fps: float = 4.0) -> Path | None:
    """:func:`make_animation` for a finished run (what :func:`distmatch.training.draw_figures`
    calls): None, and nothing written, when the run has no snapshots (point data that is not
    2-D); one snapshot makes a one-frame gif."""
    if not list_snapshots(run_dir):
        return None
    return make_animation(run_dir, fps=fps)


def make_animation(run_dir: str | Path, out: str | Path | None = None, fps: float = 4.0) -> Path:
    """Write the run's training animation (a GIF) to ``out`` (default ``figures/training.gif``)
    atomically and return its path.

    Raises :class:`~distmatch.rundir.RunDirError` when ``run_dir`` holds no run or no snapshots,
    :class:`~distmatch.io.FileFormatError` naming a malformed snapshot, ValueError for a bad
    ``fps`` or an ``out`` that does not end in ``.gif``.
    """
    rundir = RunDir(run_dir)
    cfg = rundir.read_config()
    if not (isinstance(fps, (int, float)) and 0 < fps <= 100):
        raise ValueError(f"fps must be a number in (0, 100], got {fps!r}")
    out = Path(out) if out is not None else default_path(run_dir)
    if out.suffix.lower() != ".gif":
        raise ValueError(f"{out}: the animation is a GIF; give a file name ending in .gif")
    snaps = [load_snapshot(path) for _, path in frames_to_draw(rundir)]
    kinds = {str(s["kind"]) for s in snaps}
    if len(kinds) > 1:
        raise io.FileFormatError(f"{rundir.snapshots}: snapshots of different kinds ({', '.join(sorted(kinds))})")
    title = f"{cfg.objective} on {Path(cfg.dataset).name}"
    frames = render_frames(snaps, title)
    delay = round(1000 / fps)
    durations = [delay] * (len(frames) - 1) + [delay * HOLD_LAST]
    io.atomic_write(out, lambda tmp: frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                                                    duration=durations, loop=0))
    return out


def frames_to_draw(rundir: RunDir) -> list[tuple[int, Path]]:
    """(step, path) of the snapshots to show: those of logged steps, at most MAX_FRAMES."""
    snaps = list_snapshots(rundir.path)
    if not snaps:
        raise RunDirError(f"{rundir.path} has no snapshots ({rundir.snapshots} is missing or empty; runs write "
                          "them at every evaluation, for 2-D points and images)")
    try:
        logged = {r["step"] for r in rundir.read_metrics()}
    except (OSError, ValueError):  # an unreadable log: show every snapshot
        logged = set()
    snaps = [s for s in snaps if s[0] in logged] or snaps
    if len(snaps) > MAX_FRAMES:
        keep = np.unique(np.round(np.linspace(0, len(snaps) - 1, MAX_FRAMES)).astype(int))
        snaps = [snaps[i] for i in keep]
    return snaps


def render_frames(snaps: list[dict], title: str) -> list:
    """One palette (P-mode) PIL image per snapshot, all the same size."""
    from .style import style

    style()
    import matplotlib.pyplot as plt

    image = str(snaps[0]["kind"]) == "image"
    fig = plt.figure(figsize=IMAGE_SIZE if image else TOY_SIZE, dpi=DPI)
    try:
        limits = None if image else _limits(snaps[-1])
        frames = []
        for snap in snaps:
            fig.clear()
            (_draw_images if image else _draw_points)(fig, snap, title, limits)
            frames.append(_to_image(fig))
    finally:
        plt.close(fig)
    return frames


def _limits(snap: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    gx, gy = snap["grid_x"], snap["grid_y"]
    return (float(gx[0]), float(gx[-1])), (float(gy[0]), float(gy[-1]))


def _draw_points(fig, snap: dict, title: str, limits) -> None:
    ax = fig.add_axes((0.02, 0.06, 0.96, 0.84))
    field = np.nan_to_num(np.asarray(snap["field"], dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    kind = str(snap["field_kind"])
    center = float(np.median(field)) if kind == "value" else 0.0
    half = float(np.abs(field - center).max()) or 1.0
    ax.contourf(snap["grid_x"], snap["grid_y"], field, levels=np.linspace(center - half, center + half, 16),
                cmap="coolwarm", alpha=0.75, antialiased=False)
    for points, color, size in ((snap["real"], DATA, 2.0), (snap["samples"], GENERATED, 3.0)):
        pts = points[np.all(np.isfinite(points), axis=1)]
        ax.scatter(pts[:, 0], pts[:, 1], s=size, color=color, linewidths=0, alpha=0.8)
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_title(f"{title}, step {int(snap['step'])}", fontsize=9)
    fig.text(0.5, 0.015, f"grey: data, green: generated; background: {FIELD_LABELS.get(kind, kind)}",
             ha="center", va="bottom", fontsize=6.5, color="0.3")


def _draw_images(fig, snap: dict, title: str, limits) -> None:
    from .image_plots import tile_images

    for i, (key, label) in enumerate((("samples", f"generated, step {int(snap['step'])}"), ("real", "data"))):
        ax = fig.add_axes((0.02 + 0.5 * i, 0.02, 0.46, 0.82))
        x = snap[key]
        ax.imshow(tile_images(x, int(np.ceil(np.sqrt(len(x))))), cmap="gray", vmin=0, vmax=255,
                  interpolation="nearest")
        ax.axis("off")
        ax.set_title(label, fontsize=9)
    fig.suptitle(title, fontsize=10, y=0.99)


def _to_image(fig):
    """The figure as a P-mode PIL image (an adaptive palette of its own, no dithering: small GIFs)."""
    from PIL import Image

    fig.canvas.draw()
    rgb = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3])
    return rgb.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
