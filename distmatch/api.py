"""The Python API: train a run and read one back, by the same path as the command line::

    import distmatch
    run = distmatch.train("mmd", "8gaussians", out="runs/demo", steps=200)
    run.summary["metrics"]["modes"], run.metrics[-1]["mmd"]
    x = run.sample(1000, seed=1)              # (1000, 2) float32, the same numbers every time
    run = distmatch.load_run("runs/demo")

:func:`train` sends its settings through :class:`~distmatch.config.RunConfig` and
:func:`~distmatch.config.resolve` (the validation and defaults of ``distmatch run``) and its
directory through :meth:`RunDir.session <distmatch.rundir.RunDir.session>` (the same new /
resume / overwrite rules and lock). :class:`Run` reads a run directory only through
:class:`~distmatch.rundir.RunDir`'s readers. ``Run.sample`` and ``distmatch sample`` share
:func:`draw_samples`, which draws exactly as the trainer does (:meth:`Trainer.sample
<distmatch.trainer.Trainer.sample>`): noise from its own seeded sampler, in chunks of 1,000, the
generator in eval mode. Walk-through: docs/api.md.
"""

from __future__ import annotations

import operator
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .config import RunConfig, resolve
from .data import IMAGE_NAMES, TOY_NAMES, Dataset, DataError, get_dataset
from .data.files import POINT_SUFFIXES
from .data.identity import dataset_identity, dataset_label
from .io import FileFormatError
from .models import generator_for
from .noise import NoiseSampler
from .presets import apply as apply_preset
from .objectives.base import Objective
from .rundir import CHECKPOINT, RunDir, RunDirError
from .settings import DERIVED, SETTINGS, SettingError

__all__ = ["Run", "train", "load_run", "draw_samples", "MAX_SAMPLES", "MAX_SAMPLE_SEED"]

MAX_SAMPLES = 1_000_000  # per call: 1M 28x28 images are already 3 GB of float32
MAX_SAMPLE_SEED = 2**63 - 1  # any seed torch accepts; the run's own draws use seed * 1_000_003 + step
SAMPLE_CHUNK = 1000  # Trainer.sample's chunk: the same chunks give the same numbers
API_SETTINGS = tuple(k for k in SETTINGS if k not in ("objective", "dataset", *DERIVED))


def train(objective: str | None = None, dataset: str | os.PathLike = "8gaussians", out: str | os.PathLike | None = None,
          resume: bool = False, overwrite: bool = False, quiet: bool = True, **settings: Any) -> "Run":
    """Train a generator as ``distmatch run`` does and return the finished :class:`Run`.

    ``objective`` None: the preset's (``preset="pacgan"``), else mmd.
    ``settings`` are the options of ``distmatch run`` with underscores (``steps``, ``batch_size``,
    ``seed``, ``lr``, ``eval_every``, ``eval_samples``, ``bandwidths``, ``device``, ...), checked
    by the same validation (:class:`~distmatch.settings.SettingError` names a bad one); ``None``
    or leaving one out means the default for this objective and dataset. ``out`` defaults to
    ``runs/<objective>-<dataset>-s<seed>``. ``resume`` continues the run in ``out`` from its
    checkpoint (same settings; ``steps`` counts the total), ``overwrite`` replaces it; without
    either, ``out`` must be new or empty. ``quiet=False`` shows the progress bar.

    Like the command, this seeds torch's global RNG and, for toys and small images, sets torch to
    one CPU thread (``threads``) in this process.
    """
    from .training import train_into

    if resume and overwrite:
        raise ValueError("resume and overwrite contradict each other: give one of them")
    unknown = sorted(k for k in settings if k not in API_SETTINGS)
    if unknown:
        raise SettingError(f"unknown setting {unknown[0]!r}; accepted: {', '.join(API_SETTINGS)}")
    if isinstance(settings.get("data_dir"), os.PathLike):
        settings["data_dir"] = os.fspath(settings["data_dir"])
    dataset = os.fspath(dataset) if isinstance(dataset, os.PathLike) else dataset
    settings = apply_preset(settings)  # a preset's settings under the given ones
    preset_objective = settings.pop("objective", None)  # only a preset puts one here (API_SETTINGS has none)
    objective = objective or preset_objective or "mmd"
    cfg = RunConfig(objective=objective, dataset=dataset, **settings).validate()  # before any data is read
    data = get_dataset(cfg.dataset, cfg.data_dir, cfg.seed)
    cfg = resolve(cfg, data)
    rundir = RunDir(out if out is not None else f"runs/{cfg.objective}-{dataset_label(cfg.dataset_id)}-s{cfg.seed}")
    mode = "resume" if resume else "overwrite" if overwrite else "new"
    outcome = train_into(rundir, cfg, data, mode, quiet)
    if outcome.summary is None and not quiet:  # nothing left to train: hand back the finished run
        print(outcome.message, file=sys.stderr)
    return Run(rundir.path, _dataset=data)


