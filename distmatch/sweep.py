"""Sweeps: a grid of runs (objective × dataset × seed) on a local process pool or on Ray.

Each run trains into ``<out>/<objective>/<dataset>/s<seed>/``; ``<out>/manifest.json`` records the
spec, every run's status (completed / failed / pending), error and wall time, and provenance.
Re-running the same sweep skips completed runs and resumes interrupted ones from their checkpoints.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing as mp
import os
import platform
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from . import io, settings
from .config import RunConfig
from .objectives import OBJECTIVES
from .rundir import RunDir, exclusive_lock

MANIFEST = "manifest.json"
SWEEP_LOCK = ".distmatch-sweep.lock"
SPEC_KEYS = ("objectives", "datasets", "seeds", "steps", "run_options")
# RunConfig fields a spec may not set: they are the grid axes, belong to the sweep, or are derived.
RESERVED_OPTIONS = ("objective", "dataset", "seed", "threads", "device", "extra", "dataset_id",
                    "bandwidth_source")


class SpecError(ValueError):
    """A malformed sweep spec; the message says what was wrong and what is accepted."""


# --------------------------------------------------------------------------- spec
@dataclass
class SweepSpec:
    """The grid: objectives × datasets × seeds, plus fixed RunConfig options for every run."""

    objectives: list[str]
    datasets: list[str]
    seeds: list[int]
    run_options: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # dataset -> directory name (see dataset_label)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def runs(self) -> list["RunSpec"]:
        """Every run of the grid, objective-major (so a partial sweep covers objectives evenly per seed)."""
        return [RunSpec(o, d, s, dict(self.run_options), self.labels.get(d, ""))
                for s in self.seeds for d in self.datasets for o in self.objectives]


@dataclass
class RunSpec:
    """One run of a sweep."""

    objective: str
    dataset: str
    seed: int
    options: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # the dataset's directory name; "" = the dataset string itself

    @property
    def key(self) -> str:
        return f"{self.objective}/{self.label or self.dataset}/s{self.seed}"

    def directory(self, out: Path) -> Path:
        return Path(out) / self.key


def parse_list(value: Any, what: str) -> list[str]:
    """'a,b' or ['a', 'b'] -> ['a', 'b'] (non-empty, no duplicates); anything else is a SpecError."""
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        raise SpecError(f"{what}: expected a list of names or a comma-separated string, got {value!r}")
    items = [v for v in items if v]
    if not items:
        raise SpecError(f"{what}: expected a non-empty list, got {value!r}")
    return list(dict.fromkeys(items))


SEEDS_HELP = (f"expected e.g. '0-9', '0,3,5' or a list of integers (0 to {settings.MAX_SEED}, "
              f"at most {settings.MAX_SEEDS:,} seeds)")


def parse_seeds(value: Any) -> list[int]:
    """Seeds from '0-9', '0,3,5', '0-4,7', an int, or a list of ints (0 <= seed <= MAX_SEED)."""
    if isinstance(value, int) and not isinstance(value, bool):
        parts: list = [value]
    elif isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise SpecError(f"seeds: {SEEDS_HELP}, got {value!r}")
    seeds: dict[int, None] = {}
    for part in parts:
        lo, hi = _seed_part(part, value)
        if hi - lo + 1 + len(seeds) > settings.MAX_SEEDS:
            raise SpecError(f"seeds: {value!r} gives more than {settings.MAX_SEEDS:,} seeds")
        seeds.update(dict.fromkeys(range(lo, hi + 1)))
    if not seeds:
        raise SpecError(f"seeds: {SEEDS_HELP}, got {value!r}")
    return list(seeds)


def _seed_part(part: Any, whole: Any) -> tuple[int, int]:
    """(low, high) of one seed or inclusive range."""
    bad = SpecError(f"seeds: bad seed or range {part!r} in {whole!r}; {SEEDS_HELP}")
    if isinstance(part, bool) or not isinstance(part, (int, str)):
        raise bad
    text = str(part).strip()
    lo_text, sep, hi_text = text.partition("-")
    try:
        lo, hi = (int(lo_text), int(hi_text)) if sep else (int(text), int(text))
    except ValueError:
        raise bad from None
    if not 0 <= lo <= hi <= settings.MAX_SEED:
        raise bad
    return lo, hi


def check_objectives(names: list[str]) -> list[str]:
    unknown = [n for n in names if n not in OBJECTIVES]
    if unknown:
        raise SpecError(f"unknown objective {unknown[0]!r}; choose from {', '.join(OBJECTIVES)}")
    return names


def check_datasets(names: list[str], data_dir: str | None = None) -> dict[str, str]:
    """Load every dataset once; return its directory label (two names for the same data refused)."""
    from .data import get_dataset
    from .data.identity import dataset_identity, dataset_label

    labels: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        try:
            identity = dataset_identity(get_dataset(name, data_dir))
        except (ValueError, OSError) as exc:  # DataError, unreadable file
            raise SpecError(f"dataset {name!r}: {exc}") from None
        if identity in seen:
            raise SpecError(f"datasets {seen[identity]!r} and {name!r} are the same data; list it once")
        seen[identity], labels[name] = name, dataset_label(identity)
    return labels


def coerce_option(key: str, value: Any) -> Any:
    """Check ``key`` is a RunConfig field a sweep may set and validate ``value`` (see settings.py)."""
    if key not in settings.SETTINGS or key in RESERVED_OPTIONS:
        allowed = ", ".join(k for k in settings.SETTINGS if k not in RESERVED_OPTIONS)
        raise SpecError(f"unknown run option {key!r}; accepted: {allowed}")
    try:
        return settings.coerce(key, value)
    except settings.SettingError as exc:
        raise SpecError(f"run option {exc}") from None


def parse_sets(pairs: Iterable[str]) -> dict[str, Any]:
    """['eval_samples=100', 'width=16'] -> {'eval_samples': 100, 'width': 16}."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise SpecError(f"--set expects KEY=VALUE (a RunConfig field), got {pair!r}")
        key, value = pair.split("=", 1)
        key = key.strip().replace("-", "_")
        out[key] = coerce_option(key, value.strip())
    return out


