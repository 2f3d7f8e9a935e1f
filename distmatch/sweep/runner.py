"""Running a sweep: each run in a fresh worker process (local pool) or as a Ray task, longest
runs first; finished runs are skipped and interrupted ones resume from their checkpoints."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable

from ..config import RunConfig
from ..objectives import OBJECTIVES
from ..rundir import RunDir, exclusive_lock
from .manifest import Manifest
from .spec import RunSpec, SweepSpec

SWEEP_LOCK = ".distmatch-sweep.lock"
SWEEP_DEVICES = ("cpu", "cuda")  # cpu by default: toys train fastest there, and CPU runs repeat bit for bit

# --------------------------------------------------------------------------- one run (in a worker)
def _summary(run_dir: Path) -> dict:
    """summary.json of a run ({} when absent or unreadable: the run is then trained or resumed)."""
    try:
        return RunDir(run_dir).read_summary() or {}
    except (OSError, ValueError):
        return {}


def completed_summary(run_dir: Path) -> dict | None:
    """The run's summary.json if it says completed, else None."""
    summary = _summary(run_dir)
    return summary if summary.get("status") == "completed" else None


def diverged_error(run_dir: Path) -> str | None:
    """The stored error of a run that diverged (summary.json status diverged), else None."""
    summary = _summary(run_dir)
    return str(summary.get("error", "diverged")) if summary.get("status") == "diverged" else None


def execute_run(run: RunSpec, out: str, threads: int, code: str | None = None, device: str = "cpu") -> dict:
    """Train (or resume) one run on ``device``; never raises: returns a manifest record with status and
    error.  ``code``: the sweep's :func:`~distmatch.provenance.code_fingerprint`; a worker whose code
    differs (the package was edited or upgraded since the sweep started) refuses the run before touching it."""
    t0 = time.perf_counter()
    record: dict[str, Any] = {"status": "failed", "error": None, "resumed_from": None}
    try:
        _check_code(code)
        record.update(_train_run(run, Path(out), threads, device))
    except BaseException as exc:  # noqa: BLE001 - a failed run must not stop the sweep
        if isinstance(exc, KeyboardInterrupt):
            raise
        record["error"] = one_line_error(exc)
    record["wall_seconds"] = round(time.perf_counter() - t0, 2)
    return record


class CodeChanged(RuntimeError):
    """The worker's distmatch source is not the one the sweep started with."""


def _check_code(code: str | None) -> None:
    from ..provenance import code_fingerprint

    if code is not None and (now := code_fingerprint()) != code:
        raise CodeChanged(f"the distmatch code changed since this sweep started ({code} -> {now}: edited or "
                          "upgraded mid-sweep); this run was not started; re-run the sweep to finish it with one version")


def _train_run(run: RunSpec, out: Path, threads: int, device: str = "cpu") -> dict:
    import torch

    from ..config import resolve
    from ..data import get_dataset
    from ..training import train_into

    rundir = RunDir(run.directory(out))
    dataset = get_dataset(run.dataset, run.options.get("data_dir"), run.seed)
    cfg = resolve(RunConfig(objective=run.objective, dataset=run.dataset, seed=run.seed, device=device,
                            **run.options), dataset)
    cfg.threads = cap_threads(cfg.threads, threads)
    torch.set_num_threads(cfg.threads)
    outcome = train_into(rundir, cfg, dataset, "continue")
    return {"status": "completed", "resumed_from": outcome.resumed_from}


def one_line_error(exc: BaseException) -> str:
    """'TypeName: message' on one line (truncated to 300 characters)."""
    msg = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return text[:300]


