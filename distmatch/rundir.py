"""RunDir: the one owner of a run directory.

It alone knows the file names, creates the directory, holds its exclusive lock, validates what it
reads back, decides whether a run may start, resume or be replaced, and deletes — only files that
distmatch itself writes, and only inside a directory that holds a distmatch run.
The lock and the locked session live in :mod:`distmatch.rundir_lock` (``exclusive_lock`` is
re-exported here; :meth:`RunDir.session` returns its ``session``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

from . import io, rundir_lock
from .config import RunConfig
from .rundir_lock import exclusive_lock  # noqa: F401  (re-exported: the old import path)

CONFIG, METRICS, CHECKPOINT = "config.json", "metrics.jsonl", "checkpoint.pt"
SAMPLES, SUMMARY, FIGURES, LOCK = "samples.npy", "summary.json", "figures", ".distmatch.lock"
TENSORBOARD = "tensorboard"
SNAPSHOTS = "snapshots"  # step_<k>.npz per evaluation, for the training animation (distmatch.snapshots)
OWNED_FILES = (CONFIG, METRICS, CHECKPOINT, SAMPLES, SUMMARY)
FIGURE_SUFFIXES = (".png", ".pdf", ".gif")
CHECKPOINT_KEYS = {"step": int, "config": dict, "generator": dict, "g_opt": dict, "noise": dict,
                   "data_rng": dict}
MODES = ("new", "resume", "overwrite", "continue")  # continue: resume a run if there is one, else start


class RunDirError(ValueError):
    """A run directory may not be used as asked; the message says why and what to do instead."""


class RunComplete(Exception):
    """``--resume`` on a run that already reached its ``steps``: nothing to do."""


class RunDir:
    """Paths and rules of one run directory: ``config.json``, ``metrics.jsonl``, ``checkpoint.pt``,
    ``samples.npy``, ``summary.json``, ``figures/`` and ``snapshots/``."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    config = property(lambda self: self.path / CONFIG)
    metrics = property(lambda self: self.path / METRICS)
    checkpoint = property(lambda self: self.path / CHECKPOINT)
    samples = property(lambda self: self.path / SAMPLES)
    summary = property(lambda self: self.path / SUMMARY)
    figures = property(lambda self: self.path / FIGURES)
    tensorboard = property(lambda self: self.path / TENSORBOARD)
    snapshots = property(lambda self: self.path / SNAPSHOTS)
    lock_path = property(lambda self: self.path / LOCK)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    # ------------------------------------------------------------------ reading back
    def holds_run(self) -> bool:
        """True when ``config.json`` is a JSON object naming an objective, a dataset and a seed."""
        try:
            cfg = io.read_json(self.config)
        except (OSError, ValueError):
            return False
        return all(k in cfg for k in ("objective", "dataset", "seed"))

    def read_config(self) -> RunConfig:
        """The run's settings; FileFormatError when config.json is missing fields or malformed."""
        if not self.config.is_file():
            raise RunDirError(f"{self.path} is not a run directory (no {CONFIG})")
        return RunConfig.load(self.config)

    def read_summary(self) -> dict | None:
        """``summary.json`` as a dict, or None when there is none yet."""
        return io.read_json(self.summary) if self.summary.exists() else None

    def read_samples(self) -> np.ndarray:
        """The final samples; a clear error when the run has not finished or the file is broken."""
        if not self.samples.exists():
            raise RunDirError(f"{self.path} has no {SAMPLES} (the run has not finished)")
        samples = io.load_npy(self.samples)
        if samples.ndim < 2 or not np.issubdtype(samples.dtype, np.floating) or not np.all(np.isfinite(samples)):
            raise io.FileFormatError(f"{self.samples}: expected a 2-D or image array of finite floats, "
                                     f"got {samples.dtype} {samples.shape}")
        return samples

    def read_metrics(self) -> list[dict]:
        """Every record of ``metrics.jsonl``; each must carry an integer ``step``."""
        records = io.read_jsonl(self.metrics)
        for i, record in enumerate(records, 1):
            if not isinstance(record.get("step"), int) or isinstance(record["step"], bool):
                raise io.FileFormatError(f"{self.metrics}: record {i} has no integer 'step'")
        return records

    def read_checkpoint(self, device: object = "cpu") -> dict:
        """The checkpoint, loaded without unpickling code, with its top-level fields checked."""
        state = io.load_checkpoint(self.checkpoint, device)
        for key, kind in CHECKPOINT_KEYS.items():
            if not isinstance(state.get(key), kind) or isinstance(state.get(key), bool):
                raise io.FileFormatError(f"{self.checkpoint}: not a distmatch checkpoint ({key!r} missing or not "
                                         f"a {kind.__name__})")
        if state["step"] < 0:
            raise io.FileFormatError(f"{self.checkpoint}: negative step {state['step']}")
        return state

    # ------------------------------------------------------------------ starting
    def check_start(self, cfg: RunConfig, mode: str) -> bool:
        """Decide whether ``cfg`` may run here; return True when it resumes an existing run.

        new: the directory must be absent or empty. resume: it must hold a run with the same
        settings. overwrite: a run here is deleted first (never a directory that holds no run).
        continue: resume when a run is here, else start.
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if self.path.exists() and not self.path.is_dir():
            raise RunDirError(f"{self.path} exists and is not a directory")
        entries = self._entries()
        if entries and not self.holds_run():
            raise RunDirError(f"{self.path} is not empty and holds no distmatch run ({_names(entries)}); "
                              "choose a new or empty --out")
        if mode == "resume" and not entries:
            raise RunDirError(f"cannot resume {self.path}: there is no run there (start without --resume)")
        if mode == "new" and entries:
            raise RunDirError(f"{self.path} already holds a run; use --resume to continue it, "
                              "--overwrite to replace it, or --out for a new directory")
        if mode in ("resume", "continue") and entries:
            self.check_same_settings(cfg)
            return True
        return False

    def check_same_settings(self, cfg: RunConfig) -> None:
        """Refuse when config.json's settings differ from ``cfg`` (runtime fields aside)."""
        _refuse_differences(self.path, "its config.json", self.read_config(), cfg)

    def session(self, cfg: RunConfig, mode: str,
                on_stale: Callable[[str], None] | None = None) -> AbstractContextManager[bool]:
        """Check, create and lock the directory for one command; yields True when resuming.

        ``overwrite`` deletes the old run only once the lock is held. A directory this call
        created is removed again if the command leaves it empty (:func:`.rundir_lock.session`).
        """
        return rundir_lock.session(self, cfg, mode, on_stale)

    # ------------------------------------------------------------------ resuming
    def resume_state(self, cfg: RunConfig, device: object = "cpu") -> dict | None:
        """The checkpoint to continue ``cfg`` from, after every check; None to start from step 0.

        Without a checkpoint (killed before the first one) the log is emptied, so a fresh start
        does not append a second copy. With one, its stored settings must match ``cfg``, ``steps``
        may not be below its step, and log lines after its step are dropped.
        """
        if not self.checkpoint.exists():
            if self.metrics.exists():
                io.truncate_jsonl(self.metrics, -1)
            return None
        state = self.read_checkpoint(device)
        _refuse_differences(self.path, f"its {CHECKPOINT}", RunConfig.from_stored(state["config"], self.checkpoint),
                            cfg)
        if cfg.steps < state["step"]:
            raise RunDirError(f"cannot resume {self.path} with --steps {cfg.steps}: its checkpoint is at step "
                              f"{state['step']} (steps counts the total; give at least {state['step']})")
        self.read_metrics()  # a malformed log is an error now, not after training
        summary = self.read_summary() or {}
        if state["step"] == cfg.steps and summary.get("status") == "completed" and self.samples.exists():
            raise RunComplete(f"{self.path} already completed {cfg.steps} steps; nothing to do "
                              "(give a larger --steps to train on)")
        io.truncate_jsonl(self.metrics, state["step"])
        return state

    # ------------------------------------------------------------------ deleting
    def clear(self) -> None:
        """Delete the run's own files (never the lock, never anything distmatch did not write)."""
        _refuse_dangerous(self.path)
        if not self.holds_run():
            raise RunDirError(f"refusing to delete {self.path}: it holds no distmatch run")
        foreign = [e for e in self._entries() if not _owned(e)]
        if foreign:
            raise RunDirError(f"refusing to replace {self.path}: it also holds files distmatch did not write "
                              f"({_names(foreign)}); move them away or choose another --out")
        for entry in self._entries():
            if entry.is_dir():
                for fig in entry.iterdir():
                    fig.unlink()
                entry.rmdir()
            else:
                entry.unlink()

    def _entries(self) -> list[Path]:
        """Everything in the directory but our own lock file."""
        if not self.path.is_dir():
            return []
        return sorted(e for e in self.path.iterdir() if e.name != LOCK)


