"""Mode collapse over training: every objective on a 2-D mixture, snapshots and modes covered vs step."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..data import Dataset, get_dataset
from ..metrics.toy import mode_metrics
from .common import MODE_COLLAPSE_OBJECTIVES, single_thread

DEFAULT_OBJECTIVES = MODE_COLLAPSE_OBJECTIVES
SNAPSHOT_FRACTIONS = (0.0, 0.1, 0.25, 0.5, 1.0)
METRIC_KEYS = ("modes", "hq", "rkl")


@dataclass
class RunTrace:
    """Metrics of one (objective, seed) run at ``eval_steps`` and samples at ``snapshot_steps``."""

    objective: str
    seed: int
    eval_steps: list[int]
    metrics: dict[str, list[float]]  # key in METRIC_KEYS -> one value per eval step
    snapshot_steps: list[int]
    snapshots: np.ndarray  # (n_snapshots, n_samples, 2) float32
    settings: dict = field(default_factory=dict)


@dataclass
class ModeCollapseResult:
    """All runs of the experiment plus the settings that made them."""

    dataset: str
    n_modes: int
    objectives: list[str]
    seeds: list[int]
    steps: int
    eval_steps: list[int]
    snapshot_steps: list[int]
    runs: list[RunTrace]
    settings: dict

    def trace(self, objective: str, seed: int) -> RunTrace:
        return next(r for r in self.runs if r.objective == objective and r.seed == seed)

    def metric_array(self, objective: str, key: str = "modes") -> np.ndarray:
        """(n_seeds, n_eval) values of one metric for one objective."""
        return np.array([self.trace(objective, s).metrics[key] for s in self.seeds], dtype=np.float64)


def check_toy(dataset: Dataset) -> None:
    """ValueError unless the dataset is a 2-D mixture with known mode centres."""
    if dataset.centers is None or dataset.std is None or tuple(dataset.shape) != (2,):
        raise ValueError(f"dataset {dataset.name!r} has no known mode centres; use a 2-D mixture "
                         f"such as 8gaussians, 25gaussians, ring or grid")


def schedule(steps: int, n_evals: int = 20) -> tuple[list[int], list[int]]:
    """(eval steps, snapshot steps): ~n_evals evenly spaced evaluations containing the snapshots."""
    snaps = sorted({int(round(f * steps)) for f in SNAPSHOT_FRACTIONS})
    evals = sorted(set(np.linspace(0, steps, n_evals + 1).round().astype(int).tolist()) | set(snaps))
    return evals, snaps


def run_one(objective: str, dataset_name: str, seed: int, steps: int, n_samples: int = 1000,
            n_evals: int = 20) -> RunTrace:
    """Train one objective with its paper defaults, evaluating modes on fixed noise along the way."""
    from ..config import RunConfig, resolve
    from ..trainer import Trainer

    single_thread()
    dataset = get_dataset(dataset_name)
    cfg = resolve(RunConfig(objective=objective, dataset=dataset_name, seed=seed, steps=steps), dataset)
    trainer = Trainer(cfg, dataset, None, quiet=True)  # steps and samples only: no run directory
    evals, snaps = schedule(steps, n_evals)
    metrics = {k: [] for k in METRIC_KEYS}
    snapshots = []
    noise_seed = 1_000_003 * (seed + 1)  # the same latent points at every step
    for target in evals:
        while trainer.step < target:
            trainer.train_step()
        samples = trainer.sample(n_samples, noise_seed)
        m = mode_metrics(samples, dataset.centers, dataset.std)
        for k in METRIC_KEYS:
            metrics[k].append(float(m[k]))
        if target in snaps:
            snapshots.append(samples.astype(np.float32))
    settings = {k: getattr(cfg, k) for k in ("optimizer", "lr", "critic_lr", "betas", "critic_steps", "batch_size",
                                             "width", "depth", "noise", "noise_dim", "lr_schedule", "clip",
                                             "gp_weight", "bandwidths")}
    settings["sample_noise_seed"] = noise_seed
    return RunTrace(objective, seed, evals, metrics, snaps, np.stack(snapshots), settings)


def run_mode_collapse(dataset_name: str = "8gaussians", seeds: Sequence[int] = (0, 1, 2), steps: int = 1000,
                      objectives: Sequence[str] = DEFAULT_OBJECTIVES, n_samples: int = 1000, n_evals: int = 20,
                      workers: int = 1, progress: Callable[[RunTrace], None] | None = None) -> ModeCollapseResult:
    """Train every objective x seed (in ``workers`` processes) and collect the traces."""
    dataset = get_dataset(dataset_name)
    check_toy(dataset)
    jobs = [(o, dataset_name, s, steps, n_samples, n_evals) for o in objectives for s in seeds]
    runs = _run_jobs(jobs, workers, progress)
    evals, snaps = schedule(steps, n_evals)
    settings = {"n_samples": n_samples, "n_evals": n_evals, "mode_radius_std": 3.0, "workers": workers,
                "per_objective": {o: next(r.settings for r in runs if r.objective == o) for o in objectives}}
    return ModeCollapseResult(dataset_name, len(dataset.centers), list(objectives), list(seeds), steps, evals,
                              snaps, runs, settings)


def _run_jobs(jobs: list[tuple], workers: int, progress: Callable[[RunTrace], None] | None) -> list[RunTrace]:
    """Run ``run_one`` over the jobs, serially or in a spawn process pool.

    Spawned workers re-import the caller's main module, so scripts calling this with
    ``workers > 1`` need the usual ``if __name__ == "__main__":`` guard (the CLI has it).
    """
    notify = progress or (lambda r: None)
    if workers <= 1:
        runs = []
        for job in jobs:
            runs.append(run_one(*job))
            notify(runs[-1])
        return runs
    with cf.ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(run_one, *job) for job in jobs]
        for fut in cf.as_completed(futures):
            notify(fut.result())
        return [f.result() for f in futures]


# ----------------------------------------------------------------------------- data out
def metric_rows(result: ModeCollapseResult) -> list[dict]:
    """Long-format rows: objective, seed, step, modes, n_modes, hq, rkl."""
    rows = []
    for r in result.runs:
        for i, step in enumerate(r.eval_steps):
            rows.append({"dataset": result.dataset, "objective": r.objective, "seed": r.seed, "step": step,
                         "modes": int(r.metrics["modes"][i]), "n_modes": result.n_modes,
                         "hq": round(r.metrics["hq"][i], 4), "rkl": r.metrics["rkl"][i]})
    return rows


def snapshot_arrays(result: ModeCollapseResult) -> dict[str, np.ndarray]:
    """npz payload: 'samples__<objective>__seed<k>' -> (n_snapshots, n, 2), plus 'snapshot_steps'."""
    out = {f"samples__{r.objective}__seed{r.seed}": r.snapshots for r in result.runs}
    out["snapshot_steps"] = np.asarray(result.snapshot_steps)
    return out


def summary(result: ModeCollapseResult) -> dict:
    """Final modes per objective: mean, std, per seed."""
    out = {}
    for o in result.objectives:
        final = result.metric_array(o, "modes")[:, -1]
        hq = result.metric_array(o, "hq")[:, -1]
        out[o] = {"final_modes_mean": float(final.mean()), "final_modes_std": float(final.std()),
                  "final_modes_per_seed": final.astype(int).tolist(), "final_hq_mean": float(hq.mean())}
    return out
