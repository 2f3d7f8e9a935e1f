"""The training loop behind :meth:`Trainer.fit <distmatch.trainer.Trainer.fit>`: steps to
``cfg.steps`` with a progress bar, evaluating every ``eval_every`` and checkpointing every
``checkpoint_every`` steps; the trainer computes, a :class:`~distmatch.run_writer.RunWriter`
writes every file."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from .run_writer import RunWriter

if TYPE_CHECKING:
    from .trainer import Trainer


def fit(trainer: Trainer) -> dict:
    """Train ``trainer`` (fresh, or resumed by :meth:`~distmatch.trainer.Trainer.resume`) to
    ``cfg.steps`` total steps in its run directory; return the summary."""
    cfg = trainer.cfg
    writer = RunWriter(trainer.rundir, cfg, last_checkpoint_step=trainer.loaded_step)
    writer.start()
    t0 = time.perf_counter()
    if trainer.step == 0 and trainer.loaded_step is None:  # a fresh start, not a step-0 checkpoint
        prepared = trainer.objective.prepare(trainer.real_batch)  # e.g. gmmn-ae's stage 1
        evaluate(trainer, writer)
        if prepared:  # a kill from here on resumes without redoing it
            writer.save_checkpoint(trainer.state_dict())
    bar = tqdm(total=cfg.steps, initial=trainer.step, disable=trainer.quiet, desc=f"{cfg.objective}",
               unit="step", dynamic_ncols=True)
    while trainer.step < cfg.steps:
        _step(trainer, writer)
        bar.update(1)
        if trainer.step % cfg.eval_every == 0 or trainer.step == cfg.steps:
            evaluate(trainer, writer, bar)
        if trainer.step % cfg.checkpoint_every == 0 or trainer.step == cfg.steps:
            writer.save_checkpoint(trainer.state_dict())
    bar.close()
    writer.close()
    summary = trainer.finish(time.perf_counter() - t0)
    writer.finish(trainer.last_samples, summary)
    return summary


def evaluate(trainer: Trainer, writer: RunWriter, bar: tqdm | None = None) -> None:
    """Log the trainer's evaluation record (and show it on ``bar``), then write its image grid and snapshot."""
    record = trainer.eval_record()
    writer.log(record)
    if bar is not None:
        bar.set_postfix(_postfix(record))
    writer.save_grid(trainer)
    writer.save_snapshot(trainer)


def _step(trainer: Trainer, writer: RunWriter) -> None:
    """One training step; a divergence is recorded in ``summary.json`` before it is raised."""
    from .trainer import TrainingDiverged

    try:
        trainer.train_step()
    except TrainingDiverged as exc:
        raise writer.diverged(exc, trainer.step) from None


def _postfix(record: dict) -> dict:
    """The progress bar's numbers: the registry's ``postfix`` metrics that this record has."""
    from .metrics.registry import METRICS

    return {k: f"{record[k]:.3g}" for k, m in METRICS.items() if m.postfix and record.get(k) is not None}