def _owned(entry: Path) -> bool:
    """A file distmatch writes into a run directory (or a temp file an atomic write left behind)."""
    if entry.is_symlink():
        return False
    if entry.name == FIGURES and entry.is_dir():
        return all(f.is_file() and not f.is_symlink() and f.suffix in FIGURE_SUFFIXES for f in entry.iterdir())
    if entry.name == TENSORBOARD and entry.is_dir():  # event files of --tensorboard
        return all(f.is_file() and not f.is_symlink() and f.name.startswith("events.out.tfevents.")
                   for f in entry.iterdir())
    if entry.name == SNAPSHOTS and entry.is_dir():  # step_<k>.npz and temp files of their atomic writes
        return all(f.is_file() and not f.is_symlink() and f.suffix == ".npz" for f in entry.iterdir())
    is_temp = any(entry.name.startswith(f".{n}.") and entry.name.endswith(f".tmp{Path(n).suffix}")
                  for n in OWNED_FILES)
    return entry.is_file() and (entry.name in OWNED_FILES or is_temp)


def _names(entries: list[Path]) -> str:
    shown = ", ".join(e.name + ("/" if e.is_dir() else "") for e in entries[:3])
    return shown + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")


def _refuse_dangerous(path: Path) -> None:
    """Never delete in /, the home directory, the working directory or any of their ancestors."""
    target = path.resolve()
    for protected in (Path("/"), Path.home().resolve(), Path.cwd().resolve()):
        if target == protected or target in protected.parents:
            raise RunDirError(f"refusing to delete in {path}: it is {protected} or one of its parents")


FIRST = ("dataset_id", "dataset", "objective", "seed")  # named first: they explain the rest


def _refuse_differences(path: Path, where: str, old: RunConfig, new: RunConfig) -> None:
    diff = sorted(old.differences(new), key=lambda k: FIRST.index(k) if k in FIRST else len(FIRST))
    if diff:
        detail = ", ".join(f"{k}: {getattr(old, k)!r} -> {getattr(new, k)!r}" for k in diff[:4])
        more = f" and {len(diff) - 4} more" if len(diff) > 4 else ""
        raise RunDirError(f"cannot resume {path}: {where} has different settings ({detail}{more}); "
                          "use the same options, --overwrite, or a new --out")


def config_dict(cfg: RunConfig) -> dict:
    """The settings as stored in config.json and checkpoints."""
    return dataclasses.asdict(cfg)
