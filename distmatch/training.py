"""Train one run into its directory: the lock, new / resume / overwrite / continue, the trainer,
then the run's figures. The command line, the Python API and sweep workers all go through
:func:`train_into`, so a run directory is written the same way whoever starts it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from .rundir import RunComplete, RunDir

if TYPE_CHECKING:
    from .config import RunConfig
    from .data import Dataset


@dataclass
class Outcome:
    """What :func:`train_into` did: the summary (None when the run was already complete, with
    ``message`` saying so) and the step it resumed from (None for a fresh start)."""

    summary: dict | None
    resumed_from: int | None = None
    message: str = ""


def train_into(rundir: RunDir, cfg: "RunConfig", dataset: "Dataset", mode: str = "new", quiet: bool = True,
               figures: bool = True, notify: Callable[[str], None] | None = None,
               on_resume: Callable[[int], None] | None = None) -> Outcome:
    """Train (``mode`` new / overwrite) or continue (resume / continue) ``cfg`` in ``rundir`` under
    its lock, then draw ``figures/`` (samples and curves) from the finished run.

    ``notify`` receives the lock's stale-holder note; ``on_resume(step)`` is called before
    training resumes from a checkpoint.
    """
    from .trainer import Trainer

    if cfg.tensorboard:  # before anything is written
        from .tensorboard_log import require_tensorboard
        require_tensorboard()
    with rundir.session(cfg, mode, on_stale=notify):
        trainer = Trainer(cfg, dataset, rundir.path, quiet=quiet)
        resumed_from = None
        if mode in ("resume", "continue"):
            try:
                resumed_from = trainer.step if trainer.resume() else None
            except RunComplete as done:
                return Outcome(None, None, str(done))
        if resumed_from is not None and on_resume is not None:
            on_resume(resumed_from)
        summary = trainer.fit()
        if figures:
            draw_figures(rundir, trainer, summary)
    return Outcome(summary, resumed_from)


def draw_figures(rundir: RunDir, trainer, summary: dict) -> None:
    """The run's figures from what the trainer holds (samples, data, settings, final metrics) and
    the log (which also holds the records of sessions before a resume)."""
    from .report.animation import draw_animation
    from .report.plots import draw_curves, draw_samples

    draw_samples(trainer.last_samples, trainer.dataset, trainer.cfg, summary["metrics"], rundir.figures / "samples.png")
    draw_curves(rundir.read_metrics(), trainer.cfg, rundir.figures / "curves.png")
    draw_animation(rundir.path)  # figures/training.gif; skipped (returns None) when the run has no snapshots