def build_spec(objectives: Any, datasets: Any, seeds: Any, run_options: dict | None = None,
               check_data: bool = True) -> SweepSpec:
    """Validate and normalise a spec; raises :class:`SpecError` with a one-line message."""
    opts = {str(k).replace("-", "_"): v for k, v in (run_options or {}).items()}
    opts = {k: coerce_option(k, v) for k, v in opts.items()}
    objs = check_objectives(parse_list(objectives, "objectives"))
    dsets = parse_list(datasets, "datasets")
    labels = check_datasets(dsets, opts.get("data_dir")) if check_data else {}
    return SweepSpec(objs, dsets, parse_seeds(seeds), opts, labels)


def load_spec_file(path: str | Path) -> SweepSpec:
    """Read a YAML (.yaml/.yml) or TOML (.toml) spec: objectives, datasets, seeds, [steps], [run_options]."""
    path = Path(path)
    data = _read_spec_file(path)
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping with keys objectives, datasets, seeds")
    unknown = [k for k in data if k not in SPEC_KEYS]
    if unknown:
        raise SpecError(f"{path}: unknown key {unknown[0]!r}; accepted keys: {', '.join(SPEC_KEYS)}")
    missing = [k for k in ("objectives", "datasets", "seeds") if k not in data]
    if missing:
        raise SpecError(f"{path}: missing key {missing[0]!r} (required: objectives, datasets, seeds)")
    options = data.get("run_options") or {}
    if not isinstance(options, dict):
        raise SpecError(f"{path}: run_options must be a mapping of RunConfig fields to values")
    if "steps" in data:
        options = {**options, "steps": data["steps"]}
    return build_spec(data["objectives"], data["datasets"], data["seeds"], options)