def load_run(path: str | os.PathLike, device: str | torch.device = "cpu") -> "Run":
    """The run in directory ``path`` (finished, or stopped after a checkpoint); its generator
    runs on ``device`` (``cpu``, ``cuda`` or ``auto``)."""
    return Run(path, device)


class Run:
    """One run directory read back: settings, summary, metrics log, generator, samples and data.

    ``config`` is read when the Run is made (a directory without a valid ``config.json`` is a
    :class:`~distmatch.rundir.RunDirError`); ``summary`` and ``metrics`` are read from disk at
    every access; ``generator`` and ``dataset`` are loaded on first use and kept.
    """

    def __init__(self, path: str | os.PathLike, device: str | torch.device = "cpu", *, _dataset: Dataset | None = None):
        self.path = Path(path)
        self._rundir = RunDir(self.path)
        self.config: RunConfig = self._rundir.read_config()
        self._device = device
        self._generator: nn.Module | None = None
        self._data = _dataset  # as loaded; identity checked by .dataset
        self._data_checked = _dataset is not None

    def __repr__(self) -> str:
        c = self.config
        return f"Run({str(self.path)!r}: {c.objective} on {c.dataset}, seed {c.seed}, {c.steps} steps)"

    @property
    def summary(self) -> dict:
        """``summary.json`` (status, final metrics, timings, provenance); ``{}`` before the run finished."""
        return self._rundir.read_summary() or {}

    @property
    def metrics(self) -> list[dict]:
        """One dict per evaluation from ``metrics.jsonl`` (``step``, losses, metrics), in order."""
        return self._rundir.read_metrics()

    @property
    def generator(self) -> nn.Module:
        """The generator at the checkpoint's step, rebuilt from the settings, in eval mode."""
        if self._generator is None:
            self._generator = self._load_generator()
        return self._generator

    @property
    def dataset(self) -> Dataset:
        """The data the run was trained on, loaded as ``distmatch eval`` does; a
        :class:`~distmatch.data.DataError` when it is missing or its content changed since."""
        data = self._load_data()
        if not self._data_checked:
            if self.config.dataset_id is not None and dataset_identity(data) != self.config.dataset_id:
                raise DataError(f"{self.config.dataset} is not the data {self.path} was trained on (its content "
                                "changed); a comparison with other data would be wrong")
            self._data_checked = True
        return data

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` new samples, float32 of shape ``(n, *data shape)``: the same numbers for the same
        n and seed (and the same as ``distmatch sample --n n --seed seed``; torch draws the noise
        differently for other n, so a smaller n is not a prefix). The trainer's final
        ``samples.npy`` is ``sample(eval_samples, seed=cfg.seed * 1_000_003 + cfg.steps + 1)``."""
        n = _check_int("n", n, 1, MAX_SAMPLES)
        seed = _check_int("seed", seed, 0, MAX_SAMPLE_SEED)
        return draw_samples(self.generator, self.config, n, seed)

    # ------------------------------------------------------------------ loading
    def _load_data(self) -> Dataset:
        if self._data is None:
            self._data = get_dataset(self.config.dataset, self.config.data_dir, self.config.seed)
        return self._data

    def _load_generator(self) -> nn.Module:
        from .trainer import resolve_device

        rundir = self._rundir
        if not rundir.checkpoint.exists():
            raise RunDirError(f"{self.path} has no {CHECKPOINT} (the run stopped before its first checkpoint); "
                              "there is no generator to load")
        device = resolve_device(self._device) if isinstance(self._device, str) else torch.device(self._device)
        state = rundir.read_checkpoint("cpu")
        stored = RunConfig.from_stored(state["config"], rundir.checkpoint)
        differ = stored.differences(self.config)
        if differ:
            raise FileFormatError(f"{rundir.checkpoint}: its settings differ from config.json ({', '.join(differ[:4])}); "
                                  "the run directory was changed by hand")
        weights = state["generator"]
        try:
            with torch.random.fork_rng(devices=[]):  # building initialises weights: leave the caller's RNG alone
                generator = self._build_generator(stored, weights, state.get("objective", {}))
        except (RuntimeError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise FileFormatError(f"{rundir.checkpoint}: its generator does not fit the run's settings "
                                  f"({' '.join(str(exc).split())[:200]})") from None
        return generator.to(device).eval()

    def _build_generator(self, cfg: RunConfig, weights: dict, objective_state: dict) -> nn.Module:
        """The trained generator; for an objective that owns a decoder (gmmn-ae) the generator
        followed by it, so that its samples are data, as the trainer draws them."""
        from .objectives import build_objective

        objective = build_objective(cfg)
        if type(objective).build_generator is Objective.build_generator:  # the shared generator
            shape, output = self._output_shape(cfg, weights)
            generator = generator_for(cfg, shape, output)
            generator.load_state_dict(weights)
            return generator
        data = self._load_data()
        objective.setup(data, torch.device("cpu"))
        generator = objective.build_generator(cfg, data)
        generator.load_state_dict(weights)
        objective.load_state_dict(objective_state)
        return Decoded(generator, objective)

    def _output_shape(self, cfg: RunConfig, weights: dict) -> tuple[tuple[int, ...], str]:
        """The generator's sample shape and output activation, as the trainer chose them.

        A run on a point file needs no data: its MLP's last layer has one output per coordinate
        (so samples can still be drawn after the file moved). Otherwise the data are loaded for
        their shape and kind (toys are generated, digits are bundled).
        """
        name = cfg.dataset
        if name not in TOY_NAMES and name not in IMAGE_NAMES and Path(name).suffix in POINT_SUFFIXES \
                and cfg.model == "mlp" and weights:
            last = list(weights.values())[-1]  # the bias of the final Linear layer
            if isinstance(last, torch.Tensor) and last.ndim == 1:
                return (int(last.numel()),), "none"
        data = self._load_data()
        return tuple(data.shape), "tanh" if data.kind == "image" else "none"


class Decoded(nn.Module):
    """A generator whose outputs the objective maps to data space (gmmn-ae: codes -> decoder)."""

    def __init__(self, generator: nn.Module, objective: "Objective"):
        super().__init__()
        self.generator, self.objective = generator, objective
        self.decoder = getattr(objective, "autoencoder", None)  # registered, so .to(device) moves it

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.objective.decode(self.generator(z))


@torch.no_grad()
def draw_samples(generator: nn.Module, cfg: RunConfig, n: int, seed: int) -> np.ndarray:
    """(n, *shape) float32 samples from noise seeded with ``seed``, exactly as :meth:`Trainer.sample
    <distmatch.trainer.Trainer.sample>` draws them (chunks of 1,000, generator in eval mode)."""
    device = next(generator.parameters()).device
    noise = NoiseSampler(cfg.noise, cfg.noise_dim, seed, device)
    was_training = generator.training
    generator.eval()
    try:
        out: np.ndarray | None = None
        for i in range(0, n, SAMPLE_CHUNK):
            chunk = generator(noise.sample(min(SAMPLE_CHUNK, n - i))).cpu().numpy()
            if out is None:
                out = np.empty((n, *chunk.shape[1:]), dtype=np.float32)
            out[i:i + len(chunk)] = chunk
    finally:
        generator.train(was_training)
    return out


def _check_int(name: str, value: Any, low: int, high: int) -> int:
    """``value`` as an int in [low, high]; ValueError/TypeError naming ``name`` otherwise."""
    if isinstance(value, bool):
        raise TypeError(f"{name}: expected an integer, got {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name}: expected an integer, got {value!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name}: {value} is out of range; expected {low:,} to {high:,}")
    return value