# --------------------------------------------------------------------------- the sweep
def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Torch threads per worker so that workers × threads ≤ cores (at least 1)."""
    return max(1, (cores or os.cpu_count() or 1) // max(1, workers))


def cap_threads(default: int | None, cap: int) -> int:
    """The run's own thread default (toy: 1; 0 = all cores) capped at this worker's share."""
    return cap if not default else min(default, cap)


def partition(runs: list[RunSpec], out: Path, retry_failed: bool) -> tuple[dict, list[RunSpec]]:
    """Split runs into already-finished records (completed, or diverged unless retried) and runs to do."""
    done, todo = {}, []
    for run in runs:
        run_dir = run.directory(out)
        if _finished(completed_summary(run_dir), run.options.get("steps")):
            done[run.key] = {"status": "completed", "error": None, "skipped": True}
        elif not retry_failed and (err := diverged_error(run_dir)) is not None:
            done[run.key] = {"status": "failed", "error": f"TrainingDiverged: {err}", "skipped": True}
        else:
            todo.append(run)
    return done, longest_first(todo)


def _finished(summary: dict | None, steps: int | None) -> bool:
    """A completed run that reached the spec's steps; one that completed fewer (the spec asks for
    more) is continued from its checkpoint, so a sweep grows by re-running it with a larger --steps."""
    if summary is None:
        return False
    done = summary.get("step")
    return steps is None or not isinstance(done, int) or done >= steps


def longest_first(runs: list[RunSpec]) -> list[RunSpec]:
    """The runs ordered by :func:`estimated_cost`, largest first (stable), so that the pool does not
    end with one long run on one worker while the others idle."""
    datasets: dict = {}  # each data set is read once, not once per run (an IDX set takes seconds)
    costs = {run.key: estimated_cost(run, datasets) for run in runs}
    return sorted(runs, key=lambda r: -costs[r.key])


def estimated_cost(run: RunSpec, datasets: dict | None = None) -> float:
    """Relative training cost of a run from its resolved settings: generator steps x (1 + critic
    steps) x batch size. A run whose settings cannot be resolved counts as 0 (it fails fast).
    ``datasets`` caches the loaded data by (name, data dir, seed) across calls."""
    from ..config import resolve
    from ..data import get_dataset

    datasets = {} if datasets is None else datasets
    try:
        where = (run.dataset, run.options.get("data_dir"), run.seed)
        if where not in datasets:
            datasets[where] = get_dataset(*where)
        dataset = datasets[where]
        cfg = resolve(RunConfig(objective=run.objective, dataset=run.dataset, seed=run.seed, **run.options), dataset)
    except Exception:  # noqa: BLE001 - reported by the run itself
        return 0.0
    critic = cfg.critic_steps if OBJECTIVES[cfg.objective].uses_critic else 0
    return float(cfg.steps) * (1 + critic) * float(cfg.batch_size)


def run_sweep(spec: SweepSpec, out: str | Path, workers: int = 1, backend: str = "local",
              address: str | None = None, retry_failed: bool = False, progress: bool = True,
              device: str = "cpu") -> dict:
    """Run every run of ``spec`` into ``out`` on ``device`` (cpu, or cuda: every worker shares the
    GPU) and return the manifest (also written to disk)."""
    if device not in SWEEP_DEVICES:
        raise ValueError(f"unknown sweep device {device!r}; expected one of {SWEEP_DEVICES}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(out / SWEEP_LOCK, f"sweep directory {out}"):
        return _sweep_locked(spec, out, workers, backend, address, retry_failed, progress, device)


def _sweep_locked(spec: SweepSpec, out: Path, workers: int, backend: str, address: str | None,
                  retry_failed: bool, progress: bool, device: str) -> dict:
    from ..provenance import code_fingerprint

    runs = spec.runs()
    threads = 1 if backend == "ray" else threads_per_worker(workers)
    code = code_fingerprint()
    session = {"backend": backend, "workers": workers, "threads_per_worker": threads, "address": address,
               "code": code, "device": device}
    manifest = Manifest(out, spec, runs, session)
    done, todo = partition(runs, out, retry_failed)
    for key, record in done.items():
        manifest.runs[key].update(record)
    manifest.write()
    bar = _progress_bar(len(runs), len(done), progress)
    failed = sum(r["status"] == "failed" for r in done.values())

    def on_done(run: RunSpec, record: dict) -> None:
        nonlocal failed
        failed += record["status"] == "failed"
        manifest.update(run.key, {**record, "skipped": False})
        bar.update(1)
        bar.set_postfix(failed=failed)

    interrupted = True
    try:
        execute = _run_ray if backend == "ray" else _run_local
        execute(todo, out, workers, threads, on_done, address, code, device)
        interrupted = False
    finally:
        bar.close()
        manifest.finish(interrupted)
    return manifest.data


def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, unit="run", desc="sweep", disable=not enabled, dynamic_ncols=True)


# What the fork server imports once for all runs.  torch._dynamo: torch.optim imports it when the first
# optimiser is built (1.3 s per process on the 2-core CPU); _fused_numba: numba and the kernels (a missing
# module is skipped by the fork server).
PRELOAD = ["torch", "torch._dynamo", "distmatch.trainer", "distmatch.report.plots", "distmatch.sweep.runner",
           "distmatch.kernels._fused_numba"]


def _pool_context() -> mp.context.BaseContext:
    """A fork server that has imported torch and distmatch: a fresh process per run, started cheaply."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _run_local(todo: list[RunSpec], out: Path, workers: int, threads: int,
               on_done: Callable[[RunSpec, dict], None], address: str | None = None, code: str | None = None,
               device: str = "cpu") -> None:
    """A process pool, one fresh process per run (max_tasks_per_child=1)."""
    if not todo:
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), max_tasks_per_child=1)
    try:
        futures: dict[Future, RunSpec] = {pool.submit(execute_run, r, str(out), threads, code, device): r
                                          for r in todo}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                on_done(futures[fut], _result(fut))
    except BaseException:  # Ctrl-C: drop queued runs, stop running ones (they resume from checkpoints)
        _stop_pool(pool)
        raise
    pool.shutdown()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    processes = list((pool._processes or {}).values())  # noqa: SLF001 - no public way to stop running tasks
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()


def _result(fut: Future) -> dict:
    try:
        return fut.result()
    except BrokenProcessPool:
        return {"status": "failed", "error": "worker process died (killed or out of memory); "
                                             "re-run the sweep to resume this run from its checkpoint"}
    except Exception as exc:  # noqa: BLE001 - e.g. pickling errors
        return {"status": "failed", "error": one_line_error(exc)}


def _run_ray(todo: list[RunSpec], out: Path, workers: int, threads: int,
             on_done: Callable[[RunSpec, dict], None], address: str | None = None, code: str | None = None,
             device: str = "cpu") -> None:
    """The same runs as Ray tasks with num_cpus=1 (local Ray, or the cluster at ``address``)."""
    try:
        import ray
    except ImportError:
        raise RuntimeError("--backend ray needs ray: pip install 'distmatch[cluster]'") from None
    started = not ray.is_initialized()
    if started:
        kwargs = {"address": address} if address else {"num_cpus": workers}
        ray.init(include_dashboard=False, log_to_driver=False, **kwargs)
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(execute_run)
        refs = {task.remote(r, str(out.resolve()), threads, code, device): r for r in todo}
        pending = list(refs)
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            for ref in finished:
                on_done(refs[ref], _ray_result(ray, ref))
    finally:
        if started:
            ray.shutdown()


def _ray_result(ray, ref) -> dict:
    try:
        return ray.get(ref)
    except Exception as exc:  # noqa: BLE001 - a lost worker or node
        return {"status": "failed", "error": one_line_error(exc)}
