"""RunWriter: the one writer of a training run's directory.

The :class:`~distmatch.trainer.Trainer` steps, samples, evaluates and hands out its state; the
training loop (:mod:`distmatch.fit_loop`) gives each result to a RunWriter, which alone writes
``config.json``, ``metrics.jsonl`` (and TensorBoard scalars), ``checkpoint.pt``, the image grids in
``figures/``, ``snapshots/``, ``samples.npy`` and ``summary.json`` — every file atomically, at the
paths :class:`~distmatch.rundir.RunDir` names.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from . import io
from .rundir import RunDir

if TYPE_CHECKING:
    from .config import RunConfig
    from .tensorboard_log import TensorBoardLog
    from .trainer import Trainer, TrainingDiverged


class RunWriter:
    """Writes one training session's files into ``rundir``.

    ``last_checkpoint_step`` is the step of the newest checkpoint on disk: the step the trainer
    resumed from (None for a fresh start) until :meth:`save_checkpoint` writes a newer one.
    """

    def __init__(self, rundir: RunDir, cfg: RunConfig, last_checkpoint_step: int | None = None):
        self.rundir, self.cfg = rundir, cfg
        self.last_checkpoint_step = last_checkpoint_step
        self._board: TensorBoardLog | None = None

    def start(self) -> None:
        """Create the directory, write ``config.json`` and open TensorBoard (``--tensorboard``)."""
        self.rundir.path.mkdir(parents=True, exist_ok=True)
        io.save_json(dataclasses.asdict(self.cfg), self.rundir.config)
        if self.cfg.tensorboard:
            from .tensorboard_log import TensorBoardLog
            self._board = TensorBoardLog(self.rundir.tensorboard)

    def log(self, record: dict) -> None:
        """Append an evaluation record to ``metrics.jsonl`` (and to TensorBoard with ``--tensorboard``)."""
        io.append_jsonl(record, self.rundir.metrics)
        if self._board is not None:
            self._board.write(record)

    def save_grid(self, trainer: Trainer) -> None:
        """Image data: ``figures/grid_step<k>.png``, 100 samples from the same fixed noise at every eval."""
        if trainer.dataset.kind == "image":
            from .report.image_plots import plot_image_grid
            plot_image_grid(trainer.grid_samples(), self.rundir.figures / f"grid_step{trainer.step}.png")

    def save_snapshot(self, trainer: Trainer) -> None:
        """``snapshots/step_<k>.npz`` for the training animation (:mod:`distmatch.snapshots`)."""
        from .snapshots import save_snapshot
        save_snapshot(trainer, self.rundir.path)

    def save_checkpoint(self, state: dict) -> None:
        """``checkpoint.pt``: a :meth:`Trainer.state_dict <distmatch.trainer.Trainer.state_dict>`."""
        io.save_torch(state, self.rundir.checkpoint)
        self.last_checkpoint_step = state["step"]

    def diverged(self, error: TrainingDiverged, step: int) -> TrainingDiverged:
        """Write the ``diverged`` summary for ``error`` (raised at ``step``); the error to raise
        instead, its message naming the checkpoint that is kept."""
        from .trainer import TrainingDiverged

        kept = (f"last good checkpoint (step {self.last_checkpoint_step}) kept in {self.rundir.checkpoint}"
                if self.last_checkpoint_step is not None else "no checkpoint was written yet")
        msg = f"{error.what}; {kept}"
        io.save_json({"status": "diverged", "error": msg, "step": step,
                      "config": dataclasses.asdict(self.cfg)}, self.rundir.summary)
        return TrainingDiverged(msg, what=error.what)

    def finish(self, samples: np.ndarray, summary: dict) -> None:
        """The final ``samples.npy``, then ``summary.json``."""
        io.save_npy(samples, self.rundir.samples)
        io.save_json(summary, self.rundir.summary)

    def close(self) -> None:
        """Close TensorBoard's event file (nothing else stays open)."""
        if self._board is not None:
            self._board.close()
            self._board = None