def _read_spec_file(path: Path) -> Any:
    try:
        return io.read_settings_file(path)
    except io.FileFormatError as exc:
        raise SpecError(str(exc)) from None


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


def execute_run(run: RunSpec, out: str, threads: int) -> dict:
    """Train (or resume) one run; never raises: returns a manifest record with status and error."""
    t0 = time.perf_counter()
    record: dict[str, Any] = {"status": "failed", "error": None, "resumed_from": None}
    try:
        record.update(_train_run(run, Path(out), threads))
    except BaseException as exc:  # noqa: BLE001 - a failed run must not stop the sweep
        if isinstance(exc, KeyboardInterrupt):
            raise
        record["error"] = one_line_error(exc)
    record["wall_seconds"] = round(time.perf_counter() - t0, 2)
    return record


def _train_run(run: RunSpec, out: Path, threads: int) -> dict:
    import torch

    from .config import resolve
    from .data import get_dataset
    from .trainer import Trainer

    rundir = RunDir(run.directory(out))
    dataset = get_dataset(run.dataset, run.options.get("data_dir"), run.seed)
    cfg = resolve(RunConfig(objective=run.objective, dataset=run.dataset, seed=run.seed, device="cpu",
                            **run.options), dataset)
    cfg.threads = cap_threads(cfg.threads, threads)
    torch.set_num_threads(cfg.threads)
    with rundir.session(cfg, "continue"):
        trainer = Trainer(cfg, dataset, rundir.path, quiet=True)
        resumed_from = trainer.step if trainer.resume() else None
        trainer.fit()
    return {"status": "completed", "resumed_from": resumed_from}


def one_line_error(exc: BaseException) -> str:
    """'TypeName: message' on one line (truncated to 300 characters)."""
    msg = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return text[:300]


# --------------------------------------------------------------------------- manifest
def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def read_manifest(out: Path) -> dict:
    """``<out>/manifest.json`` ({} when there is none); FileFormatError when it is malformed, so a
    broken history is never silently replaced."""
    path = Path(out) / MANIFEST
    if not path.exists():
        return {}
    data = io.read_json(path)
    runs, sessions = data.get("runs", []), data.get("sessions", [])
    if not (isinstance(runs, list) and all(isinstance(r, dict) and isinstance(r.get("key"), str) for r in runs)
            and isinstance(sessions, list) and all(isinstance(x, dict) for x in sessions)):
        raise io.FileFormatError(f"{path}: not a distmatch sweep manifest (runs/sessions malformed); "
                                 "move it away to start a new history")
    return data


class Manifest:
    """``<out>/manifest.json``: specs, run records, sessions and provenance, rewritten atomically on
    every change. A new spec is merged in: earlier records, specs and sessions are always kept."""

    def __init__(self, out: Path, spec: SweepSpec, runs: list[RunSpec], settings: dict):
        import torch

        import distmatch
        self.path = Path(out) / MANIFEST
        old = read_manifest(out)
        self.runs = {r["key"]: r for r in old.get("runs", [])}
        for r in runs:
            self.runs[r.key] = {**_run_identity(r), "status": "pending", "error": None, "wall_seconds": None,
                                **_previous(self.runs.get(r.key))}
        self.keys = [r.key for r in runs]  # this spec's runs
        specs = old.get("specs") or ([old["spec"]] if "spec" in old else [])
        self.specs = specs + ([spec.to_dict()] if spec.to_dict() not in specs else [])
        self.sessions = old.get("sessions", [])
        self.session = {"start": now(), "end": None, "wall_seconds": None,
                        "spec": self.specs.index(spec.to_dict()), **settings}
        self.data = {"spec": spec.to_dict(),
                     "provenance": {"commit": io.git_commit(), "distmatch": distmatch.__version__,
                                    "torch": torch.__version__, "python": platform.python_version(),
                                    "host": platform.node(), "cpu_count": os.cpu_count()}}
        self.t0 = time.perf_counter()

    def update(self, key: str, record: dict) -> None:
        self.runs[key].update(record)
        self.session["wall_seconds"] = round(time.perf_counter() - self.t0, 1)  # so far (kept if killed)
        self.write()

    def finish(self, interrupted: bool = False) -> None:
        self.session["end"] = now()
        self.session["wall_seconds"] = round(time.perf_counter() - self.t0, 1)
        self.session["interrupted"] = interrupted
        self.write()

    def counts(self, keys: Iterable[str] | None = None) -> dict[str, int]:
        """completed / failed / pending over ``keys`` (default: this spec's runs)."""
        records = [self.runs[k] for k in (self.keys if keys is None else keys)]
        return {s: sum(r["status"] == s for r in records) for s in ("completed", "failed", "pending")}

    def write(self) -> None:
        sessions = self.sessions + [self.session]
        self.data.update(
            specs=self.specs, start=sessions[0]["start"], end=self.session["end"], counts=self.counts(),
            counts_all=self.counts(self.runs), sessions=sessions,
            wall_seconds=round(sum(s.get("wall_seconds") or 0 for s in sessions), 1),
            runs=list(self.runs.values()))
        io.save_json(self.data, self.path)


def _run_identity(run: RunSpec) -> dict:
    return {"key": run.key, "objective": run.objective, "dataset": run.dataset, "seed": run.seed, "dir": run.key}


def _previous(old: dict | None) -> dict:
    """Keep an earlier session's record of a run (it is skipped now, not retrained)."""
    if not old:
        return {}
    return {k: old[k] for k in ("status", "error", "wall_seconds", "resumed_from") if k in old}


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
        if completed_summary(run_dir) is not None:
            done[run.key] = {"status": "completed", "error": None, "skipped": True}
        elif not retry_failed and (err := diverged_error(run_dir)) is not None:
            done[run.key] = {"status": "failed", "error": f"TrainingDiverged: {err}", "skipped": True}
        else:
            todo.append(run)
    return done, todo


def run_sweep(spec: SweepSpec, out: str | Path, workers: int = 1, backend: str = "local",
              address: str | None = None, retry_failed: bool = False, progress: bool = True) -> dict:
    """Run every run of ``spec`` into ``out`` and return the manifest (also written to disk)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(out / SWEEP_LOCK, f"sweep directory {out}"):
        return _sweep_locked(spec, out, workers, backend, address, retry_failed, progress)


def _sweep_locked(spec: SweepSpec, out: Path, workers: int, backend: str, address: str | None,
                  retry_failed: bool, progress: bool) -> dict:
    runs = spec.runs()
    threads = 1 if backend == "ray" else threads_per_worker(workers)
    session = {"backend": backend, "workers": workers, "threads_per_worker": threads, "address": address}
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
        execute(todo, out, workers, threads, on_done, address)
        interrupted = False
    finally:
        bar.close()
        manifest.finish(interrupted)
    return manifest.data


def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, unit="run", desc="sweep", disable=not enabled, dynamic_ncols=True)


def _pool_context() -> mp.context.BaseContext:
    """A fork server that has imported torch and distmatch: a fresh process per run, started cheaply."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["torch", "distmatch.trainer", "distmatch.plots", "distmatch.sweep"])
    return ctx


def _run_local(todo: list[RunSpec], out: Path, workers: int, threads: int,
               on_done: Callable[[RunSpec, dict], None], address: str | None = None) -> None:
    """A process pool, one fresh process per run (max_tasks_per_child=1)."""
    if not todo:
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), max_tasks_per_child=1)
    try:
        futures: dict[Future, RunSpec] = {pool.submit(execute_run, r, str(out), threads): r for r in todo}
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
             on_done: Callable[[RunSpec, dict], None], address: str | None = None) -> None:
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
        refs = {task.remote(r, str(out.resolve()), threads): r for r in todo}
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
